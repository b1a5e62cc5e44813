//! The admin writes, with Cognito's rules and answers: AdminCreateUser,
//! AdminConfirmSignUp, AdminUpdateUserAttributes, AdminAddUserToGroup,
//! AdminSetUserPassword, AdminDisableUser and AdminDeleteUser. The caller
//! (the server) has already checked the SigV4 signature and the quota.

use super::admin_wire::{
    AddToGroupRequest, CreateUserRequest, CreateUserResponse, Empty, SetPasswordRequest,
    UpdateAttributesRequest,
};
use super::checks::{self, Refusal, Writer};
use super::passwords::PasswordVerifier;
use super::state::{now_epoch, user_not_found, NewUser, PoolState};
use super::users::{StoredUser, UserStatus, UserTable};
use crate::send::cognito::wire::{AttributeType, Secret};

/// Cognito's answer for a member outside its enum.
fn not_in_enum(value: &str, member: &str, allowed: &str) -> Refusal {
    (
        "InvalidParameterException",
        format!("1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [{allowed}]"),
    )
}

impl PoolState {
    /// `AdminCreateUser`: a new user in FORCE_CHANGE_PASSWORD with its
    /// temporary password (if given), and an invitation unless
    /// `MessageAction` is SUPPRESS; RESEND sends the invitation again.
    pub(crate) fn admin_create_user(
        &self,
        request: &CreateUserRequest,
    ) -> Result<CreateUserResponse, Refusal> {
        checks::username(&request.username)?;
        self.check_pool_id(&request.user_pool_id)?;
        let suppress = match request.message_action.as_deref() {
            None => false,
            Some("SUPPRESS") => true,
            Some("RESEND") => return self.resend_invitation(request),
            Some(other) => return Err(not_in_enum(other, "messageAction", "RESEND, SUPPRESS")),
        };
        if let Some(bad) = request
            .desired_delivery_mediums
            .iter()
            .find(|m| !matches!(m.as_str(), "EMAIL" | "SMS"))
        {
            return Err(not_in_enum(
                bad,
                "desiredDeliveryMediums.member",
                "SMS, EMAIL",
            ));
        }
        let temporary = request.temporary_password.as_ref().map(Secret::expose);
        if temporary.is_some() {
            checks::password(temporary, &self.pool.policies.password_policy)?;
        }
        let (alias, attributes) = self.with_alias(&request.username, &request.user_attributes)?;
        for attribute in &attributes {
            checks::attribute(attribute, &self.pool, Writer::Admin)?;
        }
        checks::required(&attributes, &self.pool)?;
        let user = self.insert(
            NewUser {
                login: &request.username,
                alias,
                attributes,
                status: UserStatus::ForceChangePassword,
                password: temporary.map(PasswordVerifier::new),
                exists_message: "User account already exists",
            },
            StoredUser::user_type,
        )?;
        if !suppress {
            self.count_message()?;
        }
        Ok(CreateUserResponse { user })
    }

    /// AdminCreateUser with `MessageAction: RESEND`: only for a user still
    /// in FORCE_CHANGE_PASSWORD; a new temporary password replaces the old.
    fn resend_invitation(
        &self,
        request: &CreateUserRequest,
    ) -> Result<CreateUserResponse, Refusal> {
        let temporary = request.temporary_password.as_ref().map(Secret::expose);
        let user = self.update_user(&request.user_pool_id, &request.username, |user| {
            if user.status != UserStatus::ForceChangePassword {
                return Err((
                    "UnsupportedUserStateException",
                    format!(
                        "Resend not possible. {} status is not FORCE_CHANGE_PASSWORD",
                        user.username
                    ),
                ));
            }
            if let Some(password) = temporary {
                checks::password(Some(password), &self.pool.policies.password_policy)?;
                user.password = Some(PasswordVerifier::new(password));
                user.modified = now_epoch();
            }
            Ok(user.user_type())
        })?;
        self.count_message()?;
        Ok(CreateUserResponse { user })
    }

