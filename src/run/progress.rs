//! The progress display: an indicatif spinner on stderr with per-status
//! counts. It hides itself when stderr is not a terminal or with `--quiet`,
//! and never writes to stdout.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// A progress spinner that may be hidden.
pub(crate) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub(crate) fn new(visible: bool) -> Progress {
        let visible = visible && std::io::stderr().is_terminal();
        let bar = if visible {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4))
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {elapsed_precise} {pos} rows ({rate} rows/s) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}", state.per_sec());
                },
            ),
        );
        if visible {
            bar.enable_steady_tick(Duration::from_millis(250));
        }
        Progress { bar }
    }

    /// `rows` more rows finished; `counts` is the running tally to show.
    pub(crate) fn rows_done(&self, rows: u64, counts: impl FnOnce() -> String) {
        self.bar.inc(rows);
        if !self.bar.is_hidden() {
            self.bar.set_message(counts());
        }
    }

    /// Removes the spinner before the summary is printed.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
