//! The `run` command: the pipeline stages between the input and the
//! reports. `job` runs them phase by phase: the parsing thread
//! (`crate::input::read_ahead`) feeds the `check_stage` (one thread per
//! core), whose batches the `ordered` stage takes back in input order to
//! find duplicates and apply the `selection` (`--shard`, `shard`;
//! `--resume`, `resume`); the `fan_out` loop hands rows to the sender,
//! at most `--concurrency` at once, and records every outcome in the
//! `sink`, the single writer of the reports and the `progress` display
//! (its total from `row_count`; off a terminal, drawn by `plain_stderr`),
//! which puts rows back in row order first (`reorder`).
//! The sink also feeds the per-second `timeline` (`--timeline`).
//! `signals` turns Ctrl-C into a clean stop; `connect` picks where
//! requests go; `notice` says up front what messages Cognito will send.
//!
//! May use every other folder: this is where they are wired together.

pub(crate) mod check_stage;
pub(crate) mod connect;
pub(crate) mod fan_out;
pub(crate) mod job;
pub(crate) mod notice;
pub(crate) mod ordered;
pub(crate) mod plain_stderr;
pub(crate) mod progress;
pub(crate) mod reorder;
pub(crate) mod resume;
pub(crate) mod row_count;
pub(crate) mod selection;
pub(crate) mod shard;
pub(crate) mod signals;
pub(crate) mod sink;
pub(crate) mod timeline;

pub use job::run;
pub use resume::ResumeState;
