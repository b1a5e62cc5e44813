//! The single writer: owns the results report, the error report, the
//! progress display and the per-status tally. Entries are buffered and
//! reach the files at least every [`FLUSH_INTERVAL`] (the run loop's timer)
//! and at the end, so a crash loses at most that much.

use std::time::Duration;

use crate::input::Row;
use crate::progress::Progress;
use crate::report::{ErrorWriter, ReportEntry, ReportWriter};
use crate::summary::Summary;

/// How often buffered report entries reach the file at the latest.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// Where finished rows go.
pub struct Sink {
    report: ReportWriter,
    errors: Option<ErrorWriter>,
    progress: Progress,
    summary: Summary,
    dirty: bool,
    /// Every entry so far had a higher row number than the one before.
    in_row_order: bool,
    last_row: u64,
}

impl Sink {
    pub fn new(
        report: ReportWriter,
        errors: Option<ErrorWriter>,
        progress: Progress,
        dry_run: bool,
    ) -> Self {
        Sink {
            report,
            errors,
            progress,
            summary: Summary {
                dry_run,
                ..Summary::default()
            },
            dirty: false,
            in_row_order: true,
            last_row: 0,
        }
    }

    /// Whether this session wrote its entries in strictly increasing row
    /// order (always so in a dry run): a fresh report written so is already
    /// in its final form and needs no rewrite.
    pub fn in_row_order(&self) -> bool {
        self.in_row_order
    }

    /// Records one finished row.
    pub fn record(&mut self, entry: ReportEntry, row: Option<&Row>) -> anyhow::Result<()> {
        self.in_row_order &= entry.row > self.last_row;
        self.last_row = entry.row;
        self.report.write(&entry)?;
        if let Some(status) = entry.status {
            if !status.is_success() {
                if let Some(errors) = self.errors.as_mut() {
                    errors.write(&entry, row)?;
                }
            }
            *self.summary.counts.entry(status).or_insert(0) += 1;
        }
        let summary = &self.summary;
        self.progress.row_done(|| summary.short());
        self.dirty = true;
        Ok(())
    }

    /// Pushes buffered entries to the files, if there are any.
    pub fn flush(&mut self) -> anyhow::Result<()> {
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
    pub fn finish(mut self) -> anyhow::Result<Summary> {
        self.dirty = true;
        self.flush()?;
        self.progress.finish();
        Ok(self.summary)
    }
}
