//! Cognito's request-rate quota categories as the emulator applies them:
//! which category each operation it serves counts against, and one token
//! bucket per category, all off by default. A request over its category's
//! quota is answered `TooManyRequestsException` (HTTP 400, as Cognito
//! sends it); categories never share tokens, as in Cognito, where a burst
//! of AdminUpdateUserAttributes does not slow SignUp down.

use std::sync::Mutex;
use std::time::Instant;

/// A quota category (docs/PROTOCOL.md, "Quota categories").
// The variants are Cognito's own category names, `User` prefix and all.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Category {
    UserCreation,
    UserUpdate,
    UserResourceUpdate,
    UserAccountRecovery,
    UserRead,
    UserList,
    UserResourceRead,
    UserAuthentication,
}

/// How many categories there are (the length of per-category arrays).
pub(crate) const CATEGORIES: usize = 8;

impl Category {
    pub(crate) const ALL: [Category; CATEGORIES] = [
        Category::UserCreation,
        Category::UserUpdate,
        Category::UserResourceUpdate,
        Category::UserAccountRecovery,
        Category::UserRead,
        Category::UserList,
        Category::UserResourceRead,
        Category::UserAuthentication,
    ];

    /// The category of an operation the emulator serves; `None` for one it
    /// does not know.
    pub(crate) fn of(operation: &str) -> Option<Category> {
        Some(match operation {
            "SignUp" | "AdminCreateUser" | "AdminConfirmSignUp" => Category::UserCreation,
            "AdminUpdateUserAttributes" | "AdminDisableUser" | "AdminDeleteUser" => {
                Category::UserUpdate
            }
            "AdminAddUserToGroup" => Category::UserResourceUpdate,
            "AdminSetUserPassword" => Category::UserAccountRecovery,
            "AdminGetUser" => Category::UserRead,
            "ListUsers" => Category::UserList,
            "AdminListGroupsForUser" => Category::UserResourceRead,
            "InitiateAuth" => Category::UserAuthentication,
            _ => return None,
        })
    }

    /// Cognito's name for the category.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Category::UserCreation => "UserCreation",
            Category::UserUpdate => "UserUpdate",
            Category::UserResourceUpdate => "UserResourceUpdate",
            Category::UserAccountRecovery => "UserAccountRecovery",
            Category::UserRead => "UserRead",
            Category::UserList => "UserList",
            Category::UserResourceRead => "UserResourceRead",
            Category::UserAuthentication => "UserAuthentication",
        }
    }

    /// Its position in per-category arrays.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The quotas asked for: requests per second per category (`None` = no
/// quota), and the UserCreation bucket's size (`--burst`).
#[derive(Debug, Clone, Default)]
pub(crate) struct QuotaSettings {
    rates: [Option<f64>; CATEGORIES],
    pub(crate) creation_burst: Option<f64>,
}

impl QuotaSettings {
    pub(crate) fn set(&mut self, category: Category, rate: Option<f64>) {
        self.rates[category.index()] = rate;
    }

    pub(crate) fn rate(&self, category: Category) -> Option<f64> {
        self.rates[category.index()]
    }
}

/// A token bucket refilled continuously at `rate` up to `capacity`.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    rate: f64,
    capacity: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    pub(crate) fn new(rate: f64, capacity: f64) -> Self {
        let capacity = capacity.max(1.0);
        TokenBucket {
            rate,
            capacity,
            state: Mutex::new((capacity, Instant::now())),
        }
    }

    /// Takes one token if there is one.
    pub(crate) fn try_take(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let (tokens, last) = *state;
        let tokens =
            (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.capacity);
        if tokens >= 1.0 {
            *state = (tokens - 1.0, now);
            true
        } else {
            *state = (tokens, now);
            false
        }
    }
}

/// One bucket per category that has a quota.
#[derive(Debug)]
pub(crate) struct Quotas {
    buckets: [Option<TokenBucket>; CATEGORIES],
}

impl Quotas {
    /// Buckets for `settings`. A bucket holds a fifth of a second's quota
    /// (at least one request) unless `--burst` says otherwise for UserCreation.
    pub(crate) fn new(settings: &QuotaSettings) -> Self {
        let buckets = Category::ALL.map(|category| {
            let rate = settings.rate(category)?;
            let burst = match category {
                Category::UserCreation => settings.creation_burst,
                _ => None,
            };
            Some(TokenBucket::new(
                rate,
                burst.unwrap_or((rate / 5.0).max(1.0)),
            ))
        });
        Quotas { buckets }
    }

    /// Whether `category`'s quota admits one more request now.
    pub(crate) fn admits(&self, category: Category) -> bool {
        self.buckets[category.index()]
            .as_ref()
            .is_none_or(TokenBucket::try_take)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_admits_its_burst_then_refuses() {
        let bucket = TokenBucket::new(1.0, 3.0);
        assert!(bucket.try_take());
        assert!(bucket.try_take());
        assert!(bucket.try_take());
        assert!(!bucket.try_take());
    }

    #[test]
    fn each_category_has_its_own_bucket() {
        let mut settings = QuotaSettings::default();
        settings.set(Category::UserUpdate, Some(1.0));
        let quotas = Quotas::new(&settings);
        assert!(quotas.admits(Category::UserUpdate));
        assert!(!quotas.admits(Category::UserUpdate), "a bucket of one");
        for other in Category::ALL
            .into_iter()
            .filter(|c| *c != Category::UserUpdate)
        {
            assert!((0..100).all(|_| quotas.admits(other)), "{other:?}");
        }
    }

    #[test]
    fn the_creation_burst_sizes_only_the_creation_bucket() {
        let mut settings = QuotaSettings::default();
        settings.set(Category::UserCreation, Some(0.001));
        settings.set(Category::UserRead, Some(0.001));
        settings.creation_burst = Some(3.0);
        let quotas = Quotas::new(&settings);
        let creation = (0..10)
            .filter(|_| quotas.admits(Category::UserCreation))
            .count();
        let read = (0..10)
            .filter(|_| quotas.admits(Category::UserRead))
            .count();
        assert_eq!((creation, read), (3, 1));
    }

    #[test]
    fn the_operations_fall_in_cognitos_categories() {
        let table = [
            ("SignUp", Category::UserCreation),
            ("AdminCreateUser", Category::UserCreation),
            ("AdminConfirmSignUp", Category::UserCreation),
            ("AdminUpdateUserAttributes", Category::UserUpdate),
            ("AdminDisableUser", Category::UserUpdate),
            ("AdminDeleteUser", Category::UserUpdate),
            ("AdminAddUserToGroup", Category::UserResourceUpdate),
            ("AdminSetUserPassword", Category::UserAccountRecovery),
            ("AdminGetUser", Category::UserRead),
            ("ListUsers", Category::UserList),
            ("AdminListGroupsForUser", Category::UserResourceRead),
            ("InitiateAuth", Category::UserAuthentication),
        ];
        for (operation, category) in table {
            assert_eq!(Category::of(operation), Some(category), "{operation}");
        }
        assert_eq!(Category::of("DeleteUserPool"), None);
    }
}
