//! The pipeline's ordered stage, run inside the concurrent loop
//! ([`crate::run::fan_out`]): takes checked batches in input order (one from each
//! checking lane in turn: rows were parsed by [`crate::input::read_ahead`] and mapped
//! and checked by [`crate::run::check_stage`] on other threads), finds
//! duplicates, asks the [`Selection`] whether this run sends each row, and
//! settles it: valid (dry run) and invalid rows become report entries at
//! once; rows to send go to the loop's queue.

use std::thread::JoinHandle;

use tokio::sync::mpsc;

use crate::checks::duplicates::{duplicate_error, Duplicates};
use crate::checks::row_error::RowError;
use crate::input::read_ahead::{ReadAhead, Recycler, RowBatch, RowView};
use crate::input::{Cells, Row};
use crate::mapping::rules::{Compiled, Mapping, Prepared};
use crate::report::entry::{ReportEntry, Status};
use crate::report::error_columns::source_row;
use crate::run::check_stage::{CheckStage, CheckedBatch, RowCheck};
use crate::run::selection::{Decision, Selection};

/// A row to send.
pub(crate) struct Outgoing {
    pub(crate) prepared: Prepared,
    /// Kept for the error report; its password cells are blanked.
    pub(crate) row: Row,
    /// An earlier run may already have created this user.
    pub(crate) maybe_sent: bool,
    /// The row of the original input, when the input is an error report.
    pub(crate) source_row: Option<u64>,
    /// An earlier run signed the row up with this status: only its steps
    /// after sign-up are to run.
    pub(crate) steps_only: Option<Status>,
}

/// Where settled rows go (the sink and the send queue, in a run).
pub(crate) trait Settled {
    /// A dry run found the row valid (`source_row`: see [`Outgoing`]).
    fn valid(&mut self, row: u64, source_row: Option<u64>, username: &str) -> anyhow::Result<()>;
    /// The row is refused without a request; `row` (password cells blank)
    /// for the error report, when the record could be read.
    fn refused(&mut self, entry: ReportEntry, row: Option<Row>) -> anyhow::Result<()>;
    /// The row is to be sent.
    fn send(&mut self, outgoing: Outgoing);
}

/// What the ordered stage needs besides the rows.
pub(crate) struct OrderedParts {
    /// For blanking password cells of rows kept for the error report.
    pub(crate) mapping: Mapping,
    pub(crate) compiled: Compiled,
    pub(crate) duplicates: Duplicates,
    pub(crate) selection: Selection,
    pub(crate) dry_run: bool,
    /// An error report is written: a row's cells are kept for it. Without
    /// one, a row keeps only its number (copying every cell of every row
    /// for nothing was a few percent of a run's CPU).
    pub(crate) keep_cells: bool,
    /// The input is an error report of an earlier run: each row's entry
    /// records the original input's row it stands for.
    pub(crate) fed_back: bool,
    /// The input file's size, when it is a file: with the first batch's
    /// bytes per row it tells how many rows to expect.
    pub(crate) input_bytes: Option<u64>,
}

/// How far ahead of the row at hand its duplicate-table slot is fetched.
const PREFETCH_AHEAD: usize = 8;

/// The ordered stage and the threads that feed it.
pub(crate) struct Ordered {
    parts: OrderedParts,
    lanes: Vec<mpsc::Receiver<anyhow::Result<CheckedBatch>>>,
    /// The lane the next batch in input order comes from.
    next: usize,
    recycler: Recycler,
    estimated: bool,
    /// The highest record number read, every shard's rows included.
    rows_read: u64,
    parser: JoinHandle<()>,
    checkers: Vec<JoinHandle<()>>,
}

impl Ordered {
    /// The highest record number read so far (the input's row count, once
    /// the input is done).
    pub(crate) fn rows_read(&self) -> u64 {
        self.rows_read
    }

    pub(crate) fn new(read_ahead: ReadAhead, stage: CheckStage, parts: OrderedParts) -> Self {
        let (lanes, checkers) = stage.into_parts();
        Ordered {
            parts,
            lanes,
            next: 0,
            recycler: read_ahead.recycler(),
            estimated: false,
            rows_read: 0,
            parser: read_ahead.into_thread(),
            checkers,
        }
    }

