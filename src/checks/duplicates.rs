//! Finds rows whose username repeats an earlier row's, under the pool's case
//! rule. Keeps one 64-bit hash and a 32-bit row number per distinct
//! username (12 bytes in a hash table, [`crate::checks::hash_rows`]; BENCHMARKS.md
//! gives the measured bytes per million rows), never the usernames themselves. Two different
//! usernames share a hash with probability about n²/2⁶⁵ (4·10⁻⁵ for 40
//! million rows); such a row would be reported as a duplicate, never lost.

use crate::checks::hash_rows::{HashRows, FAR_ROW};
use crate::checks::row_error::RowError;

/// Usernames seen so far, by their [`username_hash`] (which the checking
/// threads compute under the pool's case rule).
#[derive(Default)]
pub(crate) struct Duplicates {
    seen: HashRows,
}

impl Duplicates {
    /// Sizes the table for about `rows` usernames at once: no growing (and
    /// no touching twice the memory while growing) when the guess is right.
    pub(crate) fn expect_rows(&mut self, rows: usize) {
        self.seen.reserve_total(rows);
    }

    /// Records the username whose hash is `hash` for `row`; returns the
    /// earlier row if it repeats one.
    pub(crate) fn first_row_of(&mut self, hash: u64, row: u64) -> Option<u64> {
        self.seen.get_or_insert(hash, row)
    }

    /// Starts loading the slot of a username's hash, for a lookup soon after:
    /// in a table larger than the cache that lookup is otherwise a stall.
    pub(crate) fn prefetch(&self, hash: u64) {
        self.seen.prefetch(hash);
    }
}

/// The error of a row whose username repeats row `first`'s.
pub(crate) fn duplicate_error(first: u64) -> RowError {
    let message = if first >= FAR_ROW {
        format!("duplicate of a row past row {}", FAR_ROW - 1)
    } else {
        format!("duplicate of row {first}")
    };
    RowError::new("DuplicateUsername", Some("username"), message)
}

/// The hash duplicate detection keys `username` by: of the lower-cased name
/// when the pool compares usernames case-insensitively.
pub(crate) fn username_hash(username: &str, case_sensitive: bool) -> u64 {
    if case_sensitive {
        stable_hash(username.as_bytes())
    } else if username.is_ascii() {
        // Lower-case while hashing: no allocation for the common case.
        stable_hash_with(username.bytes().map(|b| b.to_ascii_lowercase()))
    } else {
        stable_hash(username.to_lowercase().as_bytes())
    }
}

/// 64-bit FNV-1a followed by a murmur3 finaliser: stable across runs,
/// platforms and versions (sharding relies on that), and well mixed.
pub(crate) fn stable_hash(bytes: &[u8]) -> u64 {
    stable_hash_with(bytes.iter().copied())
}

fn stable_hash_with(bytes: impl Iterator<Item = u8>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table and the case rule its usernames are hashed under.
    struct Table(Duplicates, bool);

    impl Table {
        fn new(case_sensitive: bool) -> Self {
            Table(Duplicates::default(), case_sensitive)
        }
        fn first_row_of(&mut self, username: &str, row: u64) -> Option<u64> {
            self.0.first_row_of(username_hash(username, self.1), row)
        }
    }

    #[test]
    fn case_rule_decides_what_repeats() {
        let mut insensitive = Table::new(false);
        assert_eq!(insensitive.first_row_of("Ann", 1), None);
        assert_eq!(insensitive.first_row_of("bob", 2), None);
        assert_eq!(insensitive.first_row_of("ANN", 7), Some(1));
        let mut sensitive = Table::new(true);
        assert_eq!(sensitive.first_row_of("Ann", 1), None);
        assert_eq!(sensitive.first_row_of("ann", 2), None);
        assert_eq!(sensitive.first_row_of("ann", 3), Some(2));
    }

    #[test]
    fn hash_is_stable() {
        // Pinned: shard assignment and resume depend on this never changing.
        assert_eq!(stable_hash(b"alice"), 0x3507_d047_a67c_08f4);
        assert_eq!(stable_hash(b""), 0xefd0_1f60_ba99_2926);
        assert_ne!(stable_hash(b"alice"), stable_hash(b"Alice"));
    }
}
