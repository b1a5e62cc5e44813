//! The per-row results report's writer, and the buffered report file both
//! reports write through (the error report's writer is
//! [`crate::report::error_write`]). Files are created owner-only (0600)
//! because they hold personal data; an existing file is refused unless the
//! caller allows overwriting. Passwords never reach these types.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::report::entry::{ReportEntry, Status, OLD_REPORT_COLUMNS, REPORT_COLUMNS};
use crate::report::private_file::{create_private, open_private};
use crate::report::temp_file::TempFile;

/// Report file formats, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReportFormat {
    Csv,
    Ndjson,
}

impl ReportFormat {
    /// NDJSON for `.ndjson`/`.jsonl`, else CSV.
    pub(crate) fn from_path(path: &Path) -> ReportFormat {
        match crate::input::extension_of(path).as_deref() {
            Some("ndjson" | "jsonl") => ReportFormat::Ndjson,
            _ => ReportFormat::Csv,
        }
    }
}

/// A report file being written: buffered, in the format its name asks for.
/// Both reports write CSV through [`crate::report::csv_line`].
pub(crate) struct ReportFile {
    pub(crate) out: BufWriter<File>,
    pub(crate) format: ReportFormat,
}

/// Room for a few hundred report lines between writes to the file.
const REPORT_BUFFER: usize = 64 * 1024;

impl ReportFile {
    pub(crate) fn new(file: File, path: &Path) -> ReportFile {
        ReportFile {
            out: BufWriter::with_capacity(REPORT_BUFFER, file),
            format: ReportFormat::from_path(path),
        }
    }

    /// Writes a CSV header, if this is a CSV file.
    pub(crate) fn header<'a>(
        &mut self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> std::io::Result<()> {
        match self.format {
            ReportFormat::Csv => crate::report::csv_line::write_record(&mut self.out, names),
            ReportFormat::Ndjson => Ok(()),
        }
    }

    pub(crate) fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// Flushes and forces the bytes to disk (before an atomic rename).
    pub(crate) fn sync(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_all()
    }
}

/// Writes results report entries.
pub struct ReportWriter {
    file: ReportFile,
    /// Room to build one line in.
    line: Vec<u8>,
    /// Continuing a CSV report of an earlier version (`--resume`): its lines
    /// keep that version's columns, so the file stays one table.
    old_form: bool,
}

impl ReportWriter {
    /// Creates the report at `path`; writes the CSV header.
    pub fn create(path: &Path, overwrite: bool) -> anyhow::Result<Self> {
        let file = create_private(path, overwrite)?;
        ReportWriter::start(file, path, true)
    }

    /// Writes a new report into `temp` (in the format of the name it
    /// will be moved to); writes the CSV header.
    pub(crate) fn to_temp(temp: &TempFile) -> anyhow::Result<Self> {
        ReportWriter::start(temp.handle()?, temp.path(), true)
    }

    /// Wraps `file`; writes the CSV header when `header` is set.
    fn start(file: File, path: &Path, header: bool) -> anyhow::Result<Self> {
        let mut file = ReportFile::new(file, path);
        if header {
            file.header(REPORT_COLUMNS)?;
        }
        Ok(ReportWriter {
            file,
            line: Vec::new(),
            old_form: false,
        })
    }

