//! Opening the deletion report: a new one, or with `--resume` the one an
//! earlier (interrupted, failed or listing-only) deletion left. Users it
//! records as `deleted`, `gone` or `skipped` are settled and not considered
//! again; its `would_delete` and `failed` lines are dropped (the report is
//! rewritten beside itself and renamed into place), so every user has one
//! line when the deletion ends. A settled line for a user the input report
//! does not list as created means the report belongs to another run: it is
//! refused, untouched.

use std::collections::HashSet;
use std::path::Path;

use anyhow::bail;

use crate::report::private_file::refuse_symlink;
use crate::report::temp_file::{sweep_stale, TempFile};
use crate::teardown::deletion_read::read_entries;
use crate::teardown::deletion_write::DeletionWriter;
use crate::teardown::outcome::{DeletionEntry, Outcome};
use crate::teardown::targets::Target;

/// What earlier sessions settled.
#[derive(Debug, Default)]
pub(crate) struct Earlier {
    rows: HashSet<u64>,
    /// Settled users per outcome, indexed by [`Outcome::index`].
    pub(crate) counts: [u64; Outcome::ALL.len()],
}

impl Earlier {
    /// Whether the user at `row` was settled by an earlier session.
    pub(crate) fn settled(&self, row: u64) -> bool {
        self.rows.contains(&row)
    }

    /// How many users earlier sessions settled.
    pub(crate) fn len(&self) -> u64 {
        self.rows.len() as u64
    }
}

/// Creates the deletion report at `path`, or continues it when `resume`
/// and it exists; `targets` (in row order) are the input report's users.
pub(crate) fn open_report(
    path: &Path,
    overwrite: bool,
    resume: bool,
    targets: &[Target],
) -> anyhow::Result<(DeletionWriter, Earlier)> {
    if !(resume && std::fs::symlink_metadata(path).is_ok()) {
        return Ok((DeletionWriter::create(path, overwrite)?, Earlier::default()));
    }
    // Before it is read: a link is refused, never followed.
    refuse_symlink(path)?;
    sweep_stale(path);
    let temp = TempFile::beside(path, "final")?;
    let mut kept = DeletionWriter::to_temp(&temp, path)?;
    let mut earlier = Earlier::default();
    read_entries(path, |entry| {
        if !entry.status.is_settled() {
            return Ok(());
        }
        if !listed(targets, &entry) {
            bail!(
                "{} records row {} ({}, sub {}) as {}, but the input report does not list that user as created by this tool: it is the deletion report of another run. Give --report another path (or --overwrite to start it again)",
                path.display(),
                entry.row,
                entry.username,
                entry.user_sub,
                entry.status.as_str()
            );
        }
        if earlier.rows.insert(entry.row) {
            earlier.counts[entry.status.index()] += 1;
            kept.write(&entry)?;
        }
        Ok(())
    })?;
    kept.sync()?;
    temp.replace(path)?;
    Ok((DeletionWriter::append(path)?, earlier))
}

/// Whether `entry` is about one of `targets`: same row, name and sub.
fn listed(targets: &[Target], entry: &DeletionEntry) -> bool {
    targets
        .binary_search_by_key(&entry.row, |t| t.row)
        .is_ok_and(|i| {
            targets[i].username == entry.username && targets[i].user_sub == entry.user_sub
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(row: u64) -> Target {
        Target {
            row,
            username: format!("u{row}"),
            user_sub: format!("s{row}"),
        }
    }

    fn entry(row: u64, status: Outcome) -> DeletionEntry {
        DeletionEntry {
            row,
            username: format!("u{row}"),
            user_sub: format!("s{row}"),
            status,
            error_code: String::new(),
            error_message: String::new(),
        }
    }

    #[test]
    fn settled_users_are_kept_the_others_dropped_and_a_stranger_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("deleted.csv");
        let mut writer = DeletionWriter::create(&path, false).expect("create");
        for e in [
            entry(1, Outcome::Deleted),
            entry(2, Outcome::WouldDelete),
            entry(3, Outcome::Skipped),
            entry(4, Outcome::Failed),
        ] {
            writer.write(&e).expect("write");
        }
        writer.sync().expect("sync");
        let targets: Vec<Target> = (1..=5).map(target).collect();
        let (mut writer, earlier) = open_report(&path, false, true, &targets).expect("resume");
        assert!(earlier.settled(1) && earlier.settled(3));
        assert!(!earlier.settled(2) && !earlier.settled(4) && !earlier.settled(5));
        assert_eq!(earlier.len(), 2);
        assert_eq!(earlier.counts[Outcome::Skipped.index()], 1);
        writer.write(&entry(5, Outcome::Gone)).expect("write");
        writer.sync().expect("sync");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            text,
            "row,username,user_sub,status,error_code,error_message\n1,u1,s1,deleted,,\n3,u3,s3,skipped,,\n5,u5,s5,gone,,\n"
        );
        let before = text.clone();
        let err = open_report(&path, false, true, &targets[..2])
            .err()
            .expect("refused");
        assert!(err.to_string().contains("another run"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), before);
        let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(leftovers, 1, "no temporary file is left");
    }
}
