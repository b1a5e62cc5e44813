//! Turns the append-only report log into the report a person reads: one
//! entry per row (the latest), in row order, written to a new file and
//! renamed over the old one, so a crash leaves either the old log or the new
//! report, never half of one. The log can exceed memory, so it is sorted in
//! chunks of [`CHUNK`] entries spilled to private temporary files beside the
//! report and merged. The error report is rebuilt from the final entries,
//! with each failed row's input cells read again from the input.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use crate::input::ReadSettings;
use crate::mapping::mapped_input::MappedInput;
use crate::mapping::rules::Mapping;
use crate::report::entry::{ReportEntry, Status};
use crate::report::error_write::{Copied, ErrorWriter};
use crate::report::fed_back::{self, RunInput};
use crate::report::read::EntryReader;
use crate::report::row_merge::RowMerge;
use crate::report::tally::ReportTally;
use crate::report::temp_file::TempFile;
use crate::report::write::ReportWriter;

/// Entries sorted in memory at once (about 30 MB for typical entries).
pub const CHUNK: usize = 100_000;

/// Counts of the final report.
pub type FinalCounts = BTreeMap<Status, u64>;

/// Rewrites `report` in row order, one entry per row; returns the counts.
pub fn finalize_report(report: &Path) -> anyhow::Result<FinalCounts> {
    Ok(finalize_in_chunks(report, CHUNK)?.counts)
}

/// Rewrites `report` like [`finalize_report`]; returns its counts and error
/// codes, counted in the same pass.
pub(crate) fn finalize_tallied(report: &Path) -> anyhow::Result<ReportTally> {
    finalize_in_chunks(report, CHUNK)
}

fn finalize_in_chunks(report: &Path, chunk: usize) -> anyhow::Result<ReportTally> {
    let mut chunks: Vec<TempFile> = Vec::new();
    let mut current: Vec<ReportEntry> = Vec::new();
    for entry in EntryReader::open(report)? {
        current.push(entry?);
        if current.len() == chunk {
            chunks.push(spill(report, chunks.len(), std::mem::take(&mut current))?);
        }
    }
    let temp = TempFile::beside(report, "final")?;
    let mut writer = ReportWriter::to_temp(&temp)?;
    let mut tally = ReportTally::default();
    let mut emit = |entry: ReportEntry| -> anyhow::Result<()> {
        tally.add(&entry);
        writer.write(&entry)
    };
    if chunks.is_empty() {
        for entry in latest_per_row(current) {
            emit(entry)?;
        }
    } else {
        if !current.is_empty() {
            chunks.push(spill(report, chunks.len(), current)?);
        }
        merge_chunks(&chunks, &mut emit)?;
    }
    writer.sync()?;
    temp.replace(report)?;
    Ok(tally)
}

/// Sorts by row, keeping the last entry of each row (file order breaks ties).
fn latest_per_row(mut entries: Vec<ReportEntry>) -> Vec<ReportEntry> {
    // A stable sort keeps file order among a row's entries.
    entries.sort_by_key(|e| e.row);
    let mut out: Vec<ReportEntry> = Vec::with_capacity(entries.len());
    for entry in entries {
        match out.last_mut() {
            Some(last) if last.row == entry.row => *last = entry,
            _ => out.push(entry),
        }
    }
    out
}

