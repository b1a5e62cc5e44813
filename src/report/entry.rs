//! A report's vocabulary: a row's [`Status`], one [`ReportEntry`] per line
//! and the column order, which is an interface (users' scripts read it):
//! new columns go after `note`, existing ones are never renamed or moved.

use serde::{Deserialize, Serialize};

/// A row's final state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Cognito created the user.
    Created,
    /// The user was already there (`UsernameExistsException`).
    Exists,
    /// Dry run: the row would be sent.
    Valid,
    /// Refused locally; never sent.
    Invalid,
    /// Cognito refused the row.
    Rejected,
    /// No definite answer: gave up, or the run stopped first.
    Failed,
}

impl Status {
    pub(crate) const ALL: [Status; 6] = [
        Status::Created,
        Status::Exists,
        Status::Valid,
        Status::Invalid,
        Status::Rejected,
        Status::Failed,
    ];

    /// This status's place in [`Status::ALL`]: the one numbering of
    /// statuses (tallies index by it, `--resume` stores it per row).
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The status at `index` in [`Status::ALL`].
    pub(crate) fn from_index(index: usize) -> Option<Status> {
        Status::ALL.get(index).copied()
    }

    /// `created`, `exists` and (in a dry run) `valid` are successes.
    pub(crate) fn is_success(self) -> bool {
        matches!(self, Status::Created | Status::Exists | Status::Valid)
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Exists => "exists",
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::Rejected => "rejected",
            Status::Failed => "failed",
        }
    }
}

/// One line of the results report. Field order is the CSV column order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportEntry {
    pub row: u64,
    pub username: String,
    pub status: Option<Status>,
    pub user_sub: String,
    pub user_confirmed: Option<bool>,
    pub delivery_medium: String,
    pub delivery_destination: String,
    pub error_code: String,
    pub error_message: String,
    pub attempts: u32,
    pub request_id: String,
    pub note: String,
    /// For a run over an error report: the row in the input that error
    /// report came from (an older report lacks the column: `None`).
    #[serde(default)]
    pub source_row: Option<u64>,
    /// For a row that was sent: the attributes its mapped verification
    /// flags (`[account]`) say were verified, `email;phone_number` or one
    /// of them; carried for the steps after sign-up, never sent.
    #[serde(default)]
    pub verified: String,
    /// The admin steps done after sign-up, `;`-separated (`confirm`,
    /// `verify:email`, `group:NAME`, `disable`).
    #[serde(default)]
    pub steps: String,
    /// The step that failed and why; a row with one is resumed at its
    /// steps (`--resume` never signs it up again).
    #[serde(default)]
    pub step_error: String,
}

/// The unit tests' entry for `row`: a username, `status`, and a source row
/// (ten times the row) so that an optional column is exercised.
#[cfg(test)]
pub(crate) fn test_entry(row: u64, status: Status) -> ReportEntry {
    ReportEntry {
        row,
        username: format!("user{row}"),
        status: Some(status),
        source_row: Some(row * 10),
        ..ReportEntry::default()
    }
}

/// The results report's CSV header, in order.
pub(crate) const REPORT_COLUMNS: [&str; 16] = [
    "row",
    "username",
    "status",
    "user_sub",
    "user_confirmed",
    "delivery_medium",
    "delivery_destination",
    "error_code",
    "error_message",
    "attempts",
    "request_id",
    "note",
    "source_row",
    "verified",
    "steps",
    "step_error",
];

/// How many of [`REPORT_COLUMNS`] a report of an earlier version has: it
/// ends at `note`. Such a report is still read, and resumed in its own form.
pub(crate) const OLD_REPORT_COLUMNS: usize = 12;

/// The note of a row whose retry found the user already there after an
/// earlier attempt's answer was lost: that attempt most likely created it.
pub const LOST_ANSWER_NOTE: &str = "likely created by an earlier attempt whose response was lost";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_follows_the_order_of_all() {
        for (i, status) in Status::ALL.iter().enumerate() {
            assert_eq!(status.index(), i, "{status:?}");
            assert_eq!(Status::from_index(i), Some(*status));
        }
        assert_eq!(Status::from_index(Status::ALL.len()), None);
    }

    /// The report's text of a status is written two ways (serde for NDJSON
    /// and reading back, `as_str` for CSV lines): they must agree.
    #[test]
    fn serde_names_are_the_csv_names() {
        for status in Status::ALL {
            let json = serde_json::to_string(&status).expect("serialise");
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
    }
}
