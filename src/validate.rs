//! Local checks of a prepared request against Cognito's documented
//! constraints (COGNITO.md), so rows Cognito would refuse are reported
//! `invalid` without spending a request. Pure: no I/O.

use std::sync::OnceLock;

use regex::Regex;

use crate::attributes::{self, BOOLEAN, CUSTOM_PREFIX, MAX_CUSTOM_NAME};
use crate::mapping::Prepared;
use crate::row_error::RowError;

/// Longest username, attribute value and password Cognito accepts.
pub const MAX_USERNAME: usize = 128;
pub const MAX_VALUE: usize = 2048;
pub const MAX_NAME: usize = 32;
pub const MAX_PASSWORD: usize = 256;

/// Checks that hold for every pool.
pub fn check(prepared: &Prepared) -> Result<(), RowError> {
    check_username(&prepared.username)?;
    if let Some(password) = &prepared.password {
        let password = password.expose();
        if password.chars().count() > MAX_PASSWORD {
            return Err(RowError::new(
                "InvalidPasswordFormat",
                Some("password"),
                format!("longer than {MAX_PASSWORD} characters"),
            ));
        }
        if password.chars().any(char::is_whitespace) {
            return Err(RowError::new(
                "InvalidPasswordFormat",
                Some("password"),
                "contains white space, which Cognito refuses",
            ));
        }
    }
    for attribute in &prepared.attributes {
        check_attribute(&attribute.name, &attribute.value)?;
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
    let length = username.chars().count();
    if length > MAX_USERNAME {
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

fn check_attribute(name: &str, value: &str) -> Result<(), RowError> {
    if let Some(reason) = attributes::forbidden_reason(name) {
        return Err(RowError::new("ForbiddenAttribute", Some(name), reason));
    }
    if name.chars().count() > MAX_NAME {
        return Err(RowError::new(
            "AttributeNameTooLong",
            Some(name),
            format!("attribute names are at most {MAX_NAME} characters"),
        ));
    }
    if let Some(custom) = name.strip_prefix(CUSTOM_PREFIX) {
        if custom.chars().count() > MAX_CUSTOM_NAME {
            return Err(RowError::new(
                "AttributeNameTooLong",
                Some(name),
                format!("custom attribute names are at most {MAX_CUSTOM_NAME} characters after `custom:`"),
            ));
        }
    }
    if value.chars().count() > MAX_VALUE {
        return Err(RowError::new(
            "ValueTooLong",
            Some(name),
            format!("values are at most {MAX_VALUE} characters"),
        ));
    }
    match name {
        "email" if !is_email(value) => Err(RowError::new(
            "InvalidEmail",
            Some(name),
            format!("{value:?} is not an email address"),
        )),
        "phone_number" if !is_e164(value) => Err(RowError::new(
            "InvalidPhoneNumber",
            Some(name),
            format!("{value:?} is not E.164 (`+` then 4 to 15 digits, e.g. +14325551212)"),
        )),
        "birthdate" if !is_birthdate(value) => Err(RowError::new(
            "InvalidBirthdate",
            Some(name),
            format!("{value:?} is not YYYY-MM-DD"),
        )),
        "updated_at" if value.parse::<u64>().is_err() => Err(RowError::new(
            "InvalidUpdatedAt",
            Some(name),
            format!("{value:?} is not epoch seconds"),
        )),
        _ if BOOLEAN.contains(&name) => Err(RowError::new(
            "UnwritableAttribute",
            Some(name),
            "SignUp is refused (NotAuthorizedException) when it writes verification flags; drop this column",
        )),
        _ => Ok(()),
    }
}

/// `local@domain.tld`, no white space, one `@`.
pub fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !value.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
}

/// `+` then 4 to 15 digits, the first not 0.
pub fn is_e164(value: &str) -> bool {
    let Some(digits) = value.strip_prefix('+') else {
        return false;
    };
    (4..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// `YYYY-MM-DD` with a real month and day.
pub fn is_birthdate(value: &str) -> bool {
    let bytes = value.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let number =
        |range: std::ops::Range<usize>| value.get(range).and_then(|s| s.parse::<u32>().ok());
    match (number(0..4), number(5..7), number(8..10)) {
        (Some(year), Some(month), Some(day)) => {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            let days = match month {
                1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
                4 | 6 | 9 | 11 => 30,
                2 if leap => 29,
                2 => 28,
                _ => return false,
            };
            (1..=days).contains(&day)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::wire::{AttributeType, Secret};

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
    }

    #[test]
    fn attribute_formats() {
        let cases = [
            ("email", "a@b.co", None),
            ("email", "not-an-email", Some("InvalidEmail")),
            ("email", "a@b", Some("InvalidEmail")),
            ("phone_number", "+14325551212", None),
            ("phone_number", "555-0199", Some("InvalidPhoneNumber")),
            ("phone_number", "+1 432 555", Some("InvalidPhoneNumber")),
            ("birthdate", "1980-02-29", None),
            ("birthdate", "1981-02-29", Some("InvalidBirthdate")),
            ("birthdate", "03/04/1980", Some("InvalidBirthdate")),
            ("updated_at", "1700000000", None),
            ("updated_at", "yesterday", Some("InvalidUpdatedAt")),
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

    #[test]
    fn password_format_never_echoes_the_password() {
        let mut p = prepared("ann", &[]);
        p.password = Some(Secret::new("has a space"));
        let err = check(&p).expect_err("whitespace");
        assert_eq!(err.code, "InvalidPasswordFormat");
        assert!(!err.to_string().contains("has a space"));
    }
}
