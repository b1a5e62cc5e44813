//! Local checks of a prepared request against Cognito's documented
//! constraints (docs/PROTOCOL.md), so rows Cognito would refuse are reported
//! `invalid` without spending a request. [`Checker`] runs the checks that
//! hold for every pool, then [`PoolRules`]', what `--pool` describes:
//! schema, custom attribute constraints, required attributes, password
//! policy, email-as-username. Pure: no I/O.

use std::sync::OnceLock;

use regex::Regex;

use crate::checks::formats::{control_character, has_white_space, is_birthdate, is_e164, is_email};
use crate::checks::limits::{longer_than, MAX_PASSWORD, MAX_USERNAME, MAX_VALUE};
use crate::checks::plan::{NamePlan, Plans, ValueFormat};
use crate::checks::pool_rules::{check_policy, PoolRules};
use crate::checks::row_error::RowError;
use crate::mapping::rules::Prepared;

/// The checks of one row, in order: those that hold for every pool, then
/// `--pool`'s. Each checking thread has its own (the plans it learns are
/// its own). Duplicates within the input are found after, in row order
/// ([`crate::checks::duplicates`]), among the rows that pass these.
#[derive(Debug, Clone)]
pub(crate) struct Checker {
    pool: Option<PoolRules>,
    plans: Plans,
    /// Whether values may hold control characters. The check stage clears
    /// it for a batch whose text has none (one scan per batch instead of
    /// one per value); it is on unless told otherwise.
    controls_possible: bool,
    /// A row may come without a password (`--api admin-create-user`: the
    /// user is created in FORCE_CHANGE_PASSWORD).
    password_optional: bool,
}

impl Checker {
    pub(crate) fn new(pool: Option<PoolRules>) -> Self {
        Checker {
            pool,
            plans: Plans::default(),
            controls_possible: true,
            password_optional: false,
        }
    }

    /// The same checker, passing rows without a password.
    pub(crate) fn with_password_optional(mut self, optional: bool) -> Self {
        self.password_optional = optional;
        self
    }

    /// Says whether the values about to be checked may hold control
    /// characters at all (`false` only when their whole text has none).
    pub(crate) fn set_controls_possible(&mut self, possible: bool) {
        self.controls_possible = possible;
    }

    /// Whether usernames compare case-sensitively. Without a pool
    /// description they do (the conservative choice: it never refuses a
    /// row the pool would accept).
    pub(crate) fn case_sensitive(&self) -> bool {
        self.pool.as_ref().is_none_or(PoolRules::case_sensitive)
    }

    pub(crate) fn check(&mut self, prepared: &Prepared) -> Result<(), RowError> {
        self.plans.assign(&prepared.attributes, self.pool.as_ref());
        check_planned(prepared, &self.plans, self.controls_possible)?;
        if let Some(pool) = &self.pool {
            check_pool(pool, prepared, &self.plans, self.password_optional)?;
        }
        Ok(())
    }
}

/// The checks that hold for every pool, the plans of `prepared`'s
/// attributes already assigned.
fn check_planned(prepared: &Prepared, plans: &Plans, controls: bool) -> Result<(), RowError> {
    check_username(&prepared.username)?;
    if let Some(password) = &prepared.password {
        let password = password.expose();
        if longer_than(password, MAX_PASSWORD) {
            return Err(RowError::new(
                "InvalidPasswordFormat",
                Some("password"),
                format!("longer than {MAX_PASSWORD} characters"),
            ));
        }
        if has_white_space(password) {
            return Err(RowError::new(
                "InvalidPasswordFormat",
                Some("password"),
                "contains white space, which Cognito refuses",
            ));
        }
        // Cognito's pattern would take a NUL or an escape code; in a
        // password from an export they are corruption, so the row is held.
        if controls && control_character(password, false).is_some() {
            return Err(RowError::new(
                "InvalidPasswordFormat",
                Some("password"),
                "contains a control character",
            ));
        }
    }
    for (attribute, plan) in prepared.attributes.iter().zip(plans.of_row()) {
        check_attribute(plan, &attribute.value, controls)?;
    }
    Ok(())
}

