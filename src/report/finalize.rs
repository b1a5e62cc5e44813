//! Turns the append-only report log into the report a person reads: one
//! entry per row (the latest), in row order, written to a new file and
//! renamed over the old one, so a crash leaves either the old log or the new
//! report, never half of one. A run's log is nearly in row order (rows finish
//! out of order only within the requests in flight), so one pass through a
//! bounded min-heap usually sorts it (`finalize_sorted`): no spilled files,
//! no second parse. When a row arrives too late for that (far out of order,
//! or a resumed run's appended entries), the log is sorted from the start
//! in chunks of at most [`CHUNK_BYTES`] of entries, spilled to private
//! temporary files beside the report and merged; past [`MAX_CHUNKS`] spilled
//! chunks they are merged into one first, so open files stay bounded too.
//! The error report is rebuilt from the final entries, with each failed
//! row's input cells read again from the input.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use crate::input::ReadSettings;
use crate::mapping::mapped_input::MappedInput;
use crate::mapping::rules::Mapping;
use crate::report::entry::{ReportEntry, Status};
use crate::report::error_write::{Copied, ErrorWriter};
use crate::report::fed_back::{self, RunInput};
use crate::report::finalize_sorted::finalize_nearly_sorted;
use crate::report::read::EntryReader;
use crate::report::row_merge::RowMerge;
use crate::report::tally::ReportTally;
use crate::report::temp_file::TempFile;
use crate::report::write::ReportWriter;

/// Memory of the entries sorted at once (their slots in the vector and
/// their strings), and of the fast path's heap: with typical entries of a
/// real run some 18,000 of them. Larger chunks gain little (the merge is the
/// same streaming pass) and would add to a run's peak memory, which the
/// final rewrite otherwise sets.
pub const CHUNK_BYTES: usize = 8 << 20;

/// Spilled chunks at most before they are merged into one: the merge holds
/// each one open (a file and an 8 KiB buffer).
pub(super) const MAX_CHUNKS: usize = 128;

/// Counts of the final report.
pub type FinalCounts = BTreeMap<Status, u64>;

/// Rewrites `report` in row order, one entry per row; returns the counts.
pub fn finalize_report(report: &Path) -> anyhow::Result<FinalCounts> {
    Ok(finalize_in_chunks(report, Limits::default())?.counts)
}

/// Rewrites `report` like [`finalize_report`]; returns its counts and error
/// codes, counted in the same pass.
pub(crate) fn finalize_tallied(report: &Path) -> anyhow::Result<ReportTally> {
    finalize_in_chunks(report, Limits::default())
}

/// How much the rewrite holds: bytes of entries in memory, spilled chunks.
#[derive(Clone, Copy)]
pub(super) struct Limits {
    pub(super) chunk_bytes: usize,
    pub(super) max_chunks: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            chunk_bytes: CHUNK_BYTES,
            max_chunks: MAX_CHUNKS,
        }
    }
}

/// An entry and its place in the log (ties between a row's entries go to
/// the later one).
pub(super) type Logged = (usize, ReportEntry);

/// Rewrites `report` by the one-pass fast path when the log is nearly
/// sorted, else by sorting it in chunks from the start.
pub(super) fn finalize_in_chunks(report: &Path, limits: Limits) -> anyhow::Result<ReportTally> {
    match finalize_nearly_sorted(report, limits.chunk_bytes)? {
        Some(tally) => Ok(tally),
        None => finalize_by_merge(report, limits),
    }
}

