//! The emulator's pool: its description, app clients, groups, stored users
//! and counters, and what every operation needs from them: finding a user
//! as Cognito does (by username, or by alias in alias pools), storing a new
//! one under the pool's uniqueness rule, and counting the messages Cognito
//! would send. The operations themselves live in `sign_up`, `reads`,
//! `admin` and `auth`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use super::admin_wire::GroupType;
use super::checks::{self, Refusal};
use super::names::AttributeNames;
use super::passwords::PasswordVerifier;
use super::stats::{Stats, StatsSnapshot};
use super::users::{StoredUser, UserStatus, UserTable};
use crate::send::cognito::pool::{ClientDescription, PoolDescription};
use crate::send::cognito::wire::{AttributeType, CodeDeliveryDetails};

/// The whole emulated pool.
#[derive(Debug)]
pub(crate) struct PoolState {
    pub(crate) pool: PoolDescription,
    pub(crate) pool_id: String,
    pub(crate) clients: Vec<ClientDescription>,
    /// The pool's groups (`--group`, `--groups`).
    pub(crate) groups: Vec<GroupType>,
    pub(crate) stats: Stats,
    /// Messages the pool may send (`--message-quota`); `None` = unlimited.
    pub(crate) message_quota: Option<u64>,
    messages_sent: AtomicU64,
    users: Mutex<UserTable>,
    /// The attribute names stored users share.
    names: AttributeNames,
}

/// Now, in epoch seconds (Cognito's timestamps).
pub(crate) fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Cognito's answer for a username that names no user.
pub(crate) fn user_not_found() -> Refusal {
    ("UserNotFoundException", "User does not exist.".to_owned())
}

/// A new user's facts, before the pool stores it.
pub(crate) struct NewUser<'a> {
    /// The username sent (the email or phone in alias pools).
    pub(crate) login: &'a str,
    /// Which attribute the login is, in alias pools.
    pub(crate) alias: Option<&'a str>,
    pub(crate) attributes: Vec<AttributeType>,
    pub(crate) status: UserStatus,
    pub(crate) password: Option<PasswordVerifier>,
    /// The message when the username is taken (alias pools have their own).
    pub(crate) exists_message: &'static str,
}

impl PoolState {
    pub(crate) fn new(pool: PoolDescription, clients: Vec<ClientDescription>) -> Self {
        let pool_id = pool
            .id
            .clone()
            .unwrap_or_else(|| "local_emulator".to_owned());
        PoolState {
            names: AttributeNames::for_pool(&pool),
            pool,
            pool_id,
            clients,
            groups: Vec::new(),
            stats: Stats::default(),
            message_quota: None,
            messages_sent: AtomicU64::new(0),
            users: Mutex::new(UserTable::default()),
        }
    }

    pub(crate) fn users(&self) -> MutexGuard<'_, UserTable> {
        self.users.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A username or alias folded as the pool compares them.
    pub(crate) fn key(&self, value: &str) -> String {
        if self.pool.case_sensitive() {
            value.to_owned()
        } else {
            value.to_lowercase()
        }
    }

    pub(crate) fn check_pool_id(&self, id: &str) -> Result<(), Refusal> {
        if id == self.pool_id {
            Ok(())
        } else {
            Err((
                "ResourceNotFoundException",
                format!("User pool {id} does not exist."),
            ))
        }
    }

    /// Runs `f` on the user that `username` names in pool `pool_id`, with
    /// the table locked; `UserNotFoundException` when there is none. The
    /// username is checked against Cognito's pattern first, as the API
    /// model's validation comes before any lookup.
    pub(crate) fn with_user<T>(
        &self,
        pool_id: &str,
        username: &str,
        f: impl FnOnce(&mut UserTable, usize) -> Result<T, Refusal>,
    ) -> Result<T, Refusal> {
        checks::username(username)?;
        self.check_pool_id(pool_id)?;
        let mut users = self.users();
        let slot = users.find(&self.key(username)).ok_or_else(user_not_found)?;
        f(&mut users, slot)
    }

