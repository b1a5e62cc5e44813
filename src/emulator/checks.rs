//! The emulator's own checks of usernames, passwords and attributes (for
//! SignUp and the admin writes), written from docs/PROTOCOL.md independently of
//! the client's `validate` module: if both were one piece of code, a mistake
//! in it could never be caught by running one against the other. Each check
//! answers with the error code and message real Cognito uses.

use std::sync::OnceLock;

use regex::Regex;

use crate::send::cognito::pool::{PasswordPolicy, PoolDescription, SchemaAttribute};
use crate::send::cognito::wire::AttributeType;

/// A refusal: Cognito error code and message.
pub(crate) type Refusal = (&'static str, String);

/// Whether `given` is the SecretHash of `username` for this client, i.e.
/// `Base64(HMAC_SHA256(key = secret, message = username + client_id))`.
/// The emulator's own computation, independent of the client's: it decodes
/// the given hash and verifies the MAC (in constant time), where the
/// client encodes one, so a formula wrong on one side cannot pass on both.
pub(crate) fn secret_hash_matches(
    given: &str,
    secret: &str,
    username: &str,
    client_id: &str,
) -> bool {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let Ok(tag) = base64::engine::general_purpose::STANDARD.decode(given) else {
        return false;
    };
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(format!("{username}{client_id}").as_bytes());
    mac.verify_slice(&tag).is_ok()
}

pub(crate) const STANDARD: &[&str] = &[
    "address",
    "birthdate",
    "email",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
    "email_verified",
    "phone_number_verified",
];
const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-";

fn invalid(message: impl Into<String>) -> Refusal {
    ("InvalidParameterException", message.into())
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).unwrap_or_else(|e| unreachable!("static regex: {e}")))
}

/// `Username`: 1..128 chars of `[\p{L}\p{M}\p{S}\p{N}\p{P}]`.
/// None of these classes holds a control character (`\p{Cc}`: C0, DEL and
/// C1), so the pattern alone refuses them in usernames.
pub(crate) fn username(value: &str) -> Result<(), Refusal> {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    let length = value.chars().count();
    if length == 0 || length > 128 {
        return Err(invalid(
            "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must have length between 1 and 128",
        ));
    }
    if !regex(&PATTERN, r"^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$").is_match(value) {
        return Err(invalid(
            r"1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+",
        ));
    }
    Ok(())
}

/// `Password`: `[\S]+`, ≤ 256, then the pool's policy.
/// Cognito's pattern refuses only white space, so a control character that
/// is not white space (NUL, DEL, U+001C–U+001F …) is accepted, as
/// docs/PROTOCOL.md §9 says: the emulator never echoes a password (it keeps
/// only a salted digest), and refusing what Cognito accepts would make
/// rehearsals disagree with it.
pub(crate) fn password(value: Option<&str>, policy: &PasswordPolicy) -> Result<(), Refusal> {
    let Some(value) = value else {
        return Err(invalid("A password is required for this user pool."));
    };
    if value.is_empty() || value.chars().count() > 256 || value.chars().any(char::is_whitespace) {
        return Err(invalid(
            r"1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: [\S]+",
        ));
    }
    let policy_error = |what: &str| -> Result<(), Refusal> {
        Err((
            "InvalidPasswordException",
            format!("Password did not conform with policy: {what}"),
        ))
    };
    if value.chars().count() < policy.minimum_length {
        return policy_error("Password not long enough");
    }
    if policy.require_lowercase && !value.chars().any(|c| c.is_lowercase()) {
        return policy_error("Password must have lowercase characters");
    }
    if policy.require_uppercase && !value.chars().any(|c| c.is_uppercase()) {
        return policy_error("Password must have uppercase characters");
    }
    if policy.require_numbers && !value.chars().any(|c| c.is_ascii_digit()) {
        return policy_error("Password must have numeric characters");
    }
    if policy.require_symbols && !value.chars().any(|c| SYMBOLS.contains(c)) {
        return policy_error("Password must have symbol characters");
    }
    Ok(())
}

/// Attributes whose values have a fixed format: a TAB or a line break in
/// them is as much a control character as any other.
const FORMATTED: &[&str] = &[
    "email",
    "phone_number",
    "birthdate",
    "updated_at",
    "email_verified",
    "phone_number_verified",
];

/// The control characters free text may hold: TAB only (line breaks are
/// refused too, as the client's own checks refuse them).
const FREE_TEXT_CONTROLS: &[char] = &['\t'];

