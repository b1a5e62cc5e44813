//! `--timeline FILE`: one line per second of the run, for a picture of how
//! it went. The sink calls [`Timeline::tick`] on its flush timer (every
//! 100 ms) and [`Timeline::finish`] at the end, so the timeline has the
//! sink's tally and no task of its own.
//!
//! The line for second `k` holds what happened in (k−1, k]: requests sent
//! (attempts started, retries included), accepted (answers that were not
//! throttles), throttled answers and retries scheduled (each goes out after
//! its backoff) in that second; the
//! requests on the wire and the pacing rate at its end; and the rows
//! settled so far per status (this session's). Each line is read at the
//! first flush tick after its second ends (≤ 100 ms late); a loop stalled
//! over several seconds gives the seconds it missed all-zero deltas rather
//! than no line. A last line, for the part-second the run ended in, is
//! written at the end: its counts are the run's final ones.
//!
//! A `.csv` (or any other name) is written as the run goes, one flushed
//! line a second, so a crash keeps what was written. A `.svg` keeps the
//! samples in memory (one small struct a second) and draws the chart at the
//! end, also after Ctrl-C or a stop; a crash leaves the file empty.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::report::entry::Status;
use crate::report::private_file::create_private;
use crate::report::timeline_chart::{self, Point};
use crate::send::dispatch::Dispatcher;

/// The CSV header: never renamed or reordered (new columns go last).
pub(crate) const HEADER: &str =
    "elapsed_seconds,sent,accepted,throttled,retries,in_flight,pacing_rate";

/// One second.
const SECOND: Duration = Duration::from_secs(1);

/// The run's cumulative figures at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Reading {
    pub(crate) requests: u64,
    pub(crate) accepted: u64,
    pub(crate) throttled: u64,
    pub(crate) retries: u64,
    /// Requests whose call returned.
    pub(crate) returned: u64,
    pub(crate) rate: f64,
    /// Rows per status, indexed like `Status::ALL`.
    pub(crate) statuses: [u64; Status::ALL.len()],
}

/// One line of the timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sample {
    pub(crate) second: u64,
    pub(crate) sent: u64,
    pub(crate) accepted: u64,
    pub(crate) throttled: u64,
    pub(crate) retries: u64,
    pub(crate) in_flight: u64,
    pub(crate) rate: f64,
    pub(crate) statuses: [u64; Status::ALL.len()],
}

impl Sample {
    /// Second `second`: the counters' growth from `before` to `now`, and
    /// `now`'s instantaneous figures.
    pub(crate) fn between(second: u64, before: &Reading, now: &Reading) -> Sample {
        Sample {
            second,
            sent: now.requests.saturating_sub(before.requests),
            accepted: now.accepted.saturating_sub(before.accepted),
            throttled: now.throttled.saturating_sub(before.throttled),
            retries: now.retries.saturating_sub(before.retries),
            in_flight: now.requests.saturating_sub(now.returned),
            rate: now.rate,
            statuses: now.statuses,
        }
    }

    /// The sample as a CSV line (numbers only: nothing to quote).
    fn csv_line(&self) -> String {
        let mut line = format!(
            "{},{},{},{},{},{},{:.2}",
            self.second,
            self.sent,
            self.accepted,
            self.throttled,
            self.retries,
            self.in_flight,
            self.rate
        );
        for count in self.statuses {
            line.push(',');
            line.push_str(&count.to_string());
        }
        line
    }

    fn point(&self) -> Point {
        Point {
            seconds: self.second as f64,
            sent: self.sent as f64,
            accepted: self.accepted as f64,
            throttled: self.throttled as f64,
            in_flight: Some(self.in_flight as f64),
            rate: Some(self.rate),
        }
    }
}

/// The CSV header line, with a column per status.
fn header() -> String {
    let mut header = HEADER.to_owned();
    for status in Status::ALL {
        header.push(',');
        header.push_str(status.as_str());
    }
    header
}

