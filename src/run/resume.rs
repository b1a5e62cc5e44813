//! What `--resume` knows about an earlier run: for every row, the status of
//! its latest report entry, whether a request may already have reached
//! Cognito for it, and a fingerprint of its username to prove the report
//! belongs to this input. Packed into 4 bytes per row (3.8 MiB per million
//! rows), indexed by row number.
//!
//! The state grows to the highest row number read, so a report's row
//! numbers are bounded before they are believed: an entry's row may be at
//! most [`SLACK_ROWS`] + [`SPREAD`] × N × (entries read before it + 1),
//! for N shards (1 without `--shard`). A run logs its rows in about row
//! order, every row of its shard getting an entry, so a report of this
//! input stays far below that (a shard's k-th entry is near row N × k);
//! a row past it (a crafted row near `u64::MAX`, or 4e9 in a short report)
//! comes from another input, and the report is refused before anything is
//! allocated for it. No input pass is needed, and the state never exceeds
//! 4 MiB + 64 × N bytes per report entry.

use std::path::Path;

use anyhow::bail;

use crate::checks::duplicates::stable_hash;
use crate::report::entry::Status;
use crate::report::read::EntryReader;

/// Rows any report may reach beyond what its entries justify (4 MiB of state).
pub const SLACK_ROWS: u64 = 1 << 20;
/// How much sparser than one entry per row (per shard) a report may be.
pub const SPREAD: u64 = 16;

const STATUS_BITS: u32 = 3;
const SENT_BIT: u32 = 1 << STATUS_BITS;
/// A signed-up row whose steps after sign-up did not all succeed.
const STEPS_BIT: u32 = 1 << (STATUS_BITS + 1);
const FINGERPRINT_SHIFT: u32 = STATUS_BITS + 2;

/// A row's state in the earlier run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Previous {
    pub(crate) status: Status,
    /// A request for this row may have reached Cognito (a `failed` entry
    /// after at least one attempt).
    pub(crate) maybe_sent: bool,
    /// Signed up, but a step after sign-up failed (`step_error`).
    pub(crate) steps_pending: bool,
    fingerprint: u32,
}

impl Previous {
    /// Whether `username` is the one the earlier run reported for this row.
    pub(crate) fn same_user(&self, username: &str) -> bool {
        self.fingerprint == fingerprint(username)
    }
}

/// Per-row state read from a report.
#[derive(Debug, Default)]
pub struct ResumeState {
    slots: Vec<u32>,
    /// Bytes of the report that hold complete entries (a torn tail follows).
    pub(crate) complete_len: u64,
    /// Highest row number with an entry.
    pub max_row: u64,
    /// Entries read, across all earlier sessions.
    pub entries: u64,
    /// The report is an earlier version's CSV report (no `source_row`).
    pub(crate) old_form: bool,
}

/// A slot's status bits: 0 for "no entry", else the status's index + 1.
fn status_code(status: Status) -> u32 {
    status.index() as u32 + 1
}

fn status_of(code: u32) -> Option<Status> {
    Status::from_index(usize::try_from(code.checked_sub(1)?).ok()?)
}

/// The 27 bits of a username's stable hash kept per row.
fn fingerprint(username: &str) -> u32 {
    (stable_hash(username.as_bytes()) >> 37) as u32
}

impl ResumeState {
    /// Reads every complete entry of `report`, written by a run of
    /// `shards` shards (1 without `--shard`); the latest entry of a row wins.
    pub fn load(report: &Path, shards: u64) -> anyhow::Result<Self> {
        let mut reader = EntryReader::open(report)?;
        let mut state = ResumeState::default();
        for entry in reader.by_ref() {
            let entry = entry?;
            let Some(status) = entry.status else {
                bail!("{}: row {} has no status", report.display(), entry.row);
            };
            let index = state.slot_for(entry.row, shards, report)?;
            let sent = status == Status::Failed && entry.attempts > 0;
            let pending = status.is_success() && !entry.step_error.is_empty();
            state.slots[index] = status_code(status)
                | if sent { SENT_BIT } else { 0 }
                | if pending { STEPS_BIT } else { 0 }
                | (fingerprint(&entry.username) << FINGERPRINT_SHIFT);
            state.max_row = state.max_row.max(entry.row);
            state.entries += 1;
        }
        state.complete_len = reader.complete_len();
        state.old_form = reader.old_form();
        // Growth by doubling leaves up to 2× spare room: give it back.
        state.slots.shrink_to_fit();
        Ok(state)
    }

    /// The index of `row`'s slot, grown to when new; an error for a row
    /// no report of this input can have (see the module doc).
    fn slot_for(&mut self, row: u64, shards: u64, report: &Path) -> anyhow::Result<usize> {
        if row == 0 {
            bail!("{}: an entry has row 0; rows start at 1", report.display());
        }
        let bound = SPREAD
            .saturating_mul(shards.max(1))
            .saturating_mul(self.entries + 1)
            .saturating_add(SLACK_ROWS);
        if row > bound {
            bail!(
                "{}: an entry has row {row}, far past the {} entries before it: this report does not belong to this input (or was written with another --shard)",
                report.display(),
                self.entries
            );
        }
        let index = usize::try_from(row - 1)?;
        if index >= self.slots.len() {
            // A bound saturated by a huge shard count still fails cleanly.
            let more = index + 1 - self.slots.len();
            self.slots
                .try_reserve(more)
                .map_err(|e| anyhow::anyhow!("{}: cannot hold row {row}: {e}", report.display()))?;
            self.slots.resize(index + 1, 0);
        }
        Ok(index)
    }