/// Whether `value` holds a C0 control character (U+0000–U+001F) or DEL
/// (U+007F), other than [`FREE_TEXT_CONTROLS`] when `free_text`. NUL, ESC
/// and the like in a stored attribute would later break what is built from
/// it (a NUL truncates C strings, ESC drives terminals), so they are refused
/// where they come in.
fn has_control(value: &str, free_text: bool) -> bool {
    value
        .chars()
        .any(|c| c.is_ascii_control() && !(free_text && FREE_TEXT_CONTROLS.contains(&c)))
}

/// Free text: not a fixed-format standard attribute, and not a custom
/// attribute typed Number, Boolean or DateTime.
fn free_text(name: &str, pool: &PoolDescription) -> bool {
    let typed = pool
        .schema(name)
        .and_then(|s| s.attribute_data_type.as_deref())
        .is_some_and(|t| t != "String");
    !FORMATTED.contains(&name) && !typed
}

/// The parts of an attribute the API model constrains before any schema
/// lookup: the name's length and pattern, the value's length, and no
/// control characters in the value.
fn attribute_shape(name: &str, value: &str, pool: &PoolDescription) -> Result<(), Refusal> {
    static NAME: OnceLock<Regex> = OnceLock::new();
    if name.is_empty() || name.chars().count() > 32 {
        return Err(invalid(
            "1 validation error detected: Value at 'userAttributes.member.name' failed to satisfy constraint: Member must have length between 1 and 32",
        ));
    }
    // The documented name pattern; it also keeps control characters out of
    // the names this emulator echoes in its messages.
    if !regex(&NAME, r"^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$").is_match(name) {
        return Err(invalid(
            r"1 validation error detected: Value at 'userAttributes.member.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+",
        ));
    }
    if value.chars().count() > 2048 {
        return Err(invalid(
            "1 validation error detected: Value at 'userAttributes.member.value' failed to satisfy constraint: Member must have length less than or equal to 2048",
        ));
    }
    if has_control(value, free_text(name, pool)) {
        return Err(schema_error(
            name,
            "Attribute values must not contain control characters.",
        ));
    }
    Ok(())
}

fn schema_error(name: &str, what: &str) -> Refusal {
    invalid(format!(
        "Attributes did not conform to the schema: {name}: {what}"
    ))
}

/// Who writes attributes: an app client, with its `WriteAttributes`
/// (`None` = Cognito's default: all but the verification flags), or an
/// administrator with IAM credentials, who may write any attribute but `sub`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Writer<'a> {
    Client(Option<&'a [String]>),
    Admin,
}

/// `UserAttributes` of a new user against the pool schema, the client's
/// write permissions and the standard formats, required ones included.
pub(crate) fn attributes(
    attributes: &[AttributeType],
    pool: &PoolDescription,
    writable: Option<&[String]>,
) -> Result<(), Refusal> {
    for attribute in attributes {
        self::attribute(attribute, pool, Writer::Client(writable))?;
    }
    required(attributes, pool)
}

/// One attribute `writer` sends, against the pool schema, the writer's
/// permissions and the standard formats.
pub(crate) fn attribute(
    attribute: &AttributeType,
    pool: &PoolDescription,
    writer: Writer<'_>,
) -> Result<(), Refusal> {
    let (name, value): (&str, &str) = (&attribute.name, &attribute.value);
    attribute_shape(name, value, pool)?;
    let custom = name.starts_with("custom:");
    let known = STANDARD.contains(&name) || (custom && pool.schema(name).is_some());
    if !known && name != "sub" && !name.starts_with("dev:") {
        return Err(schema_error(
            name,
            "Attribute does not exist in the schema.",
        ));
    }
    let may_write = match writer {
        Writer::Admin if name == "sub" => {
            return Err(schema_error(
                name,
                "Attribute cannot be updated. (changing an immutable attribute)",
            ))
        }
        Writer::Admin => true,
        // `sub` and `dev:` names are never a client's to write, listed or not.
        Writer::Client(_) if name == "sub" || name.starts_with("dev:") => false,
        Writer::Client(Some(list)) => list.iter().any(|w| w == name),
        Writer::Client(None) => !name.ends_with("_verified"),
    };
    if !may_write {
        return Err((
            "NotAuthorizedException",
            "A client attempted to write unauthorized attribute".to_owned(),
        ));
    }
    standard_format(name, value)?;
    if let Some(schema) = pool.schema(name) {
        constraints(name, value, schema)?;
    }
    Ok(())
}

