//! The emulator's counters, served as JSON at `GET /__emulator/stats`, so
//! tests and benchmarks can see what the server saw: SignUp requests and
//! their outcomes, throttled answers per quota category, and the messages
//! (confirmation codes, invitations) Cognito would have sent.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::quotas::{Category, CATEGORIES};

/// Request counters.
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
    throttled_by_category: [AtomicU64; CATEGORIES],
}

/// A point-in-time copy of the emulator's counters (served at its stats
/// endpoint). `requests`, `throttled` and the outcome counts are SignUp's;
/// `throttled_by_category` counts every throttled answer by quota category.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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
    /// Messages Cognito would have sent: SignUp confirmation codes,
    /// AdminCreateUser invitations and verification codes for changed
    /// addresses (not those over `--message-quota`).
    #[serde(default)]
    pub messages: u64,
    #[serde(default)]
    pub throttled_by_category: BTreeMap<String, u64>,
}

impl Stats {
    pub(crate) fn enter(&self) {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::SeqCst);
    }

    pub(crate) fn leave(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    /// Counts a throttled answer in `category` (SignUp's are also counted
    /// in `throttled` by the SignUp handler).
    pub(crate) fn throttle(&self, category: Category) {
        self.throttled_by_category[category.index()].fetch_add(1, Ordering::SeqCst);
    }

    /// The counters, with the user and message counts the pool keeps.
    pub(crate) fn snapshot(&self, users: u64, messages: u64) -> StatsSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::SeqCst);
        let throttled_by_category = Category::ALL
            .into_iter()
            .map(|c| {
                (
                    c.name().to_owned(),
                    get(&self.throttled_by_category[c.index()]),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        StatsSnapshot {
            requests: get(&self.requests),
            throttled: get(&self.throttled),
            created: get(&self.created),
            exists: get(&self.exists),
            rejected: get(&self.rejected),
            faults: get(&self.faults),
            lambda_faults: get(&self.lambda_faults),
            drops: get(&self.drops),
            peak_in_flight: get(&self.peak_in_flight),
            users,
            messages,
            throttled_by_category,
        }
    }
}
