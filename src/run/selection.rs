//! Which rows this run sends: `--shard K/N` membership and, with
//! `--resume`, what the earlier run already settled. Also the check that a
//! report belongs to the input it is resumed with, made over the whole input
//! before the first request.
//!
//! The rule for a row with an entry in the resumed report, compared by its
//! username (a fingerprint of it) after the shard check (a row now in
//! another shard is that shard's):
//! - `created`, `exists`, `failed`, `valid`, another username: the report
//!   is not this input's; the run stops before any request.
//! - `created`, `exists`, same username: settled, skipped.
//! - `failed` or `valid`, same username: sent again.
//! - `invalid`, `rejected`, same username: kept, unless `--retry-rejected`.
//! - `invalid`, `rejected`, another username: the verdict was about another
//!   user, so it says nothing of this row; it is checked and sent again,
//!   with or without `--retry-rejected`. No user was created for it, so
//!   this cannot create anyone twice, and a report from another input can
//!   never silently keep a row from being sent. (A row edited since, say a
//!   fixed username, is picked up the same way.)

use anyhow::bail;
use std::path::Path;

use crate::input::{is_stdin, ReadSettings};
use crate::mapping::rules::Mapping;
use crate::report::entry::Status;
use crate::report::fed_back;
use crate::run::resume::ResumeState;
use crate::run::shard::Shard;

/// What to do with one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Not this run's row (another shard), or already settled: no entry.
    Skip,
    /// Map, check and send it. `maybe_sent`: an earlier run may already
    /// have created the user (so `UsernameExistsException` means "likely ours").
    Process { maybe_sent: bool },
    /// An earlier run signed it up (`status`) but a step after sign-up
    /// failed: run its steps again, never its SignUp.
    Steps { status: Status },
}

/// The per-run row filter.
#[derive(Debug, Default)]
pub(crate) struct Selection {
    pub(crate) shard: Option<Shard>,
    pub(crate) resume: Option<ResumeState>,
    /// Send `invalid` and `rejected` rows again (`--retry-rejected`).
    pub(crate) retry_rejected: bool,
    /// This run has steps after sign-up (and sends): rows whose steps
    /// failed before are taken up again.
    pub(crate) steps: bool,
}

impl Selection {
    /// Bytes of the resumed report that hold complete entries (0 when not resuming).
    pub(crate) fn complete_len(&self) -> u64 {
        self.resume.as_ref().map_or(0, |s| s.complete_len)
    }

    /// Whether the resumed report is an earlier version's CSV report (its
    /// columns end at `note`), to be continued in that form.
    pub(crate) fn old_form(&self) -> bool {
        self.resume.as_ref().is_some_and(|s| s.old_form)
    }

    /// Decides for row `number` whose mapped username is `username`; an
    /// error when the resumed report names another user for this row.
    pub(crate) fn decide(&self, number: u64, username: &str) -> Result<Decision, String> {
        if self.shard.is_some_and(|s| !s.contains(username)) {
            return Ok(Decision::Skip);
        }
        let Some(state) = &self.resume else {
            return Ok(Decision::Process { maybe_sent: false });
        };
        let Some(previous) = state.get(number) else {
            // No entry: never reached, or in flight when the run stopped.
            return Ok(Decision::Process {
                maybe_sent: number <= state.max_row,
            });
        };
        let refused = matches!(previous.status, Status::Invalid | Status::Rejected);
        if !previous.same_user(username) {
            if refused {
                // A verdict on another user: this row was never judged.
                return Ok(Decision::Process { maybe_sent: false });
            }
            return Err(format!(
                "this report does not belong to this input: row {number} of the input is {username:?}, but the report has another user for it"
            ));
        }
        Ok(match previous.status {
            status @ (Status::Created | Status::Exists) if previous.steps_pending && self.steps => {
                Decision::Steps { status }
            }
            Status::Created | Status::Exists => Decision::Skip,
            Status::Invalid | Status::Rejected if !self.retry_rejected => Decision::Skip,
            // `valid` comes from a dry run: nothing was sent yet.
            Status::Invalid | Status::Rejected | Status::Valid => {
                Decision::Process { maybe_sent: false }
            }
            Status::Failed => Decision::Process {
                maybe_sent: previous.maybe_sent,
            },
        })
    }
}

