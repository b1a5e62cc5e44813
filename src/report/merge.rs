//! `bulk-signup merge-reports OUT REPORT...`: combines the final reports of
//! the shards of one input into one report in row order. Each shard report
//! is already in row order, so this is a streaming k-way merge; a row found
//! in two reports means they are not shards of one run, and is refused.
//! The merge is written to a temporary file beside `OUT` and moved into
//! place only when complete, so a refused merge leaves no half-merged file.

use std::path::{Path, PathBuf};

use anyhow::bail;

use crate::report::private_file::same_file;
use crate::report::read::EntryReader;
use crate::report::row_merge::RowMerge;
use crate::report::shard_record::{self, ShardRecord};
use crate::report::temp_file::TempFile;
use crate::report::write::ReportWriter;

/// What a merge wrote, and what it could not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    /// Entries written to the merged report.
    pub rows: u64,
    /// Records in the input the shards were cut from.
    pub input_rows: u64,
    /// N of the shards' `--shard K/N`.
    pub shards: u64,
    /// Shards of `K/N` that no merged report is, in order.
    pub missing_shards: Vec<u64>,
    /// The input's rows no merged report has, as ranges (first, last).
    pub missing_rows: Vec<(u64, u64)>,
}

impl MergeOutcome {
    /// Whether every row of the input is in the merged report.
    pub fn is_complete(&self) -> bool {
        self.missing_rows.is_empty()
    }

