//! Which handler serves each operation beyond SignUp, and which of them
//! need a SigV4 signature: the body is read into the operation's request
//! shape (`SerializationException` when it does not fit) and the pool's
//! answer is sent back in Cognito's wire form.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::admin_wire::{
    AddToGroupRequest, CreateUserRequest, InitiateAuthRequest, ListGroupsForUserRequest,
    SetPasswordRequest, UpdateAttributesRequest, UserRef,
};
use super::answer::{respond, unreadable, Answer};
use super::checks::Refusal;
use super::state::PoolState;
use crate::send::cognito::wire::{AdminGetUserRequest, ListUsersRequest};

/// The operations served only to SigV4-signed requests.
const SIGNED: &[&str] = &[
    "ListUsers",
    "AdminGetUser",
    "AdminListGroupsForUser",
    "AdminCreateUser",
    "AdminConfirmSignUp",
    "AdminUpdateUserAttributes",
    "AdminAddUserToGroup",
    "AdminSetUserPassword",
    "AdminDisableUser",
    "AdminDeleteUser",
];

/// Whether `operation` needs a SigV4 signature.
pub(crate) fn is_signed(operation: &str) -> bool {
    SIGNED.contains(&operation)
}

/// Reads `body` as `R` and answers with what `handle` makes of it.
fn with<R, T>(body: &[u8], handle: impl FnOnce(R) -> Result<T, Refusal>) -> Answer
where
    R: DeserializeOwned,
    T: Serialize,
{
    match serde_json::from_slice::<R>(body) {
        Ok(request) => respond(handle(request)),
        Err(e) => unreadable(&e.to_string()),
    }
}

/// Serves `operation` (any but SignUp); `None` when the emulator does not
/// serve it.
pub(crate) fn serve(state: &PoolState, operation: &str, body: &[u8]) -> Option<Answer> {
    Some(match operation {
        "ListUsers" => with(body, |r: ListUsersRequest| {
            state.list_users(&r.user_pool_id, r.limit, r.pagination_token.as_deref())
        }),
        "AdminGetUser" => with(body, |r: AdminGetUserRequest| {
            state.admin_get_user(&r.user_pool_id, &r.username)
        }),
        "AdminListGroupsForUser" => with(body, |r: ListGroupsForUserRequest| {
            state.admin_list_groups_for_user(&r)
        }),
        "AdminCreateUser" => with(body, |r: CreateUserRequest| state.admin_create_user(&r)),
        "AdminConfirmSignUp" => with(body, |r: UserRef| {
            state.admin_confirm_sign_up(&r.user_pool_id, &r.username)
        }),
        "AdminUpdateUserAttributes" => with(body, |r: UpdateAttributesRequest| {
            state.admin_update_user_attributes(&r)
        }),
        "AdminAddUserToGroup" => with(body, |r: AddToGroupRequest| {
            state.admin_add_user_to_group(&r)
        }),
        "AdminSetUserPassword" => with(body, |r: SetPasswordRequest| {
            state.admin_set_user_password(&r)
        }),
        "AdminDisableUser" => with(body, |r: UserRef| {
            state.admin_disable_user(&r.user_pool_id, &r.username)
        }),
        "AdminDeleteUser" => with(body, |r: UserRef| {
            state.admin_delete_user(&r.user_pool_id, &r.username)
        }),
        "InitiateAuth" => with(body, |r: InitiateAuthRequest| state.initiate_auth(&r)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::quotas::Category;

    /// Every operation served has a quota category, and only SignUp and
    /// InitiateAuth go unsigned.
    #[test]
    fn every_served_operation_has_a_category_and_a_signing_rule() {
        let state = crate::emulator::testing::state(serde_json::json!({}));
        for operation in SIGNED.iter().chain(&["InitiateAuth"]) {
            assert!(serve(&state, operation, b"{}").is_some(), "{operation}");
            assert!(Category::of(operation).is_some(), "{operation}");
        }
        assert!(!is_signed("SignUp") && !is_signed("InitiateAuth"));
        assert!(serve(&state, "DeleteUserPool", b"{}").is_none());
    }
}
