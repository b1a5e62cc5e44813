//! A map from folded keys to user slots, split into [`SHARDS`] hash maps
//! by the key's hash, so that growing rehashes one shard at a time.
//!
//! Why: one map of a million keys rehashed all of them at once (at 917,504,
//! its 7/8 load), some 30 MB moved while every request waited on the
//! table's lock. Split, each growth moves a 64th of that.

use std::hash::BuildHasher;

use rustc_hash::{FxBuildHasher, FxHashMap};

/// Shards, by six middle bits of the key's hash.
const SHARD_BITS: u32 = 6;
const SHARDS: usize = 1 << SHARD_BITS;
/// Where those bits start. Each shard's map hashes the key again with the
/// same function and uses the hash's low bits (the bucket, up to 2³²
/// buckets) and top seven (its tag): bits that all keys of a shard shared
/// there would crowd its buckets or blunt its tags. Bits 32 to 37 are
/// used by neither.
const SHARD_SHIFT: u32 = 32;

/// Keys to slots.
#[derive(Debug)]
pub(crate) struct ShardedIndex {
    shards: Vec<FxHashMap<String, usize>>,
}

impl Default for ShardedIndex {
    fn default() -> Self {
        ShardedIndex {
            shards: (0..SHARDS).map(|_| FxHashMap::default()).collect(),
        }
    }
}

impl ShardedIndex {
    fn shard(&self, key: &str) -> usize {
        (FxBuildHasher.hash_one(key) >> SHARD_SHIFT) as usize & (SHARDS - 1)
    }

    pub(crate) fn get(&self, key: &str) -> Option<usize> {
        self.shards[self.shard(key)].get(key).copied()
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.shards[self.shard(key)].contains_key(key)
    }

    pub(crate) fn insert(&mut self, key: String, slot: usize) {
        let shard = self.shard(&key);
        self.shards[shard].insert(key, slot);
    }

    pub(crate) fn remove(&mut self, key: &str) {
        let shard = self.shard(key);
        self.shards[shard].remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_replaced_and_removed() {
        let mut index = ShardedIndex::default();
        for i in 0..10_000 {
            index.insert(format!("user{i}"), i);
        }
        assert_eq!(index.get("user0"), Some(0));
        assert_eq!(index.get("user9999"), Some(9999));
        assert_eq!(index.get("user10000"), None);
        index.insert("user5".to_owned(), 42);
        assert_eq!(index.get("user5"), Some(42));
        index.remove("user5");
        assert!(!index.contains_key("user5"));
        assert!(index.contains_key("user6"));
    }

    #[test]
    fn keys_spread_over_every_shard() {
        let mut index = ShardedIndex::default();
        for i in 0..SHARDS * 64 {
            index.insert(format!("user{i}@example.com"), i);
        }
        let sizes: Vec<usize> = index.shards.iter().map(|s| s.len()).collect();
        // 64 keys a shard on average: none empty, none with a quarter.
        assert!(
            sizes.iter().all(|&n| n > 16 && n < SHARDS * 16),
            "{sizes:?}"
        );
    }
}
