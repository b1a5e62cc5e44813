//! Request and answer shapes of the operations the emulator serves beyond
//! SignUp, ListUsers and AdminGetUser (whose shapes `send::cognito::wire`
//! shares with the client): PascalCase JSON members as in the botocore
//! model. Data only; the rules live in `admin`, `reads` and `auth`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::send::cognito::wire::{AttributeType, Secret, UserType};

/// `{UserPoolId, Username}`: AdminConfirmSignUp, AdminDisableUser and
/// AdminDeleteUser (other members, such as `ClientMetadata`, are ignored).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UserRef {
    pub(crate) user_pool_id: String,
    pub(crate) username: String,
}

/// `AdminUpdateUserAttributesRequest`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateAttributesRequest {
    pub(crate) user_pool_id: String,
    pub(crate) username: String,
    pub(crate) user_attributes: Vec<AttributeType>,
}

/// `AdminAddUserToGroupRequest`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AddToGroupRequest {
    pub(crate) user_pool_id: String,
    pub(crate) username: String,
    pub(crate) group_name: String,
}

/// `AdminCreateUserRequest` (`ValidationData`, `ForceAliasCreation` and
/// `ClientMetadata` are accepted and ignored).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateUserRequest {
    pub(crate) user_pool_id: String,
    pub(crate) username: String,
    #[serde(default)]
    pub(crate) user_attributes: Vec<AttributeType>,
    #[serde(default)]
    pub(crate) temporary_password: Option<Secret>,
    /// `RESEND` or `SUPPRESS`; absent: create and send an invitation.
    #[serde(default)]
    pub(crate) message_action: Option<String>,
    /// `EMAIL` and/or `SMS`.
    #[serde(default)]
    pub(crate) desired_delivery_mediums: Vec<String>,
}

/// `AdminCreateUserResponse`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateUserResponse {
    pub(crate) user: UserType,
}

/// `AdminSetUserPasswordRequest`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SetPasswordRequest {
    pub(crate) user_pool_id: String,
    pub(crate) username: String,
    pub(crate) password: Secret,
    #[serde(default)]
    pub(crate) permanent: bool,
}

/// `AdminListGroupsForUserRequest`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListGroupsForUserRequest {
    pub(crate) user_pool_id: String,
    pub(crate) username: String,
    #[serde(default)]
    pub(crate) limit: Option<usize>,
    #[serde(default)]
    pub(crate) next_token: Option<String>,
}

/// `GroupType`, as `list-groups` prints it and AdminListGroupsForUser answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GroupType {
    pub(crate) group_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user_pool_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) precedence: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_modified_date: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) creation_date: Option<f64>,
}

/// `ListGroupsResponse`: what `aws cognito-idp list-groups` prints.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListGroupsFile {
    pub(crate) groups: Vec<GroupType>,
}

/// `AdminListGroupsForUserResponse`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListGroupsForUserResponse {
    pub(crate) groups: Vec<GroupType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// `InitiateAuthRequest`. `AuthParameters` holds the password, so its
/// values are [`Secret`]s.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InitiateAuthRequest {
    pub(crate) auth_flow: String,
    pub(crate) client_id: String,
    #[serde(default)]
    pub(crate) auth_parameters: BTreeMap<String, Secret>,
}

/// `AuthenticationResultType`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AuthenticationResult {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
    pub(crate) token_type: String,
    pub(crate) refresh_token: String,
    pub(crate) id_token: String,
}

/// `InitiateAuthResponse`: tokens, or a challenge to answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InitiateAuthResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) challenge_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) session: Option<String>,
    pub(crate) challenge_parameters: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) authentication_result: Option<AuthenticationResult>,
}

/// The empty `{}` most admin writes answer with.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Empty {}