    /// Continues an existing report (`--resume`): cuts a torn tail at
    /// `complete_len`, then appends. An empty file gets the CSV header;
    /// `old_form`: the file has an earlier version's CSV header (see
    /// [`crate::report::read::EntryReader::old_form`]), whose columns the
    /// new lines keep.
    pub(crate) fn append(path: &Path, complete_len: u64, old_form: bool) -> anyhow::Result<Self> {
        let file = open_private(path, false)?;
        file.set_len(complete_len)?;
        let mut file = file;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0))?;
        let mut writer = ReportWriter::start(file, path, complete_len == 0)?;
        writer.old_form = old_form && complete_len > 0 && writer.file.format == ReportFormat::Csv;
        Ok(writer)
    }

    /// Flushes and syncs to disk.
    pub fn sync(mut self) -> anyhow::Result<()> {
        Ok(self.file.sync()?)
    }

    /// A dry run's `valid` entry: the same line as [`ReportWriter::write`]
    /// gives, without building a [`ReportEntry`] (one per input row).
    pub(crate) fn write_valid(
        &mut self,
        row: u64,
        source_row: Option<u64>,
        username: &str,
    ) -> anyhow::Result<()> {
        if self.file.format == ReportFormat::Ndjson {
            return self.write(&ReportEntry {
                row,
                username: username.to_owned(),
                status: Some(Status::Valid),
                source_row,
                ..ReportEntry::default()
            });
        }
        // The line is built in a reused buffer and written once: one
        // buffered-writer call per row instead of one per piece.
        let line = &mut self.line;
        line.clear();
        line.extend_from_slice(itoa::Buffer::new().format(row).as_bytes());
        line.push(b',');
        crate::report::csv_line::write_field(line, username)?;
        line.extend_from_slice(b",valid,,,,,,,0,,");
        if !self.old_form {
            line.push(b',');
            if let Some(source_row) = source_row {
                line.extend_from_slice(itoa::Buffer::new().format(source_row).as_bytes());
            }
            // `verified`, `steps`, `step_error`: rows not sent have none.
            line.extend_from_slice(b",,,");
        }
        line.push(b'\n');
        Ok(self.file.out.write_all(line)?)
    }

    pub fn write(&mut self, entry: &ReportEntry) -> anyhow::Result<()> {
        match self.file.format {
            ReportFormat::Csv => {
                // Borrowed fields: no per-row serde or allocation.
                let mut row = itoa::Buffer::new();
                let mut attempts = itoa::Buffer::new();
                let mut source_row = itoa::Buffer::new();
                let confirmed = match entry.user_confirmed {
                    Some(true) => "true",
                    Some(false) => "false",
                    None => "",
                };
                let columns = match self.old_form {
                    true => OLD_REPORT_COLUMNS,
                    false => REPORT_COLUMNS.len(),
                };
                let fields = [
                    row.format(entry.row),
                    &entry.username,
                    entry.status.map_or("", Status::as_str),
                    &entry.user_sub,
                    confirmed,
                    &entry.delivery_medium,
                    &entry.delivery_destination,
                    &entry.error_code,
                    &entry.error_message,
                    attempts.format(entry.attempts),
                    &entry.request_id,
                    &entry.note,
                    entry.source_row.map_or("", |r| source_row.format(r)),
                    &entry.verified,
                    &entry.steps,
                    &entry.step_error,
                ];
                // Built in the reused line buffer, then written at once: one
                // buffered-writer call per row instead of one per field.
                let line = &mut self.line;
                line.clear();
                crate::report::csv_line::write_record(line, fields.into_iter().take(columns))?;
                self.file.out.write_all(line)?;
            }
            ReportFormat::Ndjson => {
                let w = &mut self.file.out;
                serde_json::to_writer(&mut *w, entry)?;
                w.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    pub fn flush(&mut self) -> anyhow::Result<()> {
        Ok(self.file.flush()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn report_is_private_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.csv");
        let mut writer = ReportWriter::create(&path, false).expect("create");
        writer
            .write(&ReportEntry {
                row: 1,
                username: "ann".into(),
                status: Some(Status::Created),
                user_confirmed: Some(false),
                attempts: 1,
                ..ReportEntry::default()
            })
            .expect("write");
        writer.flush().expect("flush");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            text,
            "row,username,status,user_sub,user_confirmed,delivery_medium,delivery_destination,error_code,error_message,attempts,request_id,note,source_row,verified,steps,step_error\n1,ann,created,,false,,,,,1,,,,,,\n"
        );
        let err = ReportWriter::create(&path, false).err().expect("refused");
        assert!(err.to_string().contains("--overwrite"), "{err}");
        assert!(ReportWriter::create(&path, true).is_ok());
    }

    /// The dry run's fast path writes what [`ReportWriter::write`] would.
    #[test]
    fn a_valid_line_is_the_entry_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        for source_row in [None, Some(31)] {
            let (fast, slow) = (dir.path().join("fast.csv"), dir.path().join("slow.csv"));
            let mut writer = ReportWriter::create(&fast, true).expect("create");
            writer.write_valid(4, source_row, "a,b").expect("write");
            writer.sync().expect("sync");
            let mut writer = ReportWriter::create(&slow, true).expect("create");
            let entry = ReportEntry {
                row: 4,
                username: "a,b".into(),
                status: Some(Status::Valid),
                source_row,
                ..ReportEntry::default()
            };
            writer.write(&entry).expect("write");
            writer.sync().expect("sync");
            let text = std::fs::read_to_string(&fast).expect("read");
            assert_eq!(text, std::fs::read_to_string(&slow).expect("read"));
            let line = text.lines().nth(1).expect("a line");
            assert!(line.ends_with(&source_row.map_or(",,,,".to_owned(), |r| format!(",{r},,,"))));
        }
    }

    /// `--resume` over an earlier version's report keeps its columns, so
    /// the file stays one table that the reader (and any CSV tool) reads.
    #[test]
    fn an_older_report_is_continued_in_its_own_form() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.csv");
        let old = format!(
            "{}\n1,ann,created,,false,,,,,1,,\n",
            REPORT_COLUMNS[..OLD_REPORT_COLUMNS].join(",")
        );
        std::fs::write(&path, &old).expect("write");
        let mut writer = ReportWriter::append(&path, old.len() as u64, true).expect("append");
        let bob = ReportEntry {
            row: 2,
            username: "bob".into(),
            status: Some(Status::Valid),
            source_row: Some(9),
            ..ReportEntry::default()
        };
        writer.write(&bob).expect("write");
        writer.write_valid(3, Some(9), "cat").expect("write");
        writer.sync().expect("sync");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            text,
            format!("{old}2,bob,valid,,,,,,,0,,\n3,cat,valid,,,,,,,0,,\n")
        );
    }
}