/// Each of the pool's required attributes is present and not empty.
pub(crate) fn required(
    attributes: &[AttributeType],
    pool: &PoolDescription,
) -> Result<(), Refusal> {
    for required in pool
        .schema_attributes
        .iter()
        .filter(|a| a.required && a.name != "sub")
    {
        let present = attributes
            .iter()
            .any(|a| *a.name == *required.name && !a.value.is_empty());
        if !present {
            return Err(schema_error(
                &required.name,
                &format!("The attribute {} is required", required.name),
            ));
        }
    }
    Ok(())
}

fn standard_format(name: &str, value: &str) -> Result<(), Refusal> {
    static EMAIL: OnceLock<Regex> = OnceLock::new();
    static PHONE: OnceLock<Regex> = OnceLock::new();
    static DATE: OnceLock<Regex> = OnceLock::new();
    match name {
        "email" if !regex(&EMAIL, r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$").is_match(value) => {
            Err(invalid("Invalid email address format."))
        }
        "phone_number" if !regex(&PHONE, r"^\+[1-9][0-9]{3,14}$").is_match(value) => {
            Err(invalid("Invalid phone number format."))
        }
        "birthdate"
            if !regex(
                &DATE,
                r"^[0-9]{4}(-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))?$",
            )
            .is_match(value) =>
        {
            Err(schema_error(
                name,
                "Birthdate must be in the format YYYY-MM-DD",
            ))
        }
        "updated_at" if value.parse::<u64>().is_err() => Err(schema_error(name, "Number expected")),
        "email_verified" | "phone_number_verified" if value != "true" && value != "false" => {
            Err(schema_error(name, "Boolean expected"))
        }
        _ => Ok(()),
    }
}

