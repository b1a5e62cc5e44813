//! The emulator's pool: its description, clients, stored users and counters.
//! `sign_up` runs the emulator's own checks in Cognito's order and stores the
//! user; `list_users` and `admin_get_user` let tests and the AWS CLI look.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::checks::{self, Refusal};
use crate::send::cognito::pool::{ClientDescription, PoolDescription};
use crate::send::cognito::wire::{
    AdminGetUserResponse, AttributeType, CodeDeliveryDetails, ListUsersResponse, SignUpRequest,
    SignUpResponse, UserType,
};

/// One stored user.
#[derive(Debug, Clone)]
pub(crate) struct StoredUser {
    pub(crate) username: String,
    pub(crate) attributes: Vec<AttributeType>,
    pub(crate) created: f64,
}

/// Request counters, served by the stats endpoint.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) requests: AtomicU64,
    pub(crate) throttled: AtomicU64,
    pub(crate) created: AtomicU64,
    pub(crate) exists: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) faults: AtomicU64,
    pub(crate) lambda_faults: AtomicU64,
    pub(crate) drops: AtomicU64,
    pub(crate) in_flight: AtomicU64,
    pub(crate) peak_in_flight: AtomicU64,
}

/// A point-in-time copy of the emulator's request counters (served at its
/// stats endpoint).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub throttled: u64,
    pub created: u64,
    pub exists: u64,
    pub rejected: u64,
    pub faults: u64,
    pub lambda_faults: u64,
    pub drops: u64,
    pub peak_in_flight: u64,
    pub users: u64,
}

impl Stats {
    pub(crate) fn enter(&self) {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::SeqCst);
    }
    pub(crate) fn leave(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Debug, Default)]
struct Users {
    list: Vec<StoredUser>,
    /// Uniqueness key (username, or the email/phone for alias pools,
    /// lower-cased when the pool is case-insensitive) → index in `list`.
    by_key: HashMap<String, usize>,
}

