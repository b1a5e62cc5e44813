//! What a `--pool` description adds to the checks: its schema, custom
//! attribute constraints, required attributes, password policy and
//! email-as-username setting, read once from the description.

use crate::checks::formats::{is_e164, is_email};
use crate::checks::row_error::RowError;
use crate::send::cognito::pool::{PasswordPolicy, PoolDescription, SchemaAttribute};

/// Cognito's password symbols (docs/PROTOCOL.md).
const PASSWORD_SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-";

/// Checks from a pool description (`--pool`).
#[derive(Debug, Clone)]
pub(crate) struct PoolRules {
    pool: PoolDescription,
    /// The attributes the pool requires (`sub` aside: Cognito sets it).
    required: Vec<String>,
}

impl PoolRules {
    /// The pool's `Id`, when the description has one.
    pub(crate) fn pool_id(&self) -> Option<&str> {
        self.pool.id.as_deref()
    }

    /// The description itself, for what the run says before sending.
    pub(crate) fn description(&self) -> &PoolDescription {
        &self.pool
    }

    pub(crate) fn new(pool: PoolDescription) -> Self {
        let required = pool
            .schema_attributes
            .iter()
            .filter(|a| a.required && a.name != "sub")
            .map(|a| a.name.clone())
            .collect();
        PoolRules { pool, required }
    }

    /// The schema entry for an attribute name.
    pub(crate) fn schema(&self, name: &str) -> Option<&SchemaAttribute> {
        self.pool.schema(name)
    }

    /// Where `name` is among the attributes the pool requires, if it is.
    pub(crate) fn required_index(&self, name: &str) -> Option<usize> {
        self.required.iter().position(|r| r == name)
    }

    /// The attributes the pool requires, `sub` aside.
    pub(crate) fn required(&self) -> &[String] {
        &self.required
    }

    /// Whether usernames are compared case-sensitively in this pool.
    pub(crate) fn case_sensitive(&self) -> bool {
        self.pool.case_sensitive()
    }

    pub(crate) fn password_policy(&self) -> &PasswordPolicy {
        &self.pool.policies.password_policy
    }

    /// In email/phone-as-username pools, which alias the username is.
    pub(crate) fn alias_kind(&self, username: &str) -> Option<&str> {
        self.pool
            .username_attributes
            .iter()
            .map(String::as_str)
            .find(|kind| match *kind {
                "email" => is_email(username),
                "phone_number" => is_e164(username),
                _ => false,
            })
    }

    pub(crate) fn check_alias_username(&self, username: &str) -> Result<(), RowError> {
        if self.pool.username_attributes.is_empty() || self.alias_kind(username).is_some() {
            return Ok(());
        }
        Err(RowError::new(
            "UsernameNotAlias",
            Some("username"),
            format!(
                "this pool signs users up by {}: the username must be one",
                self.pool.username_attributes.join(" or ")
            ),
        ))
    }
}

/// The pool's password policy; the message never contains the password.
pub(crate) fn check_policy(password: &str, policy: &PasswordPolicy) -> Result<(), RowError> {
    let fail = |what: String| Err(RowError::new("PasswordPolicy", Some("password"), what));
    // Each rule stops at its first match, a few characters in.
    let length = if password.is_ascii() {
        password.len()
    } else {
        password.chars().count()
    };
    if length < policy.minimum_length {
        return fail(format!(
            "is {length} characters long; the pool needs at least {}",
            policy.minimum_length
        ));
    }
    if policy.require_lowercase && !password.chars().any(char::is_lowercase) {
        return fail("needs a lower-case letter".into());
    }
    if policy.require_uppercase && !password.chars().any(char::is_uppercase) {
        return fail("needs an upper-case letter".into());
    }
    if policy.require_numbers && !password.bytes().any(|b| b.is_ascii_digit()) {
        return fail("needs a digit".into());
    }
    if policy.require_symbols
        && !password
            .bytes()
            .any(|b| PASSWORD_SYMBOLS.as_bytes().contains(&b))
    {
        return fail("needs a symbol".into());
    }
    Ok(())
}
