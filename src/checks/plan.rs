//! Check plans per attribute name: whether the name may be sent at all,
//! which value format it has, its `--pool` constraint and whether the pool
//! requires it. Worked out once per name rather than once per row: the
//! mapping hands every row the same interned names ([`AttrName`]), so
//! finding a row's plans is a pointer compare per attribute.

use crate::checks::attributes::{self, BOOLEAN, CUSTOM_PREFIX, MAX_CUSTOM_NAME};
use crate::checks::limits::{longer_than, MAX_NAME};
use crate::checks::pool_rules::PoolRules;
use crate::checks::row_error::RowError;
use crate::send::cognito::attr_name::AttrName;
use crate::send::cognito::pool::SchemaAttribute;
use crate::send::cognito::wire::AttributeType;

/// The format an attribute's value must have whatever the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueFormat {
    Email,
    PhoneNumber,
    Birthdate,
    /// `updated_at`: epoch seconds.
    EpochSeconds,
    /// Verification flags: SignUp refuses to write them.
    Unwritable,
    Free,
}

/// A `--pool` schema constraint, its bounds parsed once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Constraint {
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    Boolean,
    /// `DateTime`: epoch seconds.
    EpochSeconds,
    /// Length bounds in characters.
    Text {
        min: Option<f64>,
        max: Option<f64>,
    },
    Unconstrained,
}

/// Everything checking one attribute name's values takes.
#[derive(Debug, Clone)]
pub(crate) struct NamePlan {
    name: AttrName,
    /// The name itself is refused (forbidden or too long): any value fails.
    pub(crate) name_error: Option<RowError>,
    pub(crate) format: ValueFormat,
    /// With `--pool`, for `custom:` names: the schema's constraint, or the
    /// error for a name the schema lacks.
    pub(crate) custom: Option<Result<Constraint, RowError>>,
    /// With `--pool`: this attribute's place among those the pool requires.
    pub(crate) required: Option<usize>,
}

/// The plans met so far, and for the row at hand, which plan each of its
/// attributes has.
#[derive(Debug, Default, Clone)]
pub(crate) struct Plans {
    list: Vec<NamePlan>,
    row: Vec<usize>,
    /// The row's positions whose plan has a `--pool` constraint or
    /// requirement: the only ones the pool checks visit.
    pool_positions: Vec<usize>,
}

impl Plans {
    /// Finds (or makes) the plan of each of `attributes`, in order.
    pub(crate) fn assign(&mut self, attributes: &[AttributeType], pool: Option<&PoolRules>) {
        // Most rows have the same attributes as the row before.
        if attributes.len() == self.row.len()
            && (attributes.iter().zip(&self.row)).all(|(a, i)| a.name.same(&self.list[*i].name))
        {
            return;
        }
        self.row.clear();
        self.pool_positions.clear();
        for (i, attribute) in attributes.iter().enumerate() {
            let index = self.index_of(&attribute.name, i, pool);
            self.row.push(index);
            let plan = &self.list[index];
            if plan.custom.is_some() || plan.required.is_some() {
                self.pool_positions.push(i);
            }
        }
    }

    /// The row's attribute positions the pool checks need, with their plans.
    pub(crate) fn pool_positions(&self) -> impl Iterator<Item = (usize, &NamePlan)> {
        self.pool_positions
            .iter()
            .map(|i| (*i, &self.list[self.row[*i]]))
    }

    /// The plans of the attributes last [`Plans::assign`]ed, in order.
    pub(crate) fn of_row(&self) -> impl Iterator<Item = &NamePlan> {
        self.row.iter().map(|i| &self.list[*i])
    }

    fn index_of(&mut self, name: &AttrName, hint: usize, pool: Option<&PoolRules>) -> usize {
        // Rows of one input map the same names in the same order.
        if self.list.get(hint).is_some_and(|p| p.name.same(name)) {
            return hint;
        }
        let found = (self.list.iter().position(|p| p.name.same(name)))
            .or_else(|| self.list.iter().position(|p| p.name == *name));
        found.unwrap_or_else(|| {
            self.list.push(NamePlan::new(name.clone(), pool));
            self.list.len() - 1
        })
    }
}

