//! What the user reads afterwards: the per-row results report (`write`,
//! lines by `csv_line`) and the error report (`error_write`, its own
//! columns in `error_columns`, its formula guard in `formula_guard`),
//! reading a report back (`read`), the final in-row-order rewrite
//! (`finalize`, one pass for a nearly sorted log in `finalize_sorted`,
//! else merging sorted chunks with `row_merge`), `merge-reports`
//! for shards (`merge`) and the end-of-run `summary` with its exit code,
//! its JSON form (`summary_json`), what to do next (`next_steps`) and the
//! report's counts behind them (`tally`), and the chart of a run's
//! `--timeline` (`timeline_chart`, public for the rate-control bench).
//! Report files are opened by `private_file`, temporary ones made by
//! `temp_file`. A fixed error report fed back as a run's input is opened
//! by `fed_back` (its cells read back by `fed_back_rows`).
//!
//! May use: `input` (to read a failed row's cells again for the error
//! report, and to read an error report back), `mapping` (to blank password
//! cells, and to leave an error report's own columns out). Report files
//! are created owner-only: they hold personal data.

pub(crate) mod csv_line;
pub(crate) mod entry;
pub(crate) mod error_columns;
pub(crate) mod error_write;
pub(crate) mod fed_back;
pub(crate) mod fed_back_rows;
pub(crate) mod finalize;
mod finalize_sorted;
#[cfg(test)]
mod finalize_timing;
pub(crate) mod formula_guard;
pub(crate) mod merge;
pub(crate) mod next_steps;
pub(crate) mod private_file;
pub(crate) mod read;
mod read_fields;
#[cfg(test)]
mod read_props;
pub(crate) mod row_merge;
pub(crate) mod shard_record;
pub(crate) mod summary;
pub(crate) mod summary_json;
pub(crate) mod tally;
pub(crate) mod temp_file;
pub mod timeline_chart;
pub(crate) mod write;

pub use entry::{ReportEntry, Status, LOST_ANSWER_NOTE};
pub use finalize::{finalize_report, CHUNK_BYTES};
pub use merge::merge_reports;
pub use next_steps::next_steps;
pub use summary::{exit, Summary};
pub use write::ReportWriter;
