//! A draw target for `--progress` when stderr is not a terminal: each
//! redraw is a plain line appended to stderr, with no cursor movement and
//! no escape codes, so a log file or CI console reads it as it grows.

use std::io::Write;

use indicatif::TermLike;

/// Plain lines on stderr; a width that fits a CI console.
#[derive(Debug, Default)]
pub(crate) struct PlainStderr;

impl PlainStderr {
    /// One line, without the padding a terminal redraw would use; blank
    /// lines (a terminal's clearing) are left out.
    fn put(s: &str) -> std::io::Result<()> {
        let s = s.trim_end();
        if s.trim().is_empty() {
            return Ok(());
        }
        std::io::stderr()
            .lock()
            .write_all(format!("{s}\n").as_bytes())
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
        Self::put(s)
    }

    fn write_str(&self, s: &str) -> std::io::Result<()> {
        Self::put(s)
    }

    fn clear_line(&self) -> std::io::Result<()> {
        Ok(())
    }

    fn flush(&self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