    /// What is missing, for the user: the shards to merge too and the rows.
    pub fn missing_text(&self) -> String {
        let shards = self.shards;
        let count: u64 = self.missing_rows.iter().map(|(a, b)| b - a + 1).sum();
        let ranges: Vec<String> = self
            .missing_rows
            .iter()
            .take(10)
            .map(|(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        let more = if self.missing_rows.len() > 10 {
            ", …"
        } else {
            ""
        };
        let shard_list: Vec<String> = self
            .missing_shards
            .iter()
            .map(|k| format!("{k}/{shards}"))
            .collect();
        format!(
            "{count} of the input's {} rows are in no merged report (rows {}{more}); missing shard reports: {}. Merge them too.",
            self.input_rows,
            ranges.join(", "),
            if shard_list.is_empty() { "none".to_owned() } else { shard_list.join(", ") }
        )
    }
}

/// Merges the finished shard reports `inputs` into `out`. Refuses (and
/// writes nothing) when a report is not a finished shard's, when they are
/// shards of different runs, or when two cover one row; a merge that lacks
/// rows is written, and says which are missing.
pub fn merge_reports(
    out: &Path,
    inputs: &[PathBuf],
    overwrite: bool,
) -> anyhow::Result<MergeOutcome> {
    if inputs.is_empty() {
        bail!("name at least one shard report to merge");
    }
    let readers = inputs
        .iter()
        .map(|p| EntryReader::open(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    refuse_output_over_inputs(out, inputs)?;
    let records = shard_records(inputs)?;
    if !overwrite && out.exists() {
        bail!(
            "{} already exists; pass --overwrite to replace it",
            out.display()
        );
    }
    let (shards, input_rows) = (records[0].shards, records[0].input_rows);
    let temp = TempFile::beside(out, "final")?;
    let mut writer = ReportWriter::to_temp(&temp)?;
    let mut outcome = MergeOutcome {
        rows: 0,
        input_rows,
        shards,
        missing_shards: (1..=shards)
            .filter(|k| !records.iter().any(|r| r.shard == *k))
            .collect(),
        missing_rows: Vec::new(),
    };
    let mut entries = vec![0u64; inputs.len()];
    let mut last: Option<(u64, usize)> = None;
    let names = inputs.iter().map(|p| p.display().to_string()).collect();
    for merged in RowMerge::new(readers, names) {
        let (entry, i) = merged
            .map_err(|e| anyhow::anyhow!("{e}; finish (or resume) that shard's run first"))?;
        if let Some((last_row, last_file)) = last.filter(|(row, _)| *row == entry.row) {
            bail!(
                "row {last_row} is in both {} and {}: merge the final reports of the shards of one run",
                inputs[last_file].display(),
                inputs[i].display()
            );
        }
        note_gap(
            &mut outcome.missing_rows,
            last.map_or(0, |(row, _)| row),
            entry.row,
        );
        writer.write(&entry)?;
        outcome.rows += 1;
        entries[i] += 1;
        last = Some((entry.row, i));
    }
    note_gap(
        &mut outcome.missing_rows,
        last.map_or(0, |(row, _)| row),
        input_rows + 1,
    );
    refuse_changed_reports(inputs, &records, &entries)?;
    writer.sync()?;
    // Without --overwrite, a file that appeared meanwhile is refused.
    match overwrite {
        true => temp.replace(out)?,
        false => temp.place_new(out)?,
    }
    Ok(outcome)
}

/// The merged report never replaces what it merges: a shard report, its
/// shard record, or (through a link) anything else.
fn refuse_output_over_inputs(out: &Path, inputs: &[PathBuf]) -> anyhow::Result<()> {
    crate::report::private_file::refuse_symlink(out)?;
    for input in inputs {
        let record = shard_record::path_for(input);
        if same_file(out, input) || same_file(out, &record) {
            bail!(
                "{} is one of the files merged ({}): give the merged report a new name",
                out.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// The shard records of `inputs`, checked to be shards of one run: one
/// count of shards, one input row count, no shard twice.
fn shard_records(inputs: &[PathBuf]) -> anyhow::Result<Vec<ShardRecord>> {
    let records = inputs
        .iter()
        .map(|p| shard_record::read(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let first = &records[0];
    for (record, path) in records.iter().zip(inputs).skip(1) {
        if record.shards != first.shards || record.input_rows != first.input_rows {
            bail!(
                "{} is shard {}/{} of a {}-row input, but {} is shard {}/{} of a {}-row input: merge the shards of one run",
                inputs[0].display(),
                first.shard,
                first.shards,
                first.input_rows,
                path.display(),
                record.shard,
                record.shards,
                record.input_rows
            );
        }
    }
    for (i, record) in records.iter().enumerate() {
        if let Some(j) = records[..i].iter().position(|r| r.shard == record.shard) {
            bail!(
                "{} and {} are both shard {}/{}: merge each shard's report once",
                inputs[j].display(),
                inputs[i].display(),
                record.shard,
                record.shards
            );
        }
    }
    Ok(records)
}

/// Records rows strictly between `after` and `before` as missing.
fn note_gap(missing: &mut Vec<(u64, u64)>, after: u64, before: u64) {
    if before > after + 1 {
        missing.push((after + 1, before - 1));
    }
}

/// A report whose entry count differs from its shard record's was changed
/// (cut, appended to, resumed and stopped) after its run finished.
fn refuse_changed_reports(
    inputs: &[PathBuf],
    records: &[ShardRecord],
    entries: &[u64],
) -> anyhow::Result<()> {
    for ((path, record), read) in inputs.iter().zip(records).zip(entries) {
        if *read != record.report_entries {
            bail!(
                "{} has {read} entries, but its run finished with {}: it changed since; run that shard again (--resume) to finish it",
                path.display(),
                record.report_entries
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::entry::{ReportEntry, Status};

    /// A finished shard `shard`/`shards` report of a `input_rows`-row input.
    fn shard(path: &Path, rows: &[u64], shard: u64, shards: u64, input_rows: u64) {
        report(path, rows);
        let record = ShardRecord {
            shard,
            shards,
            input_rows,
            report_entries: rows.len() as u64,
        };
        shard_record::write(path, &record).expect("record");
    }

    fn report(path: &Path, rows: &[u64]) {
        let mut writer = ReportWriter::create(path, false).expect("create");
        for row in rows {
            let entry = ReportEntry {
                row: *row,
                username: format!("u{row}"),
                status: Some(Status::Created),
                source_row: Some(row + 100),
                ..ReportEntry::default()
            };
            writer.write(&entry).expect("write");
        }
        writer.sync().expect("sync");
    }

    #[test]
    fn interleaves_shards_in_row_order_and_refuses_overlaps() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a.csv");
        let b = dir.path().join("b.ndjson");
        shard(&a, &[1, 4, 5], 1, 2, 6);
        shard(&b, &[2, 3, 6], 2, 2, 6);
        let out = dir.path().join("all.csv");
        let merged = merge_reports(&out, &[a.clone(), b.clone()], false).expect("merge");
        assert_eq!(merged.rows, 6);
        assert!(merged.is_complete(), "{merged:?}");
        let rows: Vec<(u64, Option<u64>)> = EntryReader::open(&out)
            .expect("open")
            .map(|e| e.map(|e| (e.row, e.source_row)).expect("entry"))
            .collect();
        let sources = (1..=6).map(|row| (row, Some(row + 100)));
        assert_eq!(rows, sources.collect::<Vec<_>>(), "source_row comes along");
        let err = merge_reports(&dir.path().join("x.csv"), &[a.clone(), a.clone()], false)
            .expect_err("twice");
        assert!(err.to_string().contains("are both shard 1/2"), "{err}");
        // Two shards of one run that cover one row: edited after the run.
        let c = dir.path().join("c.csv");
        shard(&c, &[2, 4], 2, 2, 6);
        let err = merge_reports(&dir.path().join("y.csv"), &[a, c], false).expect_err("overlap");
        assert!(err.to_string().contains("row 4 is in both"), "{err}");
        assert!(
            merge_reports(&out, &[b], false).is_err(),
            "existing output needs --overwrite"
        );
    }

    #[test]
    fn a_link_planted_at_the_old_predictable_name_is_never_written_through() {
        // Before random names, the merge opened `.final-PID-OUT` with
        // truncate, following a planted link.
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a.csv");
        shard(&a, &[1, 2], 1, 1, 2);
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep me").expect("write");
        let link = format!(".final-{}-all.csv", std::process::id());
        std::os::unix::fs::symlink(&victim, dir.path().join(link)).expect("symlink");
        let out = dir.path().join("all.csv");
        for overwrite in [false, true] {
            let merged = merge_reports(&out, std::slice::from_ref(&a), overwrite).expect("merge");
            assert_eq!(merged.rows, 2);
        }
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep me");
        assert!(std::fs::symlink_metadata(&out).expect("meta").is_file());
    }

    #[test]
    fn two_of_three_shards_merge_but_say_which_rows_and_shard_are_missing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, c) = (dir.path().join("a.csv"), dir.path().join("c.csv"));
        shard(&a, &[1, 4, 7], 1, 3, 9);
        shard(&c, &[3, 6, 9], 3, 3, 9);
        let out = dir.path().join("all.csv");
        let merged = merge_reports(&out, &[a, c], false).expect("merge");
        assert_eq!(merged.rows, 6);
        assert_eq!(merged.missing_shards, [2]);
        assert_eq!(merged.missing_rows, [(2, 2), (5, 5), (8, 8)]);
        let text = merged.missing_text();
        assert!(text.contains("3 of the input's 9 rows"), "{text}");
        assert!(text.contains("rows 2, 5, 8"), "{text}");
        assert!(text.contains("missing shard reports: 2/3"), "{text}");
    }

    #[test]
    fn a_report_without_a_record_or_changed_since_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a.csv");
        report(&a, &[1, 2]);
        let err = merge_reports(&dir.path().join("x.csv"), std::slice::from_ref(&a), false)
            .expect_err("no record");
        assert!(err.to_string().contains("finished --shard run"), "{err}");
        // The record says 3 entries; the report (cut since) has 2.
        let record = ShardRecord {
            shard: 1,
            shards: 1,
            input_rows: 3,
            report_entries: 3,
        };
        shard_record::write(&a, &record).expect("record");
        let err = merge_reports(&dir.path().join("y.csv"), &[a], false).expect_err("changed");
        assert!(err.to_string().contains("changed since"), "{err}");
        assert!(!dir.path().join("y.csv").exists());
    }
}
