//! The emulator's user table: stored users in creation order, found by
//! their uniqueness key (username, or the email/phone in alias pools) or
//! their stored username. A deleted user leaves an empty slot, so a
//! ListUsers pagination token (a slot number) still means the same place.
//! Keys arrive already folded: case rules belong to the pool, not here.

use std::collections::BTreeSet;

use super::chunked::Chunked;
use super::passwords::PasswordVerifier;
use super::sharded_index::ShardedIndex;
use crate::send::cognito::wire::{AttributeType, UserType};

/// Cognito's `UserStatus` for the states the emulator models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserStatus {
    Unconfirmed,
    Confirmed,
    ForceChangePassword,
}

impl UserStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            UserStatus::Unconfirmed => "UNCONFIRMED",
            UserStatus::Confirmed => "CONFIRMED",
            UserStatus::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
        }
    }
}

/// One stored user.
#[derive(Debug, Clone)]
pub(crate) struct StoredUser {
    pub(crate) username: String,
    pub(crate) attributes: Vec<AttributeType>,
    pub(crate) created: f64,
    pub(crate) modified: f64,
    pub(crate) status: UserStatus,
    pub(crate) enabled: bool,
    /// Names of the groups the user is in.
    pub(crate) groups: BTreeSet<String>,
    /// `None` when no password was given (AdminCreateUser without
    /// TemporaryPassword): no sign-in can match.
    pub(crate) password: Option<PasswordVerifier>,
}

impl StoredUser {
    pub(crate) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| &*a.name == name)
            .map(|a| a.value.as_str())
    }

    /// Sets an attribute, replacing its old value in place.
    pub(crate) fn set_attribute(&mut self, name: &str, value: &str) {
        match self.attributes.iter_mut().find(|a| &*a.name == name) {
            Some(existing) => existing.value = value.to_owned(),
            None => self.attributes.push(AttributeType::new(name, value)),
        }
    }

    /// The user as ListUsers and AdminCreateUser show it.
    pub(crate) fn user_type(&self) -> UserType {
        UserType {
            username: self.username.clone(),
            attributes: self.attributes.clone(),
            user_create_date: self.created,
            user_last_modified_date: self.modified,
            enabled: self.enabled,
            user_status: self.status.as_str().to_owned(),
        }
    }
}

#[derive(Debug)]
struct Entry {
    /// Folded uniqueness key.
    key: String,
    /// Folded stored username, when it differs from `key` (alias pools).
    name_key: Option<String>,
    user: StoredUser,
}

/// The table. It grows without moving its users or rehashing all its keys
/// at once: a request never waits long for another's insert.
#[derive(Debug, Default)]
pub(crate) struct UserTable {
    slots: Chunked<Option<Entry>>,
    by_key: ShardedIndex,
    /// Only for users whose stored username is not their key, so pools
    /// without aliases keep one index.
    by_name: ShardedIndex,
    live: usize,
}

