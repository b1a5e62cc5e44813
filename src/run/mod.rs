//! The `run` command: the pipeline stages between the input and the
//! reports. [`job`] runs them phase by phase: the parsing thread
//! ([`crate::input::read_ahead`]) feeds the [`check_stage`] (one thread per
//! core), whose batches the [`ordered`] stage takes back in input order to
//! find duplicates and apply the [`selection`] (`--shard`, [`shard`];
//! `--resume`, [`resume`]); the [`fan_out`] loop hands rows to the sender,
//! at most `--concurrency` at once, and records every outcome in the
//! [`sink`], the single writer of the reports and the [`progress`] display.
//! [`signals`] turns Ctrl-C into a clean stop; [`connect`] picks where
//! requests go.
//!
//! May use every other folder: this is where they are wired together.

pub mod check_stage;
pub mod connect;
pub mod fan_out;
pub mod job;
pub mod ordered;
pub mod progress;
pub mod resume;
pub mod selection;
pub mod shard;
pub mod signals;
pub mod sink;

pub use job::{run, ConfigError};
pub use resume::ResumeState;
