//! `InitiateAuth` with `USER_PASSWORD_AUTH`, unsigned like SignUp: enough
//! for a test to prove a user can sign in with a given password. Tokens are
//! made up (they are opaque strings, not JWTs); a user whose password must
//! change gets the `NEW_PASSWORD_REQUIRED` challenge instead.

use std::collections::BTreeMap;

use super::admin_wire::{AuthenticationResult, InitiateAuthRequest, InitiateAuthResponse};
use super::checks::Refusal;
use super::state::PoolState;
use super::users::{StoredUser, UserStatus};

/// Cognito's answer for a wrong password, and (with user-existence errors
/// prevented, the default for new app clients) for an unknown user too.
fn incorrect() -> Refusal {
    (
        "NotAuthorizedException",
        "Incorrect username or password.".to_owned(),
    )
}

fn missing(parameter: &str) -> Refusal {
    (
        "InvalidParameterException",
        format!("Missing required parameter {parameter}"),
    )
}

/// A made-up token, recognisable as the emulator's.
fn token(kind: &str) -> String {
    format!("emulator-{kind}-{}", super::ids::random_uuid().simple())
}

impl PoolState {
    /// `InitiateAuth`: app client and SECRET_HASH, then the password, then
    /// the user's state (a wrong password is refused before anything about
    /// the user is told).
    pub(crate) fn initiate_auth(
        &self,
        request: &InitiateAuthRequest,
    ) -> Result<InitiateAuthResponse, Refusal> {
        if request.auth_flow != "USER_PASSWORD_AUTH" {
            return Err((
                "InvalidParameterException",
                format!(
                    "The emulator supports AuthFlow USER_PASSWORD_AUTH only, not {:?}",
                    request.auth_flow
                ),
            ));
        }
        let parameter = |name: &str| request.auth_parameters.get(name).map(|s| s.expose());
        let username = parameter("USERNAME").ok_or_else(|| missing("USERNAME"))?;
        let password = parameter("PASSWORD").ok_or_else(|| missing("PASSWORD"))?;
        self.client_for(&request.client_id, username, parameter("SECRET_HASH"))?;
        let users = self.users();
        let user = users
            .find(&self.key(username))
            .and_then(|slot| users.get(slot))
            .ok_or_else(incorrect)?;
        if !user.password.as_ref().is_some_and(|p| p.matches(password)) {
            return Err(incorrect());
        }
        if !user.enabled {
            return Err(("NotAuthorizedException", "User is disabled.".to_owned()));
        }
        match user.status {
            UserStatus::Unconfirmed => Err((
                "UserNotConfirmedException",
                "User is not confirmed.".to_owned(),
            )),
            UserStatus::ForceChangePassword => Ok(new_password_required(user)),
            UserStatus::Confirmed => Ok(InitiateAuthResponse {
                challenge_name: None,
                session: None,
                challenge_parameters: BTreeMap::new(),
                authentication_result: Some(AuthenticationResult {
                    access_token: token("access"),
                    expires_in: 3600,
                    token_type: "Bearer".to_owned(),
                    refresh_token: token("refresh"),
                    id_token: token("id"),
                }),
            }),
        }
    }
}

