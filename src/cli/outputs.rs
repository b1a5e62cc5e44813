//! Outputs are never inputs: a `--report`, `--errors`, `--summary-json` or
//! `--timeline` path that is the input, the mapping file, the pool file, the
//! client-secret file or the other outputs is refused before any file is
//! created. Files are compared by device and inode, so a symlink, a hard link
//! or another spelling of the same path is caught; paths that do not exist
//! yet are compared by their absolute form. `delete-users` refuses its report
//! over its input report the same way.

use std::path::{Path, PathBuf};

use anyhow::bail;

use crate::cli::flags::RunArgs;
use crate::input::is_stdin;
use crate::report::private_file::same_file;

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
        ("--summary-json", args.summary_json.as_ref()),
        ("--timeline", args.timeline.as_ref()),
    ];
    for (flag, output) in outputs {
        let Some(output) = output else { continue };
        refuse_output_over_inputs(flag, output, &inputs)?;
    }
    if let Some(errors) = &args.errors {
        if same_file(errors, &args.report) {
            bail!("--errors and --report must be different files");
        }
    }
    if let Some(summary) = &args.summary_json {
        let reports = [Some(&args.report), args.errors.as_ref()];
        if reports.into_iter().flatten().any(|r| same_file(summary, r)) {
            bail!("--summary-json must be a file of its own, not --report or --errors");
        }
    }
    if let Some(timeline) = &args.timeline {
        let others = [
            Some(&args.report),
            args.errors.as_ref(),
            args.summary_json.as_ref(),
        ];
        if others.into_iter().flatten().any(|r| same_file(timeline, r)) {
            bail!("--timeline must be a file of its own, not --report, --errors or --summary-json");
        }
    }
    Ok(())
}

/// Refuses `output` (given with `flag`) when it is one of `inputs` (each
/// named for the message, `None` when not given).
pub(crate) fn refuse_output_over_inputs(
    flag: &str,
    output: &Path,
    inputs: &[(&str, Option<&PathBuf>)],
) -> anyhow::Result<()> {
    for (what, input) in inputs {
        if input.is_some_and(|input| same_existing_file(output, input)) {
            bail!(
                "{flag} {} is {what} (the same file): an input is never overwritten; give {flag} another path",
                output.display()
            );
        }
    }
    Ok(())
}

/// Whether both paths exist and are one file: an input that does not exist
/// is refused elsewhere, and two missing paths are not an input.
fn same_existing_file(a: &Path, b: &Path) -> bool {
    a.exists() && b.exists() && same_file(a, b)
}
