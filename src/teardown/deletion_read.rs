//! Reading a deletion report back, for `--resume`. The report is written a
//! line at a time, so a process killed mid-write leaves at most its last
//! line torn (no final newline, or unreadable at the very end): that line
//! is dropped, and its user considered again. Any other unreadable line,
//! or another header, means the file is not a deletion report: refused.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{bail, Context};

use crate::report::read::ends_with_newline;
use crate::report::write::ReportFormat;
use crate::teardown::outcome::{DeletionEntry, DELETION_COLUMNS};

/// Calls `each` with every complete entry of the deletion report at `path`.
pub(crate) fn read_entries(
    path: &Path,
    each: impl FnMut(DeletionEntry) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let file =
        File::open(path).with_context(|| format!("cannot open report {}", path.display()))?;
    let opened = Opened {
        len: file.metadata()?.len(),
        complete_end: ends_with_newline(path)?,
        path,
    };
    match ReportFormat::from_path(path) {
        ReportFormat::Ndjson => opened.ndjson(file, each),
        ReportFormat::Csv => opened.csv(file, each),
    }
}

/// A deletion report open for reading.
struct Opened<'a> {
    path: &'a Path,
    len: u64,
    /// The file ends with a newline: its last line is whole.
    complete_end: bool,
}

impl Opened<'_> {
    fn unreadable(&self, at: u64, e: &dyn std::fmt::Display) -> anyhow::Error {
        anyhow::anyhow!(
            "{}: unreadable entry at byte {at}: {e}; this is not a deletion report of bulk-signup delete-users",
            self.path.display()
        )
    }

    fn ndjson(
        &self,
        file: File,
        mut each: impl FnMut(DeletionEntry) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let (mut reader, mut line, mut at) = (BufReader::new(file), Vec::new(), 0u64);
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)? as u64;
            let last = at + n >= self.len;
            if n == 0 || (last && !self.complete_end) {
                return Ok(());
            }
            if !line.iter().all(u8::is_ascii_whitespace) {
                match serde_json::from_slice(&line) {
                    Ok(entry) => each(entry)?,
                    Err(_) if last => return Ok(()),
                    Err(e) => return Err(self.unreadable(at, &e)),
                }
            }
            at += n;
        }
    }

    fn csv(
        &self,
        file: File,
        mut each: impl FnMut(DeletionEntry) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(BufReader::new(file));
        let mut header = csv::StringRecord::new();
        let read = reader.read_record(&mut header);
        let last = reader.position().byte() >= self.len;
        match read {
            // Empty, or killed while writing the header: nothing is settled.
            Ok(false) => return Ok(()),
            Ok(true) if last && !self.complete_end && torn_header(self.path, self.len)? => {
                return Ok(())
            }
            Ok(true) if header.iter().eq(DELETION_COLUMNS) => {}
            _ => bail!(
                "{} is not a deletion report of bulk-signup delete-users (its header is not {})",
                self.path.display(),
                DELETION_COLUMNS.join(",")
            ),
        }
        let mut record = csv::StringRecord::new();
        loop {
            let start = reader.position().byte();
            let read = reader.read_record(&mut record);
            let last = reader.position().byte() >= self.len;
            let entry = match read {
                Ok(false) => return Ok(()),
                Ok(true) if last && !self.complete_end => return Ok(()),
                Ok(true) => record.deserialize::<DeletionEntry>(Some(&header)),
                Err(e) => Err(e),
            };
            match entry {
                Ok(entry) => each(entry)?,
                Err(_) if last => return Ok(()),
                Err(e) => return Err(self.unreadable(start, &e)),
            }
        }
    }
}

/// Whether the file is a strict prefix of the CSV header line (a report
/// killed while it was being created), rather than some other file.
fn torn_header(path: &Path, file_len: u64) -> anyhow::Result<bool> {
    let header = format!("{}\n", DELETION_COLUMNS.join(","));
    if file_len >= header.len() as u64 {
        return Ok(false);
    }
    Ok(header.as_bytes().starts_with(&std::fs::read(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::teardown::deletion_write::DeletionWriter;
    use crate::teardown::outcome::Outcome;

    fn entries(path: &Path) -> anyhow::Result<Vec<DeletionEntry>> {
        let mut all = Vec::new();
        read_entries(path, |e| {
            all.push(e);
            Ok(())
        })?;
        Ok(all)
    }

    fn entry(row: u64, status: Outcome, message: &str) -> DeletionEntry {
        DeletionEntry {
            row,
            username: format!("user,{row}"),
            user_sub: format!("sub-{row}"),
            status,
            error_code: String::new(),
            error_message: message.to_owned(),
        }
    }

    #[test]
    fn entries_read_back_and_a_torn_last_line_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["deleted.csv", "deleted.ndjson"] {
            let path = dir.path().join(name);
            let mut writer = DeletionWriter::create(&path, false).expect("create");
            let written = [
                entry(1, Outcome::Deleted, ""),
                entry(2, Outcome::Skipped, "say \"why\""),
                entry(3, Outcome::Failed, "a, b"),
            ];
            for e in &written {
                writer.write(e).expect("write");
            }
            writer.sync().expect("sync");
            assert_eq!(entries(&path).expect("read"), written, "{name}");
            let full = std::fs::read(&path).expect("read");
            std::fs::write(&path, &full[..full.len() - 4]).expect("tear");
            assert_eq!(entries(&path).expect("read"), written[..2], "{name}");
        }
    }

    #[test]
    fn another_file_is_refused_and_a_torn_header_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let run = dir.path().join("run.csv");
        std::fs::write(&run, "row,username,status\n1,ann,created\n").expect("write");
        let err = entries(&run).expect_err("refused");
        assert!(err.to_string().contains("not a deletion report"), "{err}");
        let torn = dir.path().join("torn.csv");
        std::fs::write(&torn, "row,username,us").expect("write");
        assert!(entries(&torn).expect("read").is_empty());
        let other = dir.path().join("notes.csv");
        std::fs::write(&other, "my notes, unfinished").expect("write");
        assert!(entries(&other).is_err(), "not a torn header: refused");
        let json = dir.path().join("bad.ndjson");
        std::fs::write(&json, "{\"row\":1}\n{\"row\":2}\n").expect("write");
        let err = entries(&json).expect_err("refused");
        assert!(err.to_string().contains("at byte 0"), "{err}");
    }
}
