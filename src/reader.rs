//! The reader thread: reads rows in input order, maps and checks them, asks
//! the [`Selection`] whether this run sends them, and hands them to the
//! dispatcher in batches over a bounded channel. Rows settled here (invalid,
//! or valid in a dry run) leave as finished report entries.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::input::{self, Row, RowSource};
use crate::mapping::{Compiled, Mapping, Prepared};
use crate::report::{ReportEntry, Status};
use crate::row_error::RowError;
use crate::selection::{Decision, Selection};
use crate::validate::Checker;

/// Rows per message to the dispatcher: batching keeps the per-row cost of
/// the channel and task wake-ups negligible.
pub const BATCH: usize = 256;
/// Batches the channel holds: with `BATCH`, at most ~2,000 rows wait in memory.
pub const CHANNEL_BATCHES: usize = 8;

/// One row on its way from the reader to the dispatcher.
pub enum Work {
    /// Decided without a request (invalid, or valid in a dry run): the
    /// entry, and the row when the error report needs its cells.
    Done(ReportEntry, Option<Row>),
    /// To be sent; the row is kept for the error report.
    Send {
        prepared: Prepared,
        row: Row,
        /// An earlier run may already have created this user.
        maybe_sent: bool,
    },
}

/// What the reader needs besides the rows.
pub struct ReaderParts {
    pub mapping: Mapping,
    pub compiled: Compiled,
    pub checker: Checker,
    pub selection: Selection,
    pub dry_run: bool,
}

/// Reads every row and sends its work; stops early when the receiver is gone
/// (the run was interrupted). An error ends the run: unreadable input, or a
/// resumed report that does not belong to this input.
pub fn read_rows(
    first: Option<Result<Row, input::ReadError>>,
    source: Box<dyn RowSource>,
    parts: ReaderParts,
    sender: mpsc::Sender<Vec<Work>>,
) -> anyhow::Result<()> {
    let ReaderParts {
        mapping,
        mut compiled,
        mut checker,
        selection,
        dry_run,
    } = parts;
    let mut batch = Vec::with_capacity(BATCH);
    for item in first.into_iter().chain(source) {
        let row = match item {
            Ok(row) => row,
            Err(e) if e.fatal => return Err(anyhow::anyhow!("{e}")),
            Err(e) => {
                let decision = selection
                    .decide(e.number, "")
                    .map_err(|m| anyhow::anyhow!(m))?;
                if decision != Decision::Skip {
                    let error = RowError::new("UnreadableRecord", None, e.message);
                    batch.push(Work::Done(
                        invalid_entry(e.number, String::new(), &error),
                        None,
                    ));
                }
                continue;
            }
        };
        if !compiled.is_for(&row.columns) {
            // NDJSON brought a new key: map again for the wider column set.
            compiled = mapping
                .compile(Arc::clone(&row.columns))
                .map_err(|e| anyhow::anyhow!(e))?;
        }
        // A refused row keeps its username (as mapped so far) for its entry.
        let mapped = compiled
            .apply(&row)
            .map_err(|e| (e, compiled.username_of(&row)));
        let username = match &mapped {
            Ok(p) => p.username.as_str(),
            Err((_, username)) => username.as_str(),
        };
        let decision = selection
            .decide(row.number, username)
            .map_err(|m| anyhow::anyhow!(m))?;
        let checked = mapped.and_then(|p| match checker.check(row.number, &p) {
            Ok(()) => Ok(p),
            Err(e) => Err((compiled.locate(e), p.username)),
        });
        // Checked even when skipped, so settled rows still count as seen
        // for duplicate detection.
        let maybe_sent = match decision {
            Decision::Skip => continue,
            Decision::Process { maybe_sent } => maybe_sent,
        };
        let mut row = row;
        batch.push(match checked {
            // Dropped here, on the thread that allocated it: cheaper than a cross-thread free.
            Ok(prepared) if dry_run => Work::Done(valid_entry(row.number, prepared.username), None),
            // Rows kept for the error report lose their password cells first.
            Err((error, username)) => {
                compiled.redact(&mut row);
                Work::Done(invalid_entry(row.number, username, &error), Some(row))
            }
            Ok(prepared) => {
                compiled.redact(&mut row);
                Work::Send {
                    prepared,
                    row,
                    maybe_sent,
                }
            }
        });
        if batch.len() >= BATCH
            && sender
                .blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                .is_err()
        {
            // The consumer is gone (the run was interrupted): stop reading.
            return Ok(());
        }
    }
    if !batch.is_empty() {
        let _ = sender.blocking_send(batch);
    }
    Ok(())
}

fn invalid_entry(row: u64, username: String, error: &RowError) -> ReportEntry {
    ReportEntry {
        row,
        username,
        status: Some(Status::Invalid),
        error_code: error.code.to_owned(),
        error_message: error.to_string(),
        ..ReportEntry::default()
    }
}

fn valid_entry(row: u64, username: String) -> ReportEntry {
    ReportEntry {
        row,
        username,
        status: Some(Status::Valid),
        ..ReportEntry::default()
    }
}
