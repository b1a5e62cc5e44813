//! The single writer: owns the results report, the error report, the
//! progress display, the `--timeline` and the per-status tally. Entries go
//! to the files in row order where they can ([`Reorder`]: an entry waits
//! for an earlier row still in flight for two flush intervals at most), are
//! buffered, and reach the files at least every [`FLUSH_INTERVAL`] (the run
//! loop's timer) and at the end, so a crash loses at most two intervals'.

use std::time::Duration;

use crate::input::Row;
use crate::report::entry::{ReportEntry, Status};
use crate::report::error_write::ErrorWriter;
use crate::report::summary::Summary;
use crate::report::tally::add_code;
use crate::report::write::ReportWriter;
use crate::run::progress::Progress;
use crate::run::reorder::Reorder;
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
    written: Written,
    /// Finished rows waiting for an earlier one still in flight.
    reorder: Reorder<Finished>,
}

/// A finished row: its entry and, when kept, the row for the error report.
type Finished = (Box<ReportEntry>, Option<Row>);

/// What the files have been given.
struct Written {
    /// Entries written since the files were last flushed.
    dirty: bool,
    /// Every entry so far had a higher row number than the one before.
    in_row_order: bool,
    last_row: u64,
}

impl Written {
    fn note(&mut self, row: u64) {
        self.in_row_order &= row > self.last_row;
        self.last_row = row;
        self.dirty = true;
    }
}

/// Where entries leave the sink for the files: the report and, for failed
/// rows, the error report.
struct Files<'a> {
    report: &'a mut ReportWriter,
    errors: Option<&'a mut ErrorWriter>,
    written: &'a mut Written,
    failed: Option<anyhow::Error>,
}