    /// The next checked batch in input order; `None` at the end of the
    /// input. Cancel-safe: a cancelled call takes nothing.
    pub(crate) async fn next_batch(&mut self) -> Option<anyhow::Result<CheckedBatch>> {
        let batch = self.lanes.get_mut(self.next)?.recv().await?;
        self.next = (self.next + 1) % self.lanes.len();
        Some(batch)
    }

    /// Stops the stages before this one (the run was interrupted).
    pub(crate) fn close(&mut self) {
        for lane in &mut self.lanes {
            lane.close();
        }
    }

    /// After the last batch: the feeding threads ended cleanly. A lane ends
    /// at the end of the input or when its thread died; only the first is
    /// a finished input.
    pub(crate) fn finish(self) -> anyhow::Result<()> {
        // Closed lanes first: a checker blocked on a full lane whose reader
        // is gone would otherwise never end, and the join never return.
        drop(self.lanes);
        for thread in self.checkers {
            thread
                .join()
                .map_err(|_| anyhow::anyhow!("a checking thread panicked"))?;
        }
        self.parser
            .join()
            .map_err(|_| anyhow::anyhow!("the parsing thread panicked"))
    }

    /// Settles every row of `batch` into `out`. An error ends the run:
    /// unreadable input, or a resumed report that does not belong to this input.
    pub(crate) fn settle(
        &mut self,
        batch: CheckedBatch,
        out: &mut impl Settled,
    ) -> anyhow::Result<()> {
        if !self.estimated {
            self.estimated = true;
            if let Some(expected) = expected_rows(&batch.rows, self.parts.input_bytes) {
                self.parts.duplicates.expect_rows(expected);
            }
        }
        let CheckedBatch {
            rows,
            verdicts,
            usernames,
        } = batch;
        let hashes: Vec<u64> = verdicts.iter().map(|v| v.hash).collect();
        for (i, (record, verdict)) in rows.records().zip(verdicts).enumerate() {
            if let Some(ahead) = hashes.get(i + PREFETCH_AHEAD) {
                self.parts.duplicates.prefetch(*ahead);
            }
            let username = &usernames[verdict.username.clone()];
            let (number, outcome) = match (&record, verdict.outcome) {
                (Err(e), _) if e.fatal => return Err(anyhow::anyhow!("{e}")),
                (Err(e), _) => (
                    e.number,
                    RowCheck::Refused(Box::new(RowError::new(
                        "UnreadableRecord",
                        None,
                        &e.message,
                    ))),
                ),
                (Ok(row), outcome) => (row.number(), outcome),
            };
            self.rows_read = self.rows_read.max(number);
            let outcome = self.refuse_a_duplicate(outcome, verdict.hash, number);
            let decision = self
                .parts
                .selection
                .decide(number, username)
                .map_err(|m| anyhow::anyhow!(m))?;
            let (maybe_sent, steps_only) = match decision {
                Decision::Skip => continue,
                Decision::Process { maybe_sent } => (maybe_sent, None),
                Decision::Steps { status } => (false, Some(status)),
            };
            // Read before `owned` blanks the report's own cells.
            let source_row = match (&record, self.parts.fed_back) {
                (Ok(row), true) => source_row(row),
                _ => None,
            };
            match (outcome, record.ok()) {
                (RowCheck::Passed | RowCheck::Send(_), _) if self.parts.dry_run => {
                    out.valid(number, source_row, username)?
                }
                (RowCheck::Send(prepared), Some(row)) => out.send(Outgoing {
                    prepared: *prepared,
                    row: self.owned(&row)?,
                    maybe_sent,
                    source_row,
                    steps_only,
                }),
                (RowCheck::Refused(error), row) => {
                    let row = row.map(|row| self.owned(&row)).transpose()?;
                    let mut entry = invalid_entry(number, username.to_owned(), &error);
                    entry.source_row = source_row;
                    out.refused(entry, row)?;
                }
                (RowCheck::Passed | RowCheck::Send(_) | RowCheck::Unreadable, _) => {
                    anyhow::bail!("row {number} passed its checks without a request to send")
                }
            }
        }
        self.recycler.recycle(rows);
        Ok(())
    }