impl UserTable {
    /// Whether a user holds the uniqueness key `key`.
    pub(crate) fn has_key(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    /// Stores `user` under `key` (which the caller made sure is free) and,
    /// when it differs, its folded username `name_key`; returns its slot.
    pub(crate) fn insert(&mut self, key: String, name_key: String, user: StoredUser) -> usize {
        let slot = self.slots.len();
        let name_key = (name_key != key).then_some(name_key);
        if let Some(name) = &name_key {
            self.by_name.insert(name.clone(), slot);
        }
        self.by_key.insert(key.clone(), slot);
        self.slots.push(Some(Entry {
            key,
            name_key,
            user,
        }));
        self.live += 1;
        slot
    }

    /// The slot of the user whose key or folded username is `folded`.
    pub(crate) fn find(&self, folded: &str) -> Option<usize> {
        self.by_key.get(folded).or_else(|| self.by_name.get(folded))
    }

    pub(crate) fn get(&self, slot: usize) -> Option<&StoredUser> {
        self.slots.get(slot)?.as_ref().map(|e| &e.user)
    }

    pub(crate) fn get_mut(&mut self, slot: usize) -> Option<&mut StoredUser> {
        self.slots.get_mut(slot)?.as_mut().map(|e| &mut e.user)
    }

    /// Moves a user to a new uniqueness key (its alias changed); the caller
    /// made sure the new key is free.
    pub(crate) fn rekey(&mut self, slot: usize, key: String) {
        let Some(Some(entry)) = self.slots.get_mut(slot) else {
            return;
        };
        self.by_key.remove(&entry.key);
        self.by_key.insert(key.clone(), slot);
        entry.key = key;
    }

    /// The folded uniqueness key of the user in `slot`.
    pub(crate) fn key_of(&self, slot: usize) -> Option<&str> {
        self.slots.get(slot)?.as_ref().map(|e| e.key.as_str())
    }

    /// Deletes the user in `slot`.
    pub(crate) fn remove(&mut self, slot: usize) {
        let Some(entry) = self.slots.get_mut(slot).and_then(Option::take) else {
            return;
        };
        self.by_key.remove(&entry.key);
        if let Some(name) = &entry.name_key {
            self.by_name.remove(name);
        }
        self.live -= 1;
    }

    /// Users still stored.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Up to `limit` users from slot `start` on, and the slot of the next
    /// user when any is left after them.
    pub(crate) fn page(&self, start: usize, limit: usize) -> (Vec<&StoredUser>, Option<usize>) {
        let mut users = Vec::with_capacity(limit.min(self.live));
        for (slot, entry) in self.slots.iter_from(start) {
            let Some(entry) = entry else { continue };
            if users.len() == limit {
                return (users, Some(slot));
            }
            users.push(&entry.user);
        }
        (users, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> StoredUser {
        StoredUser {
            username: name.to_owned(),
            attributes: Vec::new(),
            created: 0.0,
            modified: 0.0,
            status: UserStatus::Unconfirmed,
            enabled: true,
            groups: BTreeSet::new(),
            password: None,
        }
    }

    fn names(users: &[&StoredUser]) -> Vec<String> {
        users.iter().map(|u| u.username.clone()).collect()
    }

    #[test]
    fn pages_skip_deleted_users_and_tokens_keep_their_place() {
        let mut table = UserTable::default();
        for name in ["a", "b", "c", "d", "e"] {
            table.insert(name.into(), name.into(), user(name));
        }
        let (first, next) = table.page(0, 2);
        assert_eq!(
            (names(&first), next),
            (vec!["a".into(), "b".into()], Some(2))
        );
        // Deleting a user already listed does not shift the next page.
        table.remove(table.find("a").expect("a"));
        table.remove(table.find("d").expect("d"));
        let (second, next) = table.page(2, 2);
        assert_eq!((names(&second), next), (vec!["c".into(), "e".into()], None));
        assert_eq!(table.len(), 3);
        assert!(table.find("a").is_none() && !table.has_key("d"));
    }

    #[test]
    fn alias_users_are_found_by_key_and_by_name_and_can_be_rekeyed() {
        let mut table = UserTable::default();
        let slot = table.insert("ann@example.com".into(), "uuid-1".into(), user("uuid-1"));
        assert_eq!(table.find("ann@example.com"), Some(slot));
        assert_eq!(table.find("uuid-1"), Some(slot));
        table.rekey(slot, "ann@new.example".into());
        assert!(!table.has_key("ann@example.com"));
        assert_eq!(table.find("ann@new.example"), Some(slot));
        assert_eq!(table.key_of(slot), Some("ann@new.example"));
        table.remove(slot);
        assert!(table.find("uuid-1").is_none() && table.find("ann@new.example").is_none());
    }

    #[test]
    fn attributes_are_replaced_in_place() {
        let mut u = user("x");
        u.set_attribute("email", "a@example.com");
        u.set_attribute("name", "X");
        u.set_attribute("email", "b@example.com");
        assert_eq!(u.attribute("email"), Some("b@example.com"));
        assert_eq!(u.attributes.len(), 2);
        assert_eq!(u.user_type().user_status, "UNCONFIRMED");
    }
}
