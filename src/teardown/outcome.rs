//! The deletion report's vocabulary: a user's [`Outcome`] and one
//! [`DeletionEntry`] per line, in the column order [`DELETION_COLUMNS`],
//! which is an interface (scripts read it) like the results report's.

use serde::{Deserialize, Serialize};

/// What became of one user the run created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// Its sub matched and AdminDeleteUser succeeded.
    Deleted,
    /// Without `--yes`: its sub matched; it would be deleted.
    WouldDelete,
    /// Left alone: the user under that name is not the one this tool
    /// created (another sub), or could not be shown to be.
    Skipped,
    /// No such user any more (UserNotFoundException).
    Gone,
    /// No definite answer: a call failed, or the calls stopped first.
    Failed,
}

impl Outcome {
    /// Every outcome, in the summary's order.
    pub(crate) const ALL: [Outcome; 5] = [
        Outcome::Deleted,
        Outcome::WouldDelete,
        Outcome::Skipped,
        Outcome::Gone,
        Outcome::Failed,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Deleted => "deleted",
            Outcome::WouldDelete => "would_delete",
            Outcome::Skipped => "skipped",
            Outcome::Gone => "gone",
            Outcome::Failed => "failed",
        }
    }

    /// Settled for good: `--resume` does not consider the user again
    /// (`would_delete` and `failed` users are).
    pub(crate) fn is_settled(self) -> bool {
        matches!(self, Outcome::Deleted | Outcome::Gone | Outcome::Skipped)
    }

    /// Needs a person's look: the exit code is 1.
    pub(crate) fn is_problem(self) -> bool {
        matches!(self, Outcome::Skipped | Outcome::Failed)
    }

    /// This outcome's place in [`Outcome::ALL`], for tallies.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// One line of the deletion report. Field order is the CSV column order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DeletionEntry {
    /// The user's row in the run's report (its input row).
    pub(crate) row: u64,
    pub(crate) username: String,
    /// The sub the run's report gave the user.
    pub(crate) user_sub: String,
    pub(crate) status: Outcome,
    /// Cognito's error code, or the local reason (`SubMismatch`, `NoSub`).
    pub(crate) error_code: String,
    pub(crate) error_message: String,
}

/// The deletion report's CSV header, in order.
pub(crate) const DELETION_COLUMNS: [&str; 6] = [
    "row",
    "username",
    "user_sub",
    "status",
    "error_code",
    "error_message",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of an outcome is written two ways (serde for NDJSON and
    /// reading back, `as_str` for CSV lines): they must agree.
    #[test]
    fn serde_names_are_the_csv_names() {
        for (i, outcome) in Outcome::ALL.iter().enumerate() {
            let json = serde_json::to_string(outcome).expect("serialise");
            assert_eq!(json, format!("\"{}\"", outcome.as_str()));
            assert_eq!(outcome.index(), i);
        }
    }
}
