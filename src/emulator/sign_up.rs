//! `SignUp`, in Cognito's order: app client and SecretHash, username,
//! password, attributes, uniqueness; then the confirmation message the pool
//! would send. The app-client check is shared with InitiateAuth.

use super::checks::{self, Refusal};
use super::passwords::PasswordVerifier;
use super::state::{NewUser, PoolState};
use super::users::UserStatus;
use crate::send::cognito::pool::ClientDescription;
use crate::send::cognito::wire::{AttributeType, SignUpRequest, SignUpResponse};

impl PoolState {
    /// Handles a `SignUp`; the user is stored UNCONFIRMED with its password's verifier.
    pub(crate) fn sign_up(&self, request: &SignUpRequest) -> Result<SignUpResponse, Refusal> {
        let client = self.client_for(
            &request.client_id,
            &request.username,
            request.secret_hash.as_deref(),
        )?;
        checks::username(&request.username)?;
        let password = request.password.as_ref().map(|p| p.expose());
        checks::password(password, &self.pool.policies.password_policy)?;
        let (alias, attributes) = self.with_alias(&request.username, &request.user_attributes)?;
        checks::attributes(&attributes, &self.pool, client.write_attributes.as_deref())?;
        let delivery = self.delivery(&attributes);
        let sub = self.insert(
            NewUser {
                login: &request.username,
                alias,
                attributes,
                status: UserStatus::Unconfirmed,
                password: password.map(PasswordVerifier::new),
                exists_message: "User already exists",
            },
            |user| user.attribute("sub").unwrap_or_default().to_owned(),
        )?;
        if delivery.is_some() {
            self.count_message()?;
        }
        Ok(SignUpResponse {
            user_confirmed: false,
            user_sub: sub,
            code_delivery_details: delivery,
            session: None,
        })
    }

    /// The app client `client_id`, its SecretHash (over `username`)
    /// verified when the client has a secret.
    pub(crate) fn client_for(
        &self,
        client_id: &str,
        username: &str,
        secret_hash: Option<&str>,
    ) -> Result<&ClientDescription, Refusal> {
        let client = self
            .clients
            .iter()
            .find(|c| c.client_id == client_id)
            .ok_or_else(|| {
                (
                    "ResourceNotFoundException",
                    format!("User pool client {client_id} does not exist."),
                )
            })?;
        let Some(secret) = &client.client_secret else {
            return Ok(client);
        };
        let Some(hash) = secret_hash else {
            return Err((
                "NotAuthorizedException",
                format!("Client {client_id} is configured for secret but secret was not received"),
            ));
        };
        if !checks::secret_hash_matches(hash, secret, username, client_id) {
            return Err((
                "NotAuthorizedException",
                format!("Unable to verify secret hash for client {client_id}"),
            ));
        }
        Ok(client)
    }