    /// A passed row whose username an earlier row has is refused. Refused
    /// rows create no user, so only passed rows count for duplicate
    /// detection; they count even when this run skips them.
    fn refuse_a_duplicate(&mut self, outcome: RowCheck, hash: u64, number: u64) -> RowCheck {
        match outcome {
            RowCheck::Passed | RowCheck::Send(_) => {
                match self.parts.duplicates.first_row_of(hash, number) {
                    // Named after the column the username comes from.
                    Some(first) => RowCheck::Refused(Box::new(
                        self.parts.compiled.locate(duplicate_error(first)),
                    )),
                    None => outcome,
                }
            }
            RowCheck::Refused(_) | RowCheck::Unreadable => outcome,
        }
    }

    /// An owned copy of a row kept for a request or the error report, its
    /// password cells blanked first (its number alone when no error report
    /// is written).
    fn owned(&mut self, row: &RowView) -> anyhow::Result<Row> {
        let parts = &mut self.parts;
        // Kept up to date either way: duplicates are located with it too.
        parts
            .mapping
            .keep_compiled_for(&mut parts.compiled, row.columns())?;
        if !parts.keep_cells {
            return Ok(row.to_row_without_cells());
        }
        Ok(row.to_row_blanking(parts.compiled.uncopied_indices()))
    }
}

/// How many rows a file of `input_bytes` holds if its rows are as long as
/// this first batch's (plus a tenth for shorter rows later on). Rows are
/// taken to be at least 32 bytes, so a file that starts with unusually short
/// rows does not reserve a huge table (the table grows if the guess is low).
fn expected_rows(rows: &RowBatch, input_bytes: Option<u64>) -> Option<usize> {
    let per_row = rows.bytes_per_record()?;
    let rows = input_bytes?.checked_div(per_row.max(32))?;
    usize::try_from(rows + rows / 10).ok()
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
    use crate::checks::pool_rules::PoolRules;
    use crate::checks::validate::Checker;
    use crate::input::{CsvRows, RowSource};
    use crate::run::check_stage::RowChecker;
    use crate::send::cognito::pool::PoolDescription;
    use std::sync::Arc;

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
        let compiled = mapping
            .compile(Arc::clone(source.columns()))
            .expect("compile");
        let checker = Checker::new(Some(PoolRules::new(pool)));
        let mut read_ahead = crate::input::read_ahead::start(first, source, lanes).expect("parser");
        let setup = RowChecker {
            mapping: mapping.clone(),
            compiled: compiled.clone(),
            checker,
            dry_run: true,
        };
        let stage = crate::run::check_stage::start(read_ahead.take_lanes(), &setup).expect("stage");
        let parts = OrderedParts {
            mapping,
            compiled,
            duplicates: Duplicates::default(),
            selection: Selection {
                shard: None,
                resume: None,
                retry_rejected: false,
                steps: false,
            },
            dry_run: true,
            keep_cells: true,
            fed_back: false,
            input_bytes: None,
        };
        let mut ordered = Ordered::new(read_ahead, stage, parts);
        let mut seen = Collected::default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            while let Some(batch) = ordered.next_batch().await {
                ordered
                    .settle(batch.expect("checked"), &mut seen)
                    .expect("settled");
            }
        });
        ordered.finish().expect("threads end cleanly");
        seen.0
    }

    /// Settled rows as (row, username, error code or "").
    #[derive(Default)]
    struct Collected(Vec<(u64, String, String)>);

    impl Settled for Collected {
        fn valid(&mut self, row: u64, _: Option<u64>, username: &str) -> anyhow::Result<()> {
            self.0.push((row, username.to_owned(), String::new()));
            Ok(())
        }
        fn refused(&mut self, entry: ReportEntry, _row: Option<Row>) -> anyhow::Result<()> {
            self.0.push((entry.row, entry.username, entry.error_code));
            Ok(())
        }
        fn send(&mut self, _outgoing: Outgoing) {
            panic!("a dry run sends nothing");
        }
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
