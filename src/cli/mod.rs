//! What the user types: the raw clap flags (`flags`), then the checked
//! settings a run is built from (`settings`), and the pre-flight checks of
//! the mapping against the input's columns (`preflight`). Every mistake
//! found here stops the run before the first request (exit code 2) with a
//! message that says how to fix it.
//!
//! May use: `input` (formats), `mapping` (loading and compiling it),
//! `checks` (pool rules, the attribute vocabulary), `send` (rate, retry and wire settings), `run`
//! (shard syntax). Nothing here sends a request or writes a file.

pub(crate) mod api_settings;
pub(crate) mod config_error;
pub(crate) mod flags;
pub(crate) mod outputs;
pub(crate) mod preflight;
pub(crate) mod settings;
pub(crate) mod step_settings;

pub use config_error::ConfigError;
pub use flags::{Cli, Command};
pub use settings::{Env, ProcessEnv, RunConfig};

/// What `bulk-signup presets [NAME]` prints: the list of mapping presets,
/// or the named one's mapping file; an unknown name is an error naming them.
pub fn presets_text(name: Option<&str>) -> Result<String, String> {
    crate::mapping::presets::describe(name)
}
