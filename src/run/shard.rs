//! `--shard K/N`: which rows a process takes when N processes split one
//! input. A row belongs to shard `stable_hash(lowercase(username)) mod N + 1`
//! (FNV-1a 64 with a murmur3 finaliser, the case-insensitive
//! `checks::duplicates::username_hash`; pinned
//! by a test, so every machine and version agrees). Lower-casing keeps
//! usernames that differ only in case on one shard, where duplicate
//! detection can see them.

use std::fmt;
use std::str::FromStr;

use crate::checks::duplicates::username_hash;

/// Shard K of N (1 ≤ K ≤ N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shard {
    pub(crate) index: u64,
    pub(crate) count: u64,
}

impl Shard {
    /// Whether the row with this (mapped) username belongs to this shard.
    pub(crate) fn contains(&self, username: &str) -> bool {
        shard_of(username, self.count) == self.index
    }
}

/// The 1-based shard of a username among `count`.
pub(crate) fn shard_of(username: &str, count: u64) -> u64 {
    // The case-insensitive duplicate key, so names that differ only in
    // case land on one shard.
    username_hash(username, false) % count.max(1) + 1
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let parsed = text.split_once('/').and_then(|(k, n)| {
            Some((k.trim().parse::<u64>().ok()?, n.trim().parse::<u64>().ok()?))
        });
        match parsed {
            Some((index, count)) if index >= 1 && index <= count => Ok(Shard { index, count }),
            _ => Err(format!(
                "--shard {text:?}: write K/N with 1 <= K <= N, e.g. --shard 2/3"
            )),
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k_of_n() {
        assert_eq!("2/3".parse(), Ok(Shard { index: 2, count: 3 }));
        assert!("0/3".parse::<Shard>().is_err());
        assert!("4/3".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }

    #[test]
    fn every_username_is_in_exactly_one_shard_and_case_does_not_matter() {
        for i in 0..1000 {
            let name = format!("User{i}");
            let shards: Vec<u64> = (1..=3)
                .filter(|k| {
                    Shard {
                        index: *k,
                        count: 3,
                    }
                    .contains(&name)
                })
                .collect();
            assert_eq!(shards.len(), 1, "{name}");
            assert_eq!(shard_of(&name, 3), shard_of(&name.to_lowercase(), 3));
        }
        // Pinned: changing the hash would move rows between shards mid-migration.
        assert_eq!(
            shard_of("alice", 3),
            crate::checks::duplicates::stable_hash(b"alice") % 3 + 1
        );
        assert_eq!(shard_of("alice", 7), 0x3507_d047_a67c_08f4_u64 % 7 + 1);
    }

    #[test]
    fn shards_are_balanced() {
        let mut counts = [0u32; 4];
        for i in 0..40_000 {
            counts[(shard_of(&format!("user{i}@example.com"), 4) - 1) as usize] += 1;
        }
        for c in counts {
            assert!((9_000..11_000).contains(&c), "{counts:?}");
        }
    }
}
