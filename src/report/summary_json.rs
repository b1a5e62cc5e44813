//! `--summary-json FILE`: the end-of-run summary for scripts, written
//! owner-only at the end of every run that got under way (also when
//! interrupted or stopped). Its status and error-code counts are read back
//! from the report itself, so they always agree with it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::report::private_file::create_private;
use crate::report::summary::Summary;
use crate::report::tally::ReportTally;

/// The value of `format`: marks a file as a summary of this tool, which
/// `--resume` may replace.
const FORMAT: &str = "bulk-signup summary 1";

/// The file's contents (README "Summary JSON").
#[derive(Debug, Serialize)]
pub(crate) struct SummaryJson {
    pub format: String,
    pub exit_code: u8,
    pub interrupted: bool,
    pub dry_run: bool,
    pub stopped_by: Option<String>,
    pub rows: u64,
    pub counts: BTreeMap<String, u64>,
    pub error_codes: BTreeMap<String, u64>,
    pub session_rows: u64,
    pub duration_seconds: f64,
    pub rows_per_second: f64,
    pub requests: u64,
    pub throttled: u64,
    pub retries: u64,
    pub final_rate: f64,
    pub step_requests: u64,
    pub step_throttled: u64,
    pub step_failures: u64,
    pub messages: BTreeMap<String, u64>,
}

impl SummaryJson {
    /// The summary of this session with the report's `tally`.
    pub(crate) fn new(summary: &Summary, tally: &ReportTally) -> SummaryJson {
        let secs = summary.elapsed.as_secs_f64();
        let counts = crate::report::entry::Status::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str().to_owned(),
                    tally.counts.get(s).copied().unwrap_or(0),
                )
            })
            .collect();
        SummaryJson {
            format: FORMAT.to_owned(),
            exit_code: summary.exit_code(),
            interrupted: summary.interrupted,
            dry_run: summary.dry_run,
            stopped_by: summary.stopped_by.clone(),
            rows: tally.counts.values().sum(),
            counts,
            error_codes: tally.error_codes.clone(),
            session_rows: summary.session_rows,
            duration_seconds: secs,
            rows_per_second: summary.session_rows as f64 / secs.max(1e-9),
            requests: summary.requests,
            throttled: summary.throttled,
            retries: summary.retries,
            final_rate: summary.final_rate,
            step_requests: summary.step_requests,
            step_throttled: summary.step_throttled,
            step_failures: summary.step_failures,
            messages: summary.messages.clone(),
        }
    }
}

/// Before any row is sent: without `--overwrite` an existing file is
/// refused, except that `--resume` replaces a summary of this tool (the
/// one the interrupted run wrote).
pub(crate) fn refuse_existing(path: &Path, overwrite: bool, resuming: bool) -> anyhow::Result<()> {
    if overwrite || std::fs::symlink_metadata(path).is_err() {
        return Ok(());
    }
    if resuming && is_summary(path) {
        return Ok(());
    }
    let hint = match resuming {
        true => "it is not a summary of bulk-signup, and --resume would replace it: pass --overwrite to replace it, or give --summary-json another path",
        false => "pass --overwrite to replace it",
    };
    anyhow::bail!("--summary-json {} already exists; {hint}", path.display())
}

/// Whether `path` holds a summary this tool wrote.
fn is_summary(path: &Path) -> bool {
    // Any version of the format: only its marker is read.
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|v| {
            v["format"]
                .as_str()
                .is_some_and(|f| f.starts_with("bulk-signup summary"))
        })
}

/// Reads the final `report` back (`None`: this run wrote none) and writes
/// the summary to `path`, owner-only (replacing a file `refuse_existing`
/// let through).
pub(crate) fn write(
    path: &Path,
    report: Option<&Path>,
    summary: &Summary,
    replace: bool,
) -> anyhow::Result<()> {
    let tally = match report.filter(|r| r.exists()) {
        Some(report) => ReportTally::read(report)?,
        None => ReportTally::default(),
    };
    let json = SummaryJson::new(summary, &tally);
    let mut file = create_private(path, replace)?;
    serde_json::to_writer_pretty(&mut file, &json)?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    Ok(())
}
