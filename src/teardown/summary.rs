//! The end-of-deletion tally on stderr: users per outcome (earlier
//! sessions' settled users included), the admin requests sent, and the
//! exit code this implies, on `run`'s scale (README "Exit codes").

use std::fmt;
use std::time::Duration;

use crate::report::exit;
use crate::teardown::outcome::Outcome;

/// What a `delete-users` did.
#[derive(Debug, Clone, Default)]
pub struct DeleteSummary {
    /// Users per outcome, indexed by [`Outcome::index`].
    pub(crate) counts: [u64; Outcome::ALL.len()],
    /// Of them, settled by earlier sessions (`--resume`).
    pub(crate) earlier: u64,
    /// `--yes` was given.
    pub(crate) yes: bool,
    pub(crate) requests: u64,
    pub(crate) throttled: u64,
    pub(crate) elapsed: Duration,
    /// The configuration error that stopped the calls, if one did.
    pub(crate) stopped_by: Option<String>,
    /// Ctrl-C or SIGTERM ended it early; `--resume` continues.
    pub interrupted: bool,
}

impl DeleteSummary {
    pub(crate) fn count(&self, outcome: Outcome) -> u64 {
        self.counts[outcome.index()]
    }

    pub(crate) fn add(&mut self, outcome: Outcome) {
        self.counts[outcome.index()] += 1;
    }

    /// The exit code this outcome maps to: 0 when every user is deleted,
    /// gone or (without `--yes`) would be deleted; 1 when one was skipped
    /// or failed.
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            exit::INTERRUPTED
        } else if self.stopped_by.is_some() {
            exit::STOPPED_BY_CONFIG
        } else if Outcome::ALL
            .iter()
            .any(|o| o.is_problem() && self.count(*o) > 0)
        {
            exit::ROWS_FAILED
        } else {
            exit::OK
        }
    }
}

impl fmt::Display for DeleteSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tally: Vec<String> = Outcome::ALL
            .iter()
            .filter(|o| self.yes || **o != Outcome::Deleted)
            .filter(|o| !self.yes || **o != Outcome::WouldDelete)
            .map(|o| format!("{} {}", o.as_str(), self.count(*o)))
            .collect();
        let scope = match self.interrupted {
            true => "users settled before the interrupt",
            false => "users this tool created",
        };
        let users: u64 = self.counts.iter().sum();
        writeln!(
            f,
            "{users} {scope}, in {:.1}s: {}",
            self.elapsed.as_secs_f64(),
            tally.join(", ")
        )?;
        if self.earlier > 0 {
            writeln!(
                f,
                "{} of them were settled by an earlier session",
                self.earlier
            )?;
        }
        writeln!(
            f,
            "{} admin requests, {} throttled",
            self.requests, self.throttled
        )?;
        if let Some(reason) = &self.stopped_by {
            writeln!(
                f,
                "stopped early: {reason} — fix the credentials or the pool id, then --resume"
            )?;
        }
        if self.count(Outcome::Skipped) > 0 {
            writeln!(
                f,
                "{} users were left alone: the user under that name is not the one this tool created (the report's error_message says why)",
                self.count(Outcome::Skipped)
            )?;
        }
        if !self.yes {
            writeln!(f, "nothing was deleted: pass --yes to delete")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_or_failed_users_make_the_exit_code_1() {
        let mut summary = DeleteSummary {
            yes: true,
            ..DeleteSummary::default()
        };
        summary.add(Outcome::Deleted);
        summary.add(Outcome::Gone);
        assert_eq!(summary.exit_code(), exit::OK);
        let text = summary.to_string();
        assert!(text.starts_with("2 users this tool created"), "{text}");
        assert!(
            text.contains("deleted 1, skipped 0, gone 1, failed 0"),
            "{text}"
        );
        summary.add(Outcome::Skipped);
        assert_eq!(summary.exit_code(), exit::ROWS_FAILED);
        summary.stopped_by = Some("AdminGetUser ResourceNotFoundException: no pool".into());
        assert_eq!(summary.exit_code(), exit::STOPPED_BY_CONFIG);
        summary.interrupted = true;
        assert_eq!(summary.exit_code(), exit::INTERRUPTED);
    }
}
