//! Private temporary files beside a report (the final rewrite, its sorted
//! chunks, `merge-reports`' output) and the sweep of those a killed run left.
//!
//! Anyone who can write the report's directory could plant a symlink at a
//! predictable name and have a run write through it, so a temporary file
//! gets an unpredictable name and is created with `O_EXCL` (`tempfile`):
//! never an existing file or link. It is owner-only (0600, it holds personal
//! data), removed when dropped, and moved into place by an atomic rename.
//!
//! Names are `.{TAG}-{PID}-{RANDOM}-{NAME}`: `TAG` is `final` or `sortN`,
//! `PID` the creating process, `RANDOM` [`RANDOM_LEN`] ASCII letters and
//! digits, `NAME` the target's file name (last, so its extension still
//! decides the file's format). The PID lets [`sweep_stale`] leave a live
//! process's files alone.

use std::fs::{File, Permissions};
use std::io::{Seek, SeekFrom};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::Context;
use tempfile::NamedTempFile;

/// Random characters in a temporary file's name (62^10 ≈ 8 × 10^17 names).
const RANDOM_LEN: usize = 10;

/// A private temporary file beside a target file; removed when dropped
/// unless moved into place.
pub(crate) struct TempFile(NamedTempFile);

impl TempFile {
    /// Creates a new, empty temporary file in `target`'s directory (the
    /// same file system, so the final rename is atomic).
    pub(crate) fn beside(target: &Path, tag: &str) -> anyhow::Result<TempFile> {
        let file = tempfile::Builder::new()
            .prefix(&format!(".{tag}-{}-", std::process::id()))
            .suffix(&format!("-{}", file_name(target)))
            .rand_bytes(RANDOM_LEN)
            .permissions(Permissions::from_mode(0o600))
            .tempfile_in(dir_of(target))
            .with_context(|| {
                format!("cannot create a temporary file beside {}", target.display())
            })?;
        Ok(TempFile(file))
    }

    pub(crate) fn path(&self) -> &Path {
        self.0.path()
    }

    /// A handle to write the file through (its offset is shared with the
    /// file's own handle; nothing else uses it).
    pub(crate) fn handle(&self) -> anyhow::Result<File> {
        self.0
            .as_file()
            .try_clone()
            .with_context(|| format!("cannot use {}", self.path().display()))
    }

    /// A handle positioned at the start, to read back what was written.
    /// The open handle is used, never the name, which could be swapped.
    pub(crate) fn read_from_start(&self) -> anyhow::Result<File> {
        let mut file = self.handle()?;
        file.seek(SeekFrom::Start(0))?;
        Ok(file)
    }

    /// Renames the file over `target` (a link at `target` is replaced, not
    /// followed).
    pub(crate) fn replace(self, target: &Path) -> anyhow::Result<()> {
        self.0
            .persist(target)
            .map(drop)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot replace {} with its new version", target.display()))
    }

    /// Moves the file to `target`, refusing a file (or link) that appeared
    /// there meanwhile.
    pub(crate) fn place_new(self, target: &Path) -> anyhow::Result<()> {
        self.0
            .persist_noclobber(target)
            .map(drop)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write {}", target.display()))
    }
}

fn file_name(target: &Path) -> String {
    target
        .file_name()
        .map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned())
}

fn dir_of(target: &Path) -> &Path {
    target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Removes temporary files a killed run left beside `target` (they may
/// hold personal data). Only regular files with this module's names for
/// `target` whose process is gone are removed: never a link, a directory
/// or another process's file (without /proc nobody can tell, so nothing is
/// removed).
pub(crate) fn sweep_stale(target: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let name = file_name(target);
    let Ok(entries) = std::fs::read_dir(dir_of(target)) else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = stale_temp_pid(&entry.file_name().to_string_lossy(), &name) else {
            continue;
        };
        // `file_type` does not follow links (lstat), and unlink removes a
        // name, never what a link points to.
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if regular && !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The PID in `.final-PID-RANDOM-NAME` or `.sortN-PID-RANDOM-NAME` (this
/// module's names for target `NAME`), or `None` for any other file.
fn stale_temp_pid(file: &str, name: &str) -> Option<u32> {
    let rest = file.strip_suffix(name)?.strip_suffix('-')?;
    let (rest, random) = rest.rsplit_once('-')?;
    let random_ok = random.len() == RANDOM_LEN && random.bytes().all(|b| b.is_ascii_alphanumeric());
    let (tag, pid) = rest.rsplit_once('-')?;
    let tag_ok = tag == ".final"
        || tag
            .strip_prefix(".sort")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let pid_ok = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    if random_ok && tag_ok && pid_ok {
        pid.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_temporary_file_is_private_unpredictable_and_removed_unless_placed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("report.csv");
        let a = TempFile::beside(&target, "final").expect("create");
        let b = TempFile::beside(&target, "final").expect("create");
        assert_ne!(a.path(), b.path(), "two temporaries never share a name");
        let name = a.path().file_name().expect("name").to_string_lossy();
        assert_eq!(
            stale_temp_pid(&name, "report.csv"),
            Some(std::process::id()),
            "{name} has the sweep's pattern"
        );
        assert!(name.ends_with(".csv"), "{name} keeps the extension last");
        let mode = std::fs::metadata(a.path())
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        a.handle()
            .expect("handle")
            .write_all(b"hello")
            .expect("write");
        let mut back = String::new();
        let mut reader = a.read_from_start().expect("reopen");
        reader.read_to_string(&mut back).expect("read");
        assert_eq!(back, "hello");
        drop(b);
        a.replace(&target).expect("replace");
        assert_eq!(names_in(dir.path()), ["report.csv"]);
        let c = TempFile::beside(&target, "final").expect("create");
        assert!(c.place_new(&target).is_err(), "place_new refuses a file");
        assert_eq!(
            names_in(dir.path()),
            ["report.csv"],
            "the refused one is gone"
        );
    }

    #[test]
    fn the_sweep_removes_only_a_dead_runs_regular_files_for_its_target() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("report.csv");
        std::fs::write(&target, "report").expect("write");
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep me").expect("write");
        // PID 1 is always alive; 4194304 is above Linux's largest PID, so
        // never alive.
        let dead = ".final-4194304-aB3dE6gH9k-report.csv";
        for name in [
            dead,
            ".sort3-4194304-Zz0Zz0Zz0Z-report.csv",
            ".final-4194304-aB3dE6gH9k-other.csv",
            ".final-1-aB3dE6gH9k-report.csv",
            ".final-4194304-report.csv",
            ".final-4194304-short-report.csv",
            ".sorted-4194304-aB3dE6gH9k-report.csv",
            ".final-4194304-aB3dE6gH9k-shard2-report.csv",
        ] {
            std::fs::write(dir.path().join(name), "x").expect("write");
        }
        let link = ".final-4194304-LiNk000000-report.csv";
        std::os::unix::fs::symlink(&victim, dir.path().join(link)).expect("symlink");
        let subdir = ".sort0-4194304-DiR0000000-report.csv";
        std::fs::create_dir(dir.path().join(subdir)).expect("mkdir");
        sweep_stale(&target);
        let left = names_in(dir.path());
        assert!(!left.iter().any(|n| n == dead), "{left:?}");
        assert_eq!(
            left.len(),
            10,
            "only the two dead temporaries went: {left:?}"
        );
        assert!(left.iter().any(|n| n == link) && left.iter().any(|n| n == subdir));
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep me");
    }
}
