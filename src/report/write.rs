//! The per-row results report and the error report writers. Files are created owner-only (0600) because they hold personal
//! data; an existing file is refused unless the caller allows overwriting.
//! Passwords never reach these types: the error report copies every input
//! column except the ones the mapping marks as secret.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::input::Row;
use crate::report::entry::{ReportEntry, Status, REPORT_COLUMNS};
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
struct ReportFile {
    out: BufWriter<File>,
    format: ReportFormat,
}

/// Room for a few hundred report lines between writes to the file.
const REPORT_BUFFER: usize = 64 * 1024;

impl ReportFile {
    fn new(file: File, path: &Path) -> ReportFile {
        ReportFile {
            out: BufWriter::with_capacity(REPORT_BUFFER, file),
            format: ReportFormat::from_path(path),
        }
    }

    /// Writes a CSV header, if this is a CSV file.
    fn header<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) -> std::io::Result<()> {
        match self.format {
            ReportFormat::Csv => crate::report::csv_line::write_record(&mut self.out, names),
            ReportFormat::Ndjson => Ok(()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// Flushes and forces the bytes to disk (before an atomic rename).
    fn sync(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_all()
    }
}

/// Writes results report entries.
pub struct ReportWriter {
    file: ReportFile,
    /// Room to build one line in.
    line: Vec<u8>,
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
        })
    }

    /// Continues an existing report (`--resume`): cuts a torn tail at
    /// `complete_len`, then appends. An empty file gets the CSV header.
    pub(crate) fn append(path: &Path, complete_len: u64) -> anyhow::Result<Self> {
        let file = open_private(path, false)?;
        file.set_len(complete_len)?;
        let mut file = file;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0))?;
        ReportWriter::start(file, path, complete_len == 0)
    }

    /// Flushes and syncs to disk.
    pub fn sync(mut self) -> anyhow::Result<()> {
        Ok(self.file.sync()?)
    }

    /// A dry run's `valid` entry: the same line as [`ReportWriter::write`]
    /// gives, without building a [`ReportEntry`] (one per input row).
    pub(crate) fn write_valid(&mut self, row: u64, username: &str) -> anyhow::Result<()> {
        if self.file.format == ReportFormat::Ndjson {
            return self.write(&ReportEntry {
                row,
                username: username.to_owned(),
                status: Some(Status::Valid),
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
        line.extend_from_slice(b",valid,,,,,,,0,,\n");
        Ok(self.file.out.write_all(line)?)
    }

    pub fn write(&mut self, entry: &ReportEntry) -> anyhow::Result<()> {
        let w = &mut self.file.out;
        match self.file.format {
            ReportFormat::Csv => {
                // Borrowed fields: no per-row serde or allocation.
                let mut row = itoa::Buffer::new();
                let mut attempts = itoa::Buffer::new();
                let confirmed = match entry.user_confirmed {
                    Some(true) => "true",
                    Some(false) => "false",
                    None => "",
                };
                crate::report::csv_line::write_record(
                    w,
                    [
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
                    ],
                )?
            }
            ReportFormat::Ndjson => {
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

/// Writes the error report: failed rows with their own input columns
/// (minus secret ones), so a person can see and fix them.
pub(crate) struct ErrorWriter {
    file: ReportFile,
    columns: Vec<String>,
    secret: Vec<String>,
}

/// A CSV cell a spreadsheet would run as a formula (it starts with `=`,
/// `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, which
/// spreadsheets show as text: an error report is opened in one, and its
/// cells come from the input.
pub(crate) fn formula_guarded(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// The fixed columns an error report starts with, in order.
const ERROR_COLUMNS: [&str; 5] = ["row", "username", "status", "error_code", "error_message"];

impl ErrorWriter {
    /// Whether `path` holds an error report this tool wrote (or nothing):
    /// its CSV header or, for NDJSON, a first line with a row and a status.
    pub(crate) fn is_error_report(path: &Path) -> bool {
        use std::io::{BufRead, Read};
        let Ok(file) = File::open(path) else {
            return false;
        };
        let mut first = String::new();
        // A header line is short; a long first line is someone else's file.
        let mut reader = std::io::BufReader::new(file.take(64 * 1024));
        if reader.read_line(&mut first).is_err() {
            return false;
        }
        let first = first.trim_end();
        match ReportFormat::from_path(path) {
            _ if first.is_empty() => true,
            ReportFormat::Csv => first.starts_with(&ERROR_COLUMNS.join(",")),
            ReportFormat::Ndjson => serde_json::from_str::<serde_json::Value>(first)
                .is_ok_and(|v| v.get("row").is_some() && v.get("status").is_some()),
        }
    }

    /// `columns` are the input's columns known at the start; `secret` the
    /// columns never to copy. Later NDJSON keys go to `other_fields` (CSV) or
    /// the `input` object (NDJSON).
    pub(crate) fn create(
        path: &Path,
        overwrite: bool,
        columns: &[String],
        secret: &[String],
    ) -> anyhow::Result<Self> {
        ErrorWriter::start(create_private(path, overwrite)?, path, columns, secret)
    }

    /// Writes a new error report into `temp`, as [`ErrorWriter::create`].
    pub(crate) fn to_temp(
        temp: &TempFile,
        columns: &[String],
        secret: &[String],
    ) -> anyhow::Result<Self> {
        ErrorWriter::start(temp.handle()?, temp.path(), columns, secret)
    }

    /// Wraps `file` (named `path`) and writes the header.
    fn start(
        file: File,
        path: &Path,
        columns: &[String],
        secret: &[String],
    ) -> anyhow::Result<Self> {
        let mut file = ReportFile::new(file, path);
        let columns: Vec<String> = columns
            .iter()
            .filter(|c| !secret.contains(c))
            .cloned()
            .collect();
        file.header(
            (ERROR_COLUMNS.into_iter())
                .chain(columns.iter().map(String::as_str))
                .chain(["other_fields"]),
        )?;
        Ok(ErrorWriter {
            file,
            columns,
            secret: secret.to_vec(),
        })
    }

    /// Continues an existing error report (a resumed run from stdin, whose
    /// error report cannot be rebuilt from a second read of the input).
    pub(crate) fn append(
        path: &Path,
        columns: &[String],
        secret: &[String],
    ) -> anyhow::Result<Self> {
        if std::fs::metadata(path).map_or(true, |m| m.len() == 0) {
            return ErrorWriter::create(path, true, columns, secret);
        }
        let file = open_private(path, true)?;
        Ok(ErrorWriter {
            file: ReportFile::new(file, path),
            columns: columns
                .iter()
                .filter(|c| !secret.contains(c))
                .cloned()
                .collect(),
            secret: secret.to_vec(),
        })
    }

    pub(crate) fn write(&mut self, entry: &ReportEntry, row: Option<&Row>) -> anyhow::Result<()> {
        let status = entry.status.map_or("", Status::as_str);
        let cells: Vec<(&str, &str)> = row
            .map(|r| {
                r.cells()
                    .filter(|(name, _)| !self.secret.iter().any(|s| s == name))
                    .collect()
            })
            .unwrap_or_default();
        let w = &mut self.file.out;
        match self.file.format {
            ReportFormat::Csv => {
                let row_number = entry.row.to_string();
                let mut record = vec![
                    row_number.as_str(),
                    entry.username.as_str(),
                    status,
                    entry.error_code.as_str(),
                    entry.error_message.as_str(),
                ];
                for column in &self.columns {
                    record.push(
                        cells
                            .iter()
                            .find(|(n, _)| n == column)
                            .map_or("", |(_, v)| v),
                    );
                }
                let others: serde_json::Map<String, serde_json::Value> = cells
                    .iter()
                    .filter(|(n, v)| !v.is_empty() && !self.columns.iter().any(|c| c == n))
                    .map(|(n, v)| ((*n).to_owned(), serde_json::Value::from(*v)))
                    .collect();
                let others = if others.is_empty() {
                    String::new()
                } else {
                    serde_json::Value::Object(others).to_string()
                };
                record.push(&others);
                // The row number is ours; every other cell may be hostile.
                let guarded = record.iter().enumerate().map(|(i, cell)| match i {
                    0 => Cow::Borrowed(*cell),
                    _ => formula_guarded(cell),
                });
                let guarded: Vec<Cow<str>> = guarded.collect();
                crate::report::csv_line::write_record(w, guarded.iter().map(|c| c.as_ref()))?;
            }
            ReportFormat::Ndjson => {
                let input: serde_json::Map<String, serde_json::Value> = cells
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), serde_json::Value::from(*v)))
                    .collect();
                let line = serde_json::json!({
                    "row": entry.row,
                    "username": entry.username,
                    "status": status,
                    "error_code": entry.error_code,
                    "error_message": entry.error_message,
                    "input": input,
                });
                serde_json::to_writer(&mut *w, &line)?;
                w.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    pub(crate) fn flush(&mut self) -> anyhow::Result<()> {
        Ok(self.file.flush()?)
    }

    /// Flushes and syncs to disk.
    pub(crate) fn sync(mut self) -> anyhow::Result<()> {
        Ok(self.file.sync()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Columns;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::Arc;

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
            "row,username,status,user_sub,user_confirmed,delivery_medium,delivery_destination,error_code,error_message,attempts,request_id,note\n1,ann,created,,false,,,,,1,,\n"
        );
        let err = ReportWriter::create(&path, false).err().expect("refused");
        assert!(err.to_string().contains("--overwrite"), "{err}");
        assert!(ReportWriter::create(&path, true).is_ok());
    }

    #[test]
    fn error_report_leaves_out_secret_columns() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("errors.csv");
        let names: Vec<String> = ["username", "password", "email"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let columns = Arc::new(Columns::new(names.clone()));
        let mut writer =
            ErrorWriter::create(&path, false, &names, &["password".to_owned()]).expect("create");
        let row = Row {
            number: 3,
            columns,
            values: crate::input::StringRecord::from(vec!["ann", "Sup3r$ecret", "bad"]),
        };
        let entry = ReportEntry {
            row: 3,
            username: "ann".into(),
            status: Some(Status::Invalid),
            error_code: "InvalidEmail".into(),
            error_message: "column \"email\": \"bad\" is not an email address".into(),
            ..ReportEntry::default()
        };
        writer.write(&entry, Some(&row)).expect("write");
        writer.flush().expect("flush");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(!text.contains("Sup3r$ecret"), "{text}");
        assert!(text.starts_with(
            "row,username,status,error_code,error_message,username,email,other_fields\n"
        ));
        assert!(text.contains("3,ann,invalid,InvalidEmail,"), "{text}");
    }

    /// Cells a spreadsheet would run as formulas are written as text.
    #[test]
    fn error_report_cells_never_start_a_formula() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("errors.csv");
        let names: Vec<String> = ["username", "given_name", "phone"]
            .map(str::to_owned)
            .to_vec();
        let columns = Arc::new(Columns::new(names.clone()));
        let mut writer = ErrorWriter::create(&path, false, &names, &[]).expect("create");
        let row = Row {
            number: 1,
            columns,
            values: crate::input::StringRecord::from(vec![
                "+15550100",
                "=HYPERLINK(\"http://x\")",
                "@SUM(A1)",
            ]),
        };
        let entry = ReportEntry {
            row: 1,
            username: "+15550100".into(),
            status: Some(Status::Rejected),
            error_code: "InvalidParameterException".into(),
            error_message: "-bad".into(),
            ..ReportEntry::default()
        };
        writer.write(&entry, Some(&row)).expect("write");
        writer.flush().expect("flush");
        let text = std::fs::read_to_string(&path).expect("read");
        let line = text.lines().nth(1).expect("a row");
        assert_eq!(
            line,
            "1,'+15550100,rejected,InvalidParameterException,'-bad,'+15550100,\"'=HYPERLINK(\"\"http://x\"\")\",'@SUM(A1),"
        );
        assert_eq!(formula_guarded("plain"), "plain");
        assert_eq!(formula_guarded("\tx"), "'\tx");
    }
}
