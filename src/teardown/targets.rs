//! Which users `delete-users` considers: those a run's results report
//! says this tool created, and nothing else. A report is a log while its
//! run is under way (a resumed row gets a later entry), so each row's
//! latest entry decides; only `created` entries with a `user_sub` count.
//! `exists` rows were someone else's users before the run, and every other
//! status created no one.

use std::collections::BTreeMap;
use std::path::Path;

use crate::report::read::EntryReader;
use crate::report::Status;

/// A user the run created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) row: u64,
    pub(crate) username: String,
    pub(crate) user_sub: String,
}

/// The users the report at `path` says were created, in row order.
pub(crate) fn created_users(path: &Path) -> anyhow::Result<Vec<Target>> {
    let mut latest: BTreeMap<u64, Option<Target>> = BTreeMap::new();
    for entry in EntryReader::open(path)? {
        let entry = entry?;
        let created = entry.status == Some(Status::Created) && !entry.user_sub.is_empty();
        let target = created.then_some(Target {
            row: entry.row,
            username: entry.username,
            user_sub: entry.user_sub,
        });
        latest.insert(entry.row, target);
    }
    Ok(latest.into_values().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ReportEntry, ReportWriter};

    fn entry(row: u64, username: &str, status: Status, sub: &str) -> ReportEntry {
        ReportEntry {
            row,
            username: username.to_owned(),
            status: Some(status),
            user_sub: sub.to_owned(),
            ..ReportEntry::default()
        }
    }

    #[test]
    fn only_created_rows_with_a_sub_are_taken_the_latest_entry_deciding() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["run.csv", "run.ndjson"] {
            let path = dir.path().join(name);
            let mut writer = ReportWriter::create(&path, false).expect("create");
            let entries = [
                entry(3, "cat", Status::Created, "sub-cat"),
                entry(1, "ann", Status::Created, "sub-ann"),
                entry(2, "bob", Status::Exists, "sub-bob"),
                entry(4, "dan", Status::Created, ""),
                entry(5, "eve", Status::Failed, ""),
                entry(6, "fay", Status::Rejected, ""),
                // A resumed row: failed first, then created.
                entry(5, "eve", Status::Created, "sub-eve"),
            ];
            for e in &entries {
                writer.write(e).expect("write");
            }
            writer.sync().expect("sync");
            let targets = created_users(&path).expect("read");
            let names: Vec<(u64, &str, &str)> = targets
                .iter()
                .map(|t| (t.row, t.username.as_str(), t.user_sub.as_str()))
                .collect();
            assert_eq!(
                names,
                [
                    (1, "ann", "sub-ann"),
                    (3, "cat", "sub-cat"),
                    (5, "eve", "sub-eve")
                ],
                "{name}"
            );
        }
    }

    #[test]
    fn a_file_that_is_not_a_results_report_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("users.csv");
        std::fs::write(&path, "username,email\nann,a@b.co\n").expect("write");
        let err = created_users(&path).expect_err("refused");
        assert!(
            err.to_string().contains("not a bulk-signup report"),
            "{err}"
        );
    }
}