impl Files<'_> {
    fn write(&mut self, entry: &ReportEntry, row: Option<&Row>) -> anyhow::Result<()> {
        self.written.note(entry.row);
        self.report.write(entry)?;
        if entry.status.is_some_and(|status| !status.is_success()) {
            if let Some(errors) = self.errors.as_deref_mut() {
                errors.write(entry, row)?;
            }
        }
        Ok(())
    }

    /// For the reorder's callbacks: the first error is kept, later entries
    /// are not written after it.
    fn take(&mut self, (entry, row): Finished) {
        if self.failed.is_none() {
            if let Err(e) = self.write(&entry, row.as_ref()) {
                self.failed = Some(e);
            }
        }
    }

    fn done(self) -> anyhow::Result<()> {
        self.failed.map_or(Ok(()), Err)
    }
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
            written: Written {
                dirty: false,
                in_row_order: true,
                last_row: 0,
            },
            reorder: Reorder::default(),
        }
    }

    /// Runs `step` on the reorder; the rows it lets out go to the files.
    fn through_reorder(
        &mut self,
        step: impl FnOnce(&mut Reorder<Finished>, &mut dyn FnMut(Finished)),
    ) -> anyhow::Result<()> {
        let mut files = Files {
            report: &mut self.report,
            errors: self.errors.as_mut(),
            written: &mut self.written,
            failed: None,
        };
        step(&mut self.reorder, &mut |item| files.take(item));
        files.done()
    }

    /// Row `row` is handed to the sender: later rows' entries wait for it.
    pub(crate) fn in_flight(&mut self, row: u64) {
        self.reorder.in_flight(row);
    }

    /// Row `row` will have no entry (its sending was called off).
    pub(crate) fn dropped(&mut self, row: u64) -> anyhow::Result<()> {
        self.through_reorder(|reorder, out| reorder.dropped(row, out))
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
        self.written.in_row_order
    }

    /// Records one finished row (`row`, when kept, for the error report).
    /// Boxed, as sent rows' entries come (see [`crate::send::dispatch::Dispatcher::send`]).
    pub(crate) fn record(
        &mut self,
        entry: impl Into<Box<ReportEntry>>,
        row: Option<Row>,
    ) -> anyhow::Result<()> {
        let entry = entry.into();
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
            // Counted in place: the map's `entry` would take a copy of the
            // medium's name for every row.
            let messages = &mut self.summary.messages;
            match messages.get_mut(&entry.delivery_medium) {
                Some(count) => *count += 1,
                None => {
                    messages.insert(entry.delivery_medium.clone(), 1);
                }
            }
        }
        add_code(&mut self.summary.error_codes, &entry.error_code);
        if let Some(status) = entry.status {
            self.count(status);
        }
        // The display hears of it at the next batch or flush: once per row
        // would cost more than the rest of the bookkeeping here.
        self.through_reorder(|reorder, out| reorder.finished(entry.row, (entry, row), out))
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
        self.written.note(row);
        self.report.write_valid(row, source_row, username)?;
        self.count(Status::Valid);
        Ok(())
    }

    fn count(&mut self, status: Status) {
        self.tally[status.index()] += 1;
        self.unshown += 1;
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
        self.through_reorder(|reorder, out| reorder.tick(out))?;
        if let Some(timeline) = self.timeline.as_mut() {
            if let Err(e) = timeline.tick(&self.tally) {
                // A picture of the run, not a record of it: the run goes on.
                tracing::error!("cannot write the --timeline file, stopping it: {e:#}");
                self.timeline = None;
            }
        }
        if self.written.dirty {
            self.report.flush()?;
            if let Some(errors) = self.errors.as_mut() {
                errors.flush()?;
            }
            self.written.dirty = false;
        }
        Ok(())
    }

    /// Flushes, clears the progress display and returns the tally.
    pub(crate) fn finish(mut self) -> anyhow::Result<Summary> {
        self.through_reorder(|reorder, out| reorder.drain(out))?;
        self.written.dirty = true;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::entry::test_entry as entry;
    use crate::report::read::EntryReader;

    fn rows_in(path: &std::path::Path) -> Vec<u64> {
        EntryReader::open(path)
            .expect("open")
            .map(|e| e.expect("entry").row)
            .collect()
    }

    /// A sink writing `report.csv` in a new directory, rows 1 and 2 handed
    /// out and row 2 finished.
    fn rows_1_and_2_in_flight_2_finished() -> (tempfile::TempDir, Sink) {
        let dir = tempfile::tempdir().expect("tempdir");
        let report = ReportWriter::create(&dir.path().join("report.csv"), false).expect("report");
        let mut sink = Sink::new(report, None, Progress::new(false, None), false);
        sink.in_flight(1);
        sink.in_flight(2);
        sink.record(entry(2, Status::Created), None).expect("2");
        (dir, sink)
    }

    /// Rows sent finish in any order, refused rows are settled between
    /// them: the report still comes out in row order, final as written.
    #[test]
    fn entries_reach_the_report_in_row_order_whatever_order_rows_finish_in() {
        let (dir, mut sink) = rows_1_and_2_in_flight_2_finished();
        let path = dir.path().join("report.csv");
        sink.record(entry(3, Status::Invalid), None)
            .expect("3 refused");
        sink.in_flight(4);
        sink.in_flight(5);
        sink.record(entry(5, Status::Created), None).expect("5");
        sink.flush().expect("flush");
        // Nothing has been let out ahead of row 1.
        assert!(rows_in(&path).is_empty());
        sink.record(entry(1, Status::Created), None).expect("1");
        sink.dropped(4).expect("4 called off");
        assert!(sink.in_row_order());
        let summary = sink.finish().expect("finish");
        assert_eq!(rows_in(&path), vec![1, 2, 3, 5]);
        assert_eq!(summary.counts[&Status::Created], 3);
    }

    /// A row that keeps the others waiting through a whole flush interval
    /// lets them go: the report is then out of order, to be rewritten.
    #[test]
    fn entries_do_not_wait_past_a_flush_interval() {
        let (dir, mut sink) = rows_1_and_2_in_flight_2_finished();
        let path = dir.path().join("report.csv");
        sink.flush().expect("first tick");
        sink.flush().expect("a whole interval later");
        assert_eq!(rows_in(&path), vec![2]);
        sink.record(entry(1, Status::Created), None).expect("1");
        assert!(!sink.in_row_order());
        sink.finish().expect("finish");
        assert_eq!(rows_in(&path), vec![2, 1]);
    }
}
