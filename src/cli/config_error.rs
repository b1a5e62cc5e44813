//! The error type that marks a configuration problem found before anything
//! was sent: the binary maps it to exit code 2, any other failure to 1.

/// A configuration problem found before anything was sent (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub struct ConfigError(pub(crate) anyhow::Error);

pub(crate) fn config_error(e: impl Into<anyhow::Error>) -> anyhow::Error {
    ConfigError(e.into()).into()
}
