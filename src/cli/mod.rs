//! What the user types: the raw clap flags (`flags`), then the checked
//! settings a run is built from (`settings`), and the pre-flight checks of
//! the mapping against the input's columns (`preflight`). Every mistake
//! found here stops the run before the first request (exit code 2) with a
//! message that says how to fix it.
//!
//! May use: `input` (formats), `mapping` (loading and compiling it),
//! `checks` (pool rules, the attribute vocabulary), `send` (rate, retry and wire settings), `run`
//! (shard syntax). Nothing here sends a request or writes a file.

pub(crate) mod config_error;
pub(crate) mod flags;
pub(crate) mod outputs;
pub(crate) mod preflight;
pub(crate) mod settings;

pub use config_error::ConfigError;
pub use flags::{Cli, Command};
pub use settings::{Env, ProcessEnv, RunConfig};
