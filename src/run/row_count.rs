//! The progress bar's total: the rows of a plain (uncompressed) CSV or
//! NDJSON file, counted as lines on a thread of their own while the run
//! starts. Stdin, compressed inputs and JSON arrays have no total (the
//! display stays a spinner with counts). Quoted line breaks in CSV make
//! the count an estimate.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::input::sniff;
use crate::input::{Format, ReadSettings};

/// What to count, if the input can be counted.
pub(crate) fn countable(path: &Path, read: &ReadSettings) -> Option<(PathBuf, bool)> {
    if read.format == Format::Json {
        return None;
    }
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut reader = BufReader::new(File::open(path).ok()?);
    if sniff::compression(reader.fill_buf().ok()?).is_some() {
        return None;
    }
    let header = read.format == Format::Csv && read.columns.is_none();
    Some((path.to_path_buf(), header))
}

/// The lines of the file (a last one without a newline counts), less the
/// header line.
pub(crate) fn count_rows(path: &Path, header: bool) -> std::io::Result<u64> {
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 256 * 1024];
    let (mut lines, mut last) = (0u64, b'\n');
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        last = buf[n - 1];
    }
    lines += u64::from(last != b'\n');
    Ok(lines.saturating_sub(u64::from(header)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_less_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u.csv");
        std::fs::write(&path, "a,b\n1,2\n3,4").unwrap();
        assert_eq!(count_rows(&path, true).unwrap(), 2);
        std::fs::write(&path, "{}\n{}\n").unwrap();
        assert_eq!(count_rows(&path, false).unwrap(), 2);
    }
}