fn constraints(name: &str, value: &str, schema: &SchemaAttribute) -> Result<(), Refusal> {
    let bound = |b: &Option<String>| b.as_deref().and_then(|s| s.parse::<f64>().ok());
    match schema.attribute_data_type.as_deref().unwrap_or("String") {
        "Number" => {
            let Ok(number) = value.parse::<f64>() else {
                return Err(schema_error(name, "Number expected"));
            };
            if let Some(c) = &schema.number_attribute_constraints {
                if bound(&c.min_value).is_some_and(|min| number < min) {
                    return Err(schema_error(
                        name,
                        "Number must be no less than the minimum value",
                    ));
                }
                if bound(&c.max_value).is_some_and(|max| number > max) {
                    return Err(schema_error(
                        name,
                        "Number must be no greater than the maximum value",
                    ));
                }
            }
        }
        "Boolean" if value != "true" && value != "false" => {
            return Err(schema_error(name, "Boolean expected"))
        }
        "DateTime" if value.parse::<u64>().is_err() => {
            return Err(schema_error(name, "DateTime expected"))
        }
        "String" => {
            if let Some(c) = &schema.string_attribute_constraints {
                let length = value.chars().count() as f64;
                if let Some(max) = bound(&c.max_length).filter(|max| length > *max) {
                    return Err(schema_error(
                        name,
                        &format!("String must be no longer than {max} characters"),
                    ));
                }
                if let Some(min) = bound(&c.min_length).filter(|min| length < *min) {
                    return Err(schema_error(
                        name,
                        &format!("String must be no shorter than {min} characters"),
                    ));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented test vector, and a hash that differs from it in one
    /// character, in the username or in the client id.
    #[test]
    fn secret_hash_follows_the_documented_vector() {
        let good = "AlBVu2cvVbbKkIR7i3zS8ZRCF82NM3j32T+LWqw4C5o=";
        let (secret, client) = ("client-secret-example", "1example23456789");
        assert!(secret_hash_matches(good, secret, "alice", client));
        assert!(!secret_hash_matches(
            &good.replace('A', "B"),
            secret,
            "alice",
            client
        ));
        assert!(!secret_hash_matches(good, secret, "alicf", client));
        assert!(!secret_hash_matches(
            good,
            secret,
            "alice",
            "1example23456780"
        ));
        assert!(!secret_hash_matches("not base64!", secret, "alice", client));
    }

    #[test]
    fn password_policy_messages() {
        let policy = PasswordPolicy::default();
        assert!(password(Some("Abcdef1!"), &policy).is_ok());
        assert_eq!(
            password(Some("Ab1!"), &policy).map_err(|e| e.0),
            Err("InvalidPasswordException")
        );
        assert_eq!(
            password(Some("has space1A!"), &policy).map_err(|e| e.0),
            Err("InvalidParameterException")
        );
        assert!(password(Some("abcdefg1!"), &policy).is_err_and(|e| e.1.contains("uppercase")));
        assert!(password(Some("Abcdefgh!"), &policy).is_err_and(|e| e.1.contains("numeric")));
        assert!(password(Some("Abcdefgh1"), &policy).is_err_and(|e| e.1.contains("symbol")));
    }

    fn controls() -> impl Iterator<Item = char> {
        (0u8..=0x1f).chain([0x7f]).map(char::from)
    }

    #[test]
    fn usernames_refuse_every_control_character() {
        for c in controls().chain(['\u{85}', '\u{9f}']) {
            assert!(username(&format!("a{c}b")).is_err(), "{:?}", c);
        }
    }

    fn pool_with_number() -> PoolDescription {
        serde_json::from_value(serde_json::json!({"SchemaAttributes": [
            {"Name": "custom:points", "AttributeDataType": "Number"},
            {"Name": "custom:note", "AttributeDataType": "String"}
        ]}))
        .expect("pool json")
    }

    fn check(name: &str, value: &str) -> Result<(), Refusal> {
        attributes(
            &[AttributeType::new(name, value)],
            &pool_with_number(),
            None,
        )
    }

    #[test]
    fn attribute_values_refuse_control_characters_but_tab_in_free_text() {
        for c in controls().filter(|c| !FREE_TEXT_CONTROLS.contains(c)) {
            for name in ["given_name", "address", "custom:note", "email"] {
                let refused = check(name, &format!("ann{c}x@example.com"));
                assert!(
                    refused
                        .as_ref()
                        .is_err_and(|e| e.0 == "InvalidParameterException"
                            && e.1.contains("control characters")),
                    "{name} {c:?}: {refused:?}"
                );
            }
        }
        assert!(check("given_name", "Ann\tMarie").is_ok());
        assert!(check("custom:note", "a\tb").is_ok());
        assert!(check("address", "1 Main St\r\nSpringfield").is_err());
        for (name, value) in [
            ("email", "a\tb@example.com"),
            ("email", "ab@example.com\n"),
            ("phone_number", "+14325551212\r"),
            ("custom:points", "1\t"),
        ] {
            assert!(
                check(name, value).is_err_and(|e| e.1.contains("control characters")),
                "{name}"
            );
        }
        // Names follow the documented pattern, so none carries a control either.
        assert!(check("custom:no\u{0}te", "x").is_err_and(|e| e.1.contains("pattern")));
    }

    /// `[\S]+` refuses white space only: NUL and DEL pass, TAB and LF do not.
    #[test]
    fn passwords_follow_the_pattern_for_control_characters() {
        let policy = PasswordPolicy::default();
        assert!(password(Some("Abcdef1!\u{0}"), &policy).is_ok());
        assert!(password(Some("Abcdef1!\u{7f}"), &policy).is_ok());
        assert!(password(Some("Abcdef1!\t"), &policy).is_err());
        assert!(password(Some("Abcdef1!\n"), &policy).is_err());
    }

    #[test]
    fn administrators_may_write_the_verification_flags_but_not_sub() {
        let pool = pool_with_number();
        let admin = |name: &str, value: &str| {
            attribute(&AttributeType::new(name, value), &pool, Writer::Admin).map_err(|e| e.0)
        };
        let client = |name: &str, value: &str| {
            attribute(
                &AttributeType::new(name, value),
                &pool,
                Writer::Client(None),
            )
            .map_err(|e| e.0)
        };
        assert_eq!(admin("email_verified", "true"), Ok(()));
        assert_eq!(admin("phone_number_verified", "false"), Ok(()));
        assert_eq!(
            client("email_verified", "true"),
            Err("NotAuthorizedException")
        );
        assert_eq!(admin("sub", "x"), Err("InvalidParameterException"));
        assert_eq!(
            admin("email_verified", "yes"),
            Err("InvalidParameterException")
        );
        assert_eq!(admin("custom:nope", "x"), Err("InvalidParameterException"));
        assert_eq!(
            admin("custom:points", "x"),
            Err("InvalidParameterException")
        );
        assert_eq!(
            admin("phone_number", "555-0199"),
            Err("InvalidParameterException")
        );
    }

    #[test]
    fn usernames() {
        assert!(username("zoë.müller").is_ok());
        assert!(username("a b").is_err());
        assert!(username("").is_err());
        assert!(username(&"x".repeat(129)).is_err());
    }
}