    /// The earlier run's state of `row`, if it reported one.
    pub(crate) fn get(&self, row: u64) -> Option<Previous> {
        let slot = *self.slots.get(usize::try_from(row.checked_sub(1)?).ok()?)?;
        Some(Previous {
            status: status_of(slot & ((1 << STATUS_BITS) - 1))?,
            maybe_sent: slot & SENT_BIT != 0,
            steps_pending: slot & STEPS_BIT != 0,
            fingerprint: slot >> FINGERPRINT_SHIFT,
        })
    }

    /// Bytes of memory the per-row state takes.
    pub fn memory_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<u32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::entry::ReportEntry;
    use crate::report::write::ReportWriter;

    fn entry(row: u64, username: &str, status: Status, attempts: u32) -> ReportEntry {
        ReportEntry {
            row,
            username: username.into(),
            status: Some(status),
            attempts,
            ..ReportEntry::default()
        }
    }

    fn write(path: &Path, entries: &[ReportEntry]) {
        let mut writer = ReportWriter::create(path, true).expect("create");
        for e in entries {
            writer.write(e).expect("write");
        }
        writer.flush().expect("flush");
    }

    #[test]
    fn the_latest_entry_of_a_row_wins() {
        for name in ["r.csv", "r.ndjson"] {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join(name);
            write(
                &path,
                &[
                    entry(2, "bob", Status::Failed, 3),
                    entry(1, "ann", Status::Created, 1),
                    entry(2, "bob", Status::Exists, 1),
                    entry(4, "dan", Status::Failed, 0),
                ],
            );
            let state = ResumeState::load(&path, 1).expect("load");
            assert_eq!(state.max_row, 4);
            assert_eq!(state.entries, 4);
            let bob = state.get(2).expect("row 2");
            assert_eq!(bob.status, Status::Exists);
            assert!(bob.same_user("bob") && !bob.same_user("Bob"));
            assert_eq!(state.get(3), None);
            let dan = state.get(4).expect("row 4");
            assert!(!dan.maybe_sent, "failed before any attempt");
            assert_eq!(
                state.complete_len,
                std::fs::metadata(&path).expect("meta").len()
            );
            assert_eq!(state.memory_bytes(), 16);
        }
    }

    #[test]
    fn a_torn_last_line_is_ignored() {
        for name in ["r.csv", "r.ndjson"] {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join(name);
            write(
                &path,
                &[
                    entry(1, "ann", Status::Created, 1),
                    entry(2, "bob", Status::Created, 1),
                ],
            );
            let full = std::fs::read(&path).expect("read");
            // Cut the last entry in half, as a kill mid-write would.
            let cut = full.len() - 10;
            std::fs::write(&path, &full[..cut]).expect("write");
            let state = ResumeState::load(&path, 1).expect("load");
            assert_eq!(
                state.get(1).map(|p| p.status),
                Some(Status::Created),
                "{name}"
            );
            assert_eq!(state.get(2), None, "{name}: the torn row is redone");
            let first_len = full
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .nth(if name.ends_with("csv") { 1 } else { 0 });
            assert_eq!(
                state.complete_len as usize,
                first_len.expect("newline").0 + 1,
                "{name}"
            );
        }
    }

    #[test]
    fn a_torn_header_is_an_empty_report() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.csv");
        for cut in ["row,username,sta", "row,username,status,user_sub,user_confirmed,delivery_medium,delivery_destination,error_code,error_message,attempts,request_id,note"] {
            std::fs::write(&path, cut).expect("write");
            let state = ResumeState::load(&path, 1).expect("a torn header resumes");
            assert_eq!((state.entries, state.complete_len), (0, 0), "{cut}");
        }
    }

    #[test]
    fn a_row_far_past_the_entries_before_it_is_refused_before_allocating() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.csv");
        for row in [18_446_744_073_709_551_000, u64::MAX, 4_000_000_000] {
            write(
                &path,
                &[
                    entry(1, "ann", Status::Created, 1),
                    entry(row, "bob", Status::Created, 1),
                ],
            );
            let err = ResumeState::load(&path, 1).expect_err("refused");
            let text = err.to_string();
            assert!(text.contains(&format!("an entry has row {row}")), "{text}");
            assert!(text.contains("does not belong to this input"), "{text}");
        }
        // Right at the bound for the second entry: accepted.
        let bound = SLACK_ROWS + 2 * SPREAD;
        write(
            &path,
            &[
                entry(1, "ann", Status::Created, 1),
                entry(bound, "bob", Status::Created, 1),
            ],
        );
        let state = ResumeState::load(&path, 1).expect("load");
        assert_eq!(state.max_row, bound);
    }

    #[test]
    fn a_shards_sparse_report_is_within_the_bound_for_its_shard_count() {
        // One row in 40 has an entry, as in shard K of 40, up to row 2 M.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.csv");
        let entries: Vec<ReportEntry> = (1..=50_000)
            .map(|k| entry(40 * k, "u", Status::Created, 1))
            .collect();
        write(&path, &entries);
        let state = ResumeState::load(&path, 40).expect("40 shards");
        assert_eq!((state.entries, state.max_row), (50_000, 2_000_000));
        let err = ResumeState::load(&path, 1).expect_err("one shard");
        assert!(err.to_string().contains("another --shard"), "{err}");
    }

    #[test]
    fn a_foreign_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.csv");
        std::fs::write(&path, "username,password\nann,x\n").expect("write");
        let err = ResumeState::load(&path, 1).expect_err("not a report");
        assert!(
            err.to_string().contains("not a bulk-signup report"),
            "{err}"
        );
    }
}
