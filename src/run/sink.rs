//! The single writer: owns the results report, the error report, the
//! progress display, the `--timeline` and the per-status tally. Entries are
//! buffered and reach the files at least every [`FLUSH_INTERVAL`] (the run
//! loop's timer) and at the end, so a crash loses at most that much.

use std::time::Duration;

use crate::input::Row;
use crate::report::entry::{ReportEntry, Status};
use crate::report::error_write::ErrorWriter;
use crate::report::summary::Summary;
use crate::report::tally::add_code;
use crate::report::write::ReportWriter;
use crate::run::progress::Progress;
use crate::run::timeline::Timeline;

/// How often buffered report entries reach the file at the latest.
pub(crate) const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// Where finished rows go.
pub(crate) struct Sink {
    report: ReportWriter,
    errors: Option<ErrorWriter>,
    progress: Progress,
    /// `--timeline`: sampled on the flush timer.
    timeline: Option<Timeline>,
    summary: Summary,
    /// Rows per status, indexed like `Status::ALL`; into `summary` at the end.
    tally: [u64; Status::ALL.len()],
    /// Rows finished since the progress display last heard.
    unshown: u64,
    dirty: bool,
    /// Every entry so far had a higher row number than the one before.
    in_row_order: bool,
    last_row: u64,
}

impl Sink {
    pub(crate) fn new(
        report: ReportWriter,
        errors: Option<ErrorWriter>,
        progress: Progress,
        dry_run: bool,
    ) -> Self {
        Sink {
            report,
            errors,
            progress,
            timeline: None,
            summary: Summary {
                dry_run,
                ..Summary::default()
            },
            tally: [0; Status::ALL.len()],
            unshown: 0,
            dirty: false,
            in_row_order: true,
            last_row: 0,
        }
    }

    /// The same sink, also writing `timeline`.
    pub(crate) fn with_timeline(mut self, timeline: Option<Timeline>) -> Self {
        self.timeline = timeline;
        self
    }

    /// Whether this session wrote its entries in strictly increasing row
    /// order (always so in a dry run): a fresh report written so is already
    /// in its final form and needs no rewrite.
    pub(crate) fn in_row_order(&self) -> bool {
        self.in_row_order
    }

    /// Records one finished row.
    pub(crate) fn record(&mut self, entry: ReportEntry, row: Option<&Row>) -> anyhow::Result<()> {
        self.in_row_order &= entry.row > self.last_row;
        self.last_row = entry.row;
        self.report.write(&entry)?;
        // Row numbers and codes only: a log may travel further than the report.
        tracing::debug!(
            row = entry.row,
            status = entry.status.map_or("", Status::as_str),
            attempts = entry.attempts,
            error_code = %entry.error_code,
            "row settled"
        );
        if !entry.step_error.is_empty() {
            self.summary.step_failures += 1;
        }
        // Cognito's word that it sent the new user a code.
        if entry.status == Some(Status::Created) && !entry.delivery_medium.is_empty() {
            *self
                .summary
                .messages
                .entry(entry.delivery_medium.clone())
                .or_default() += 1;
        }
        add_code(&mut self.summary.error_codes, &entry.error_code);
        if let Some(status) = entry.status {
            if !status.is_success() {
                if let Some(errors) = self.errors.as_mut() {
                    errors.write(&entry, row)?;
                }
            }
            self.count(status);
        }
        // The display hears of it at the next batch or flush: once per row
        // would cost more than the rest of the bookkeeping here.
        Ok(())
    }

    /// Records a row a dry run found valid (the bulk of a dry run's rows:
    /// no entry is built). The progress display hears of it at the next
    /// [`Sink::show_progress`].
    pub(crate) fn record_valid(
        &mut self,
        row: u64,
        source_row: Option<u64>,
        username: &str,
    ) -> anyhow::Result<()> {
        self.in_row_order &= row > self.last_row;
        self.last_row = row;
        self.report.write_valid(row, source_row, username)?;
        self.count(Status::Valid);
        Ok(())
    }

    fn count(&mut self, status: Status) {
        self.tally[status.index()] += 1;
        self.unshown += 1;
        self.dirty = true;
    }

    /// Brings the progress display up to date.
    pub(crate) fn show_progress(&mut self) {
        if self.unshown > 0 {
            let tally = self.tally;
            self.progress
                .rows_done(std::mem::take(&mut self.unshown), || short_tally(&tally));
        }
    }

    /// Brings the progress display up to date and pushes buffered entries
    /// to the files, if there are any.
    pub(crate) fn flush(&mut self) -> anyhow::Result<()> {
        self.show_progress();
        if let Some(timeline) = self.timeline.as_mut() {
            if let Err(e) = timeline.tick(&self.tally) {
                // A picture of the run, not a record of it: the run goes on.
                tracing::error!("cannot write the --timeline file, stopping it: {e:#}");
                self.timeline = None;
            }
        }
        if self.dirty {
            self.report.flush()?;
            if let Some(errors) = self.errors.as_mut() {
                errors.flush()?;
            }
            self.dirty = false;
        }
        Ok(())
    }

    /// Flushes, clears the progress display and returns the tally.
    pub(crate) fn finish(mut self) -> anyhow::Result<Summary> {
        self.dirty = true;
        self.flush()?;
        self.progress.finish();
        if let Some(timeline) = self.timeline.take() {
            if let Err(e) = timeline.finish(&self.tally) {
                tracing::error!("cannot finish the --timeline file: {e:#}");
            }
        }
        for (status, count) in Status::ALL.iter().zip(self.tally) {
            if count > 0 {
                self.summary.counts.insert(*status, count);
            }
        }
        Ok(self.summary)
    }
}

/// `created 3, invalid 1`: the counts so far, for the progress display.
fn short_tally(tally: &[u64; Status::ALL.len()]) -> String {
    Status::ALL
        .iter()
        .zip(tally)
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{} {n}", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}
