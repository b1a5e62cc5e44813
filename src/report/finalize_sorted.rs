//! The final rewrite's fast path for a nearly sorted log, by replacement
//! selection: one pass through a min-heap of at most a chunk's memory, no
//! spilled chunks. A run's log is nearly in row order (rows finish out of
//! order only within the requests in flight, plus the odd retried row), so
//! the heap almost always holds every row that arrives late; when one
//! arrives after a later row was already written, the pass gives up and the
//! caller sorts in chunks instead.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;

use crate::report::entry::ReportEntry;
use crate::report::finalize::string_bytes;
use crate::report::read::EntryReader;
use crate::report::tally::ReportTally;
use crate::report::temp_file::TempFile;
use crate::report::write::ReportWriter;

/// An entry's key in the heap: its row, then its place in the log (so a
/// row's later entry leaves the heap after its earlier ones), then where
/// the entry is held. The entries stay put in [`Held`]: a heap operation
/// moves only keys, not entries ten times their size.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Waiting {
    row: u64,
    at: usize,
    slot: usize,
}

/// The entries in the heap, in slots that are reused once taken.
#[derive(Default)]
struct Held {
    slots: Vec<Option<ReportEntry>>,
    free: Vec<usize>,
}

impl Held {
    /// Memory per entry held, besides its strings: its slot and its key.
    const SLOT_BYTES: usize =
        std::mem::size_of::<Option<ReportEntry>>() + std::mem::size_of::<Waiting>();

    fn put(&mut self, entry: ReportEntry) -> usize {
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Some(entry);
                slot
            }
            None => {
                self.slots.push(Some(entry));
                self.slots.len() - 1
            }
        }
    }

    fn take(&mut self, slot: usize) -> ReportEntry {
        self.free.push(slot);
        self.slots[slot].take().expect("a key's entry is held")
    }
}

/// Rewrites `report` in row order, one entry per row, holding at most
/// about `chunk_bytes` of entries, and returns its tally; `None` (the
/// report untouched, nothing left behind) when the log is too far out of
/// order for that.
pub(super) fn finalize_nearly_sorted(
    report: &Path,
    chunk_bytes: usize,
) -> anyhow::Result<Option<ReportTally>> {
    let temp = TempFile::beside(report, "final")?;
    let mut out = Ordered {
        writer: ReportWriter::to_temp(&temp)?,
        tally: ReportTally::default(),
        pending: None,
    };
    let mut heap = BinaryHeap::new();
    let mut held = Held::default();
    let mut strings = 0;
    for (at, entry) in EntryReader::open(report)?.enumerate() {
        let entry = entry?;
        if out.passed(entry.row) {
            // Dropping `temp` removes the partial report.
            return Ok(None);
        }
        strings += string_bytes(&entry);
        let row = entry.row;
        heap.push(Reverse(Waiting {
            row,
            at,
            slot: held.put(entry),
        }));
        while strings + heap.len() * Held::SLOT_BYTES > chunk_bytes {
            let Some(Reverse(smallest)) = heap.pop() else {
                break;
            };
            let entry = held.take(smallest.slot);
            strings -= string_bytes(&entry);
            out.take(entry)?;
        }
    }
    while let Some(Reverse(smallest)) = heap.pop() {
        out.take(held.take(smallest.slot))?;
    }
    let tally = out.finish()?;
    temp.replace(report)?;
    Ok(Some(tally))
}

/// The output side: entries come in row order, a row's latest last; the
/// last one is held back until a different row shows it was the latest.
struct Ordered {
    writer: ReportWriter,
    tally: ReportTally,
    pending: Option<ReportEntry>,
}

impl Ordered {
    /// Whether an entry for `row` can no longer go in its place: a later
    /// row has left the heap. (Every row written out is below the pending
    /// one, so the pending row is the one to compare with; an equal row is
    /// fine: it is later in the log and replaces the pending entry.)
    fn passed(&self, row: u64) -> bool {
        self.pending.as_ref().is_some_and(|p| row < p.row)
    }

    fn take(&mut self, entry: ReportEntry) -> anyhow::Result<()> {
        if let Some(p) = self.pending.take().filter(|p| p.row != entry.row) {
            self.write(&p)?;
        }
        self.pending = Some(entry);
        Ok(())
    }

    fn write(&mut self, entry: &ReportEntry) -> anyhow::Result<()> {
        self.tally.add(entry);
        self.writer.write(entry)
    }

