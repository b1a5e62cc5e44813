//! An attribute's name in a request or a stored user: a string shared by
//! every row that carries it, never copied per row.
//!
//! Why two kinds: a mapping's names are [`AttrName::interned`], static
//! strings made once per distinct name, so that handing one to every row
//! costs a pointer copy. Shared through an `Arc`, each row's clone and drop
//! were atomic updates of one counter by the checking thread (clone) and the
//! sending thread (drop): `perf` put most of the attributes' drop on its
//! `lock decq`, and the sending thread's first read of a name (whose bytes
//! sit beside that counter) missed the cache. Names read from the wire (the
//! emulator's, for names its pool does not know) stay `Arc`s: they come
//! from clients, and are not interned.

use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An attribute name (`email`, `custom:tier`).
#[derive(Clone)]
pub enum AttrName {
    /// Interned for the whole process: a mapping's names.
    Static(&'static str),
    /// Reference-counted: names read from requests.
    Shared(Arc<str>),
}

/// The names interned so far: a mapping's targets, and the emulator's
/// pool's names.
static INTERNED: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Mutex::default);

fn interned_names() -> MutexGuard<'static, HashSet<&'static str>> {
    INTERNED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// At most this many names are interned by [`AttrName::interned`]; later
/// ones are shared instead. A mapping by header takes its names from the
/// input's columns, which an NDJSON input may vary from row to row: an
/// interned name is never freed, so their number must stay bounded.
const MOST_INTERNED: usize = 4096;

/// The process's one static copy of `name`, made on first use. For names
/// known to be few (a pool's schema); see [`AttrName::interned`].
pub fn intern(name: &str) -> &'static str {
    intern_in(&mut interned_names(), name, usize::MAX).expect("unbounded: always room")
}

/// `name` from `set`, added to it when there is room for it under `most`.
fn intern_in(set: &mut HashSet<&'static str>, name: &str, most: usize) -> Option<&'static str> {
    if let Some(&existing) = set.get(name) {
        return Some(existing);
    }
    if set.len() >= most {
        return None;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    set.insert(leaked);
    Some(leaked)
}

impl AttrName {
    /// `name` interned, while fewer than [`MOST_INTERNED`] names are; past
    /// that, a shared copy (correct, only slower to hand out per row).
    pub fn interned(name: &str) -> AttrName {
        match intern_in(&mut interned_names(), name, MOST_INTERNED) {
            Some(name) => AttrName::Static(name),
            None => AttrName::Shared(Arc::from(name)),
        }
    }

    /// Whether `self` and `other` are the same string in memory (the same
    /// interned name, or clones of one `Arc`): a test without reading it.
    pub fn same(&self, other: &AttrName) -> bool {
        std::ptr::eq(self.as_ptr(), other.as_ptr()) && self.len() == other.len()
    }
}

impl Deref for AttrName {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            AttrName::Static(name) => name,
            AttrName::Shared(name) => name,
        }
    }
}

impl PartialEq for AttrName {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for AttrName {}

impl PartialEq<str> for AttrName {
    fn eq(&self, other: &str) -> bool {
        &**self == other
    }
}

impl PartialEq<&str> for AttrName {
    fn eq(&self, other: &&str) -> bool {
        &**self == *other
    }
}

impl fmt::Debug for AttrName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl fmt::Display for AttrName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl From<Arc<str>> for AttrName {
    fn from(name: Arc<str>) -> Self {
        AttrName::Shared(name)
    }
}

impl From<&str> for AttrName {
    fn from(name: &str) -> Self {
        AttrName::Shared(Arc::from(name))
    }
}

impl From<String> for AttrName {
    fn from(name: String) -> Self {
        AttrName::Shared(Arc::from(name))
    }
}

impl Serialize for AttrName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self)
    }
}

impl<'de> Deserialize<'de> for AttrName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Arc::<str>::deserialize(deserializer).map(AttrName::Shared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interned_name_is_one_copy_and_equals_its_text() {
        let a = AttrName::interned("custom:interned_test");
        let b = AttrName::interned(&String::from("custom:interned_test"));
        assert!(a.same(&b));
        assert!(matches!(a, AttrName::Static(_)));
        assert_eq!(a, AttrName::from("custom:interned_test"));
        assert!(!a.same(&AttrName::from("custom:interned_test")));
        assert_eq!(a, "custom:interned_test");
        assert!(!a.same(&AttrName::interned("custom:other_test")));
    }

    #[test]
    fn interning_stops_at_its_bound_but_still_finds_what_it_holds() {
        let mut set = HashSet::new();
        let first = intern_in(&mut set, "custom:a", 2).expect("room");
        assert!(intern_in(&mut set, "custom:b", 2).is_some());
        assert_eq!(intern_in(&mut set, "custom:c", 2), None, "full");
        let again = intern_in(&mut set, "custom:a", 2).expect("already held");
        assert!(std::ptr::eq(first, again));
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn a_shared_name_is_the_same_as_its_clones_only() {
        let name = AttrName::from("email");
        assert!(name.same(&name.clone()));
        assert!(!name.same(&AttrName::from("email")));
    }

    #[test]
    fn it_travels_as_a_plain_json_string() {
        let name = AttrName::interned("given_name");
        assert_eq!(serde_json::to_string(&name).unwrap(), r#""given_name""#);
        let read: AttrName = serde_json::from_str(r#""given_name""#).unwrap();
        assert_eq!(read, name);
        assert_eq!(format!("{read:?} {read}"), r#""given_name" given_name"#);
    }
}
