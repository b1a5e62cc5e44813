//! bulk-signup: register users in bulk into an Amazon Cognito user pool
//! through the `SignUp` API, with a per-row report.
//!
//! Code map, in pipeline order:
//! - [`cli`] raw flags → [`config`] validated settings;
//! - [`input`] streams CSV/NDJSON rows, parsed on their own thread by
//!   [`read_ahead`] → [`check_stage`], one thread per core: [`mapping`] (from
//!   [`mapping_file`], with [`transform`]s) builds request pieces and
//!   [`validate`] checks Cognito's constraints locally (with [`check_plan`]s)
//!   → [`ordered`], in input order: [`duplicates`] (over [`hash_rows`]) finds
//!   repeated usernames;
//! - [`dispatch`] sends rows (the only concurrent stage, [`fan_out`]), paced
//!   by [`rate`], retried per [`retry`], speaking [`cognito`]'s wire protocol;
//! - [`run`] wires the pipeline; its [`sink`] is the single writer of the
//!   [`report`]s (lines by [`csv_line`]), the [`progress`] display and the
//!   [`summary`].
//! - [`emulator`] is the built-in local Cognito endpoint; it shares only
//!   [`cognito::wire`] and [`pool`] with the client.

pub mod attributes;
pub mod check_plan;
pub mod check_stage;
pub mod cli;
pub mod cognito;
pub mod config;
pub mod csv_line;
pub mod dispatch;
pub mod duplicates;
pub mod emulator;
pub mod fan_out;
pub mod finalize;
pub mod hash_rows;
pub mod input;
pub mod mapping;
pub mod mapping_file;
pub mod merge;
pub mod ordered;
pub mod password;
pub mod pool;
pub mod progress;
pub mod rate;
pub mod read_ahead;
pub mod report;
pub mod report_read;
pub mod resume;
pub mod retry;
pub mod row_error;
pub mod row_merge;
pub mod run;
pub mod selection;
pub mod shard;
pub mod shutdown;
pub mod sink;
pub mod summary;
pub mod transform;
pub mod validate;
