//! What the user types: the raw clap flags (`flags`; `delete_flags` for
//! `delete-users`; `destination_flags`, where requests go, for both), then
//! the checked settings a run is built from (`settings`;
//! `delete_settings`), and the pre-flight checks of
//! the mapping against the input's columns (`preflight`). Every mistake
//! found here stops the run before the first request (exit code 2) with a
//! message that says how to fix it. `help_text` holds the examples each
//! `--help` ends with; `completions` prints the shell completion scripts
//! and the man page generated from these same flags.
//! `logging` sets up the log output (`--log-format`, colour) and
//! `log_writer` writes it around the progress bar.
//!
//! May use: `input` (formats), `mapping` (loading and compiling it),
//! `checks` (pool rules, the attribute vocabulary), `send` (rate, retry and wire settings), `run`
//! (shard syntax). Nothing here sends a request or writes a file.

pub(crate) mod api_settings;
pub mod completions;
pub(crate) mod config_error;
pub(crate) mod delete_flags;
pub(crate) mod delete_settings;
pub(crate) mod destination_flags;
pub(crate) mod env;
pub(crate) mod flags;
pub(crate) mod help_text;
pub(crate) mod log_writer;
pub mod logging;
pub(crate) mod outputs;
pub(crate) mod preflight;
pub(crate) mod settings;
pub(crate) mod step_settings;

pub use config_error::ConfigError;
pub use delete_flags::DeleteArgs;
pub use delete_settings::DeleteConfig;
pub use env::{Env, ProcessEnv};
pub use flags::{Cli, Command};
pub use logging::LogFormat;
pub use settings::RunConfig;

/// What `bulk-signup presets [NAME]` prints: the list of mapping presets,
/// or the named one's mapping file; an unknown name is an error naming them.
pub fn presets_text(name: Option<&str>) -> Result<String, String> {
    crate::mapping::presets::describe(name)
}
