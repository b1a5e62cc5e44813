//! The user-pool and app-client descriptions as `aws cognito-idp
//! describe-user-pool` and `describe-user-pool-client` print them. Read by the
//! emulator (to behave like that pool) and by the client's `--pool` checks;
//! like the wire types, these are data only: each side has its own rules.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

/// `UserPool` from describe-user-pool (the members this project uses).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PoolDescription {
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) policies: Policies,
    #[serde(default)]
    pub(crate) schema_attributes: Vec<SchemaAttribute>,
    /// `email` and/or `phone_number`: the username must be one of these and
    /// Cognito generates the real username.
    #[serde(default)]
    pub(crate) username_attributes: Vec<String>,
    /// `email` and/or `phone_number`: SignUp makes Cognito send a code.
    #[serde(default)]
    pub(crate) auto_verified_attributes: Vec<String>,
    #[serde(default)]
    pub(crate) username_configuration: Option<UsernameConfiguration>,
    #[serde(default)]
    pub(crate) email_configuration: Option<EmailConfiguration>,
}

/// `EmailConfigurationType` (the member this project uses).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EmailConfiguration {
    /// `COGNITO_DEFAULT` (about 50 emails a day) or `DEVELOPER` (SES).
    #[serde(default)]
    pub(crate) email_sending_account: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Policies {
    #[serde(default)]
    pub(crate) password_policy: PasswordPolicy,
}

/// `PasswordPolicyType`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PasswordPolicy {
    #[serde(default = "default_min_length")]
    pub(crate) minimum_length: usize,
    #[serde(default)]
    pub(crate) require_uppercase: bool,
    #[serde(default)]
    pub(crate) require_lowercase: bool,
    #[serde(default)]
    pub(crate) require_numbers: bool,
    #[serde(default)]
    pub(crate) require_symbols: bool,
}

fn default_min_length() -> usize {
    8
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            minimum_length: default_min_length(),
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
        }
    }
}

/// `UsernameConfigurationType`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UsernameConfiguration {
    #[serde(default = "yes")]
    pub(crate) case_sensitive: bool,
}

fn yes() -> bool {
    true
}

/// `SchemaAttributeType`. Constraint bounds are strings on the wire.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SchemaAttribute {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) attribute_data_type: Option<String>,
    #[serde(default)]
    pub(crate) required: bool,
    #[serde(default)]
    pub(crate) string_attribute_constraints: Option<StringConstraints>,
    #[serde(default)]
    pub(crate) number_attribute_constraints: Option<NumberConstraints>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StringConstraints {
    #[serde(default)]
    pub(crate) min_length: Option<String>,
    #[serde(default)]
    pub(crate) max_length: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct NumberConstraints {
    #[serde(default)]
    pub(crate) min_value: Option<String>,
    #[serde(default)]
    pub(crate) max_value: Option<String>,
}

/// `UserPoolClient` from describe-user-pool-client.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ClientDescription {
    pub(crate) client_id: String,
    #[serde(default)]
    pub(crate) client_secret: Option<String>,
    /// Attributes this client may write; `None` means Cognito's default
    /// (every attribute but the verification flags).
    #[serde(default)]
    pub(crate) write_attributes: Option<Vec<String>>,
}

impl PoolDescription {
    /// Reads describe-user-pool output (`{"UserPool": {...}}`, or the inner object).
    pub(crate) fn load(path: &Path) -> anyhow::Result<Self> {
        load_wrapped(path, "UserPool")
    }

    /// Whether usernames are compared case-sensitively (Cognito's default
    /// for pools without a `UsernameConfiguration` is case-sensitive).
    pub(crate) fn case_sensitive(&self) -> bool {
        self.username_configuration
            .as_ref()
            .is_none_or(|c| c.case_sensitive)
    }

    /// The schema entry for an attribute name.
    pub(crate) fn schema(&self, name: &str) -> Option<&SchemaAttribute> {
        self.schema_attributes.iter().find(|a| a.name == name)
    }

    /// Whether email goes through Cognito's own sender (its default when
    /// the description says nothing), which stops at about 50 a day.
    pub(crate) fn default_email_sender(&self) -> bool {
        self.email_configuration
            .as_ref()
            .and_then(|c| c.email_sending_account.as_deref())
            .is_none_or(|account| account == "COGNITO_DEFAULT")
    }
}

impl ClientDescription {
    /// Reads describe-user-pool-client output (`{"UserPoolClient": {...}}`, or the inner object).
    pub(crate) fn load(path: &Path) -> anyhow::Result<Self> {
        load_wrapped(path, "UserPoolClient")
    }
}

fn load_wrapped<T: serde::de::DeserializeOwned>(path: &Path, wrapper: &str) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    if let Some(inner) = value.get_mut(wrapper) {
        value = inner.take();
    }
    serde_json::from_value(value).with_context(|| {
        format!(
            "{} is not in the shape `aws cognito-idp describe-...` prints",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sample_pool() {
        let pool = PoolDescription::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/samples/pool.json"
        )))
        .expect("sample pool");
        assert_eq!(pool.policies.password_policy.minimum_length, 8);
        assert!(!pool.case_sensitive());
        assert_eq!(pool.auto_verified_attributes, ["email"]);
        assert!(pool.default_email_sender());
        let tier = pool.schema("custom:tier").expect("custom:tier");
        assert_eq!(
            tier.string_attribute_constraints
                .as_ref()
                .and_then(|c| c.max_length.as_deref()),
            Some("16")
        );
    }
}