/// The challenge a user with a temporary password gets, with the
/// parameters Cognito sends along.
fn new_password_required(user: &StoredUser) -> InitiateAuthResponse {
    let attributes: serde_json::Map<String, serde_json::Value> = user
        .attributes
        .iter()
        .filter(|a| &*a.name != "sub")
        .map(|a| (a.name.to_string(), a.value.clone().into()))
        .collect();
    let parameters = BTreeMap::from([
        ("USER_ID_FOR_SRP".to_owned(), user.username.clone()),
        ("requiredAttributes".to_owned(), "[]".to_owned()),
        (
            "userAttributes".to_owned(),
            serde_json::Value::Object(attributes).to_string(),
        ),
    ]);
    InitiateAuthResponse {
        challenge_name: Some("NEW_PASSWORD_REQUIRED".to_owned()),
        session: Some(token("session")),
        challenge_parameters: parameters,
        authentication_result: None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::emulator::testing::{
        body, client, code, pool, secret_hash, sign_up, state, POOL_ID,
    };

    fn sign_in(
        state: &PoolState,
        username: &str,
        password: &str,
    ) -> Result<InitiateAuthResponse, Refusal> {
        state.initiate_auth(&body(
            json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "client1",
            "AuthParameters": {"USERNAME": username, "PASSWORD": password}}),
        ))
    }

    #[test]
    fn only_confirmed_enabled_users_with_the_right_password_get_tokens() {
        let state = state(json!({}));
        assert_eq!(sign_up(&state, "ann", &[]), "ok");
        assert_eq!(
            code(sign_in(&state, "ann", "Passw0rd!")),
            "UserNotConfirmedException"
        );
        assert_eq!(
            code(sign_in(&state, "ann", "wrong")),
            "NotAuthorizedException"
        );
        state
            .admin_confirm_sign_up(POOL_ID, "ann")
            .expect("confirmed");
        let tokens = sign_in(&state, "ann", "Passw0rd!").expect("signed in");
        let result = tokens.authentication_result.expect("tokens");
        assert_eq!(
            (result.token_type.as_str(), result.expires_in),
            ("Bearer", 3600)
        );
        assert!(tokens.challenge_name.is_none());
        let wrong = sign_in(&state, "ann", "Passw0rd?");
        assert!(wrong.is_err_and(|e| e
            == (
                "NotAuthorizedException",
                "Incorrect username or password.".into()
            )));
        assert_eq!(
            code(sign_in(&state, "nobody", "Passw0rd!")),
            "NotAuthorizedException"
        );
        state.admin_disable_user(POOL_ID, "ann").expect("disabled");
        let disabled = sign_in(&state, "ann", "Passw0rd!");
        assert!(disabled.is_err_and(|e| e.1 == "User is disabled."));
    }

    #[test]
    fn a_temporary_password_leads_to_the_new_password_challenge() {
        let state = state(json!({}));
        state
            .admin_create_user(&body(json!({"UserPoolId": POOL_ID, "Username": "bo",
                "TemporaryPassword": "Temp0rary!", "MessageAction": "SUPPRESS",
                "UserAttributes": [{"Name": "name", "Value": "Bo"}]})))
            .expect("created");
        let answer = sign_in(&state, "bo", "Temp0rary!").expect("challenge");
        assert_eq!(
            answer.challenge_name.as_deref(),
            Some("NEW_PASSWORD_REQUIRED")
        );
        assert!(answer.session.is_some() && answer.authentication_result.is_none());
        assert_eq!(answer.challenge_parameters["USER_ID_FOR_SRP"], "bo");
        assert_eq!(
            answer.challenge_parameters["userAttributes"],
            r#"{"name":"Bo"}"#
        );
        assert_eq!(
            code(sign_in(&state, "bo", "Passw0rd!")),
            "NotAuthorizedException"
        );
    }

    #[test]
    fn a_client_with_a_secret_needs_the_secret_hash() {
        let state = PoolState::new(pool(json!({})), vec![client(Some("s3cret"))]);
        let mut request = json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "client1",
            "AuthParameters": {"USERNAME": "ann", "PASSWORD": "Passw0rd!"}});
        let attempt = |r: &serde_json::Value| code(state.initiate_auth(&body(r.clone())));
        assert_eq!(attempt(&request), "NotAuthorizedException");
        request["AuthParameters"]["SECRET_HASH"] = json!(secret_hash("s3cret", "ann", "client1"));
        // The hash is right, so what is left is the unknown user.
        let refused = state.initiate_auth(&body(request.clone()));
        assert!(refused.is_err_and(|e| e.1 == "Incorrect username or password."));
        request["ClientId"] = json!("other");
        assert_eq!(attempt(&request), "ResourceNotFoundException");
    }

    #[test]
    fn other_flows_and_missing_parameters_are_refused() {
        let state = state(json!({}));
        let attempt = |r: serde_json::Value| code(state.initiate_auth(&body(r)));
        assert_eq!(
            attempt(
                json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": "client1", "AuthParameters": {"USERNAME": "a"}})
            ),
            "InvalidParameterException"
        );
        assert_eq!(
            attempt(
                json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "client1", "AuthParameters": {"USERNAME": "a"}})
            ),
            "InvalidParameterException"
        );
    }
}
