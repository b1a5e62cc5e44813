//! The progress display on stderr: a bar with rows done of the total, the
//! rate and the ETA when the input's rows can be counted (a plain file,
//! see [`row_count`]), else a spinner with counts; either way the message
//! shows the counts per status, throttled answers and the pacing rate.
//! Shown when stderr is a terminal (not with `--quiet`) or with
//! `--progress` (then, off a terminal, one plain line a second); while
//! shown on a terminal, log lines are written around it
//! ([`crate::cli::log_writer`]). Never writes to stdout.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::cli::log_writer;
use crate::run::plain_stderr::PlainStderr;
use crate::run::row_count;

const SPINNER: &str = "{spinner} {elapsed_precise} {pos} rows ({rate} rows/s) {wide_msg}";
const BAR: &str =
    "{elapsed_precise} [{bar:20}] {pos}/{len} rows {percent}% ({rate} rows/s, ETA {eta}) {wide_msg}";

/// Extra text for the message: throttled answers and the pacing rate.
pub(crate) type Pacing = Arc<dyn Fn() -> String + Send + Sync>;

/// A progress display that may be hidden.
pub(crate) struct Progress {
    bar: ProgressBar,
    pacing: Option<Pacing>,
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}", state.per_sec());
            },
        )
        .progress_chars("=> ")
}

impl Progress {
    /// `visible`: the caller's decision (a terminal, or `--progress`).
    /// `count`: the file whose lines give the total, and whether it has a header.
    pub(crate) fn new(visible: bool, count: Option<(PathBuf, bool)>) -> Progress {
        if !visible {
            return Progress {
                bar: ProgressBar::hidden(),
                pacing: None,
            };
        }
        let terminal = std::io::stderr().is_terminal();
        let (target, tick) = if terminal {
            (ProgressDrawTarget::stderr_with_hz(4), 250)
        } else {
            let plain = ProgressDrawTarget::term_like_with_hz(Box::new(PlainStderr), 1);
            (plain, 1000)
        };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(style(SPINNER));
        bar.enable_steady_tick(Duration::from_millis(tick));
        if let Some((path, header)) = count {
            let counted = bar.clone();
            std::thread::spawn(move || {
                if let Ok(total) = row_count::count_rows(&path, header) {
                    counted.set_length(total);
                    counted.set_style(style(BAR));
                }
            });
        }
        // Plain lines cannot tear: only a terminal's bar needs log lines around it.
        if terminal {
            log_writer::attach(&bar);
        }
        Progress { bar, pacing: None }
    }

    /// Adds throttled answers and the pacing rate to the message.
    pub(crate) fn with_pacing(mut self, pacing: Pacing) -> Progress {
        self.pacing = Some(pacing);
        self
    }

    /// `rows` more rows finished; `counts` is the running tally to show.
    pub(crate) fn rows_done(&self, rows: u64, counts: impl FnOnce() -> String) {
        self.bar.inc(rows);
        if !self.bar.is_hidden() {
            let mut message = counts();
            if let Some(pacing) = &self.pacing {
                message.push_str(" | ");
                message.push_str(&pacing());
            }
            self.bar.set_message(message);
        }
    }

    /// Removes the display before the summary is printed.
    pub(crate) fn finish(&self) {
        log_writer::detach();
        self.bar.finish_and_clear();
    }
}
