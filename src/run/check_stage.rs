//! The checking stage: maps and checks rows on every core. Each checking
//! thread takes the parsed batches of one read-ahead lane and returns each
//! with a verdict per record, over a lane of its own, so the ordered stage
//! after it ([`crate::run::ordered`]) sees batches in input order by taking one
//! from each lane in turn. Only what needs input order
//! is left for that stage: duplicate detection and the resume/shard decision.

use std::ops::Range;
use std::sync::mpsc::Receiver;
use std::thread::JoinHandle;

use anyhow::Context;
use tokio::sync::mpsc;

use crate::checks::duplicates::username_hash;
use crate::checks::formats::has_control_byte;
use crate::checks::row_error::RowError;
use crate::checks::validate::Checker;
use crate::input::read_ahead::{RowBatch, RowView};
use crate::input::Cells;
use crate::mapping::rules::{Compiled, Mapping, Prepared};

/// Checked batches waiting in each lane. In a real run the lanes stay
/// full (sending is slower than checking), so this is memory held for the
/// whole run: a batch and a prepared request for each of its valid rows.
const CHECKED_AHEAD: usize = 2;

/// A parsed batch and a verdict for each of its records, in order.
pub(crate) struct CheckedBatch {
    pub(crate) rows: RowBatch,
    pub(crate) verdicts: Vec<RowVerdict>,
    /// The usernames of the verdicts, end to end.
    pub(crate) usernames: String,
}

/// One record's outcome before duplicate detection.
pub(crate) struct RowVerdict {
    /// Where the username (as mapped) is in the batch's `usernames`.
    pub(crate) username: Range<usize>,
    /// The username's duplicate-detection hash (under the pool's case rule).
    pub(crate) hash: u64,
    pub(crate) outcome: RowCheck,
}

/// What the checks made of one record. (Boxed payloads: most rows pass a
/// dry run, and a small outcome keeps the batch's verdicts compact.)
pub(crate) enum RowCheck {
    /// Passed every check in a dry run: nothing will be sent.
    Passed,
    /// Passed every check: the request pieces to send.
    Send(Box<Prepared>),
    /// Refused locally, and why.
    Refused(Box<RowError>),
    /// The record could not be read (its error is in the batch); no username.
    Unreadable,
}

/// What each checking thread starts from.
#[derive(Clone)]
pub(crate) struct RowChecker {
    pub(crate) mapping: Mapping,
    pub(crate) compiled: Compiled,
    pub(crate) checker: Checker,
    pub(crate) dry_run: bool,
}

/// The checking stage's outputs, one lane per thread, and the threads.
pub(crate) struct CheckStage {
    lanes: Vec<mpsc::Receiver<anyhow::Result<CheckedBatch>>>,
    threads: Vec<JoinHandle<()>>,
}

/// A checking lane: checked batches of one thread, in its input order.
pub(crate) type CheckedLane = mpsc::Receiver<anyhow::Result<CheckedBatch>>;

impl CheckStage {
    /// The lanes (for the ordered stage to read in turn) and the threads
    /// (to join when the input is done).
    pub(crate) fn into_parts(self) -> (Vec<CheckedLane>, Vec<JoinHandle<()>>) {
        (self.lanes, self.threads)
    }
}

/// Starts one checking thread per read-ahead lane.
pub(crate) fn start(
    inputs: Vec<Receiver<RowBatch>>,
    checker: &RowChecker,
) -> anyhow::Result<CheckStage> {
    let mut stage = CheckStage {
        lanes: Vec::with_capacity(inputs.len()),
        threads: Vec::with_capacity(inputs.len()),
    };
    for (i, input) in inputs.into_iter().enumerate() {
        let (sender, lane) = mpsc::channel(CHECKED_AHEAD);
        let worker = Worker {
            literal_controls: checker.mapping.literal_controls(),
            setup: checker.clone(),
            prepared: Prepared::default(),
        };
        let thread = std::thread::Builder::new()
            .name(format!("bulk-signup-check-{i}"))
            .spawn(move || worker.run(&input, &sender))
            .context("cannot start a checking thread")?;
        stage.lanes.push(lane);
        stage.threads.push(thread);
    }
    Ok(stage)
}

struct Worker {
    setup: RowChecker,
    /// The mapping's constants or template text hold a control character,
    /// so every row may (see [`Mapping::literal_controls`]).
    literal_controls: bool,
    /// Every row is mapped into this one value, reusing its strings.
    prepared: Prepared,
}

impl Worker {
    fn run(
        mut self,
        input: &Receiver<RowBatch>,
        output: &mpsc::Sender<anyhow::Result<CheckedBatch>>,
    ) {
        while let Ok(rows) = input.recv() {
            let checked = self.check_batch(rows);
            let failed = checked.is_err();
            // A closed lane: the run is over (interrupted, or it failed).
            if output.blocking_send(checked).is_err() || failed {
                return;
            }
        }
    }

    fn check_batch(&mut self, mut rows: RowBatch) -> anyhow::Result<CheckedBatch> {
        rows.check_utf8();
        // One scan of the batch's text settles control characters for all
        // its rows at once, unless the mapping's own text brings some.
        let controls = self.literal_controls || has_control_byte(rows.text().as_bytes());
        self.setup.checker.set_controls_possible(controls);
        let mut verdicts = Vec::with_capacity(rows.len());
        let mut usernames = String::new();
        for record in rows.records() {
            verdicts.push(match record {
                Ok(row) => self.verdict(&row, &mut usernames)?,
                Err(_) => RowVerdict {
                    username: usernames.len()..usernames.len(),
                    hash: 0,
                    outcome: RowCheck::Unreadable,
                },
            });
        }
        Ok(CheckedBatch {
            rows,
            verdicts,
            usernames,
        })
    }

    fn verdict(&mut self, row: &RowView, usernames: &mut String) -> anyhow::Result<RowVerdict> {
        let setup = &mut self.setup;
        setup
            .mapping
            .keep_compiled_for(&mut setup.compiled, row.columns())?;
        let compiled = &setup.compiled;
        let prepared = &mut self.prepared;
        let start = usernames.len();
        let outcome = match compiled.apply_into(row, prepared) {
            // A refused row keeps its username (as mapped so far) for its entry.
            Err(e) => {
                usernames.push_str(&compiled.username_of(row));
                RowCheck::Refused(Box::new(e))
            }
            Ok(()) => {
                usernames.push_str(&prepared.username);
                match setup.checker.check(prepared) {
                    Err(e) => RowCheck::Refused(Box::new(compiled.locate(e))),
                    Ok(()) if setup.dry_run => RowCheck::Passed,
                    Ok(()) => {
                        // The next row's attributes get room for as many at
                        // once, not grown from nothing (a copy per row).
                        let attributes = prepared.attributes.len();
                        let send = std::mem::take(prepared);
                        prepared.attributes.reserve_exact(attributes);
                        RowCheck::Send(Box::new(send))
                    }
                }
            }
        };
        let username = start..usernames.len();
        Ok(RowVerdict {
            hash: username_hash(&usernames[username.clone()], setup.checker.case_sensitive()),
            username,
            outcome,
        })
    }
}
