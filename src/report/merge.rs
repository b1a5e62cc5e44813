//! `bulk-signup merge-reports OUT REPORT...`: combines the final reports of
//! the shards of one input into one report in row order. Each shard report
//! is already in row order, so this is a streaming k-way merge; a row found
//! in two reports means they are not shards of one run, and is refused.
//! The merge is written to a temporary file beside `OUT` and moved into
//! place only when complete, so a refused merge leaves no half-merged file.

use std::path::{Path, PathBuf};

use anyhow::bail;

use crate::report::read::EntryReader;
use crate::report::row_merge::RowMerge;
use crate::report::temp_file::TempFile;
use crate::report::write::ReportWriter;

/// Merges `inputs` into `out`; returns the number of rows written.
pub fn merge_reports(out: &Path, inputs: &[PathBuf], overwrite: bool) -> anyhow::Result<u64> {
    if inputs.is_empty() {
        bail!("name at least one shard report to merge");
    }
    let readers = inputs
        .iter()
        .map(|p| EntryReader::open(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if !overwrite && out.exists() {
        bail!(
            "{} already exists; pass --overwrite to replace it",
            out.display()
        );
    }
    let names = inputs.iter().map(|p| p.display().to_string()).collect();
    let temp = TempFile::beside(out, "final")?;
    let mut writer = ReportWriter::to_temp(&temp)?;
    let mut last: Option<(u64, usize)> = None;
    let mut written = 0;
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
        writer.write(&entry)?;
        written += 1;
        last = Some((entry.row, i));
    }
    writer.sync()?;
    // Without --overwrite, a file that appeared meanwhile is refused.
    match overwrite {
        true => temp.replace(out)?,
        false => temp.place_new(out)?,
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::entry::{ReportEntry, Status};

    fn report(path: &Path, rows: &[u64]) {
        let mut writer = ReportWriter::create(path, false).expect("create");
        for row in rows {
            let entry = ReportEntry {
                row: *row,
                username: format!("u{row}"),
                status: Some(Status::Created),
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
        report(&a, &[1, 4, 5]);
        report(&b, &[2, 3, 6]);
        let out = dir.path().join("all.csv");
        assert_eq!(
            merge_reports(&out, &[a.clone(), b.clone()], false).expect("merge"),
            6
        );
        let rows: Vec<u64> = EntryReader::open(&out)
            .expect("open")
            .map(|e| e.expect("entry").row)
            .collect();
        assert_eq!(rows, [1, 2, 3, 4, 5, 6]);
        let err =
            merge_reports(&dir.path().join("x.csv"), &[a.clone(), a], false).expect_err("overlap");
        assert!(err.to_string().contains("row 1 is in both"), "{err}");
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
        report(&a, &[1, 2]);
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep me").expect("write");
        let link = format!(".final-{}-all.csv", std::process::id());
        std::os::unix::fs::symlink(&victim, dir.path().join(link)).expect("symlink");
        let out = dir.path().join("all.csv");
        for overwrite in [false, true] {
            assert_eq!(
                merge_reports(&out, std::slice::from_ref(&a), overwrite).expect("merge"),
                2
            );
        }
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep me");
        assert!(std::fs::symlink_metadata(&out).expect("meta").is_file());
    }
}
