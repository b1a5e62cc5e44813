//! Wire types for the Cognito `SignUp`, `ListUsers` and `AdminGetUser` calls
//! (PascalCase JSON members, as in the botocore model). Shared by the client and
//! the emulator; no logic lives here beyond (de)serialisation.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::attr_name::AttrName;

/// `X-Amz-Target` prefix for every Cognito user-pool operation.
pub const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
/// Content type of every request and response.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// A password or other secret: serialises as itself, but never shows in
/// `Debug`/`Display`, so it cannot leak through logs or panic messages, and
/// its bytes are zeroed when it is dropped or replaced, so freed memory
/// (a core dump, a swapped page) does not keep it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// Replaces the secret, keeping the allocation (the old one zeroed).
    pub fn set(&mut self, value: &str) {
        if value.len() > self.0.capacity() {
            // Growing would free the old buffer unzeroed: replace it instead.
            *self = Secret::new(value);
            return;
        }
        self.0.zeroize();
        self.0.push_str(value);
    }
    /// The secret itself; callers must not log or report it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// `{Name, Value}` as used by `UserAttributes` and `ValidationData`. The
/// name is shared ([`AttrName`]): a run builds millions of these from a
/// handful of names, and never copies one per row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeType {
    pub name: AttrName,
    #[serde(default)]
    pub value: String,
}

impl AttributeType {
    pub fn new(name: impl Into<AttrName>, value: impl Into<String>) -> Self {
        AttributeType {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// `UserContextData` (threat protection).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserContextData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoded_data: Option<String>,
}

/// `SignUpRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignUpRequest {
    pub client_id: String,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_attributes: Vec<AttributeType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation_data: Vec<AttributeType>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub client_metadata: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_context_data: Option<UserContextData>,
}

/// `CodeDeliveryDetailsType`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeDeliveryDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_medium: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_name: Option<String>,
}

/// `SignUpResponse`. Both members are required by the model, but a 200
/// answer without them still means the user was created, so they default
/// rather than turn a success into an unreadable answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignUpResponse {
    #[serde(default)]
    pub user_confirmed: bool,
    #[serde(default)]
    pub user_sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_delivery_details: Option<CodeDeliveryDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

/// `ListUsersRequest` (the members the emulator honours).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersRequest {
    pub user_pool_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination_token: Option<String>,
}

/// `UserType` as `ListUsers` returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserType {
    pub username: String,
    #[serde(default)]
    pub attributes: Vec<AttributeType>,
    #[serde(default)]
    pub user_create_date: f64,
    #[serde(default)]
    pub user_last_modified_date: f64,
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub user_status: String,
}

/// `ListUsersResponse`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersResponse {
    pub users: Vec<UserType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination_token: Option<String>,
}

/// `AdminGetUserRequest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminGetUserRequest {
    pub user_pool_id: String,
    pub username: String,
}

/// `AdminGetUserResponse`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminGetUserResponse {
    pub username: String,
    #[serde(default)]
    pub user_attributes: Vec<AttributeType>,
    #[serde(default)]
    pub user_create_date: f64,
    #[serde(default)]
    pub user_last_modified_date: f64,
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub user_status: String,
}

/// The JSON body of an error answer: `{"__type": "Code", "message": "..."}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(rename = "__type")]
    pub error_type: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_replaced_or_grown_holds_the_new_value_and_never_shows() {
        let mut secret = Secret::new("Passw0rd!");
        secret.set("short");
        assert_eq!(secret.expose(), "short");
        let long = "x".repeat(300);
        secret.set(&long);
        assert_eq!(secret.expose(), long);
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(
            serde_json::to_string(&secret).expect("json"),
            format!("\"{long}\"")
        );
    }
}