/// Where the samples go.
enum Output {
    Csv(BufWriter<File>),
    Chart {
        file: File,
        path: PathBuf,
        points: Vec<Point>,
    },
}

/// The timeline of one run, from the moment it is started.
pub(crate) struct Timeline {
    started: Instant,
    /// The next second to write a line for.
    next: u64,
    before: Reading,
    dispatcher: Option<Arc<Dispatcher>>,
    output: Output,
}

impl Timeline {
    /// Creates `path` (owner-only; an existing file only when `replace`)
    /// and starts the clock. A `.svg` path gets a chart at the end.
    pub(crate) fn start(
        path: &Path,
        replace: bool,
        dispatcher: Option<Arc<Dispatcher>>,
    ) -> anyhow::Result<Timeline> {
        let file = create_private(path, replace)?;
        let output = match is_chart(path) {
            true => Output::Chart {
                file,
                path: path.to_owned(),
                points: Vec::new(),
            },
            false => {
                let mut csv = BufWriter::new(file);
                writeln!(csv, "{}", header())?;
                csv.flush()?;
                Output::Csv(csv)
            }
        };
        Ok(Timeline {
            started: Instant::now(),
            next: 1,
            before: Reading::default(),
            dispatcher,
            output,
        })
    }

    /// Writes a line for every second that ended since the last call.
    pub(crate) fn tick(&mut self, statuses: &[u64; Status::ALL.len()]) -> anyhow::Result<()> {
        let elapsed = self.started.elapsed();
        while elapsed >= SECOND * u32::try_from(self.next).unwrap_or(u32::MAX) {
            self.record(statuses)?;
        }
        Ok(())
    }

    /// Writes the seconds not yet written and the last, part-second line;
    /// draws the chart of a `.svg`.
    pub(crate) fn finish(mut self, statuses: &[u64; Status::ALL.len()]) -> anyhow::Result<()> {
        self.tick(statuses)?;
        self.record(statuses)?;
        match self.output {
            Output::Csv(mut csv) => csv.flush()?,
            Output::Chart {
                mut file,
                path,
                points,
            } => {
                let title = format!("bulk-signup run: {}", display_name(&path));
                let svg = timeline_chart::render(&points, &title)?;
                file.write_all(svg.as_bytes())?;
                file.sync_all()?;
            }
        }
        Ok(())
    }

    /// One line: the second `next`, read now.
    fn record(&mut self, statuses: &[u64; Status::ALL.len()]) -> anyhow::Result<()> {
        let now = self.reading(statuses);
        let sample = Sample::between(self.next, &self.before, &now);
        (self.before, self.next) = (now, self.next + 1);
        match &mut self.output {
            Output::Csv(csv) => {
                writeln!(csv, "{}", sample.csv_line())?;
                // A crash keeps every line written so far.
                csv.flush()?;
            }
            Output::Chart { points, .. } => points.push(sample.point()),
        }
        Ok(())
    }

    fn reading(&self, statuses: &[u64; Status::ALL.len()]) -> Reading {
        let mut reading = Reading {
            statuses: *statuses,
            ..Reading::default()
        };
        if let Some(dispatcher) = &self.dispatcher {
            let counts = dispatcher.counts();
            reading.requests = counts.requests;
            reading.accepted = counts.accepted;
            reading.throttled = counts.throttled;
            reading.retries = counts.retries;
            reading.returned = counts.returned;
            reading.rate = dispatcher.rate();
        }
        reading
    }
}

/// Whether `path` names a chart (`.svg`, any case) rather than a CSV.
pub(crate) fn is_chart(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"))
}

