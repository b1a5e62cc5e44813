//! What to do after a run, printed under the summary: the exact command to
//! continue an interrupted run or to send `failed` rows again, what to do
//! about `invalid` and `rejected` rows (fix them in the error report and
//! run it, or `--retry-rejected`), and where the error report is.

use std::fmt::Write;

use crate::report::entry::Status;
use crate::report::summary::Summary;

/// The lines to print after `summary`, each command on a line of its own,
/// indented. `rerun(flag)` is this run's command line ending in `flag`
/// (`--resume` or `--overwrite`), quoted for a POSIX shell.
pub fn next_steps(summary: &Summary, rerun: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    if summary.dry_run {
        dry_run_steps(&mut out, summary, rerun);
    } else if summary.interrupted {
        line(
            &mut out,
            "interrupted: the report keeps every finished row. To continue where this run stopped:",
            &rerun("--resume"),
        );
    } else {
        run_steps(&mut out, summary, rerun);
    }
    out
}

/// After a run that was not interrupted.
fn run_steps(out: &mut String, summary: &Summary, rerun: &dyn Fn(&str) -> String) {
    let failed = summary.count(Status::Failed);
    let refused = summary.count(Status::Invalid) + summary.count(Status::Rejected);
    if summary.stopped_by.is_some() {
        line(out, "once the cause is fixed, continue the run (rows not settled are sent, settled ones skipped):", &rerun("--resume"));
    } else if failed > 0 {
        let text = format!(
            "{} failed (no definite answer): to send them again, continue the run:",
            rows(failed)
        );
        line(out, &text, &rerun("--resume"));
    }
    if refused > 0 {
        let still = match summary.resumed {
            true => " still, and --resume leaves them as they are",
            false => "",
        };
        let text = format!(
            "{} {} invalid or rejected{still}: fix them in the error report and run it as the input, or send them again as they are with --retry-rejected:",
            rows(refused),
            are(refused)
        );
        line(out, &text, &with_retry_rejected(&rerun("--resume")));
    }
    if failed + refused > 0 {
        error_report(out, summary);
    }
}

/// After a dry run: nothing was sent, so only checking again is offered.
fn dry_run_steps(out: &mut String, summary: &Summary, rerun: &dyn Fn(&str) -> String) {
    if summary.interrupted {
        line(
            out,
            "interrupted. A dry run sends nothing; to check the whole input again:",
            &rerun("--overwrite"),
        );
    } else if summary.count(Status::Invalid) > 0 {
        let invalid = summary.count(Status::Invalid);
        let _ = writeln!(
            out,
            "{} {} invalid: fix them in the input (or in the error report, and check it), then check again",
            rows(invalid),
            are(invalid)
        );
        error_report(out, summary);
    }
}

/// "1 row", "2 rows".
fn rows(n: u64) -> String {
    match n {
        1 => "1 row".to_owned(),
        n => format!("{n} rows"),
    }
}

/// The verb agreeing with [`rows`].
fn are(n: u64) -> &'static str {
    if n == 1 {
        "is"
    } else {
        "are"
    }
}

/// Where the error report is, or how to get one.
fn error_report(out: &mut String, summary: &Summary) {
    let _ = match &summary.error_report {
        Some(path) => writeln!(out, "the error report: {}", path.display()),
        None => writeln!(
            out,
            "the report's error_code and error_message say why; --errors FILE also writes an error report of these rows with their input cells, to fix and run"
        ),
    };
}

/// `command` (ending in `--resume`) with `--retry-rejected`, once.
fn with_retry_rejected(command: &str) -> String {
    match command.split_whitespace().any(|w| w == "--retry-rejected") {
        true => command.to_owned(),
        false => format!("{command} --retry-rejected"),
    }
}

fn line(out: &mut String, text: &str, command: &str) {
    let _ = writeln!(out, "{text}\n  {command}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rerun(flag: &str) -> String {
        format!("/bin/bulk-signup run in.csv {flag}")
    }

    fn with(counts: &[(Status, u64)]) -> Summary {
        Summary {
            counts: counts.iter().copied().collect(),
            ..Summary::default()
        }
    }

    #[test]
    fn a_clean_run_has_nothing_to_do() {
        assert_eq!(next_steps(&with(&[(Status::Created, 3)]), &rerun), "");
    }

    #[test]
    fn failed_rows_get_the_resume_command() {
        let text = next_steps(&with(&[(Status::Failed, 2)]), &rerun);
        assert!(
            text.contains("\n  /bin/bulk-signup run in.csv --resume\n"),
            "{text}"
        );
        assert!(text.contains("--errors FILE"), "{text}");
    }

    #[test]
    fn refused_rows_after_a_resume_get_the_retry_rejected_hint_and_the_error_report() {
        let mut summary = with(&[(Status::Invalid, 1), (Status::Rejected, 2)]);
        summary.resumed = true;
        summary.error_report = Some("errs.csv".into());
        let text = next_steps(&summary, &rerun);
        assert!(
            text.contains("3 rows are invalid or rejected still"),
            "{text}"
        );
        assert!(
            text.contains("run in.csv --resume --retry-rejected\n"),
            "{text}"
        );
        assert!(text.contains("the error report: errs.csv"), "{text}");
    }

    #[test]
    fn one_row_is_one_row() {
        let text = next_steps(&with(&[(Status::Rejected, 1), (Status::Failed, 1)]), &rerun);
        assert!(text.contains("1 row failed (no definite answer)"), "{text}");
        assert!(text.contains("1 row is invalid or rejected:"), "{text}");
    }

    #[test]
    fn retry_rejected_is_not_given_twice() {
        assert_eq!(
            with_retry_rejected("x --retry-rejected --resume"),
            "x --retry-rejected --resume"
        );
    }
}
