//! Report files hold personal data, so every one of them (reports, error
//! reports) is opened here, owner read/write only; their temporary files
//! are made by [`crate::report::temp_file`].
//!
//! A report path that is a symbolic link is refused, never written
//! through: whoever could plant the link would choose which file a run
//! truncates, appends to and makes owner-only. The opens use `O_NOFOLLOW`,
//! so a link that appears after [`refuse_symlink`] looked is refused too.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Refuses a report path that is a symbolic link (dangling or not).
pub(crate) fn refuse_symlink(path: &Path) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(symlink_error(path)),
        _ => Ok(()),
    }
}

fn symlink_error(path: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "{} is a symlink; a report is never written through a link (name the file itself, or remove the link)",
        path.display()
    )
}

/// Whether an open of `path` failed because it is a link (`O_NOFOLLOW`
/// gives ELOOP; with `O_EXCL`, a link is an existing name).
fn is_symlink_error(e: &std::io::Error, path: &Path) -> bool {
    e.raw_os_error() == Some(libc::ELOOP) || refuse_symlink(path).is_err()
}

/// Creates a report file, owner read/write only.
pub(crate) fn create_private(path: &Path, overwrite: bool) -> anyhow::Result<File> {
    let mut options = OpenOptions::new();
    options
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW);
    if overwrite {
        // Truncated below, once the file is known to be no other's too.
        options.create(true);
    } else {
        options.create_new(true);
    }
    let file = options.open(path).map_err(|e| {
        if is_symlink_error(&e, path) {
            symlink_error(path)
        } else if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} already exists; pass --overwrite to replace it (or --resume to continue the run it records)",
                path.display()
            )
        } else {
            anyhow::anyhow!("cannot create {}: {e}", path.display())
        }
    })?;
    refuse_hard_link(&file, path)?;
    file.set_len(0)
        .map_err(|e| anyhow::anyhow!("cannot empty {}: {e}", path.display()))?;
    // `mode` applies only to new files; an overwritten one keeps its old bits.
    owner_only(&file, path)?;
    Ok(file)
}

/// Refuses a file with more than one name: a hard link to another file at a
/// report path would make a run truncate or append to that file, as a
/// symbolic link would.
fn refuse_hard_link(file: &File, path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let links = file
        .metadata()
        .map_err(|e| anyhow::anyhow!("cannot inspect {}: {e}", path.display()))?
        .nlink();
    if links > 1 {
        anyhow::bail!(
            "{} has {links} names (hard links): a report is never written through another file's name; name a new file",
            path.display()
        );
    }
    Ok(())
}

/// Whether `a` and `b` name one file: one device and inode when both exist
/// (a symlink, a hard link or another spelling of one path), else one
/// absolute path (for files not created yet).
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    if let (Ok(a), Ok(b)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        return a.dev() == b.dev() && a.ino() == b.ino();
    }
    let absolute = |path: &Path| {
        let name = path.file_name()?;
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
        let dir = dir.unwrap_or(Path::new(".")).canonicalize().ok()?;
        Some(dir.join(name))
    };
    a == b || absolute(a).zip(absolute(b)).is_some_and(|(a, b)| a == b)
}

/// Opens an existing report file to continue it, at its end when `append`
/// (else at the start, for the caller to cut and seek), made owner-only.
pub(crate) fn open_private(path: &Path, append: bool) -> anyhow::Result<File> {
    let file = OpenOptions::new()
        .write(!append)
        .append(append)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| match is_symlink_error(&e, path) {
            true => symlink_error(path),
            false => anyhow::anyhow!("cannot open {} to continue it: {e}", path.display()),
        })?;
    refuse_hard_link(&file, path)?;
    owner_only(&file, path)?;
    Ok(file)
}

fn owner_only(file: &File, path: &Path) -> anyhow::Result<()> {
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| anyhow::anyhow!("cannot make {} owner-only: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_at_a_report_path_is_refused_and_never_written_through() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep me").expect("write");
        let link = dir.path().join("report.csv");
        std::os::unix::fs::symlink(&victim, &link).expect("symlink");
        let dangling = dir.path().join("errors.csv");
        std::os::unix::fs::symlink(dir.path().join("absent"), &dangling).expect("symlink");
        for path in [&link, &dangling] {
            let errors = [
                create_private(path, true).err(),
                create_private(path, false).err(),
                open_private(path, true).err(),
                open_private(path, false).err(),
                refuse_symlink(path).err(),
            ];
            for err in errors {
                let err = err.expect("refused").to_string();
                assert!(err.contains(&path.display().to_string()), "{err}");
                assert!(err.contains("is a symlink"), "{err}");
            }
        }
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep me");
        assert!(!dir.path().join("absent").exists());
        assert!(refuse_symlink(&victim).is_ok() && refuse_symlink(&dir.path().join("new")).is_ok());
    }
}
