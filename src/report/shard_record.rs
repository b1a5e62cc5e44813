//! What a finished `--shard K/N` run leaves beside its report, so that
//! `merge-reports` can prove the shards it merges are all of one input and
//! complete: `REPORT.shard.json` holds the shard, the input's row count and
//! the report's entry count. It is removed when a run starts writing the
//! report and written only once the report is final, so its presence means
//! "this report is a finished shard", and the entry count catches a report
//! changed since.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::report::private_file::create_private;

/// The record of one finished shard run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ShardRecord {
    /// K of `--shard K/N`.
    pub(crate) shard: u64,
    /// N of `--shard K/N`.
    pub(crate) shards: u64,
    /// Records in the whole input (every shard reads all of them).
    pub(crate) input_rows: u64,
    /// Entries in the final report: this shard's rows.
    pub(crate) report_entries: u64,
}

/// `REPORT.shard.json`, beside the report.
pub(crate) fn path_for(report: &Path) -> PathBuf {
    let mut name = report.as_os_str().to_owned();
    name.push(".shard.json");
    PathBuf::from(name)
}

/// Removes the record of an earlier run, if any: the report is being
/// written again, so it is not a finished shard until this run says so.
pub(crate) fn remove(report: &Path) -> anyhow::Result<()> {
    let path = path_for(report);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Writes the record of a finished shard run beside `report`.
pub(crate) fn write(report: &Path, record: &ShardRecord) -> anyhow::Result<()> {
    let path = path_for(report);
    let mut file = create_private(&path, true)?;
    let text = serde_json::to_string_pretty(record)?;
    writeln!(file, "{text}").with_context(|| format!("cannot write {}", path.display()))?;
    file.sync_all()?;
    Ok(())
}

/// Reads the record beside `report`; its absence means the report is not
/// a finished shard's.
pub(crate) fn read(report: &Path) -> anyhow::Result<ShardRecord> {
    let path = path_for(report);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        anyhow::anyhow!(
            "{} is not the report of a finished --shard run (no {} beside it): finish (or --resume) that shard's run first",
            report.display(),
            path.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a shard record", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_written_read_back_and_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let report = dir.path().join("shard1.csv");
        assert!(read(&report).is_err(), "no record yet");
        let record = ShardRecord {
            shard: 1,
            shards: 3,
            input_rows: 240,
            report_entries: 77,
        };
        write(&report, &record).expect("write");
        assert_eq!(path_for(&report), dir.path().join("shard1.csv.shard.json"));
        assert_eq!(read(&report).expect("read"), record);
        remove(&report).expect("remove");
        let err = read(&report).expect_err("removed").to_string();
        assert!(err.contains("finished --shard run"), "{err}");
        remove(&report).expect("removing nothing is fine");
    }
}
