//! The end-of-run tally: rows per status, request counters, elapsed time and
//! rates, and the exit code they imply.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::report::entry::Status;
use crate::report::tally::top_codes;

/// Documented exit codes (README "Exit codes").
pub mod exit {
    /// Every row `created` or `exists` (or `valid` in a dry run).
    pub const OK: u8 = 0;
    /// Some row `invalid`, `rejected` or `failed`.
    pub const ROWS_FAILED: u8 = 1;
    /// Usage or configuration error before any row was sent.
    pub const USAGE: u8 = 2;
    /// A configuration error reported by Cognito stopped the run midway.
    pub const STOPPED_BY_CONFIG: u8 = 3;
    /// Interrupted (Ctrl-C / SIGTERM); resume with `--resume`.
    pub const INTERRUPTED: u8 = 4;
}

/// Error codes the text summary lists at most.
const TOP_CODES: usize = 5;

/// What a finished run did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub(crate) counts: BTreeMap<Status, u64>,
    pub(crate) elapsed: Duration,
    pub(crate) requests: u64,
    pub(crate) throttled: u64,
    pub(crate) retries: u64,
    /// The pacer's rate at the end (adaptive pacing settles on the quota).
    pub(crate) final_rate: f64,
    /// Rows that ended `created` or `exists` in this session.
    pub(crate) session_successes: u64,
    /// `code: message — advice` of the configuration error that stopped the run.
    pub(crate) stopped_by: Option<String>,
    pub dry_run: bool,
    /// Rows this session wrote an entry for (with --resume, fewer than `rows()`).
    pub(crate) session_rows: u64,
    /// Ctrl-C or SIGTERM ended the run early; the report is not final.
    pub interrupted: bool,
    /// The mapping generates passwords: the users it creates cannot sign in
    /// before a reset, which the summary says.
    pub(crate) generated_passwords: bool,
    /// Rows signed up whose steps after sign-up did not all succeed.
    pub(crate) step_failures: u64,
    /// Admin calls the steps sent, and throttled answers among them.
    pub(crate) step_requests: u64,
    pub(crate) step_throttled: u64,
    /// Verification messages Cognito said it sent this session, by medium
    /// (`EMAIL`, `SMS`: the created entries' `delivery_medium`).
    pub(crate) messages: BTreeMap<String, u64>,
    /// Rows per `error_code`, over the same rows as `counts`.
    pub(crate) error_codes: BTreeMap<String, u64>,
    /// This run continued an earlier one (`--resume` over an existing report).
    pub(crate) resumed: bool,
    /// The error report, when `--errors` wrote one.
    pub(crate) error_report: Option<PathBuf>,
}

impl Summary {
    pub(crate) fn count(&self, status: Status) -> u64 {
        self.counts.get(&status).copied().unwrap_or(0)
    }

    pub(crate) fn rows(&self) -> u64 {
        self.counts.values().sum()
    }

    /// The exit code this outcome maps to.
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            exit::INTERRUPTED
        } else if self.stopped_by.is_some() {
            exit::STOPPED_BY_CONFIG
        } else if self.counts.iter().any(|(s, n)| !s.is_success() && *n > 0)
            || self.step_failures > 0
        {
            exit::ROWS_FAILED
        } else {
            exit::OK
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let statuses: &[Status] = if self.dry_run {
            &[Status::Valid, Status::Invalid]
        } else {
            &[
                Status::Created,
                Status::Exists,
                Status::Invalid,
                Status::Rejected,
                Status::Failed,
            ]
        };
        let tally: Vec<String> = statuses
            .iter()
            .map(|s| format!("{} {}", s.as_str(), self.count(*s)))
            .collect();
        let scope = if self.interrupted {
            "rows done before the interrupt"
        } else {
            "rows"
        };
        writeln!(
            f,
            "{} {scope} in {:.1}s ({:.1} rows/s this session): {}",
            self.rows(),
            secs,
            self.session_rows as f64 / secs,
            tally.join(", ")
        )?;
        if self.session_rows != self.rows() && !self.interrupted {
            writeln!(
                f,
                "{} of them settled in this session; the rest by earlier runs",
                self.session_rows
            )?;
        }
        if !self.dry_run {
            writeln!(
                f,
                "{} requests ({:.1}/s), {} throttled, {} retries; goodput {:.1} users/s; pacing at {:.1} requests/s at the end",
                self.requests,
                self.requests as f64 / secs,
                self.throttled,
                self.retries,
                self.session_successes as f64 / secs,
                self.final_rate
            )?;
        }
        if let Some(reason) = &self.stopped_by {
            writeln!(f, "stopped early: {reason}")?;
        }
        self.top_error_codes(f)?;
        if self.step_requests > 0 {
            writeln!(
                f,
                "steps after sign-up: {} admin requests, {} throttled",
                self.step_requests, self.step_throttled
            )?;
        }
        self.messages_sent(f)?;
        if self.step_failures > 0 {
            writeln!(
                f,
                "{} rows were signed up but a step after sign-up failed (the report's step_error says which); --resume runs their steps again without signing them up",
                self.step_failures
            )?;
        }
        self.password_reminder(f)
    }
}