    /// `AdminConfirmSignUp`: UNCONFIRMED becomes CONFIRMED; a user already
    /// CONFIRMED stays so and the call succeeds.
    pub(crate) fn admin_confirm_sign_up(
        &self,
        pool_id: &str,
        username: &str,
    ) -> Result<Empty, Refusal> {
        self.update_user(pool_id, username, |user| {
            match user.status {
                UserStatus::Unconfirmed => {
                    user.status = UserStatus::Confirmed;
                    user.modified = now_epoch();
                }
                UserStatus::Confirmed => {}
                UserStatus::ForceChangePassword => {
                    return Err((
                        "NotAuthorizedException",
                        "User cannot be confirmed. Current status is FORCE_CHANGE_PASSWORD"
                            .to_owned(),
                    ))
                }
            }
            Ok(Empty {})
        })
    }

    /// `AdminUpdateUserAttributes`. An administrator may set the
    /// verification flags. A changed email or phone number is no longer
    /// verified unless the same call says it is, and then, if the pool
    /// auto-verifies it, Cognito sends a code to the new address.
    pub(crate) fn admin_update_user_attributes(
        &self,
        request: &UpdateAttributesRequest,
    ) -> Result<Empty, Refusal> {
        for attribute in &request.user_attributes {
            checks::attribute(attribute, &self.pool, Writer::Admin)?;
        }
        let updates = &request.user_attributes;
        let codes = self.with_user(&request.user_pool_id, &request.username, |users, slot| {
            let new_key = self.alias_key_after(users, slot, updates)?;
            let user = users.get_mut(slot).ok_or_else(user_not_found)?;
            let mut codes = 0;
            for attribute in updates {
                let changed = user.attribute(&attribute.name) != Some(attribute.value.as_str());
                user.set_attribute(&attribute.name, &attribute.value);
                if changed && matches!(&*attribute.name, "email" | "phone_number") {
                    let flag = format!("{}_verified", attribute.name);
                    if !updates.iter().any(|a| *a.name == flag) {
                        user.set_attribute(&flag, "false");
                        codes += usize::from(self.auto_verifies(&attribute.name));
                    }
                }
            }
            user.modified = now_epoch();
            if let Some(key) = new_key {
                users.rekey(slot, key);
            }
            Ok(codes)
        })?;
        for _ in 0..codes {
            self.count_message()?;
        }
        Ok(Empty {})
    }

    fn auto_verifies(&self, name: &str) -> bool {
        self.pool.auto_verified_attributes.iter().any(|a| a == name)
    }

    /// In alias pools, the user's new uniqueness key when `updates` change
    /// the alias it signs in with; `AliasExistsException` when another
    /// user already holds that alias.
    fn alias_key_after(
        &self,
        users: &UserTable,
        slot: usize,
        updates: &[AttributeType],
    ) -> Result<Option<String>, Refusal> {
        let (Some(user), Some(current)) = (users.get(slot), users.key_of(slot)) else {
            return Ok(None);
        };
        for kind in &self.pool.username_attributes {
            let Some(update) = updates.iter().find(|a| *a.name == **kind) else {
                continue;
            };
            if user.attribute(kind).map(|old| self.key(old)).as_deref() != Some(current) {
                continue; // the user signs in with another alias
            }
            let key = self.key(&update.value);
            if key == current {
                return Ok(None);
            }
            if users.has_key(&key) {
                return Err((
                    "AliasExistsException",
                    format!("An account with the given {kind} already exists."),
                ));
            }
            return Ok(Some(key));
        }
        Ok(None)
    }

    /// `AdminAddUserToGroup`; adding a member again succeeds.
    pub(crate) fn admin_add_user_to_group(
        &self,
        request: &AddToGroupRequest,
    ) -> Result<Empty, Refusal> {
        self.check_pool_id(&request.user_pool_id)?;
        if !self
            .groups
            .iter()
            .any(|g| g.group_name == request.group_name)
        {
            return Err(("ResourceNotFoundException", "Group not found.".to_owned()));
        }
        self.update_user(&request.user_pool_id, &request.username, |user| {
            user.groups.insert(request.group_name.clone());
            Ok(Empty {})
        })
    }