/// Sorts chunks of the log, spills them and merges them.
pub(super) fn finalize_by_merge(report: &Path, limits: Limits) -> anyhow::Result<ReportTally> {
    let mut chunks: Vec<TempFile> = Vec::new();
    let mut current: Vec<Logged> = Vec::new();
    let mut strings = 0;
    for (at, entry) in EntryReader::open(report)?.enumerate() {
        let entry = entry?;
        strings += string_bytes(&entry);
        current.push((at, entry));
        if strings + current.len() * std::mem::size_of::<Logged>() >= limits.chunk_bytes {
            // The next chunks reuse the vector, at the size this one took
            // (growing by doubling left up to twice that).
            let len = current.len();
            chunks.push(spill(report, chunks.len(), &mut current)?);
            current.shrink_to(len);
            strings = 0;
            if chunks.len() >= limits.max_chunks {
                chunks = vec![merge_to_one(report, &chunks)?];
            }
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
        for entry in latest_per_row(&mut current) {
            emit(entry)?;
        }
    } else {
        if !current.is_empty() {
            chunks.push(spill(report, chunks.len(), &mut current)?);
        }
        drop(current);
        merge_chunks(&chunks, &mut emit)?;
    }
    writer.sync()?;
    temp.replace(report)?;
    Ok(tally)
}

/// About the memory `entry`'s strings take.
pub(super) fn string_bytes(entry: &ReportEntry) -> usize {
    let strings = [
        &entry.username,
        &entry.user_sub,
        &entry.delivery_medium,
        &entry.delivery_destination,
        &entry.error_code,
        &entry.error_message,
        &entry.request_id,
        &entry.note,
        &entry.verified,
        &entry.steps,
        &entry.step_error,
    ];
    // An allocation is rounded up to the allocator's size class: ~16 bytes.
    strings
        .iter()
        .filter(|s| s.capacity() > 0)
        .map(|s| s.capacity() + 16)
        .sum()
}

/// Sorts by row, keeping the last entry of each row (log order breaks
/// ties). In place: an unstable sort on (row, place in the log) needs no
/// scratch copy of the entries, as a stable sort would.
fn latest_per_row(entries: &mut Vec<Logged>) -> impl Iterator<Item = ReportEntry> + '_ {
    entries.sort_unstable_by_key(|(at, e)| (e.row, *at));
    // `later` follows `kept` in the sorted order: for the same row it is
    // the later entry, so it takes `kept`'s place.
    entries.dedup_by(|later, kept| {
        let same = later.1.row == kept.1.row;
        if same {
            std::mem::swap(later, kept);
        }
        same
    });
    entries.drain(..).map(|(_, entry)| entry)
}

fn spill(report: &Path, index: usize, entries: &mut Vec<Logged>) -> anyhow::Result<TempFile> {
    let temp = TempFile::beside(report, &format!("sort{index}"))?;
    let mut out = BufWriter::new(temp.handle()?);
    for entry in latest_per_row(entries) {
        write_spilled(&mut out, &entry)?;
    }
    out.flush()?;
    Ok(temp)
}

fn write_spilled(out: &mut impl Write, entry: &ReportEntry) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, entry)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Merges `chunks` into one spilled chunk (it takes the place of the first,
/// so it stays the earliest in the log).
fn merge_to_one(report: &Path, chunks: &[TempFile]) -> anyhow::Result<TempFile> {
    let temp = TempFile::beside(report, "sort0")?;
    let mut out = BufWriter::new(temp.handle()?);
    merge_chunks(chunks, &mut |entry| write_spilled(&mut out, &entry))?;
    out.flush()?;
    drop(out);
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
    use crate::report::entry::test_entry as entry;
    use std::os::unix::fs::PermissionsExt;

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

    /// Writes 2,500 entries out of row order, then a later entry for every
    /// third row, finalizes with `limits` and checks the result is the
    /// in-memory answer: rows 1..=2500 in order, the later entry winning.
    fn finalize_with(limits: impl Fn(usize) -> Limits) {
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
        let one = string_bytes(&entry(n, Status::Failed)) + std::mem::size_of::<Logged>();
        let limits = limits(chunk * one);
        let counts = finalize_by_merge(&path, limits).expect("finalize").counts;
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
        let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(leftovers, 1, "no temporary files left behind");
    }

    #[test]
    fn chunked_merge_matches_in_memory_sort() {
        // More entries than a chunk, with repeats across chunks.
        finalize_with(|chunk_bytes| Limits {
            chunk_bytes,
            max_chunks: MAX_CHUNKS,
        });
    }

    #[test]
    fn chunks_past_the_open_file_limit_are_merged_first() {
        // Chunks of ~100 entries, merged into one whenever there are three:
        // the merged chunk must still lose to the later ones.
        finalize_with(|chunk_bytes| Limits {
            chunk_bytes: chunk_bytes / 10,
            max_chunks: 3,
        });
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
        finalize_in_chunks(
            &path,
            Limits {
                chunk_bytes: 10
                    * (string_bytes(&entry(25, Status::Created)) + std::mem::size_of::<Logged>()),
                max_chunks: MAX_CHUNKS,
            },
        )
        .expect("finalize");
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
