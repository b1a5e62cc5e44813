//! Logging setup: tracing-subscriber on stderr, as text (coloured only
//! when stderr is a terminal, following `NO_COLOR`, `CLICOLOR_FORCE` and
//! `TERM=dumb`) or as JSON, one object per line (`--log-format json`).
//! [`say`] prints the tool's plain messages (the summary, notes) so that in
//! JSON mode they too are one JSON object per line.

use std::io::IsTerminal;
use std::sync::OnceLock;

use tracing_subscriber::EnvFilter;

use crate::cli::env::Env;
use crate::cli::log_writer::{write_stderr, BarAwareStderr};

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for cron and CI.
    Json,
}

static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Whether log lines get ANSI colours: `NO_COLOR` (any non-empty value)
/// turns them off, then `CLICOLOR_FORCE` (non-empty, not "0") turns them
/// on, then `TERM=dumb` turns them off; else only on a terminal.
pub fn use_colour(env: &dyn Env, stderr_is_terminal: bool) -> bool {
    if env.var("NO_COLOR").is_some() {
        return false;
    }
    if env.var("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    if env.var("TERM").is_some_and(|t| t == "dumb") {
        return false;
    }
    stderr_is_terminal
}

/// The default filter for `-q` / `-v` counts (`RUST_LOG` overrides it).
fn default_filter(quiet: bool, verbose: u8) -> &'static str {
    match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "bulk_signup=debug,info",
        (false, _) => "trace",
    }
}

/// Installs the global subscriber.
pub fn init(quiet: bool, verbose: u8, format: LogFormat, env: &dyn Env) {
    let _ = FORMAT.set(format);
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default_filter(quiet, verbose)));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(BarAwareStderr);
    match format {
        LogFormat::Json => builder.json().with_ansi(false).init(),
        LogFormat::Text => builder
            .with_ansi(use_colour(env, std::io::stderr().is_terminal()))
            .init(),
    }
}

/// Prints `text` (one or more lines) on stderr: as is in text mode, as one
/// JSON log object (level INFO, target `bulk_signup`) in JSON mode.
pub fn say(text: &str) {
    if text.is_empty() {
        return;
    }
    let bytes = match FORMAT.get() {
        Some(LogFormat::Json) => json_line(text),
        _ => text.to_owned(),
    };
    let _ = write_stderr(bytes.as_bytes());
}

/// One JSON line shaped like tracing-subscriber's: timestamp, level, fields.message, target.
fn json_line(text: &str) -> String {
    let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let object = serde_json::json!({
        "timestamp": now,
        "level": "INFO",
        "fields": { "message": text.trim_end() },
        "target": "bulk_signup",
    });
    format!("{object}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::env::FakeEnv;

    fn colour(vars: &[(&'static str, &'static str)], tty: bool) -> bool {
        use_colour(&FakeEnv(vars.iter().copied().collect()), tty)
    }

    #[test]
    fn colour_rules() {
        assert!(colour(&[], true));
        assert!(!colour(&[], false));
        assert!(!colour(&[("NO_COLOR", "1")], true));
        assert!(!colour(
            &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
            false
        ));
        assert!(colour(&[("CLICOLOR_FORCE", "1")], false));
        assert!(!colour(&[("CLICOLOR_FORCE", "0")], false));
        assert!(!colour(&[("TERM", "dumb")], true));
        assert!(colour(&[("TERM", "dumb"), ("CLICOLOR_FORCE", "1")], false));
    }

    #[test]
    fn json_line_is_one_line_of_json() {
        let line = json_line("created 3\nfailed 1\n");
        assert_eq!(line.matches('\n').count(), 1);
        let value: serde_json::Value = serde_json::from_str(line.trim_end()).unwrap();
        assert_eq!(value["fields"]["message"], "created 3\nfailed 1");
    }
}
