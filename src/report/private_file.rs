//! Report files hold personal data, so every one of them (reports, error
//! reports, their temporary files) is opened here, owner read/write only.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;

/// Creates a report file, owner read/write only.
pub(crate) fn create_private(path: &Path, overwrite: bool) -> anyhow::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).mode(0o600);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} already exists; pass --overwrite to replace it (or --resume to continue the run it records)",
                path.display()
            )
        } else {
            anyhow::anyhow!("cannot create {}: {e}", path.display())
        }
    })?;
    // `mode` applies only to new files; an overwritten one keeps its old bits.
    owner_only(&file, path)?;
    Ok(file)
}

/// Opens an existing report file to continue it, at its end when `append`
/// (else at the start, for the caller to cut and seek), made owner-only.
pub(crate) fn open_private(path: &Path, append: bool) -> anyhow::Result<File> {
    let file = OpenOptions::new()
        .write(!append)
        .append(append)
        .open(path)
        .with_context(|| format!("cannot open {} to continue it", path.display()))?;
    owner_only(&file, path)?;
    Ok(file)
}

fn owner_only(file: &File, path: &Path) -> anyhow::Result<()> {
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot make {} owner-only", path.display()))
}
