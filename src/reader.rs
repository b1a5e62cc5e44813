//! The reader thread, the pipeline's ordered stage: takes rows in input
//! order, parsed ([`crate::read_ahead`]) and mapped and checked
//! ([`crate::check_stage`]) on other threads, finds duplicates, asks the
//! [`Selection`] whether this run sends them, and hands them to the
//! dispatcher in batches over a bounded channel. Rows settled here (invalid,
//! or valid in a dry run) leave as finished report entries.

use std::ops::Range;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::check_stage::{CheckStage, CheckedBatch};
use crate::duplicates::{duplicate_error, Duplicates};
use crate::input::{Cells, Row};
use crate::mapping::{Compiled, Mapping, Prepared};
use crate::read_ahead::{ReadAhead, RowBatch, RowView};
use crate::report::{ReportEntry, Status};
use crate::row_error::RowError;
use crate::selection::{Decision, Selection};

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
    /// For blanking password cells of rows kept for the error report.
    pub mapping: Mapping,
    pub compiled: Compiled,
    pub duplicates: Duplicates,
    pub selection: Selection,
    pub dry_run: bool,
    /// The input file's size, when it is a file: with the first batch's
    /// bytes per row it tells how many rows to expect.
    pub input_bytes: Option<u64>,
}

/// How far ahead of the row at hand its duplicate-table slot is fetched.
const PREFETCH_AHEAD: usize = 8;

