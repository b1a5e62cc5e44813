//! Where log lines go: stderr, through the visible progress bar's
//! `suspend` so a line never tears the bar. The run registers its bar here
//! while it is drawn ([`attach`]) and removes it when done ([`detach`]).

use std::io::Write;
use std::sync::Mutex;

use indicatif::ProgressBar;
use tracing_subscriber::fmt::MakeWriter;

/// The progress bar on screen, if one is.
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn bar() -> Option<ProgressBar> {
    BAR.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Log lines from now on are written around `bar`.
pub(crate) fn attach(bar: &ProgressBar) {
    *BAR.lock().unwrap_or_else(|p| p.into_inner()) = Some(bar.clone());
}

/// The bar is gone: log lines go straight to stderr again.
pub(crate) fn detach() {
    *BAR.lock().unwrap_or_else(|p| p.into_inner()) = None;
}

/// Writes `bytes` to stderr whole, with the progress bar (if any) hidden meanwhile.
pub(crate) fn write_stderr(bytes: &[u8]) -> std::io::Result<()> {
    let write = || {
        let mut err = std::io::stderr().lock();
        err.write_all(bytes)?;
        err.flush()
    };
    match bar() {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// tracing-subscriber's writer: one `write` per formatted event.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BarAwareStderr;

impl Write for BarAwareStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        write_stderr(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BarAwareStderr {
    type Writer = BarAwareStderr;

    fn make_writer(&'a self) -> Self::Writer {
        BarAwareStderr
    }
}
