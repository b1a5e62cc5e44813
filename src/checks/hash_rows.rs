//! A map from 64-bit hashes to row numbers, for duplicate detection: open
//! addressing with linear probing over flat arrays of 12-byte slots (hash
//! and row together), so a lookup or an insert touches one cache line, which
//! [`HashRows::prefetch`] can start loading while the caller does other
//! work. Any capacity works (not only powers of two), so a table sized from
//! an estimate of the row count needs ~15 bytes per entry and never
//! rehashes. Fresh memory is slow on virtual machines (each new page is
//! zeroed by the guest and backed by the host), so bytes per entry count.
//!
//! The table is [`PARTS`] tables, chosen by a hash's top bits, each growing
//! on its own: when the estimate is low (a compressed input, whose size on
//! disk says little about its rows; stdin, which has none) growing copies
//! one part at a time, by a quarter to a half of it, so old and new slots
//! never coexist for more than a sliver of the table (a single table that
//! doubled held both, 1.5 times its final size) and a table that grew ends
//! at most half larger than its entries need (doubling: up to twice).

/// Parts of the table, by the hash's top [`PART_BITS`] bits.
const PART_BITS: u32 = 8;
const PARTS: usize = 1 << PART_BITS;
/// Entries per slot at most, as a fraction: 7/8.
const LOAD_NUM: usize = 7;
const LOAD_DEN: usize = 8;
/// Slots of a part when it first grows without an estimate.
const MIN_SLOTS: usize = 64;
/// Marks an empty slot; a real hash of 0 is stored as 1 (a harmless merge).
const EMPTY: u64 = 0;
/// The stored row of rows past `u32::MAX - 1`: their number is not kept.
pub(crate) const FAR_ROW: u64 = u32::MAX as u64;

/// A slot: the hash's low and high halves, then the row. Three `u32`s keep
/// it at 12 bytes (a `(u64, u32)` would be padded to 16).
type Slot = [u32; 3];

#[derive(Default)]
pub(crate) struct HashRows {
    /// Empty until the first reservation or insert, then [`PARTS`] of them.
    parts: Vec<Part>,
}

/// One part: the hashes whose top bits are its index.
struct Part {
    slots: Vec<Slot>,
    len: usize,
    /// This part's index: it sets how much the part grows by.
    index: usize,
}

fn slot_hash(slot: &Slot) -> u64 {
    u64::from(slot[0]) | (u64::from(slot[1]) << 32)
}

impl HashRows {
    /// Makes room for `entries` in total without growing again (parts
    /// whose share runs over the even split grow alone).
    pub(crate) fn reserve_total(&mut self, entries: usize) {
        let share = entries / PARTS + 1;
        // Parts differ from the even share by about its square root (a few
        // percent of it at a million entries): room for twice that, and the
        // few parts past it grow alone.
        let share = share + 2 * share.isqrt();
        for part in self.parts_mut() {
            part.reserve_total(share);
        }
    }

    /// Starts loading the slot `hash` will probe first. In a table larger
    /// than the cache, a lookup is one cache miss; issued early, the miss
    /// overlaps the caller's other work instead of stalling it.
    pub(crate) fn prefetch(&self, hash: u64) {
        let Some(part) = self.parts.get(part_of(hash.max(1))) else {
            return;
        };
        if part.slots.is_empty() {
            return;
        }
        let slot = &part.slots[home(hash.max(1), part.slots.len())];
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
        let hash = hash.max(1);
        self.parts_mut()[part_of(hash)].get_or_insert(hash, row)
    }

    fn parts_mut(&mut self) -> &mut [Part] {
        if self.parts.is_empty() {
            self.parts = (0..PARTS)
                .map(|index| Part {
                    slots: Vec::new(),
                    len: 0,
                    index,
                })
                .collect();
        }
        &mut self.parts
    }
}

impl Part {
    fn reserve_total(&mut self, entries: usize) {
        let slots = entries.saturating_mul(LOAD_DEN) / LOAD_NUM + 1;
        if slots > self.slots.len() {
            self.resize(slots);
        }
    }

    /// `hash` is never [`EMPTY`].
    fn get_or_insert(&mut self, hash: u64, row: u64) -> Option<u64> {
        if (self.len + 1) * LOAD_DEN > self.slots.len() * LOAD_NUM {
            // By a quarter to a half, not double: a part grows in small
            // steps, so the table ends at most half larger than its
            // entries need (doubling left up to twice). Parts fill evenly:
            // grown by the same factor they would all grow at once again,
            // and the allocator would still hold the old slots of all of
            // them; different factors spread the next growths out.
            let len = self.slots.len();
            let grown = len + len / 4 + len * self.index / (4 * PARTS);
            self.resize(grown.max(MIN_SLOTS));
        }
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

/// The part a hash belongs to: its top bits.
fn part_of(hash: u64) -> usize {
    (hash >> (64 - PART_BITS)) as usize
}

/// The first slot to probe in a part: the hash's bits below the part's
/// scaled onto `0..slots` (a multiply instead of a modulo; the hash is well
/// mixed).
fn home(hash: u64, slots: usize) -> usize {
    ((u128::from(hash << PART_BITS) * slots as u128) >> 64) as usize
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
        let len: usize = table.parts.iter().map(|p| p.len).sum();
        assert_eq!(len, hashes.len());
        // 0 marks empty slots, so a hash of 0 is stored as 1.
        assert_eq!(table.get_or_insert(1, 7), Some(0));
    }

    #[test]
    fn a_reserved_table_does_not_grow() {
        let mut table = HashRows::default();
        table.reserve_total(100_000);
        let slots = |t: &HashRows| t.parts.iter().map(|p| p.slots.len()).collect::<Vec<_>>();
        let reserved = slots(&table);
        for i in 0..100_000u64 {
            let hash = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            table.prefetch(hash);
            table.get_or_insert(hash, i);
        }
        assert_eq!(slots(&table), reserved, "no part grew");
        let total: usize = reserved.iter().sum();
        assert!(total < 100_000 * 8 / 7 * 13 / 10, "{total} slots");
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