fn check_username(username: &str) -> Result<(), RowError> {
    if username.is_empty() {
        return Err(RowError::new(
            "MissingUsername",
            Some("username"),
            "is empty",
        ));
    }
    if longer_than(username, MAX_USERNAME) {
        let length = username.chars().count();
        return Err(RowError::new(
            "InvalidUsername",
            Some("username"),
            format!("is {length} characters long; the limit is {MAX_USERNAME}"),
        ));
    }
    // Printable ASCII is always in the allowed classes; only others need the regex.
    let ascii_ok = username.bytes().all(|b| b.is_ascii_graphic());
    if !ascii_ok && !username_pattern().is_match(username) {
        return Err(RowError::new(
            "InvalidUsername",
            Some("username"),
            "contains white space or control characters, which Cognito refuses",
        ));
    }
    Ok(())
}

fn username_pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(r"^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$")
            .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

fn check_attribute(plan: &NamePlan, value: &str, controls: bool) -> Result<(), RowError> {
    if let Some(error) = &plan.name_error {
        return Err(error.clone());
    }
    let name = plan.name();
    // Tab is allowed in free text (Cognito takes it there); in a value
    // with a format it fails that format's own check.
    let control = if controls {
        control_character(value, true)
    } else {
        None
    };
    if let Some(c) = control {
        return Err(RowError::new(
            "ControlCharacter",
            Some(name),
            format!(
                "contains the control character U+{:04X}, which Cognito refuses",
                u32::from(c)
            ),
        ));
    }
    if longer_than(value, MAX_VALUE) {
        return Err(RowError::new(
            "ValueTooLong",
            Some(name),
            format!("values are at most {MAX_VALUE} characters"),
        ));
    }
    match plan.format {
        ValueFormat::Email if !is_email(value) => Err(RowError::new(
            "InvalidEmail",
            Some(name),
            format!("{value:?} is not an email address"),
        )),
        ValueFormat::PhoneNumber if !is_e164(value) => Err(RowError::new(
            "InvalidPhoneNumber",
            Some(name),
            format!("{value:?} is not E.164 (`+` then 4 to 15 digits, e.g. +14325551212)"),
        )),
        ValueFormat::Birthdate if !is_birthdate(value) => Err(RowError::new(
            "InvalidBirthdate",
            Some(name),
            format!("{value:?} is not YYYY-MM-DD"),
        )),
        ValueFormat::EpochSeconds if value.parse::<u64>().is_err() => Err(RowError::new(
            "InvalidUpdatedAt",
            Some(name),
            if value.parse::<i64>().is_ok() {
                format!("{value:?} is before 1970; epoch seconds cannot be negative")
            } else {
                format!("{value:?} is not epoch seconds")
            },
        )),
        // 12 digits of seconds is the year 5138: it is milliseconds.
        ValueFormat::EpochSeconds if value.len() > 11 => Err(RowError::new(
            "InvalidUpdatedAt",
            Some(name),
            format!("{value:?} looks like milliseconds: use the epoch_ms transform"),
        )),
        ValueFormat::Unwritable => Err(RowError::new(
            "UnwritableAttribute",
            Some(name),
            "SignUp is refused (NotAuthorizedException) when it writes verification flags; drop this column",
        )),
        _ => Ok(()),
    }
}