    /// The attributes to store for a new user named `username`. In
    /// alias-as-username pools the username is the email or phone (which of
    /// them is returned), stored as that attribute; Cognito then makes up
    /// the real username.
    pub(crate) fn with_alias<'a>(
        &'a self,
        username: &str,
        given: &[AttributeType],
    ) -> Result<(Option<&'a str>, Vec<AttributeType>), Refusal> {
        let mut attributes = given.to_vec();
        let alias = self.pool.username_attributes.iter().find_map(|kind| {
            let fits = match kind.as_str() {
                "email" => username.contains('@'),
                "phone_number" => username.starts_with('+'),
                _ => false,
            };
            fits.then_some(kind.as_str())
        });
        if !self.pool.username_attributes.is_empty() {
            let Some(kind) = alias else {
                return Err((
                    "InvalidParameterException",
                    "Username should be an email.".to_owned(),
                ));
            };
            attributes.retain(|a| &*a.name != kind);
            attributes.push(AttributeType::new(kind, username));
        }
        Ok((alias, attributes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::testing::{client, pool, secret_hash, sign_up_request as request};

    fn code(result: Result<SignUpResponse, Refusal>) -> &'static str {
        result.map(|_| "ok").unwrap_or_else(|e| e.0)
    }

    #[test]
    fn uniqueness_honours_case_sensitivity() {
        let insensitive = PoolState::new(
            pool(serde_json::json!({"UsernameConfiguration": {"CaseSensitive": false}})),
            vec![client(None)],
        );
        assert_eq!(code(insensitive.sign_up(&request("Ann", &[]))), "ok");
        assert_eq!(
            code(insensitive.sign_up(&request("ann", &[]))),
            "UsernameExistsException"
        );
        let sensitive = PoolState::new(pool(serde_json::json!({})), vec![client(None)]);
        assert_eq!(code(sensitive.sign_up(&request("Ann", &[]))), "ok");
        assert_eq!(code(sensitive.sign_up(&request("ann", &[]))), "ok");
        assert_eq!(
            code(sensitive.sign_up(&request("ann", &[]))),
            "UsernameExistsException"
        );
    }

    #[test]
    fn email_as_username_pools_generate_the_username() {
        let state = PoolState::new(
            pool(serde_json::json!({"UsernameAttributes": ["email"]})),
            vec![client(None)],
        );
        assert_eq!(
            code(state.sign_up(&request("not-an-email", &[]))),
            "InvalidParameterException"
        );
        assert_eq!(code(state.sign_up(&request("ann@example.com", &[]))), "ok");
        assert_eq!(
            code(state.sign_up(&request("ann@example.com", &[]))),
            "UsernameExistsException"
        );
        let users = state
            .list_users("local_emulator", None, None)
            .expect("list");
        assert_eq!(users.users.len(), 1);
        assert_ne!(users.users[0].username, "ann@example.com");
        let user = state
            .admin_get_user("local_emulator", "ann@example.com")
            .expect("by email");
        assert!(user
            .user_attributes
            .iter()
            .any(|a| &*a.name == "email" && a.value == "ann@example.com"));
    }

    #[test]
    fn secret_hash_and_schema_are_enforced() {
        let state = PoolState::new(
            pool(serde_json::json!({"SchemaAttributes": [
                {"Name": "custom:tier", "AttributeDataType": "String", "StringAttributeConstraints": {"MaxLength": "4"}},
                {"Name": "custom:points", "AttributeDataType": "Number", "NumberAttributeConstraints": {"MaxValue": "10"}}
            ]})),
            vec![client(Some("s3cret"))],
        );
        let mut r = request("ann", &[]);
        assert_eq!(code(state.sign_up(&r)), "NotAuthorizedException");
        r.secret_hash = Some("wrong".into());
        assert_eq!(code(state.sign_up(&r)), "NotAuthorizedException");
        let signed = |mut r: SignUpRequest| {
            r.secret_hash = Some(secret_hash("s3cret", &r.username, "client1"));
            r
        };
        let cases = [
            (
                request("a1", &[("custom:nope", "x")]),
                "InvalidParameterException",
            ),
            (
                request("a2", &[("custom:tier", "platinum")]),
                "InvalidParameterException",
            ),
            (
                request("a3", &[("custom:points", "11")]),
                "InvalidParameterException",
            ),
            (
                request("a4", &[("email_verified", "true")]),
                "NotAuthorizedException",
            ),
            (
                request("a5", &[("phone_number", "555-0199")]),
                "InvalidParameterException",
            ),
            (
                request("a6", &[("birthdate", "03/04/1980")]),
                "InvalidParameterException",
            ),
            (request("a b", &[]), "InvalidParameterException"),
            (
                request("a7", &[("custom:tier", "gold"), ("custom:points", "10")]),
                "ok",
            ),
        ];
        for (r, expected) in cases {
            let name = r.username.clone();
            assert_eq!(code(state.sign_up(&signed(r))), expected, "{name}");
        }
        assert_eq!(
            code(state.sign_up(&request("x", &[]))),
            "NotAuthorizedException"
        );
        let unknown = SignUpRequest {
            client_id: "other".into(),
            ..request("ann", &[])
        };
        assert_eq!(code(state.sign_up(&unknown)), "ResourceNotFoundException");
    }
}