    /// [`PoolState::with_user`] for the calls that change only the user.
    pub(crate) fn update_user<T>(
        &self,
        pool_id: &str,
        username: &str,
        f: impl FnOnce(&mut StoredUser) -> Result<T, Refusal>,
    ) -> Result<T, Refusal> {
        self.with_user(pool_id, username, |users, slot| {
            f(users.get_mut(slot).ok_or_else(user_not_found)?)
        })
    }

    /// Stores a new user unless its username (or alias) is taken, and
    /// returns what `shown` takes from it (SignUp needs only its `sub`: no
    /// copy of the whole user). In alias pools Cognito makes the stored
    /// username up: it is the user's `sub`.
    pub(crate) fn insert<T>(
        &self,
        new: NewUser<'_>,
        shown: impl FnOnce(&StoredUser) -> T,
    ) -> Result<T, Refusal> {
        let key = self.key(new.login);
        let sub = super::ids::random_uuid().to_string();
        let username = match new.alias {
            Some(_) => sub.clone(),
            None => new.login.to_owned(),
        };
        let mut users = self.users();
        if users.has_key(&key) {
            let message = match new.alias {
                Some("email") => "An account with the given email already exists.",
                Some(_) => "An account with the given phone_number already exists.",
                None => new.exists_message,
            };
            return Err(("UsernameExistsException", message.to_owned()));
        }
        let mut attributes = new.attributes;
        self.names.share(&mut attributes);
        // Room for `sub` alone: pushed into a full vector, it would double
        // the block every stored user keeps.
        attributes.reserve_exact(1);
        attributes.push(AttributeType {
            name: self.names.name("sub"),
            value: sub,
        });
        let now = now_epoch();
        let user = StoredUser {
            username: username.clone(),
            attributes,
            created: now,
            modified: now,
            status: new.status,
            enabled: true,
            groups: Default::default(),
            password: new.password,
        };
        let shown = shown(&user);
        users.insert(key, self.key(&username), user);
        Ok(shown)
    }

    /// Counts a message Cognito would send. Its default email sender allows
    /// ~50 messages a day: past the quota the operation still took effect,
    /// but the answer is an error.
    pub(crate) fn count_message(&self) -> Result<(), Refusal> {
        let sent = self.messages_sent.fetch_add(1, Ordering::SeqCst) + 1;
        if self.message_quota.is_some_and(|quota| sent > quota) {
            return Err((
                "LimitExceededException",
                "Exceeded daily email limit for the operation or the account. If a higher limit is required, please configure your user pool to use your own Amazon SES configuration for sending email.".to_owned(),
            ));
        }
        Ok(())
    }

    /// Messages actually sent: those counted, up to the quota.
    fn messages(&self) -> u64 {
        let counted = self.messages_sent.load(Ordering::SeqCst);
        self.message_quota
            .map_or(counted, |quota| counted.min(quota))
    }

    /// Where a confirmation code for a new user with `attributes` goes,
    /// masked as Cognito masks it; `None` when the pool verifies nothing
    /// the user has. Email is preferred when both are auto-verified.
    pub(crate) fn delivery(&self, attributes: &[AttributeType]) -> Option<CodeDeliveryDetails> {
        let find = |name: &str| {
            attributes
                .iter()
                .find(|a| &*a.name == name)
                .map(|a| a.value.as_str())
        };
        let (name, medium, value) = [("email", "EMAIL"), ("phone_number", "SMS")]
            .into_iter()
            .filter(|(name, _)| self.pool.auto_verified_attributes.iter().any(|a| a == name))
            .find_map(|(name, medium)| Some((name, medium, find(name)?)))?;
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

    pub(crate) fn user_count(&self) -> usize {
        self.users().len()
    }

    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        self.stats
            .snapshot(self.user_count() as u64, self.messages())
    }
}