    /// `AdminSetUserPassword`: the pool's policy applies; `Permanent`
    /// makes the user CONFIRMED, otherwise FORCE_CHANGE_PASSWORD.
    pub(crate) fn admin_set_user_password(
        &self,
        request: &SetPasswordRequest,
    ) -> Result<Empty, Refusal> {
        let password = request.password.expose();
        self.update_user(&request.user_pool_id, &request.username, |user| {
            checks::password(Some(password), &self.pool.policies.password_policy)?;
            user.password = Some(PasswordVerifier::new(password));
            user.status = if request.permanent {
                UserStatus::Confirmed
            } else {
                UserStatus::ForceChangePassword
            };
            user.modified = now_epoch();
            Ok(Empty {})
        })
    }

    /// `AdminDisableUser`: the user stays, but can no longer sign in.
    pub(crate) fn admin_disable_user(
        &self,
        pool_id: &str,
        username: &str,
    ) -> Result<Empty, Refusal> {
        self.update_user(pool_id, username, |user| {
            user.enabled = false;
            user.modified = now_epoch();
            Ok(Empty {})
        })
    }

    /// `AdminDeleteUser`.
    pub(crate) fn admin_delete_user(
        &self,
        pool_id: &str,
        username: &str,
    ) -> Result<Empty, Refusal> {
        self.with_user(pool_id, username, |users, slot| {
            users.remove(slot);
            Ok(Empty {})
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::emulator::admin_wire::ListGroupsForUserRequest;
    use crate::emulator::testing::{body, code, sign_up, state, POOL_ID};

    fn status(state: &PoolState, username: &str) -> String {
        state
            .admin_get_user(POOL_ID, username)
            .expect("user")
            .user_status
    }

    fn create(state: &PoolState, extra: serde_json::Value) -> Result<CreateUserResponse, Refusal> {
        let mut request = json!({"UserPoolId": POOL_ID, "Username": "ann",
            "UserAttributes": [{"Name": "email", "Value": "ann@example.com"},
                               {"Name": "email_verified", "Value": "true"}]});
        request
            .as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        state.admin_create_user(&body(request))
    }

    #[test]
    fn created_users_must_change_their_password_and_are_invited_unless_suppressed() {
        let state = state(json!({"AutoVerifiedAttributes": ["email"]}));
        let user = create(&state, json!({"TemporaryPassword": "Temp0rary!"}))
            .expect("created")
            .user;
        assert_eq!(
            (user.user_status.as_str(), user.enabled),
            ("FORCE_CHANGE_PASSWORD", true)
        );
        assert!(user.attributes.iter().any(|a| &*a.name == "sub"));
        assert!(user
            .attributes
            .iter()
            .any(|a| &*a.name == "email_verified" && a.value == "true"));
        let again = create(&state, json!({}));
        assert!(again.is_err_and(|e| e
            == (
                "UsernameExistsException",
                "User account already exists".into()
            )));
        assert_eq!(
            code(create(
                &state,
                json!({"Username": "bo", "MessageAction": "SUPPRESS"})
            )),
            "ok"
        );
        assert_eq!(
            state.snapshot().messages,
            1,
            "one invitation; the suppressed one is not sent"
        );
        let cases = [
            (
                json!({"Username": "c1", "TemporaryPassword": "short"}),
                "InvalidPasswordException",
            ),
            (
                json!({"Username": "c2", "MessageAction": "SEND"}),
                "InvalidParameterException",
            ),
            (
                json!({"Username": "c3", "DesiredDeliveryMediums": ["PIGEON"]}),
                "InvalidParameterException",
            ),
            (
                json!({"Username": "c4", "UserAttributes": [{"Name": "sub", "Value": "x"}]}),
                "InvalidParameterException",
            ),
            (json!({"Username": "c 5"}), "InvalidParameterException"),
            (
                json!({"Username": "c6", "UserPoolId": "us-east-1_Other"}),
                "ResourceNotFoundException",
            ),
        ];
        for (extra, expected) in cases {
            assert_eq!(code(create(&state, extra.clone())), expected, "{extra}");
        }
    }

    #[test]
    fn resend_invites_again_only_users_who_must_change_their_password() {
        let state = state(json!({}));
        assert_eq!(
            code(create(&state, json!({"MessageAction": "RESEND"}))),
            "UserNotFoundException"
        );
        create(&state, json!({})).expect("created");
        assert_eq!(
            code(create(&state, json!({"MessageAction": "RESEND"}))),
            "ok"
        );
        assert_eq!(state.snapshot().messages, 2);
        assert_eq!(sign_up(&state, "bo", &[]), "ok");
        let resend_bo = create(&state, json!({"Username": "bo", "MessageAction": "RESEND"}));
        assert_eq!(code(resend_bo), "UnsupportedUserStateException");
    }

    #[test]
    fn confirming_moves_unconfirmed_users_on_and_is_idempotent() {
        let state = state(json!({}));
        assert_eq!(sign_up(&state, "ann", &[]), "ok");
        assert_eq!(status(&state, "ann"), "UNCONFIRMED");
        assert_eq!(code(state.admin_confirm_sign_up(POOL_ID, "ann")), "ok");
        assert_eq!(status(&state, "ann"), "CONFIRMED");
        assert_eq!(code(state.admin_confirm_sign_up(POOL_ID, "ann")), "ok");
        assert_eq!(
            code(state.admin_confirm_sign_up(POOL_ID, "nobody")),
            "UserNotFoundException"
        );
        assert_eq!(
            code(state.admin_confirm_sign_up("us-east-1_X", "ann")),
            "ResourceNotFoundException"
        );
        create(&state, json!({"Username": "bo"})).expect("created");
        assert_eq!(
            code(state.admin_confirm_sign_up(POOL_ID, "bo")),
            "NotAuthorizedException"
        );
    }

    fn update(state: &PoolState, username: &str, attributes: &[(&str, &str)]) -> &'static str {
        let attributes: Vec<_> = attributes
            .iter()
            .map(|(n, v)| json!({"Name": n, "Value": v}))
            .collect();
        code(state.admin_update_user_attributes(&body(
            json!({"UserPoolId": POOL_ID, "Username": username, "UserAttributes": attributes}),
        )))
    }

    fn attribute(state: &PoolState, username: &str, name: &str) -> Option<String> {
        let user = state.admin_get_user(POOL_ID, username).expect("user");
        user.user_attributes
            .into_iter()
            .find(|a| &*a.name == name)
            .map(|a| a.value)
    }

    #[test]
    fn updates_follow_the_schema_and_may_set_the_verification_flags() {
        let state = state(
            json!({"AutoVerifiedAttributes": ["email"], "SchemaAttributes": [
            {"Name": "custom:tier", "AttributeDataType": "String", "StringAttributeConstraints": {"MaxLength": "4"}}]}),
        );
        assert_eq!(
            sign_up(&state, "ann", &[("email", "ann@example.com")]),
            "ok"
        );
        assert_eq!(
            update(
                &state,
                "ann",
                &[("email_verified", "true"), ("custom:tier", "gold")]
            ),
            "ok"
        );
        assert_eq!(
            attribute(&state, "ann", "email_verified").as_deref(),
            Some("true")
        );
        for bad in [
            ("custom:tier", "platinum"),
            ("custom:nope", "x"),
            ("sub", "x"),
            ("email", "nope"),
            ("email_verified", "yes"),
        ] {
            assert_eq!(
                update(&state, "ann", &[bad]),
                "InvalidParameterException",
                "{bad:?}"
            );
        }
        assert_eq!(
            update(&state, "nobody", &[("name", "X")]),
            "UserNotFoundException"
        );
        // A new address is unverified again, and a code goes to it.
        let before = state.snapshot().messages;
        assert_eq!(update(&state, "ann", &[("email", "ann@new.example")]), "ok");
        assert_eq!(
            attribute(&state, "ann", "email_verified").as_deref(),
            Some("false")
        );
        assert_eq!(state.snapshot().messages, before + 1);
        // Unless the same call says it is verified: no code then.
        assert_eq!(
            update(
                &state,
                "ann",
                &[("email", "a@b.example"), ("email_verified", "true")]
            ),
            "ok"
        );
        assert_eq!(state.snapshot().messages, before + 1);
    }

    #[test]
    fn in_alias_pools_a_new_email_moves_the_sign_in_name() {
        let state = state(json!({"UsernameAttributes": ["email"]}));
        assert_eq!(sign_up(&state, "ann@example.com", &[]), "ok");
        assert_eq!(sign_up(&state, "bo@example.com", &[]), "ok");
        assert_eq!(
            update(&state, "ann@example.com", &[("email", "bo@example.com")]),
            "AliasExistsException"
        );
        assert_eq!(
            update(&state, "ann@example.com", &[("email", "ann@new.example")]),
            "ok"
        );
        assert!(state.admin_get_user(POOL_ID, "ann@new.example").is_ok());
        assert_eq!(
            code(state.admin_get_user(POOL_ID, "ann@example.com")),
            "UserNotFoundException"
        );
        assert_eq!(
            sign_up(&state, "ann@example.com", &[]),
            "ok",
            "the old address is free again"
        );
    }

    fn groups_of(state: &PoolState, username: &str) -> Vec<String> {
        let request: ListGroupsForUserRequest =
            body(json!({"UserPoolId": POOL_ID, "Username": username}));
        let answer = state.admin_list_groups_for_user(&request).expect("groups");
        answer.groups.into_iter().map(|g| g.group_name).collect()
    }

    #[test]
    fn users_join_known_groups_once() {
        let mut state = state(json!({}));
        state.groups = crate::emulator::groups::load(None, &["admins".into(), "staff".into()])
            .expect("groups");
        assert_eq!(sign_up(&state, "ann", &[]), "ok");
        let add = |group: &str, user: &str| {
            code(state.admin_add_user_to_group(&body(
                json!({"UserPoolId": POOL_ID, "Username": user, "GroupName": group}),
            )))
        };
        assert_eq!(add("staff", "ann"), "ok");
        assert_eq!(add("staff", "ann"), "ok");
        assert_eq!(add("nope", "ann"), "ResourceNotFoundException");
        assert_eq!(add("staff", "nobody"), "UserNotFoundException");
        assert_eq!(groups_of(&state, "ann"), ["staff"]);
    }

    #[test]
    fn set_password_follows_the_policy_and_permanent_confirms() {
        let state = state(json!({}));
        assert_eq!(sign_up(&state, "ann", &[]), "ok");
        let set = |password: &str, permanent: bool| {
            code(
                state.admin_set_user_password(&body(json!({"UserPoolId": POOL_ID,
                "Username": "ann", "Password": password, "Permanent": permanent}))),
            )
        };
        assert_eq!(set("weak", true), "InvalidPasswordException");
        assert_eq!(status(&state, "ann"), "UNCONFIRMED");
        assert_eq!(set("N3w-Passw0rd!", false), "ok");
        assert_eq!(status(&state, "ann"), "FORCE_CHANGE_PASSWORD");
        assert_eq!(set("N3w-Passw0rd!", true), "ok");
        assert_eq!(status(&state, "ann"), "CONFIRMED");
    }

    #[test]
    fn disabled_users_stay_and_deleted_users_go() {
        let state = state(json!({}));
        for name in ["ann", "bo"] {
            assert_eq!(sign_up(&state, name, &[]), "ok");
        }
        assert_eq!(code(state.admin_disable_user(POOL_ID, "ann")), "ok");
        assert!(!state.admin_get_user(POOL_ID, "ann").expect("ann").enabled);
        assert_eq!(code(state.admin_delete_user(POOL_ID, "bo")), "ok");
        assert_eq!(
            code(state.admin_delete_user(POOL_ID, "bo")),
            "UserNotFoundException"
        );
        let listed = state.list_users(POOL_ID, None, None).expect("list").users;
        assert_eq!(listed.len(), 1);
        assert_eq!(state.snapshot().users, 1);
    }
}