/// The whole emulated pool.
#[derive(Debug)]
pub(crate) struct PoolState {
    pub(crate) pool: PoolDescription,
    pub(crate) pool_id: String,
    pub(crate) clients: Vec<ClientDescription>,
    pub(crate) stats: Stats,
    /// Confirmation messages the pool may send (`--message-quota`); `None` = unlimited.
    pub(crate) message_quota: Option<u64>,
    messages_sent: AtomicU64,
    users: Mutex<Users>,
}

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl PoolState {
    pub(crate) fn new(pool: PoolDescription, clients: Vec<ClientDescription>) -> Self {
        let pool_id = pool
            .id
            .clone()
            .unwrap_or_else(|| "local_emulator".to_owned());
        PoolState {
            pool,
            pool_id,
            clients,
            stats: Stats::default(),
            message_quota: None,
            messages_sent: AtomicU64::new(0),
            users: Mutex::new(Users::default()),
        }
    }

    fn users(&self) -> std::sync::MutexGuard<'_, Users> {
        self.users.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn key(&self, value: &str) -> String {
        if self.pool.case_sensitive() {
            value.to_owned()
        } else {
            value.to_lowercase()
        }
    }

    /// Handles a `SignUp`, in Cognito's order: client, secret hash, username,
    /// password, attributes, uniqueness.
    pub(crate) fn sign_up(&self, request: &SignUpRequest) -> Result<SignUpResponse, Refusal> {
        let client = self.authenticate(request)?;
        checks::username(&request.username)?;
        checks::password(
            request.password.as_ref().map(|p| p.expose()),
            &self.pool.policies.password_policy,
        )?;
        let (alias, attributes) = self.with_alias(request)?;
        checks::attributes(&attributes, &self.pool, client.write_attributes.as_deref())?;
        let sub = self.store(request, alias, &attributes)?;
        let delivery = self.delivery(&attributes);
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

    /// The app client the request names, its SecretHash verified when the
    /// client has a secret.
    fn authenticate(&self, request: &SignUpRequest) -> Result<&ClientDescription, Refusal> {
        let client = self
            .clients
            .iter()
            .find(|c| c.client_id == request.client_id)
            .ok_or_else(|| {
                (
                    "ResourceNotFoundException",
                    format!("User pool client {} does not exist.", request.client_id),
                )
            })?;
        let Some(secret) = &client.client_secret else {
            return Ok(client);
        };
        let Some(hash) = &request.secret_hash else {
            return Err((
                "NotAuthorizedException",
                format!(
                    "Client {} is configured for secret but secret was not received",
                    client.client_id
                ),
            ));
        };
        if !checks::secret_hash_matches(hash, secret, &request.username, &client.client_id) {
            return Err((
                "NotAuthorizedException",
                format!(
                    "Unable to verify secret hash for client {}",
                    client.client_id
                ),
            ));
        }
        Ok(client)
    }

    /// The attributes to store. In alias-as-username pools the username is
    /// the email or phone (which of them is returned), stored as that
    /// attribute; Cognito then makes up the real username.
    fn with_alias<'a>(
        &'a self,
        request: &SignUpRequest,
    ) -> Result<(Option<&'a str>, Vec<AttributeType>), Refusal> {
        let mut attributes = request.user_attributes.clone();
        let alias = self.pool.username_attributes.iter().find_map(|kind| {
            let fits = match kind.as_str() {
                "email" => request.username.contains('@'),
                "phone_number" => request.username.starts_with('+'),
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
            attributes.push(AttributeType::new(kind, request.username.clone()));
        }
        Ok((alias, attributes))
    }

    /// Stores a new user unless its username (or alias) is taken; returns
    /// its `sub`.
    fn store(
        &self,
        request: &SignUpRequest,
        alias: Option<&str>,
        attributes: &[AttributeType],
    ) -> Result<String, Refusal> {
        let stored_username = match alias {
            Some(_) => uuid::Uuid::new_v4().to_string(),
            None => request.username.clone(),
        };
        let key = self.key(&request.username);
        let sub = uuid::Uuid::new_v4().to_string();
        let mut users = self.users();
        if users.by_key.contains_key(&key) {
            let message = match alias {
                Some("email") => "An account with the given email already exists.",
                Some(_) => "An account with the given phone_number already exists.",
                None => "User already exists",
            };
            return Err(("UsernameExistsException", message.to_owned()));
        }
        let mut stored = attributes.to_vec();
        stored.push(AttributeType::new("sub", sub.clone()));
        let index = users.list.len();
        users.list.push(StoredUser {
            username: stored_username,
            attributes: stored,
            created: now_epoch(),
        });
        users.by_key.insert(key, index);
        Ok(sub)
    }

    /// Counts a confirmation message. Cognito's default email sender allows
    /// ~50 messages a day: past the quota the user is still created, but the
    /// answer is an error.
    fn count_message(&self) -> Result<(), Refusal> {
        let sent = self.messages_sent.fetch_add(1, Ordering::SeqCst) + 1;
        if self.message_quota.is_some_and(|quota| sent > quota) {
            return Err((
                "LimitExceededException",
                "Exceeded daily email limit for the operation or the account. If a higher limit is required, please configure your user pool to use your own Amazon SES configuration for sending email.".to_owned(),
            ));
        }
        Ok(())
    }

    /// Where the confirmation code went, masked as Cognito masks it.
    fn delivery(&self, attributes: &[AttributeType]) -> Option<CodeDeliveryDetails> {
        let auto = &self.pool.auto_verified_attributes;
        let find = |name: &str| {
            attributes
                .iter()
                .find(|a| &*a.name == name)
                .map(|a| a.value.as_str())
        };
        let (name, medium, value) = if auto.iter().any(|a| a == "email") {
            ("email", "EMAIL", find("email")?)
        } else if auto.iter().any(|a| a == "phone_number") {
            ("phone_number", "SMS", find("phone_number")?)
        } else {
            return None;
        };
        let masked = match value.split_once('@') {
            Some((local, domain)) => format!(
                "{}***@{}***",
                local.chars().next().unwrap_or('*'),
                domain.chars().next().unwrap_or('*')
            ),
            None => format!("+*******{}", &value[value.len().saturating_sub(4)..]),
        };
        Some(CodeDeliveryDetails {
            destination: Some(masked),
            delivery_medium: Some(medium.to_owned()),
            attribute_name: Some(name.to_owned()),
        })
    }

    fn check_pool_id(&self, id: &str) -> Result<(), Refusal> {
        if id == self.pool_id {
            Ok(())
        } else {
            Err((
                "ResourceNotFoundException",
                format!("User pool {id} does not exist."),
            ))
        }
    }

    /// `ListUsers`: pages of at most 60, in creation order.
    pub(crate) fn list_users(
        &self,
        pool_id: &str,
        limit: Option<usize>,
        token: Option<&str>,
    ) -> Result<ListUsersResponse, Refusal> {
        self.check_pool_id(pool_id)?;
        let limit = limit.unwrap_or(60).clamp(1, 60);
        let start = match token {
            Some(t) => t.parse::<usize>().map_err(|_| {
                (
                    "InvalidParameterException",
                    "Invalid pagination token".to_owned(),
                )
            })?,
            None => 0,
        };
        let users = self.users();
        let page: Vec<UserType> = users
            .list
            .iter()
            .skip(start)
            .take(limit)
            .map(user_type)
            .collect();
        let next = start + page.len();
        Ok(ListUsersResponse {
            users: page,
            pagination_token: (next < users.list.len()).then(|| next.to_string()),
        })
    }

    /// `AdminGetUser`, by username (or alias in alias pools).
    pub(crate) fn admin_get_user(
        &self,
        pool_id: &str,
        username: &str,
    ) -> Result<AdminGetUserResponse, Refusal> {
        self.check_pool_id(pool_id)?;
        let users = self.users();
        let found = users
            .by_key
            .get(&self.key(username))
            .and_then(|i| users.list.get(*i))
            .or_else(|| users.list.iter().find(|u| u.username == username))
            .ok_or_else(|| ("UserNotFoundException", "User does not exist.".to_owned()))?;
        let user = user_type(found);
        Ok(AdminGetUserResponse {
            username: user.username,
            user_attributes: user.attributes,
            user_create_date: user.user_create_date,
            user_last_modified_date: user.user_last_modified_date,
            enabled: true,
            user_status: user.user_status,
        })
    }

    pub(crate) fn user_count(&self) -> usize {
        self.users().list.len()
    }

    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        let s = &self.stats;
        let get = |a: &AtomicU64| a.load(Ordering::SeqCst);
        StatsSnapshot {
            requests: get(&s.requests),
            throttled: get(&s.throttled),
            created: get(&s.created),
            exists: get(&s.exists),
            rejected: get(&s.rejected),
            faults: get(&s.faults),
            lambda_faults: get(&s.lambda_faults),
            drops: get(&s.drops),
            peak_in_flight: get(&s.peak_in_flight),
            users: self.user_count() as u64,
        }
    }
}

fn user_type(user: &StoredUser) -> UserType {
    UserType {
        username: user.username.clone(),
        attributes: user.attributes.clone(),
        user_create_date: user.created,
        user_last_modified_date: user.created,
        enabled: true,
        user_status: "UNCONFIRMED".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The client computes hashes the emulator verifies, as in a real run;
    // each side is pinned to the documented vector on its own.
    use crate::send::cognito::secret_hash::secret_hash;
    use crate::send::cognito::wire::Secret;

    fn pool(json: serde_json::Value) -> PoolDescription {
        serde_json::from_value(json).expect("pool json")
    }

    fn client(secret: Option<&str>) -> ClientDescription {
        ClientDescription {
            client_id: "client1".into(),
            client_secret: secret.map(str::to_owned),
            write_attributes: None,
        }
    }

    fn request(username: &str, attributes: &[(&str, &str)]) -> SignUpRequest {
        SignUpRequest {
            client_id: "client1".into(),
            username: username.into(),
            password: Some(Secret::new("Passw0rd!")),
            user_attributes: attributes
                .iter()
                .map(|(n, v)| AttributeType::new(*n, *v))
                .collect(),
            ..SignUpRequest::default()
        }
    }

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
