//! The reader thread: takes rows in input order from the parsing thread
//! ([`crate::read_ahead`]), maps and checks them, asks
//! the [`Selection`] whether this run sends them, and hands them to the
//! dispatcher in batches over a bounded channel. Rows settled here (invalid,
//! or valid in a dry run) leave as finished report entries.

use std::ops::Range;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::input::Cells;
use crate::input::Row;
use crate::mapping::{Compiled, Mapping, Prepared};
use crate::read_ahead::{Batches, RowBatch, RowView};
use crate::report::{ReportEntry, Status};
use crate::row_error::RowError;
use crate::selection::{Decision, Selection};
use crate::validate::Checker;

/// Rows per message to the dispatcher: batching keeps the per-row cost of
/// the channel and task wake-ups negligible.
pub const BATCH: usize = 1024;
/// Batches the channel holds: with `BATCH`, at most ~4,000 rows wait in memory.
pub const CHANNEL_BATCHES: usize = 4;

/// Consecutive rows' work, in row order.
#[derive(Default)]
pub struct WorkBatch {
    work: Vec<Work>,
    /// The usernames of `Work::Valid` rows, end to end: one allocation per
    /// batch instead of one per row.
    usernames: String,
}

/// One row on its way from the reader to the dispatcher.
enum Work {
    /// Valid in a dry run: its report line needs only these.
    Valid { row: u64, username: Range<usize> },
    /// Decided without a request (invalid): the entry, and the row (its
    /// password cells blanked) for the error report.
    Done(Box<(ReportEntry, Option<Row>)>),
    /// To be sent.
    Send(Box<Outgoing>),
}

/// A row to send.
pub struct Outgoing {
    pub prepared: Prepared,
    /// Kept for the error report; its password cells are blanked.
    pub row: Row,
    /// An earlier run may already have created this user.
    pub maybe_sent: bool,
}

/// A row's work as the concurrent stage takes it.
pub enum Item<'a> {
    Valid { row: u64, username: &'a str },
    Done(ReportEntry, Option<Row>),
    Send(Outgoing),
}

impl WorkBatch {
    fn with_capacity(rows: usize) -> Self {
        WorkBatch {
            work: Vec::with_capacity(rows),
            usernames: String::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.work.len()
    }

    pub fn is_empty(&self) -> bool {
        self.work.is_empty()
    }

    fn push_valid(&mut self, row: u64, username: &str) {
        let start = self.usernames.len();
        self.usernames.push_str(username);
        self.work.push(Work::Valid {
            row,
            username: start..self.usernames.len(),
        });
    }

    /// Takes the batch's rows in order.
    pub fn drain(&mut self) -> impl Iterator<Item = Item<'_>> {
        let usernames = &self.usernames;
        self.work.drain(..).map(move |work| match work {
            Work::Valid { row, username } => Item::Valid {
                row,
                username: &usernames[username],
            },
            Work::Done(done) => {
                let (entry, row) = *done;
                Item::Done(entry, row)
            }
            Work::Send(outgoing) => Item::Send(*outgoing),
        })
    }
}

/// What the reader needs besides the rows.
pub struct ReaderParts {
    pub mapping: Mapping,
    pub compiled: Compiled,
    pub checker: Checker,
    pub selection: Selection,
    pub dry_run: bool,
    /// The input file's size, when it is a file: with the first batch's
    /// bytes per row it tells how many rows to expect.
    pub input_bytes: Option<u64>,
}