/// The ordered stage: takes checked batches in input order (one from each
/// checking lane in turn), finds duplicates, asks the selection, and sends
/// each row's work. Stops early when the receiver is gone (the run was
/// interrupted). An error ends the run: unreadable input, a failed stage,
/// or a resumed report that does not belong to this input.
pub fn read_rows(
    read_ahead: ReadAhead,
    stage: CheckStage,
    parts: ReaderParts,
    sender: mpsc::Sender<WorkBatch>,
) -> anyhow::Result<()> {
    let recycler = read_ahead.recycler();
    let mut reader = Reader {
        parts,
        out: WorkBatch::with_capacity(BATCH),
        sender,
    };
    let mut estimated = false;
    for lane in stage.lanes.iter().cycle() {
        // A lane ends when its thread has had the last batch.
        let Ok(batch) = lane.recv() else { break };
        let mut batch = batch?;
        if !estimated {
            estimated = true;
            if let Some(expected) = expected_rows(&batch.rows, reader.parts.input_bytes) {
                reader.parts.duplicates.expect_rows(expected);
            }
        }
        if !reader.batch(&mut batch)? {
            return Ok(());
        }
        recycler.recycle(batch.rows);
    }
    // Every lane ends at the end of the input, or when a thread died:
    // only the first is a finished input.
    for thread in stage.threads {
        thread
            .join()
            .map_err(|_| anyhow::anyhow!("a checking thread panicked"))?;
    }
    read_ahead
        .into_thread()
        .join()
        .map_err(|_| anyhow::anyhow!("the parsing thread panicked"))?;
    if !reader.out.is_empty() {
        let _ = reader.sender.blocking_send(reader.out);
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
    out: WorkBatch,
    sender: mpsc::Sender<WorkBatch>,
}

impl Reader {
    /// Settles every row of `batch`; false when the consumer is gone.
    fn batch(&mut self, batch: &mut CheckedBatch) -> anyhow::Result<bool> {
        let verdicts = std::mem::take(&mut batch.verdicts);
        let hashes: Vec<u64> = verdicts.iter().map(|v| v.hash).collect();
        for (i, (record, verdict)) in batch.rows.records().zip(verdicts).enumerate() {
            if let Some(ahead) = hashes.get(i + PREFETCH_AHEAD) {
                self.parts.duplicates.prefetch(*ahead);
            }
            let username = batch.username(&verdict);
            let (number, outcome) = match &record {
                Err(e) if e.fatal => return Err(anyhow::anyhow!("{e}")),
                Err(e) => (
                    e.number,
                    Err(RowError::new("UnreadableRecord", None, &e.message)),
                ),
                Ok(row) => (row.number(), verdict.outcome.map_err(|e| *e)),
            };
            // Refused rows create no user, so only passed rows count for
            // duplicate detection; they count even when skipped below.
            let outcome = outcome.and_then(|prepared| {
                match self
                    .parts
                    .duplicates
                    .first_row_of_hash(verdict.hash, number)
                {
                    Some(first) => Err(duplicate_error(first)),
                    None => Ok(prepared),
                }
            });
            let decision = self
                .parts
                .selection
                .decide(number, username)
                .map_err(|m| anyhow::anyhow!(m))?;
            let maybe_sent = match decision {
                Decision::Skip => continue,
                Decision::Process { maybe_sent } => maybe_sent,
            };
            let row = record.ok();
            match (outcome, row) {
                (Ok(_), _) if self.parts.dry_run => self.out.push_valid(number, username),
                (Ok(Some(prepared)), Some(row)) => {
                    let row = self.owned(&row)?;
                    self.out.work.push(Work::Send(Box::new(Outgoing {
                        prepared: *prepared,
                        row,
                        maybe_sent,
                    })));
                }
                (Ok(_), _) => {
                    anyhow::bail!("row {number} passed its checks without a request to send")
                }
                (Err(error), row) => {
                    let row = row.map(|row| self.owned(&row)).transpose()?;
                    let entry = invalid_entry(number, username.to_owned(), &error);
                    self.out.work.push(Work::Done(Box::new((entry, row))));
                }
            }
            if self.out.len() >= BATCH {
                let full = std::mem::replace(&mut self.out, WorkBatch::with_capacity(BATCH));
                if self.sender.blocking_send(full).is_err() {
                    // The consumer is gone (the run was interrupted): stop reading.
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// An owned copy of a row kept for a request or the error report, its
    /// password cells blanked first.
    fn owned(&mut self, row: &RowView) -> anyhow::Result<Row> {
        let parts = &mut self.parts;
        if !parts.compiled.is_for(row.columns()) {
            // NDJSON brought a new key: map again for the wider column set.
            parts.compiled = parts
                .mapping
                .compile(Arc::clone(row.columns()))
                .map_err(|e| anyhow::anyhow!(e))?;
        }
        let mut row = row.to_row();
        parts.compiled.redact(&mut row);
        Ok(row)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check_stage::RowChecker;
    use crate::input::{CsvRows, RowSource};
    use crate::pool::PoolDescription;
    use crate::validate::{Checker, PoolRules};

    /// Runs the whole pre-dispatch pipeline (parser, `lanes` checking
    /// threads, ordered stage) over `csv` as a dry run; returns each
    /// reported row as (row, username, error code or "").
    fn dry_run(csv: String, lanes: usize) -> Vec<(u64, String, String)> {
        let pool = PoolDescription::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/samples/pool.json"
        )))
        .expect("sample pool");
        let mut source: Box<dyn RowSource> =
            Box::new(CsvRows::new(std::io::Cursor::new(csv.into_bytes())).expect("header"));
        let first = source.next();
        let mapping = Mapping::by_header([]);
        let compiled = mapping.compile(source.columns()).expect("compile");
        let checker = Checker::new(Some(PoolRules::new(pool)));
        let duplicates = Duplicates::new(checker.case_sensitive());
        let mut read_ahead = crate::read_ahead::start(first, source, lanes).expect("parser");
        let setup = RowChecker {
            mapping: mapping.clone(),
            compiled: compiled.clone(),
            checker,
            dry_run: true,
        };
        let stage = crate::check_stage::start(std::mem::take(&mut read_ahead.lanes), &setup)
            .expect("stage");
        let parts = ReaderParts {
            mapping,
            compiled,
            duplicates,
            selection: Selection {
                shard: None,
                resume: None,
                retry_rejected: false,
            },
            dry_run: true,
            input_bytes: None,
        };
        let (sender, mut receiver) = mpsc::channel(CHANNEL_BATCHES);
        let reader = std::thread::spawn(move || read_rows(read_ahead, stage, parts, sender));
        let mut seen = Vec::new();
        while let Some(mut batch) = receiver.blocking_recv() {
            for item in batch.drain() {
                seen.push(match item {
                    Item::Valid { row, username } => (row, username.to_owned(), String::new()),
                    Item::Done(entry, _) => (entry.row, entry.username, entry.error_code),
                    Item::Send(_) => panic!("a dry run sends nothing"),
                });
            }
        }
        reader.join().expect("reader").expect("no error");
        seen
    }

    #[test]
    fn rows_keep_input_order_across_lanes_and_only_passed_rows_count_as_seen() {
        let mut csv = String::from("username,password,email\n");
        csv.push_str("Ann,Passw0rd!,not-an-email\n"); // 1: refused, does not count
        csv.push_str("ann,Passw0rd!,ann@example.com\n"); // 2: the first "ann"
        for i in 3..=5000 {
            csv.push_str(&format!("user{i},Passw0rd!,u{i}@example.com\n"));
        }
        csv.push_str("ANN,Passw0rd!,ann@example.com\n"); // 5001: case-insensitive pool
        let expected: Vec<(u64, String, String)> = [(1, "Ann", "InvalidEmail"), (2, "ann", "")]
            .into_iter()
            .map(|(r, u, c)| (r, u.to_owned(), c.to_owned()))
            .chain((3..=5000).map(|i| (i, format!("user{i}"), String::new())))
            .chain([(5001, "ANN".to_owned(), "DuplicateUsername".to_owned())])
            .collect();
        for lanes in [1, 3] {
            assert_eq!(dry_run(csv.clone(), lanes), expected, "{lanes} lanes");
        }
    }
}
