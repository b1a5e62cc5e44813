//! What the user reads afterwards: the per-row results report and the error
//! report (`write`, lines by `csv_line`), reading a report back
//! (`read`), the final in-row-order rewrite (`finalize`, merging sorted
//! chunks with `row_merge`), `merge-reports` for shards (`merge`) and
//! the end-of-run `summary` with its exit code. Report files are opened
//! by `private_file`, temporary ones made by `temp_file`.
//!
//! May use: `input` (to read a failed row's cells again for the error
//! report), `mapping` (to blank password cells). Report files are created
//! owner-only: they hold personal data.

pub(crate) mod csv_line;
pub(crate) mod entry;
pub(crate) mod finalize;
pub(crate) mod merge;
pub(crate) mod private_file;
pub(crate) mod read;
#[cfg(test)]
mod read_props;
pub(crate) mod row_merge;
pub(crate) mod shard_record;
pub(crate) mod summary;
pub(crate) mod temp_file;
pub(crate) mod write;

pub use entry::{ReportEntry, Status, LOST_ANSWER_NOTE};
pub use finalize::{finalize_report, CHUNK};
pub use merge::merge_reports;
pub use summary::{exit, Summary};
pub use write::ReportWriter;