fn display_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// Before any row is sent: an existing file is refused unless
/// `--overwrite`, or `--resume` and it is a timeline this tool wrote.
pub(crate) fn refuse_existing(path: &Path, overwrite: bool, resuming: bool) -> anyhow::Result<()> {
    if overwrite || std::fs::symlink_metadata(path).is_err() {
        return Ok(());
    }
    if resuming && is_timeline(path) {
        return Ok(());
    }
    let hint = match resuming {
        true => "it is not a timeline of bulk-signup, and --resume would replace it: give --timeline another path",
        false => "pass --overwrite to replace it",
    };
    anyhow::bail!("--timeline {} already exists; {hint}", path.display())
}

/// Whether `path` holds a timeline this tool wrote: the CSV header, or a
/// chart (empty when a run was killed before drawing it).
fn is_timeline(path: &Path) -> bool {
    let Ok(text) = std::fs::read(path) else {
        return false;
    };
    let head = String::from_utf8_lossy(&text[..text.len().min(4096)]);
    match is_chart(path) {
        true => head.is_empty() || head.contains(timeline_chart::MARKER),
        false => head.starts_with(HEADER),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(requests: u64, accepted: u64, throttled: u64, returned: u64) -> Reading {
        Reading {
            requests,
            accepted,
            throttled,
            retries: throttled,
            returned,
            rate: 45.5,
            statuses: [accepted, 0, 0, 0, 0, 0],
        }
    }

    #[test]
    fn a_second_holds_the_growth_of_the_counters_and_the_figures_at_its_end() {
        let before = reading(100, 90, 10, 98);
        let now = reading(150, 130, 17, 146);
        let sample = Sample::between(3, &before, &now);
        assert_eq!(
            (
                sample.second,
                sample.sent,
                sample.accepted,
                sample.throttled
            ),
            (3, 50, 40, 7)
        );
        assert_eq!((sample.retries, sample.in_flight), (7, 4));
        assert_eq!(sample.rate, 45.5);
        assert_eq!(sample.statuses, now.statuses);
        assert_eq!(sample.csv_line(), "3,50,40,7,7,4,45.50,130,0,0,0,0,0");
    }

    #[test]
    fn the_deltas_of_consecutive_seconds_add_up_to_the_totals() {
        let readings = [
            reading(0, 0, 0, 0),
            reading(40, 35, 2, 37),
            reading(40, 35, 2, 40),
            reading(95, 88, 5, 95),
        ];
        let samples: Vec<Sample> = readings
            .windows(2)
            .zip(1..)
            .map(|(pair, second)| Sample::between(second, &pair[0], &pair[1]))
            .collect();
        let sent: u64 = samples.iter().map(|s| s.sent).sum();
        let throttled: u64 = samples.iter().map(|s| s.throttled).sum();
        assert_eq!((sent, throttled), (95, 5));
        let in_flight: Vec<u64> = samples.iter().map(|s| s.in_flight).collect();
        assert_eq!(in_flight, [3, 0, 0]);
        assert_eq!(samples[1].sent, 0, "a quiet second sends nothing");
    }

    #[test]
    fn the_header_has_a_column_per_figure_and_status() {
        let header = header();
        let columns: Vec<&str> = header.split(',').collect();
        assert_eq!(columns.len(), 7 + Status::ALL.len());
        assert_eq!(columns[7], "created");
        let line = Sample::between(1, &Reading::default(), &reading(1, 1, 0, 1)).csv_line();
        assert_eq!(line.split(',').count(), columns.len());
    }

    #[test]
    fn an_existing_file_is_replaced_only_when_asked_or_when_resuming_its_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ours = dir.path().join("t.csv");
        std::fs::write(&ours, format!("{}\n1,0,0,0,0,0,0.00\n", header())).expect("write");
        let other = dir.path().join("users.csv");
        std::fs::write(&other, "username,email\n").expect("write");
        assert!(refuse_existing(&ours, false, false).is_err());
        assert!(refuse_existing(&ours, false, true).is_ok());
        assert!(refuse_existing(&other, false, true).is_err());
        assert!(refuse_existing(&other, true, false).is_ok());
        assert!(refuse_existing(&dir.path().join("new.svg"), false, false).is_ok());
    }
}