    /// Writes the pending entry and syncs; returns the tally.
    fn finish(mut self) -> anyhow::Result<ReportTally> {
        if let Some(p) = self.pending.take() {
            self.write(&p)?;
        }
        self.writer.sync()?;
        Ok(self.tally)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::entry::test_entry as entry;
    use crate::report::entry::Status;
    use crate::report::finalize::{finalize_in_chunks, Limits, Logged, MAX_CHUNKS};
    use std::collections::BTreeMap;

    /// Memory of `n` entries like the tests' own, as the rewrite counts it.
    fn budget(n: usize) -> usize {
        n * (string_bytes(&entry(99_999, Status::Failed)) + std::mem::size_of::<Logged>())
    }

    fn write_log(path: &Path, log: &[ReportEntry]) {
        let mut writer = ReportWriter::create(path, false).expect("create");
        for e in log {
            writer.write(e).expect("write");
        }
        writer.sync().expect("sync");
    }

    fn read_report(path: &Path) -> Vec<ReportEntry> {
        EntryReader::open(path)
            .expect("open")
            .map(|e| e.expect("entry"))
            .collect()
    }

    /// The in-memory answer: the latest entry of each row, in row order.
    fn sorted_in_memory(log: &[ReportEntry]) -> Vec<ReportEntry> {
        let latest: BTreeMap<u64, &ReportEntry> = log.iter().map(|e| (e.row, e)).collect();
        latest.into_values().cloned().collect()
    }

    fn files_in(dir: &Path) -> usize {
        std::fs::read_dir(dir).expect("dir").count()
    }

    /// Rows 1..=3000 in windows of 40, each window in a scrambled order
    /// (as requests in flight finish), and every 7th row finishing again,
    /// later, one window on (a retry): a later entry that must win.
    fn nearly_sorted_log() -> Vec<ReportEntry> {
        let (n, window) = (3000, 40);
        let mut log = Vec::new();
        let mut retried = Vec::new();
        for start in (0..n).step_by(window as usize) {
            for j in 0..window {
                // 17 and 40 share no factor: a permutation of the window.
                let row = start + (j * 17) % window + 1;
                log.push(entry(row, Status::Failed));
            }
            log.append(&mut retried);
            retried = (start + 1..=start + window)
                .filter(|row| row % 7 == 0)
                .map(|row| entry(row, Status::Created))
                .collect();
        }
        log.append(&mut retried);
        log
    }

    #[test]
    fn nearly_sorted_log_is_rewritten_in_one_pass() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.csv");
        let log = nearly_sorted_log();
        write_log(&path, &log);
        // The heap holds 200 entries of the log's 3,400.
        let tally = finalize_nearly_sorted(&path, budget(200))
            .expect("finalize")
            .expect("the one-pass path takes a nearly sorted log");
        let want = sorted_in_memory(&log);
        assert_eq!(read_report(&path), want);
        assert_eq!(want.len(), 3000);
        assert_eq!(tally.counts.get(&Status::Created), Some(&(3000 / 7)));
        assert_eq!(tally.counts.values().sum::<u64>(), 3000);
        assert_eq!(files_in(dir.path()), 1, "no temporary files left behind");
    }

    #[test]
    fn a_later_entry_wins_after_the_earlier_one_left_the_heap() {
        // A heap of one entry: row 2's first entry has left it (pending)
        // when its second one arrives.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.ndjson");
        let log = [
            entry(1, Status::Failed),
            entry(2, Status::Failed),
            entry(2, Status::Exists),
            entry(3, Status::Created),
        ];
        write_log(&path, &log);
        let tally = finalize_nearly_sorted(&path, budget(1))
            .expect("finalize")
            .expect("in order but for a repeat");
        assert_eq!(read_report(&path), sorted_in_memory(&log));
        assert_eq!(tally.counts.get(&Status::Exists), Some(&1));
    }

    /// Writes `log`, checks the one-pass path gives up on it with a heap of
    /// `held` entries (the log untouched, nothing left behind), then that
    /// the whole rewrite with that budget still gets it right.
    fn falls_back_and_still_sorts(log: &[ReportEntry], held: usize) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.csv");
        write_log(&path, log);
        let before = std::fs::read(&path).expect("read");
        let fast = finalize_nearly_sorted(&path, budget(held)).expect("finalize");
        assert!(fast.is_none(), "the one-pass path gives up");
        assert_eq!(std::fs::read(&path).expect("read"), before, "log untouched");
        assert_eq!(files_in(dir.path()), 1, "no partial report left behind");
        let limits = Limits {
            chunk_bytes: budget(held),
            max_chunks: MAX_CHUNKS,
        };
        let tally = finalize_in_chunks(&path, limits).expect("finalize");
        let want = sorted_in_memory(log);
        assert_eq!(read_report(&path), want);
        assert_eq!(tally.counts.values().sum::<u64>(), want.len() as u64);
        assert_eq!(files_in(dir.path()), 1, "no temporary files left behind");
    }

    #[test]
    fn a_row_far_out_of_order_falls_back_to_sorting_in_chunks() {
        // Row 1 comes last, 499 entries after the rows above it.
        let mut log: Vec<ReportEntry> = (2..=500).map(|r| entry(r, Status::Created)).collect();
        log.push(entry(1, Status::Rejected));
        falls_back_and_still_sorts(&log, 50);
    }

    #[test]
    fn a_resumed_runs_appended_entries_fall_back_to_sorting_in_chunks() {
        // A finished report, then a resumed run's newer entries for earlier
        // rows: they must win.
        let mut log: Vec<ReportEntry> = (1..=500).map(|r| entry(r, Status::Failed)).collect();
        for row in [250, 3, 17, 499] {
            log.push(entry(row, Status::Created));
        }
        falls_back_and_still_sorts(&log, 50);
    }

    #[test]
    fn a_log_that_fits_the_heap_is_sorted_in_one_pass_whatever_its_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.csv");
        let mut log: Vec<ReportEntry> = (1..=500).rev().map(|r| entry(r, Status::Failed)).collect();
        log.push(entry(3, Status::Created));
        write_log(&path, &log);
        let fast = finalize_nearly_sorted(&path, budget(600)).expect("finalize");
        assert!(fast.is_some(), "the heap holds the whole log");
        assert_eq!(read_report(&path), sorted_in_memory(&log));
    }
}
