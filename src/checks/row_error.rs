//! Why a row was refused locally (status `invalid`): a rule code for the
//! report's `error_code`, the column concerned and a message that names what
//! is wrong without ever echoing a password.

use std::fmt;

/// A row-level refusal. `code` names the rule (`InvalidPhoneNumber`,
/// `DuplicateUsername`, …) so reports can be filtered by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowError {
    pub(crate) code: &'static str,
    pub(crate) column: Option<String>,
    pub(crate) message: String,
}

impl RowError {
    pub(crate) fn new(
        code: &'static str,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        RowError {
            code,
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "column {column:?}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}
