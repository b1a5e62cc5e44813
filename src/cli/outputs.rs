//! Outputs are never inputs: a `--report` or `--errors` path that is the
//! input, the mapping file, the pool file, the client-secret file or the
//! other report is refused before any file is created. Files are compared
//! by device and inode, so a symlink, a hard link or another spelling of the
//! same path is caught; paths that do not exist yet are compared by their
//! absolute form.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::bail;

use crate::cli::flags::RunArgs;
use crate::input::is_stdin;

/// Refuses an output that would overwrite one of the run's inputs, or the
/// two outputs being one file.
pub(crate) fn refuse_outputs_over_inputs(args: &RunArgs) -> anyhow::Result<()> {
    let input = Some(&args.input).filter(|p| !is_stdin(p));
    let inputs = [
        ("the input", input),
        ("the --mapping file", args.mapping.as_ref()),
        ("the --pool file", args.pool.as_ref()),
        ("the --emulator pool file", args.emulator.as_ref()),
        ("the --client-secret-file", args.client_secret_file.as_ref()),
    ];
    let outputs = [
        ("--report", Some(&args.report)),
        ("--errors", args.errors.as_ref()),
    ];
    for (flag, output) in outputs {
        let Some(output) = output else { continue };
        for (what, input) in inputs {
            if input.is_some_and(|input| same_existing_file(output, input)) {
                bail!(
                    "{flag} {} is {what} (the same file): an input is never overwritten; give {flag} another path",
                    output.display()
                );
            }
        }
    }
    if let Some(errors) = &args.errors {
        if same_existing_file(errors, &args.report) || same_path(errors, &args.report) {
            bail!("--errors and --report must be different files");
        }
    }
    Ok(())
}

/// Whether both paths exist and are one file (symlinks followed).
fn same_existing_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether two paths, existing or not, name the same place.
fn same_path(a: &Path, b: &Path) -> bool {
    a == b || absolute(a).zip(absolute(b)).is_some_and(|(a, b)| a == b)
}

/// `path` with its directory resolved (symlinks and `..` included); the
/// file itself need not exist.
fn absolute(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new(".")).canonicalize().ok()?;
    Some(dir.join(name))
}