impl Summary {
    /// The messages Cognito sent, with what to know of them: said here too,
    /// so a `--quiet` cron job learns it.
    fn messages_sent(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sent: u64 = self.messages.values().sum();
        if sent == 0 {
            return Ok(());
        }
        let count = |medium: &str| self.messages.get(medium).copied().unwrap_or(0);
        let mut by_medium = vec![
            format!("EMAIL: {}", count("EMAIL")),
            format!("SMS: {}", count("SMS")),
        ];
        by_medium.extend(
            self.messages
                .iter()
                .filter(|(medium, _)| !matches!(medium.as_str(), "EMAIL" | "SMS"))
                .map(|(medium, n)| format!("{medium}: {n}")),
        );
        writeln!(
            f,
            "{sent} verification messages sent ({}): Cognito's default email sender stops at 50 emails a day; to import without messages, use --api admin-create-user or a pre sign-up Lambda that auto-confirms and auto-verifies",
            by_medium.join(", ")
        )
    }

    /// The most frequent error codes (up to [`TOP_CODES`]), with counts.
    fn top_error_codes(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let top = top_codes(&self.error_codes, TOP_CODES);
        if top.is_empty() {
            return Ok(());
        }
        let listed: Vec<String> = top.iter().map(|(c, n)| format!("{c} {n}")).collect();
        let more = self.error_codes.len().saturating_sub(TOP_CODES);
        let tail = match more {
            0 => String::new(),
            n => format!(", and {n} more"),
        };
        writeln!(f, "top error codes: {}{tail}", listed.join(", "))
    }

    /// Users created with a generated password cannot sign in until they
    /// reset it: say how many, and how.
    fn password_reminder(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (users, verb) = if self.dry_run {
            (self.count(Status::Valid), "would get")
        } else {
            (self.count(Status::Created), "got")
        };
        if !self.generated_passwords || users == 0 {
            return Ok(());
        }
        writeln!(
            f,
            "{users} users {verb} a generated password, written nowhere: each must reset it before signing in, through the forgot-password flow (ForgotPassword then ConfirmForgotPassword, or \"Forgot your password?\" in the hosted UI). To keep their old passwords instead, see the README (\"Passwords in exports\")."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_messages_cognito_sent_are_counted_by_medium_with_the_limit() {
        let mut summary = Summary::default();
        assert!(!summary.to_string().contains("verification messages"));
        summary.messages.insert("EMAIL".to_owned(), 3);
        let text = summary.to_string();
        assert!(
            text.contains("3 verification messages sent (EMAIL: 3, SMS: 0)"),
            "{text}"
        );
        assert!(text.contains("50 emails a day"), "{text}");
    }

    #[test]
    fn the_top_five_error_codes_are_listed_most_frequent_first() {
        let mut summary = Summary::default();
        assert!(!summary.to_string().contains("top error codes"));
        for (i, code) in ["a", "b", "c", "d", "e", "f"].iter().enumerate() {
            summary.error_codes.insert((*code).to_owned(), i as u64 + 1);
        }
        let text = summary.to_string();
        assert!(
            text.contains("top error codes: f 6, e 5, d 4, c 3, b 2, and 1 more"),
            "{text}"
        );
    }
}