impl NamePlan {
    fn new(name: AttrName, pool: Option<&PoolRules>) -> NamePlan {
        let format = match &*name {
            "email" => ValueFormat::Email,
            "phone_number" => ValueFormat::PhoneNumber,
            "birthdate" => ValueFormat::Birthdate,
            "updated_at" => ValueFormat::EpochSeconds,
            other if BOOLEAN.contains(&other) => ValueFormat::Unwritable,
            _ => ValueFormat::Free,
        };
        let custom = pool.filter(|_| name.starts_with(CUSTOM_PREFIX)).map(|pool| {
            pool.schema(&name).map(Constraint::new).ok_or_else(|| {
                RowError::new(
                    "UnknownAttribute",
                    Some(&name),
                    "is not in the pool's schema; add the custom attribute to the pool or drop the column",
                )
            })
        });
        NamePlan {
            name_error: name_error(&name),
            format,
            custom,
            required: pool.and_then(|p| p.required_index(&name)),
            name,
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

/// Why a name can never be sent, if it cannot.
fn name_error(name: &str) -> Option<RowError> {
    if let Some(reason) = attributes::forbidden_reason(name) {
        return Some(RowError::new("ForbiddenAttribute", Some(name), reason));
    }
    if longer_than(name, MAX_NAME) {
        return Some(RowError::new(
            "AttributeNameTooLong",
            Some(name),
            format!("attribute names are at most {MAX_NAME} characters"),
        ));
    }
    let custom = name.strip_prefix(CUSTOM_PREFIX)?;
    longer_than(custom, MAX_CUSTOM_NAME).then(|| {
        RowError::new(
            "AttributeNameTooLong",
            Some(name),
            format!(
                "custom attribute names are at most {MAX_CUSTOM_NAME} characters after `custom:`"
            ),
        )
    })
}

impl Constraint {
    fn new(schema: &SchemaAttribute) -> Constraint {
        let bound = |b: &Option<String>| b.as_deref().and_then(|s| s.trim().parse::<f64>().ok());
        match schema.attribute_data_type.as_deref().unwrap_or("String") {
            "Number" => {
                let c = schema.number_attribute_constraints.as_ref();
                Constraint::Number {
                    min: c.and_then(|c| bound(&c.min_value)),
                    max: c.and_then(|c| bound(&c.max_value)),
                }
            }
            "Boolean" => Constraint::Boolean,
            "DateTime" => Constraint::EpochSeconds,
            "String" => {
                let c = schema.string_attribute_constraints.as_ref();
                Constraint::Text {
                    min: c.and_then(|c| bound(&c.min_length)),
                    max: c.and_then(|c| bound(&c.max_length)),
                }
            }
            _ => Constraint::Unconstrained,
        }
    }

    /// Whether `value` of attribute `name` meets the constraint.
    pub(crate) fn check(&self, name: &str, value: &str) -> Result<(), RowError> {
        let fail = |what: String| Err(RowError::new("AttributeConstraint", Some(name), what));
        match *self {
            Constraint::Number { min, max } => {
                let Ok(number) = value.trim().parse::<f64>() else {
                    return fail(format!("{value:?} is not a number"));
                };
                if let Some(min) = min.filter(|min| number < *min) {
                    return fail(format!("{value} is below the pool's minimum {min}"));
                }
                if let Some(max) = max.filter(|max| number > *max) {
                    return fail(format!("{value} is above the pool's maximum {max}"));
                }
            }
            Constraint::Boolean if value != "true" && value != "false" => {
                return fail(format!(
                    "{value:?} is not true or false (the `bool` transform converts y/n, 1/0)"
                ))
            }
            Constraint::EpochSeconds if value.parse::<u64>().is_err() => {
                return fail(format!("{value:?} is not epoch seconds"))
            }
            Constraint::Text { min, max } => {
                // A character is 1 to 4 bytes: counting them is needed only
                // when the byte length is near a bound.
                let bytes = value.len() as f64;
                if max.is_none_or(|max| bytes <= max) && min.is_none_or(|min| bytes >= min * 4.0) {
                    return Ok(());
                }
                let length = value.chars().count() as f64;
                if let Some(max) = max.filter(|max| length > *max) {
                    return fail(format!(
                        "is {length} characters long; the pool allows at most {max}"
                    ));
                }
                if let Some(min) = min.filter(|min| length < *min) {
                    return fail(format!(
                        "is {length} characters long; the pool needs at least {min}"
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_finds_the_plans_of_its_names_by_pointer_or_by_text() {
        let email = AttrName::interned("email");
        let tier = AttrName::interned("custom:tier");
        let mut plans = Plans::default();
        let row = |names: &[&AttrName]| -> Vec<AttributeType> {
            names
                .iter()
                .map(|n| AttributeType::new((*n).clone(), "x"))
                .collect()
        };
        plans.assign(&row(&[&email, &tier]), None);
        plans.assign(&row(&[&tier]), None);
        let names: Vec<&str> = plans.of_row().map(NamePlan::name).collect();
        assert_eq!(names, ["custom:tier"]);
        // Another copy of the same text shares the plan; no new plan is made.
        plans.assign(&[AttributeType::new("email", "x")], None);
        assert_eq!(
            plans.of_row().next().map(|p| p.format),
            Some(ValueFormat::Email)
        );
        assert_eq!(plans.list.len(), 2);
    }

    #[test]
    fn text_bounds_count_characters_not_bytes() {
        let c = Constraint::Text {
            min: Some(2.0),
            max: Some(3.0),
        };
        assert!(c.check("custom:x", "äöü").is_ok(), "3 characters, 6 bytes");
        assert!(c.check("custom:x", "äöüß").is_err());
        assert!(c.check("custom:x", "ä").is_err(), "1 character, 2 bytes");
        assert!(c.check("custom:x", "ab").is_ok());
    }
}