/// The pool-specific checks, run after the ones for every pool, the
/// plans of `prepared`'s attributes (made with this pool) already assigned.
fn check_pool(
    pool: &PoolRules,
    prepared: &Prepared,
    plans: &Plans,
    password_optional: bool,
) -> Result<(), RowError> {
    pool.check_alias_username(&prepared.username)?;
    match &prepared.password {
        Some(password) => check_policy(password.expose(), pool.password_policy())?,
        None if password_optional => {}
        None => {
            return Err(RowError::new(
                "MissingPassword",
                Some("password"),
                "is empty; this pool needs one",
            ))
        }
    }
    // One bit per required attribute seen (a name may repeat).
    let mut required_present = 0u64;
    for (position, plan) in plans.pool_positions() {
        let Some(attribute) = prepared.attributes.get(position) else {
            continue;
        };
        if let Some(custom) = &plan.custom {
            custom
                .as_ref()
                .map_err(Clone::clone)?
                .check(&attribute.name, &attribute.value)?;
        }
        if let Some(bit) = plan.required.filter(|_| !attribute.value.is_empty()) {
            required_present |= 1u64.checked_shl(bit as u32).unwrap_or(0);
        }
    }
    let all = 1u64
        .checked_shl(pool.required().len() as u32)
        .map(|b| b - 1);
    if all == Some(required_present) {
        return Ok(());
    }
    let alias = pool.alias_kind(&prepared.username);
    for required in pool.required() {
        let present = alias == Some(required.as_str())
            || prepared
                .attributes
                .iter()
                .any(|a| *a.name == **required && !a.value.is_empty());
        if !present {
            return Err(RowError::new(
                "MissingRequiredAttribute",
                Some(required),
                "is required by the pool but empty or not mapped",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::cognito::pool::{PasswordPolicy, PoolDescription};
    use crate::send::cognito::wire::{AttributeType, Secret};
    use std::sync::Arc;

    fn prepared(username: &str, attributes: &[(&str, &str)]) -> Prepared {
        Prepared {
            username: username.into(),
            password: Some(Secret::new("Passw0rd!")),
            attributes: attributes
                .iter()
                .map(|(n, v)| AttributeType::new(*n, *v))
                .collect(),
            ..Prepared::default()
        }
    }

    fn code(p: &Prepared) -> Option<&'static str> {
        check(p).err().map(|e| e.code)
    }

    #[test]
    fn usernames() {
        assert_eq!(code(&prepared("ann", &[])), None);
        assert_eq!(code(&prepared("José.Ñúñez", &[])), None);
        assert_eq!(code(&prepared("", &[])), Some("MissingUsername"));
        assert_eq!(code(&prepared("has space", &[])), Some("InvalidUsername"));
        assert_eq!(code(&prepared("tab\there", &[])), Some("InvalidUsername"));
        assert_eq!(code(&prepared("zoë\u{a0}x", &[])), Some("InvalidUsername"));
        assert_eq!(
            code(&prepared(&"a".repeat(129), &[])),
            Some("InvalidUsername")
        );
        assert_eq!(code(&prepared(&"a".repeat(128), &[])), None);
        assert_eq!(code(&prepared("nul\0x", &[])), Some("InvalidUsername"));
        let mut nul_password = prepared("ann", &[]);
        nul_password.password = Some(Secret::new("Passw0rd!\0"));
        assert_eq!(code(&nul_password), Some("InvalidPasswordFormat"));
    }

    #[test]
    fn attribute_formats() {
        let cases = [
            ("email", "a@b.co", None),
            ("email", "not-an-email", Some("InvalidEmail")),
            ("email", "a@b", Some("InvalidEmail")),
            ("email", "ann\0@example.com", Some("ControlCharacter")),
            ("name", "Ann\x1b[2J", Some("ControlCharacter")),
            ("address", "1 Main St\r\nApt 2", Some("ControlCharacter")),
            ("nickname", "del\x7f", Some("ControlCharacter")),
            ("address", "1 Main St\tApt 2", None),
            ("phone_number", "+14325551212", None),
            ("phone_number", "555-0199", Some("InvalidPhoneNumber")),
            ("phone_number", "+1 432 555", Some("InvalidPhoneNumber")),
            ("birthdate", "1980-02-29", None),
            ("birthdate", "1981-02-29", Some("InvalidBirthdate")),
            ("birthdate", "03/04/1980", Some("InvalidBirthdate")),
            ("birthdate", "+980-01-01", Some("InvalidBirthdate")),
            ("birthdate", "1980-1a-01", Some("InvalidBirthdate")),
            ("birthdate", "2000-02-29", None),
            ("birthdate", "1900-02-29", Some("InvalidBirthdate")),
            ("updated_at", "1700000000", None),
            ("updated_at", "yesterday", Some("InvalidUpdatedAt")),
            ("updated_at", "99999999999", None),
            ("updated_at", "1600090000000", Some("InvalidUpdatedAt")),
            ("email_verified", "true", Some("UnwritableAttribute")),
            ("sub", "x", Some("ForbiddenAttribute")),
            ("dev:x", "x", Some("ForbiddenAttribute")),
            (
                "custom:abcdefghijklmnopqrstu",
                "x",
                Some("AttributeNameTooLong"),
            ),
        ];
        for (name, value, expected) in cases {
            assert_eq!(
                code(&prepared("ann", &[(name, value)])),
                expected,
                "{name}={value}"
            );
        }
        let long = "x".repeat(2049);
        assert_eq!(
            code(&prepared("ann", &[("name", &long)])),
            Some("ValueTooLong")
        );
    }

    fn sample_rules() -> PoolRules {
        let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/pool.json"));
        PoolRules::new(PoolDescription::load(path).expect("sample pool"))
    }

    /// The checks for every pool, as a run makes them.
    fn check(p: &Prepared) -> Result<(), RowError> {
        Checker::new(None).check(p)
    }

    /// Every check with `rules`, as a run makes them.
    fn pool_check(rules: &PoolRules, p: &Prepared) -> Result<(), RowError> {
        Checker::new(Some(rules.clone())).check(p)
    }

    fn pool_code(rules: &PoolRules, p: &Prepared) -> Option<&'static str> {
        pool_check(rules, p).err().map(|e| e.code)
    }

    #[test]
    fn pool_schema_constraints_and_required_attributes() {
        let rules = sample_rules();
        let email = ("email", "a@b.co");
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>);
        let cases: [Case; 9] = [
            (&[email], None),
            (&[], Some("MissingRequiredAttribute")),
            (&[email, ("custom:nope", "x")], Some("UnknownAttribute")),
            (
                &[email, ("custom:tier", "a-very-long-tier-name")],
                Some("AttributeConstraint"),
            ),
            (&[email, ("custom:tier", "")], None),
            (
                &[email, ("custom:loyalty_points", "2000000")],
                Some("AttributeConstraint"),
            ),
            (
                &[email, ("custom:loyalty_points", "many")],
                Some("AttributeConstraint"),
            ),
            (
                &[email, ("custom:newsletter", "Y")],
                Some("AttributeConstraint"),
            ),
            (
                &[
                    email,
                    ("custom:newsletter", "true"),
                    ("custom:loyalty_points", "1000000"),
                ],
                None,
            ),
        ];
        for (attributes, expected) in cases {
            let attributes: Vec<(&str, &str)> = attributes
                .iter()
                .copied()
                .filter(|(_, v)| !v.is_empty())
                .collect();
            assert_eq!(
                pool_code(&rules, &prepared("ann", &attributes)),
                expected,
                "{attributes:?}"
            );
        }
    }

    #[test]
    fn pool_password_policy() {
        let rules = sample_rules();
        let mut p = prepared("ann", &[("email", "a@b.co")]);
        for (password, expected) in [
            ("Abcdefg1", None),
            ("Ab1", Some("PasswordPolicy")),
            ("abcdefg1", Some("PasswordPolicy")),
            ("ABCDEFG1", Some("PasswordPolicy")),
            ("Abcdefgh", Some("PasswordPolicy")),
        ] {
            p.password = Some(Secret::new(password));
            assert_eq!(pool_code(&rules, &p), expected, "{password}");
            if let Err(e) = pool_check(&rules, &p) {
                assert!(!e.to_string().contains(password));
            }
        }
        p.password = None;
        assert_eq!(pool_code(&rules, &p), Some("MissingPassword"));
        let mut admin_create = Checker::new(Some(rules.clone())).with_password_optional(true);
        assert_eq!(admin_create.check(&p).err().map(|e| e.code), None);
        let strict = PasswordPolicy::default();
        assert!(
            check_policy("Abcdefg1", &strict).is_err(),
            "default policy needs a symbol"
        );
        assert!(check_policy("Abcdefg1!", &strict).is_ok());
    }

    #[test]
    fn email_as_username_pools() {
        let pool: PoolDescription =
            serde_json::from_value(serde_json::json!({"UsernameAttributes": ["email"], "SchemaAttributes": [{"Name": "email", "Required": true}]}))
                .expect("pool");
        let rules = PoolRules::new(pool);
        assert_eq!(
            pool_code(&rules, &prepared("ann", &[])),
            Some("UsernameNotAlias")
        );
        assert_eq!(
            pool_code(&rules, &prepared("ann@example.com", &[])),
            None,
            "the username is the email"
        );
    }

    #[test]
    fn checker_plans_follow_each_rows_own_attributes() {
        // As in a run: every row shares the mapping's name `Arc`s, but rows
        // leave out empty values, so positions shift from row to row.
        let email: Arc<str> = Arc::from("email");
        let tier: Arc<str> = Arc::from("custom:tier");
        let row = |attributes: &[(&Arc<str>, &str)]| Prepared {
            username: "ann".into(),
            password: Some(Secret::new("Passw0rd!")),
            attributes: attributes
                .iter()
                .map(|(n, v)| AttributeType::new(Arc::clone(n), *v))
                .collect(),
            ..Prepared::default()
        };
        let mut checker = Checker::new(Some(sample_rules()));
        let code =
            |checker: &mut Checker, _row: u64, p: &Prepared| checker.check(p).err().map(|e| e.code);
        assert_eq!(
            code(
                &mut checker,
                1,
                &row(&[(&email, "a@b.co"), (&tier, "gold")])
            ),
            None
        );
        assert_eq!(
            code(&mut checker, 2, &row(&[(&tier, "silver")])),
            Some("MissingRequiredAttribute"),
            "email is required"
        );
        assert_eq!(
            code(
                &mut checker,
                3,
                &row(&[(&tier, "gold"), (&email, "not-an-email")])
            ),
            Some("InvalidEmail")
        );
        assert_eq!(
            code(
                &mut checker,
                4,
                &row(&[(&tier, "a-very-long-tier-name"), (&email, "c@d.co")])
            ),
            Some("AttributeConstraint")
        );
    }

    #[test]
    fn email_shape_agrees_with_its_definition() {
        // The definition, spelled the slow way: split at the first `@`,
        // then every dot-separated label of the domain non-empty.
        let by_definition = |value: &str| {
            value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && !value.chars().any(char::is_whitespace)
                    && domain.split('.').count() >= 2
                    && domain.split('.').all(|label| !label.is_empty())
            })
        };
        let parts = [
            "", "a", ".", "@", "b.co", "x", " ", "\u{a0}", "\u{b}", "é", "..", "\t",
        ];
        let mut checked = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    for d in parts {
                        let value = format!("{a}{b}{c}{d}");
                        assert_eq!(is_email(&value), by_definition(&value), "{value:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 12 * 12 * 12 * 12);
        assert!(is_email("ann@mail.example.com"));
    }

    #[test]
    fn a_repeated_required_name_does_not_stand_in_for_another() {
        let pool: PoolDescription = serde_json::from_value(serde_json::json!({
            "SchemaAttributes": [
                {"Name": "email", "Required": true},
                {"Name": "name", "Required": true}
            ]
        }))
        .expect("pool");
        let rules = PoolRules::new(pool);
        let twice = prepared("ann", &[("email", "a@b.co"), ("email", "a@b.co")]);
        let error = pool_check(&rules, &twice).expect_err("name is missing");
        assert_eq!(error.code, "MissingRequiredAttribute");
        assert_eq!(error.column.as_deref(), Some("name"));
        let both = prepared("ann", &[("name", "Ann"), ("email", "a@b.co")]);
        assert!(pool_check(&rules, &both).is_ok());
    }

    #[test]
    fn password_format_never_echoes_the_password() {
        let mut p = prepared("ann", &[]);
        p.password = Some(Secret::new("has a space"));
        let err = check(&p).expect_err("whitespace");
        assert_eq!(err.code, "InvalidPasswordFormat");
        assert!(!err.to_string().contains("has a space"));
    }
}
