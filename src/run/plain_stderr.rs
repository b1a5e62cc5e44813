//! A draw target for `--progress` when stderr is not a terminal: each
//! redraw is a plain line appended to stderr, with no cursor movement and
//! no escape codes, so a log file or CI console reads it as it grows.

use std::io::Write;

use indicatif::TermLike;

/// Plain lines on stderr; a width that fits a CI console.
#[derive(Debug, Default)]
pub(crate) struct PlainStderr;

impl PlainStderr {
    fn put(s: &str) -> std::io::Result<()> {
        std::io::stderr().lock().write_all(s.as_bytes())
    }
}

impl TermLike for PlainStderr {
    fn width(&self) -> u16 {
        120
    }

    fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn write_line(&self, s: &str) -> std::io::Result<()> {
        Self::put(&format!("{s}\n"))
    }

    fn write_str(&self, s: &str) -> std::io::Result<()> {
        if s.is_empty() {
            return Ok(());
        }
        Self::put(&format!("{s}\n"))
    }

    fn clear_line(&self) -> std::io::Result<()> {
        Ok(())
    }

    fn flush(&self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