/// Reads every row and sends its work; stops early when the receiver is gone
/// (the run was interrupted). An error ends the run: unreadable input, or a
/// resumed report that does not belong to this input.
pub fn read_rows(
    batches: Batches,
    parts: ReaderParts,
    sender: mpsc::Sender<WorkBatch>,
) -> anyhow::Result<()> {
    let mut reader = Reader {
        parts,
        prepared: Prepared::default(),
        out: WorkBatch::with_capacity(BATCH),
    };
    let mut estimated = false;
    while let Some(rows) = batches.next_batch() {
        if !estimated {
            estimated = true;
            if let Some(expected) = expected_rows(&rows, reader.parts.input_bytes) {
                reader.parts.checker.expect_rows(expected);
            }
        }
        for record in rows.records() {
            match record {
                Ok(row) => reader.row(&row)?,
                Err(e) if e.fatal => return Err(anyhow::anyhow!("{e}")),
                Err(e) => reader.unreadable(e.number, &e.message)?,
            }
            if reader.out.len() >= BATCH {
                let full = std::mem::replace(&mut reader.out, WorkBatch::with_capacity(BATCH));
                if sender.blocking_send(full).is_err() {
                    // The consumer is gone (the run was interrupted): stop reading.
                    return Ok(());
                }
            }
        }
        batches.recycle(rows);
    }
    if !reader.out.is_empty() {
        let _ = sender.blocking_send(reader.out);
    }
    Ok(())
}

/// How many rows a file of `input_bytes` holds if its rows are as long as
/// this first batch's (plus a tenth for shorter rows later on).
fn expected_rows(rows: &RowBatch, input_bytes: Option<u64>) -> Option<usize> {
    let per_row = rows.bytes_per_record()?;
    let rows = input_bytes?.checked_div(per_row.max(1))?;
    usize::try_from(rows + rows / 10).ok()
}

/// The reader thread's state between rows.
struct Reader {
    parts: ReaderParts,
    /// Every row is mapped into this one value, reusing its strings.
    prepared: Prepared,
    out: WorkBatch,
}

impl Reader {
    fn unreadable(&mut self, number: u64, message: &str) -> anyhow::Result<()> {
        let decision = self
            .parts
            .selection
            .decide(number, "")
            .map_err(|m| anyhow::anyhow!(m))?;
        if decision != Decision::Skip {
            let error = RowError::new("UnreadableRecord", None, message);
            let entry = invalid_entry(number, String::new(), &error);
            self.out.work.push(Work::Done(Box::new((entry, None))));
        }
        Ok(())
    }

    fn row(&mut self, row: &RowView) -> anyhow::Result<()> {
        let parts = &mut self.parts;
        if !parts.compiled.is_for(row.columns()) {
            // NDJSON brought a new key: map again for the wider column set.
            parts.compiled = parts
                .mapping
                .compile(Arc::clone(row.columns()))
                .map_err(|e| anyhow::anyhow!(e))?;
        }
        let compiled = &parts.compiled;
        let prepared = &mut self.prepared;
        // A refused row keeps its username (as mapped so far) for its entry.
        let mapped = compiled
            .apply_into(row, prepared)
            .map_err(|e| (e, compiled.username_of(row)));
        let username = match &mapped {
            Ok(()) => prepared.username.as_str(),
            Err((_, username)) => username.as_str(),
        };
        let decision = parts
            .selection
            .decide(row.number(), username)
            .map_err(|m| anyhow::anyhow!(m))?;
        // Checked even when skipped, so settled rows still count as seen
        // for duplicate detection.
        let checked = mapped.and_then(|()| {
            parts
                .checker
                .check(row.number(), prepared)
                .map_err(|e| (compiled.locate(e), prepared.username.clone()))
        });
        let maybe_sent = match decision {
            Decision::Skip => return Ok(()),
            Decision::Process { maybe_sent } => maybe_sent,
        };
        match checked {
            Ok(()) if parts.dry_run => self.out.push_valid(row.number(), &prepared.username),
            // Rows kept for the error report lose their password cells first.
            Err((error, username)) => {
                let mut row = row.to_row();
                compiled.redact(&mut row);
                let entry = invalid_entry(row.number, username, &error);
                self.out.work.push(Work::Done(Box::new((entry, Some(row)))));
            }
            Ok(()) => {
                let mut row = row.to_row();
                compiled.redact(&mut row);
                self.out.work.push(Work::Send(Box::new(Outgoing {
                    prepared: std::mem::take(prepared),
                    row,
                    maybe_sent,
                })));
            }
        }
        Ok(())
    }
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
