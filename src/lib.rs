//! bulk-signup: register users in bulk into an Amazon Cognito user pool
//! through the `SignUp` API, with a per-row report.
//!
//! Code map, in pipeline order. One folder per concept; each folder's
//! `mod.rs` says what it owns and what it may use.
//! - [`cli`]: raw flags → checked settings → pre-flight checks of the
//!   mapping against the input's columns (exit code 2 before any request).
//! - `input`: streams CSV/NDJSON/JSON rows (gzip or zstd too); a parsing
//!   thread fills read-ahead batches, never holding the whole file.
//! - `mapping`: columns → request pieces (mapping rules and file,
//!   transforms, generated passwords).
//! - `checks`: local verdicts before any request (formats and limits,
//!   `--pool` rules, duplicate usernames) → `invalid` rows.
//! - `send`: the only part that sends requests: the dispatcher, pacing,
//!   retry, the signed admin calls and the steps after sign-up (confirm,
//!   verify, groups), and Cognito's JSON 1.1 wire protocol (facts in
//!   docs/PROTOCOL.md).
//! - [`run`]: the `run` command, phase by phase: checking threads → ordered
//!   stage (duplicates, `--resume`, `--shard`) → fan-out loop → sink.
//! - [`report`]: the results and error reports, reading them back, the
//!   final in-row-order rewrite, `merge-reports`, the summary and exit codes.
//! - [`teardown`]: the `delete-users` command: deletes the users a run's
//!   report says it created, each only while its `sub` is still the report's.
//! - [`emulator`]: the built-in local Cognito endpoint. It shares the wire
//!   types and the pool description with the client, never its checks or
//!   classification, so one can catch the other's mistakes.
//!
//! Public: only what the binary, the integration tests and the benchmarks
//! use (mini-redis style); the rest is private to the crate.

pub mod allocator;
pub mod cli;
pub mod emulator;
pub mod report;
pub mod run;
pub mod teardown;

mod checks;
mod input;
mod mapping;
mod send;

#[cfg(test)]
mod props;

/// The Cognito wire types the integration tests read a server's answers with.
pub mod wire {
    pub use crate::send::cognito::wire::{
        AdminGetUserResponse, AttributeType, ListUsersResponse, UserType,
    };
}