fn spill(report: &Path, index: usize, entries: Vec<ReportEntry>) -> anyhow::Result<TempFile> {
    let temp = TempFile::beside(report, &format!("sort{index}"))?;
    let mut out = BufWriter::new(temp.handle()?);
    for entry in latest_per_row(entries) {
        serde_json::to_writer(&mut out, &entry)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(temp)
}

/// Merges sorted chunks; for a row in several chunks the later chunk
/// (later in the log) wins.
fn merge_chunks(
    chunks: &[TempFile],
    emit: &mut dyn FnMut(ReportEntry) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let streams = chunks
        .iter()
        .map(|c| {
            let lines = BufReader::new(c.read_from_start()?).lines();
            Ok(lines.map(|line| Ok(serde_json::from_str::<ReportEntry>(&line?)?)))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let names = chunks
        .iter()
        .map(|c| c.path().display().to_string())
        .collect();
    let mut pending: Option<ReportEntry> = None;
    for merged in RowMerge::new(streams, names) {
        let (entry, _) = merged?;
        // Equal rows come in chunk order, so the last one seen is the latest.
        if let Some(p) = pending.take().filter(|p| p.row != entry.row) {
            emit(p)?;
        }
        pending = Some(entry);
    }
    if let Some(p) = pending {
        emit(p)?;
    }
    Ok(())
}

/// Rebuilds the error report from the final `report`: its rows that are
/// not `created`/`exists`, with their cells read again from `input` (which
/// must be a file; rows are matched by number, both sides in row order).
/// Each entry's `source_row` is carried into it, so an error report of a
/// run over an error report still names the rows of the first input.
pub(crate) fn rewrite_errors(
    report: &Path,
    errors: &Path,
    input: &Path,
    read: &ReadSettings,
    mapping: &Mapping,
) -> anyhow::Result<()> {
    let RunInput {
        input:
            MappedInput {
                source: mut rows,
                first,
                mut compiled,
            },
        mapping,
        ..
    } = fed_back::open(input, read, mapping)?;
    let columns = std::sync::Arc::clone(rows.columns());
    let temp = TempFile::beside(errors, "final")?;
    let copied = Copied {
        names: columns.names(),
        secret: compiled.uncopied_columns(),
        open_ended: mapping.missing_columns_empty,
    };
    let mut writer = ErrorWriter::to_temp(&temp, &copied)?;
    let mut row = first;
    for entry in EntryReader::open(report)? {
        let entry = entry?;
        if entry.status.is_none_or(Status::is_success) {
            continue;
        }
        // Advance the input to this entry's row.
        loop {
            let number = match &row {
                Some(Ok(r)) => r.number,
                Some(Err(e)) => e.number,
                None => u64::MAX,
            };
            if number >= entry.row {
                break;
            }
            row = rows.next();
        }
        let cells = match &mut row {
            Some(Ok(r)) if r.number == entry.row => {
                mapping.keep_compiled_for(&mut compiled, &r.columns)?;
                compiled.redact(r);
                Some(&*r)
            }
            _ => None,
        };
        writer.write(&entry, cells)?;
    }
    writer.sync()?;
    temp.replace(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn entry(row: u64, status: Status) -> ReportEntry {
        ReportEntry {
            row,
            username: format!("user{row}"),
            status: Some(status),
            source_row: Some(row * 10),
            ..ReportEntry::default()
        }
    }

    #[test]
    fn latest_entry_per_row_in_row_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.csv");
        let mut writer = ReportWriter::create(&path, false).expect("create");
        for e in [
            entry(3, Status::Failed),
            entry(1, Status::Created),
            entry(2, Status::Invalid),
            entry(3, Status::Exists),
        ] {
            writer.write(&e).expect("write");
        }
        writer.sync().expect("sync");
        let counts = finalize_report(&path).expect("finalize");
        let rows: Vec<(u64, Option<Status>)> = EntryReader::open(&path)
            .expect("open")
            .map(|e| e.map(|e| (e.row, e.status)).expect("entry"))
            .collect();
        assert_eq!(
            rows,
            [
                (1, Some(Status::Created)),
                (2, Some(Status::Invalid)),
                (3, Some(Status::Exists))
            ]
        );
        assert_eq!(counts.get(&Status::Exists), Some(&1));
        assert_eq!(counts.get(&Status::Failed), None);
        let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(leftovers, 1, "no temporary files left behind");
    }

    #[test]
    fn chunked_merge_matches_in_memory_sort() {
        // More entries than a chunk, out of order, with repeats across chunks.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.ndjson");
        let mut writer = ReportWriter::create(&path, false).expect("create");
        let chunk = 1000;
        let n = (chunk as u64) * 2 + 500;
        for i in 0..n {
            // A permutation of 1..=n: 7919 is prime and does not divide n.
            let row = (i * 7919) % n + 1;
            writer.write(&entry(row, Status::Failed)).expect("write");
        }
        for row in (1..=n).step_by(3) {
            writer.write(&entry(row, Status::Created)).expect("write");
        }
        writer.sync().expect("sync");
        let counts = finalize_in_chunks(&path, chunk).expect("finalize").counts;
        let mut expected_row = 0;
        for e in EntryReader::open(&path).expect("open") {
            let e = e.expect("entry");
            expected_row += 1;
            assert_eq!(e.row, expected_row);
            let want = if (e.row - 1) % 3 == 0 {
                Status::Created
            } else {
                Status::Failed
            };
            assert_eq!(e.status, Some(want), "row {}", e.row);
            assert_eq!(e.source_row, Some(e.row * 10), "source_row comes along");
        }
        assert_eq!(expected_row, n);
        assert_eq!(counts.values().sum::<u64>(), n);
    }

    #[test]
    fn links_planted_at_the_old_predictable_names_are_never_written_through() {
        // Before random names, the rewrite opened `.final-PID-NAME` and
        // `.sortN-PID-NAME` with truncate, following a planted link.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.ndjson");
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep me").expect("write");
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let pid = std::process::id();
        for tag in ["final", "sort0", "sort1", "sort2"] {
            let link = dir.path().join(format!(".{tag}-{pid}-report.ndjson"));
            std::os::unix::fs::symlink(&victim, link).expect("symlink");
        }
        let mut writer = ReportWriter::create(&path, false).expect("create");
        for row in (1..=25).rev() {
            writer.write(&entry(row, Status::Created)).expect("write");
        }
        writer.sync().expect("sync");
        finalize_in_chunks(&path, 10).expect("finalize");
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep me");
        let mode = std::fs::metadata(&victim)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "the victim's mode is untouched");
        let meta = std::fs::symlink_metadata(&path).expect("meta");
        assert!(meta.is_file(), "the report is a file, not a link");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let rows: Vec<u64> = EntryReader::open(&path)
            .expect("open")
            .map(|e| e.expect("entry").row)
            .collect();
        assert_eq!(rows, (1..=25).collect::<Vec<u64>>());
    }
}