/// Reads the whole input once and checks every row against the resumed
/// report, so a report from another input is refused before any request;
/// returns how many rows this run will send (an upper bound: some may be
/// refused locally), or `None` for stdin, which is not read ahead.
pub(crate) fn verify_input(
    input: &Path,
    read: &ReadSettings,
    mapping: &Mapping,
    selection: &Selection,
) -> anyhow::Result<Option<u64>> {
    if is_stdin(input) {
        // stdin cannot be read twice: the reader checks each row as it goes.
        return Ok(None);
    }
    // Opened as the run opens it: an error report's cells as its input had them.
    let opened = fed_back::open(input, read, mapping)?;
    let mapping = &opened.mapping;
    let (mut compiled, records) = opened.input.records();
    let (mut rows, mut to_send) = (0, 0);
    for item in records {
        let (number, username) = match item {
            Ok(row) => {
                mapping.keep_compiled_for(&mut compiled, &row.columns)?;
                (row.number, compiled.username_of(&row))
            }
            Err(e) if e.fatal => bail!("{e}"),
            Err(e) => (e.number, String::new()),
        };
        rows = number;
        let decision = selection
            .decide(number, &username)
            .map_err(|e| anyhow::anyhow!(e))?;
        to_send += u64::from(matches!(decision, Decision::Process { .. }));
    }
    let reported = selection.resume.as_ref().map_or(0, |state| state.max_row);
    if reported > rows {
        bail!(
            "this report does not belong to this input: it has an entry for row {reported}, but the input has {rows} rows"
        );
    }
    Ok(Some(to_send))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::entry::ReportEntry;
    use crate::report::write::ReportWriter;

    /// A selection resuming a report whose row `n` (from 1) is `entries[n - 1]`.
    fn resuming(entries: &[(&str, Status)], retry_rejected: bool) -> Selection {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.csv");
        let mut writer = ReportWriter::create(&path, false).expect("create");
        for (i, (username, status)) in entries.iter().enumerate() {
            let entry = ReportEntry {
                row: i as u64 + 1,
                username: (*username).into(),
                status: Some(*status),
                attempts: 1,
                ..ReportEntry::default()
            };
            writer.write(&entry).expect("write");
        }
        writer.sync().expect("sync");
        Selection {
            shard: None,
            resume: Some(ResumeState::load(&path, 1).expect("load")),
            retry_rejected,
            steps: false,
        }
    }

    #[test]
    fn every_rows_username_is_checked_and_a_refused_row_of_another_user_is_sent() {
        use Status::*;
        let rows = [
            ("ann", Created),
            ("bob", Exists),
            ("cat", Failed),
            ("dan", Valid),
            ("eve", Invalid),
            ("fay", Rejected),
        ];
        let send = Ok(Decision::Process { maybe_sent: false });
        for retry in [false, true] {
            let selection = resuming(&rows, retry);
            let kept = if retry {
                send.clone()
            } else {
                Ok(Decision::Skip)
            };
            let same: Vec<_> = rows
                .iter()
                .enumerate()
                .map(|(i, (name, _))| selection.decide(i as u64 + 1, name))
                .collect();
            let failed_again = Ok(Decision::Process { maybe_sent: true });
            let want = [
                Ok(Decision::Skip),
                Ok(Decision::Skip),
                failed_again,
                send.clone(),
                kept.clone(),
                kept,
            ];
            assert_eq!(same, want, "same users, --retry-rejected {retry}");
            for row in 1..=4 {
                let err = selection.decide(row, "zed").expect_err("another user");
                assert!(err.contains("does not belong to this input"), "{err}");
            }
            for row in 5..=6 {
                assert_eq!(selection.decide(row, "zed"), send, "row {row}");
            }
            assert_eq!(selection.decide(7, "zed"), send, "a row with no entry");
        }
    }
}
