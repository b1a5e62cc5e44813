//! One shared copy of each attribute name the pool knows. A request brings
//! its own copy of every name; a stored user keeps the shared one instead,
//! so a million users hold eight names, not eight million (about a fifth of
//! a stored user's memory).

use rustc_hash::FxHashSet;

use super::checks::STANDARD;
use crate::send::cognito::attr_name::{intern, AttrName};
use crate::send::cognito::pool::PoolDescription;
use crate::send::cognito::wire::AttributeType;

/// The names of the standard attributes, `sub` and the pool's own.
#[derive(Debug, Default)]
pub(crate) struct AttributeNames {
    /// Interned: the pool's names are a bounded set, fixed at start-up.
    known: FxHashSet<&'static str>,
}

impl AttributeNames {
    pub(crate) fn for_pool(pool: &PoolDescription) -> Self {
        let schema = pool.schema_attributes.iter().map(|a| a.name.as_str());
        let known = STANDARD
            .iter()
            .copied()
            .chain(["sub"])
            .chain(schema)
            .map(intern)
            .collect();
        AttributeNames { known }
    }

    /// The shared copy of `name`, or a new one for a name the pool does
    /// not know.
    pub(crate) fn name(&self, name: &str) -> AttrName {
        match self.known.get(name) {
            Some(&known) => AttrName::Static(known),
            None => name.into(),
        }
    }

    /// Points each of `attributes` at the shared copy of its name.
    pub(crate) fn share(&self, attributes: &mut [AttributeType]) {
        for attribute in attributes {
            if let Some(&known) = self.known.get(&*attribute.name) {
                attribute.name = AttrName::Static(known);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_are_shared_and_unknown_ones_kept() {
        let pool: PoolDescription = serde_json::from_str(
            r#"{"SchemaAttributes":[{"Name":"custom:tier","AttributeDataType":"String"}]}"#,
        )
        .expect("pool");
        let names = AttributeNames::for_pool(&pool);
        let mut attributes = vec![
            AttributeType::new("email", "a@example.com"),
            AttributeType::new("custom:tier", "gold"),
            AttributeType::new("dev:odd", "x"),
        ];
        let unknown = attributes[2].name.clone();
        names.share(&mut attributes);
        assert!(attributes[0].name.same(&names.name("email")));
        assert!(attributes[1].name.same(&names.name("custom:tier")));
        assert!(attributes[2].name.same(&unknown));
        assert_eq!(&*attributes[2].name, "dev:odd");
        assert!(names.name("sub").same(&names.name("sub")));
        assert!(!names.name("dev:odd").same(&names.name("dev:odd")));
    }
}
