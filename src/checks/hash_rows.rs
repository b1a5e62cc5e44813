//! A map from 64-bit hashes to row numbers, for duplicate detection: open
//! addressing with linear probing over one flat array of 12-byte slots
//! (hash and row together), so a lookup or an insert touches one cache
//! line, which [`HashRows::prefetch`] can start loading while the caller
//! does other work. Any capacity works (not only powers of two), so a table
//! sized from an estimate of the row count needs ~15 bytes per entry and
//! never rehashes. Fresh memory is slow on virtual machines (each new page
//! is zeroed by the guest and backed by the host), so bytes per entry count.

/// Entries per slot at most, as a fraction: 7/8.
const LOAD_NUM: usize = 7;
const LOAD_DEN: usize = 8;
/// Marks an empty slot; a real hash of 0 is stored as 1 (a harmless merge).
const EMPTY: u64 = 0;
/// The stored row of rows past `u32::MAX - 1`: their number is not kept.
pub(crate) const FAR_ROW: u64 = u32::MAX as u64;

/// A slot: the hash's low and high halves, then the row. Three `u32`s keep
/// it at 12 bytes (a `(u64, u32)` would be padded to 16).
type Slot = [u32; 3];

#[derive(Default)]
pub(crate) struct HashRows {
    slots: Vec<Slot>,
    len: usize,
}

fn slot_hash(slot: &Slot) -> u64 {
    u64::from(slot[0]) | (u64::from(slot[1]) << 32)
}

impl HashRows {
    /// Makes room for `entries` in total without growing again.
    pub(crate) fn reserve_total(&mut self, entries: usize) {
        let slots = entries.saturating_mul(LOAD_DEN) / LOAD_NUM + 1;
        if slots > self.slots.len() {
            self.resize(slots);
        }
    }

    /// Starts loading the slot `hash` will probe first. In a table larger
    /// than the cache, a lookup is one cache miss; issued early, the miss
    /// overlaps the caller's other work instead of stalling it.
    pub(crate) fn prefetch(&self, hash: u64) {
        if self.slots.is_empty() {
            return;
        }
        let slot = &self.slots[home(hash.max(1), self.slots.len())];
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is only a hint: it reads nothing the program
        // sees and cannot fault; SSE is part of every x86_64 target.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(slot).cast());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = slot;
    }

    /// The row stored for `hash`, or stores `row` for it and returns `None`.
    /// A row past `u32::MAX - 1` is stored, and returned, as [`FAR_ROW`].
    pub(crate) fn get_or_insert(&mut self, hash: u64, row: u64) -> Option<u64> {
        if (self.len + 1) * LOAD_DEN > self.slots.len() * LOAD_NUM {
            self.resize((self.slots.len() * 2).max(1024));
        }
        let hash = hash.max(1);
        let mut at = home(hash, self.slots.len());
        loop {
            let slot = &mut self.slots[at];
            match slot_hash(slot) {
                EMPTY => {
                    let row = u32::try_from(row.min(FAR_ROW)).unwrap_or(u32::MAX);
                    *slot = [hash as u32, (hash >> 32) as u32, row];
                    self.len += 1;
                    return None;
                }
                stored if stored == hash => return Some(u64::from(slot[2])),
                _ => {
                    at = if at + 1 == self.slots.len() {
                        0
                    } else {
                        at + 1
                    }
                }
            }
        }
    }

    fn resize(&mut self, slots: usize) {
        let old = std::mem::replace(&mut self.slots, vec![[0; 3]; slots]);
        self.len = 0;
        for slot in old.iter().filter(|s| slot_hash(s) != EMPTY) {
            self.get_or_insert(slot_hash(slot), u64::from(slot[2]));
        }
    }
}

/// The first slot to probe: the hash scaled onto `0..slots` (a multiply
/// instead of a modulo; the hash's high bits are well mixed).
fn home(hash: u64, slots: usize) -> usize {
    ((u128::from(hash) * slots as u128) >> 64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_stored_hash_across_growth() {
        let mut table = HashRows::default();
        // Clustered and extreme hashes too: 0, u64::MAX, consecutive values.
        let hashes: Vec<u64> = (0..5000u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .chain([u64::MAX, u64::MAX - 1, 2])
            .chain(10_000..10_100)
            .collect();
        for (row, hash) in hashes.iter().enumerate() {
            assert_eq!(table.get_or_insert(*hash, row as u64), None, "hash {hash}");
        }
        for (row, hash) in hashes.iter().enumerate() {
            assert_eq!(
                table.get_or_insert(*hash, 99_999),
                Some(row as u64),
                "hash {hash}"
            );
        }
        assert_eq!(table.len, hashes.len());
        // 0 marks empty slots, so a hash of 0 is stored as 1.
        assert_eq!(table.get_or_insert(1, 7), Some(0));
    }

    #[test]
    fn a_reserved_table_does_not_grow() {
        let mut table = HashRows::default();
        table.reserve_total(10_000);
        let slots = table.slots.len();
        for i in 0..10_000u64 {
            let hash = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            table.prefetch(hash);
            table.get_or_insert(hash, i);
        }
        assert_eq!(table.slots.len(), slots);
        assert!(slots < 10_000 * 8 / 7 + 2);
    }

    #[test]
    fn rows_past_u32_are_kept_as_far_rows() {
        let mut table = HashRows::default();
        assert_eq!(table.get_or_insert(7, 5_000_000_000), None);
        assert_eq!(table.get_or_insert(7, 5_000_000_001), Some(FAR_ROW));
        assert_eq!(table.get_or_insert(8, u64::from(u32::MAX) - 1), None);
        assert_eq!(table.get_or_insert(8, 9), Some(u64::from(u32::MAX) - 1));
    }
}
