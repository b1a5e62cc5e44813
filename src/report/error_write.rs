//! The error report's writer: the rows that are not `created`/`exists`,
//! each with the report's own columns ([`crate::report::error_columns`])
//! and the input's columns under their own names, so a person can fix the
//! rows in a spreadsheet and run the file again with the same mapping.
//! Password columns and columns no rule reads are never copied: they may
//! hold anything.

use std::borrow::Cow;
use std::fs::File;
use std::io::Write;
use std::path::Path;

use serde_json::Value;

use crate::input::Row;
use crate::report::entry::{ReportEntry, Status};
use crate::report::error_columns::{
    is_bookkeeping, ERROR_CODE, ERROR_MESSAGE, LEADING, OLD_LEADING, OTHER_FIELDS, ROW, SOURCE_ROW,
    STATUS, USERNAME,
};
use crate::report::formula_guard::guarded;
use crate::report::private_file::{create_private, open_private};
use crate::report::temp_file::TempFile;
use crate::report::write::{ReportFile, ReportFormat};

/// Which input columns an error report copies.
pub(crate) struct Copied<'a> {
    /// The input's columns known when the report starts.
    pub(crate) names: &'a [String],
    /// Columns never copied: password columns, columns no rule reads.
    pub(crate) secret: &'a [String],
    /// Columns may come after the header is written (NDJSON keys): a CSV
    /// report then ends with `bulk-signup:other_fields` to hold them.
    pub(crate) open_ended: bool,
}

/// Writes the error report (CSV, or NDJSON by the file's name).
pub(crate) struct ErrorWriter {
    file: ReportFile,
    /// The input columns of the CSV header, in order.
    columns: Vec<String>,
    secret: Vec<String>,
    open_ended: bool,
}

impl ErrorWriter {
    /// Whether `path` holds an error report this tool wrote (or nothing):
    /// its CSV header (an earlier version's too) or, for NDJSON, a first
    /// line with a row and a status.
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
        let has =
            |v: &Value, row: &str, status: &str| v.get(row).is_some() && v.get(status).is_some();
        match ReportFormat::from_path(path) {
            _ if first.is_empty() => true,
            ReportFormat::Csv => {
                first.starts_with(&LEADING.join(",")) || first.starts_with(&OLD_LEADING.join(","))
            }
            ReportFormat::Ndjson => serde_json::from_str::<Value>(first)
                .is_ok_and(|v| has(&v, ROW, STATUS) || has(&v, "row", "status")),
        }
    }

    /// Creates the report at `path` and writes its header.
    pub(crate) fn create(path: &Path, overwrite: bool, copied: &Copied) -> anyhow::Result<Self> {
        ErrorWriter::start(create_private(path, overwrite)?, path, copied, true)
    }

    /// Writes a new error report into `temp`, as [`ErrorWriter::create`].
    pub(crate) fn to_temp(temp: &TempFile, copied: &Copied) -> anyhow::Result<Self> {
        ErrorWriter::start(temp.handle()?, temp.path(), copied, true)
    }

    /// Continues an existing error report (a resumed run from stdin, whose
    /// error report cannot be rebuilt from a second read of the input).
    pub(crate) fn append(path: &Path, copied: &Copied) -> anyhow::Result<Self> {
        if std::fs::metadata(path).map_or(true, |m| m.len() == 0) {
            return ErrorWriter::create(path, true, copied);
        }
        ErrorWriter::start(open_private(path, true)?, path, copied, false)
    }

    /// Wraps `file` (named `path`); writes the header when `header` is set.
    fn start(file: File, path: &Path, copied: &Copied, header: bool) -> anyhow::Result<Self> {
        let mut writer = ErrorWriter {
            file: ReportFile::new(file, path),
            columns: (copied.names.iter())
                .filter(|c| !copied.secret.contains(c) && !is_bookkeeping(c))
                .cloned()
                .collect(),
            secret: copied.secret.to_vec(),
            open_ended: copied.open_ended,
        };
        if header {
            let others = writer.open_ended.then_some(OTHER_FIELDS);
            let names = LEADING
                .into_iter()
                .chain(writer.columns.iter().map(String::as_str));
            writer.file.header(names.chain(others))?;
        }
        Ok(writer)
    }

    /// Writes one failed row: its entry and, when the record could be
    /// read, its cells (password cells already blank).
    pub(crate) fn write(&mut self, entry: &ReportEntry, row: Option<&Row>) -> anyhow::Result<()> {
        let cells: Vec<(&str, &str)> = row
            .map(|r| {
                r.cells()
                    .filter(|(name, _)| !self.secret.iter().any(|s| s == name))
                    .filter(|(name, _)| !is_bookkeeping(name))
                    .collect()
            })
            .unwrap_or_default();
        match self.file.format {
            ReportFormat::Csv => self.write_csv(entry, &cells),
            ReportFormat::Ndjson => self.write_ndjson(entry, &cells),
        }
    }

    /// A CSV line: the report's columns, the header's input columns, and
    /// (open-ended) the cells the header has no column for.
    fn write_csv(&mut self, entry: &ReportEntry, cells: &[(&str, &str)]) -> anyhow::Result<()> {
        let (mut row, mut source_row) = (itoa::Buffer::new(), itoa::Buffer::new());
        // Row numbers and statuses are ours; every other cell may be hostile.
        let mut record: Vec<Cow<str>> = vec![
            Cow::Borrowed(row.format(entry.row)),
            Cow::Borrowed(entry.source_row.map_or("", |r| source_row.format(r))),
            guarded(&entry.username),
            Cow::Borrowed(entry.status.map_or("", Status::as_str)),
            guarded(&entry.error_code),
            guarded(&entry.error_message),
        ];
        let cell = |column: &str| cells.iter().find(|(n, _)| *n == column).map_or("", |c| c.1);
        record.extend(self.columns.iter().map(|column| guarded(cell(column))));
        if self.open_ended {
            let others: serde_json::Map<String, Value> = (cells.iter())
                .filter(|(n, v)| !v.is_empty() && !self.columns.iter().any(|c| c == n))
                .map(|(n, v)| ((*n).to_owned(), Value::from(*v)))
                .collect();
            record.push(match others.is_empty() {
                true => Cow::Borrowed(""),
                false => Cow::Owned(Value::Object(others).to_string()),
            });
        }
        let fields = record.iter().map(|c| c.as_ref());
        Ok(crate::report::csv_line::write_record(
            &mut self.file.out,
            fields,
        )?)
    }

    /// An NDJSON line: one flat object, the report's keys first, then the
    /// input's keys as they were (read back as input, it maps the same).
    fn write_ndjson(&mut self, entry: &ReportEntry, cells: &[(&str, &str)]) -> anyhow::Result<()> {
        let own = [
            (ROW, Value::from(entry.row)),
            (
                SOURCE_ROW,
                entry.source_row.map_or(Value::Null, Value::from),
            ),
            (USERNAME, Value::from(entry.username.as_str())),
            (STATUS, Value::from(entry.status.map_or("", Status::as_str))),
            (ERROR_CODE, Value::from(entry.error_code.as_str())),
            (ERROR_MESSAGE, Value::from(entry.error_message.as_str())),
        ];
        let input = cells.iter().map(|(n, v)| (*n, Value::from(*v)));
        // Written pair by pair: a JSON map would sort the keys.
        let w = &mut self.file.out;
        w.write_all(b"{")?;
        for (i, (name, value)) in own.into_iter().chain(input).enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            serde_json::to_writer(&mut *w, name)?;
            w.write_all(b":")?;
            serde_json::to_writer(&mut *w, &value)?;
        }
        Ok(w.write_all(b"}\n")?)
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
    use crate::input::{Columns, StringRecord};
    use std::sync::Arc;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn row(number: u64, names: &[String], cells: Vec<&str>) -> Row {
        Row {
            number,
            columns: Arc::new(Columns::new(names.to_vec())),
            values: StringRecord::from(cells),
        }
    }

    fn invalid(row: u64, username: &str, message: &str) -> ReportEntry {
        ReportEntry {
            row,
            username: username.into(),
            status: Some(Status::Invalid),
            error_code: "InvalidEmail".into(),
            error_message: message.into(),
            ..ReportEntry::default()
        }
    }

    /// Writes `entries` with their rows to `name`; returns the file's text.
    fn written(name: &str, copied: &Copied, entries: &[(ReportEntry, Row)]) -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        let mut writer = ErrorWriter::create(&path, false, copied).expect("create");
        for (entry, row) in entries {
            writer.write(entry, Some(row)).expect("write");
        }
        writer.sync().expect("sync");
        std::fs::read_to_string(&path).expect("read")
    }

    #[test]
    fn error_report_leaves_out_secret_columns() {
        let names = strings(&["username", "password", "email"]);
        let copied = Copied {
            names: &names,
            secret: &strings(&["password"]),
            open_ended: false,
        };
        let ann = row(3, &names, vec!["ann", "Sup3r$ecret", "bad"]);
        let entry = invalid(
            3,
            "ann",
            "column \"email\": \"bad\" is not an email address",
        );
        let text = written("errors.csv", &copied, &[(entry, ann)]);
        assert!(!text.contains("Sup3r$ecret"), "{text}");
        assert!(!text.contains("password"), "{text}");
        assert!(text.starts_with(
            "bulk-signup:row,bulk-signup:source_row,bulk-signup:username,bulk-signup:status,bulk-signup:error_code,bulk-signup:error_message,username,email\n"
        ), "{text}");
        assert!(text.contains("\n3,,ann,invalid,InvalidEmail,"), "{text}");
    }

    /// The header never names a column twice, even for an input whose own
    /// columns are named like an older report's (`row`, `username`, …) or
    /// that is itself an error report.
    #[test]
    fn the_header_names_every_column_once() {
        let names = strings(&["row", "username", "status", ROW, STATUS, "email"]);
        let copied = Copied {
            names: &names,
            secret: &[],
            open_ended: true,
        };
        let text = written("errors.csv", &copied, &[]);
        let header: Vec<&str> = text.trim_end().split(',').collect();
        let mut unique = header.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), header.len(), "{header:?}");
        assert_eq!(
            &header[LEADING.len()..],
            ["row", "username", "status", "email", OTHER_FIELDS]
        );
    }

    /// Cells a spreadsheet would run as formulas are written as text.
    #[test]
    fn error_report_cells_never_start_a_formula() {
        let names = strings(&["username", "given_name", "phone"]);
        let copied = Copied {
            names: &names,
            secret: &[],
            open_ended: false,
        };
        let cells = vec!["+15550100", "=HYPERLINK(\"http://x\")", "@SUM(A1)"];
        let entry = ReportEntry {
            row: 1,
            username: "+15550100".into(),
            status: Some(Status::Rejected),
            error_code: "InvalidParameterException".into(),
            error_message: "-bad".into(),
            source_row: Some(12),
            ..ReportEntry::default()
        };
        let text = written("errors.csv", &copied, &[(entry, row(1, &names, cells))]);
        let line = text.lines().nth(1).expect("a row");
        assert_eq!(
            line,
            "1,12,'+15550100,rejected,InvalidParameterException,'-bad,'+15550100,\"'=HYPERLINK(\"\"http://x\"\")\",'@SUM(A1)"
        );
    }

    /// Keys the header lacks go to `bulk-signup:other_fields` as JSON.
    #[test]
    fn an_open_ended_report_keeps_later_keys_in_other_fields() {
        let first = strings(&["username", "email"]);
        let later = strings(&["username", "email", "Phone", "Pass"]);
        let copied = Copied {
            names: &first,
            secret: &strings(&["Pass"]),
            open_ended: true,
        };
        let cells = vec!["bob", "bad", "+1 212", "Hunter2"];
        let entry = invalid(2, "bob", "bad email");
        let text = written("errors.csv", &copied, &[(entry, row(2, &later, cells))]);
        assert!(text
            .lines()
            .next()
            .expect("header")
            .ends_with(",username,email,bulk-signup:other_fields"));
        assert!(
            text.contains(",bob,bad,\"{\"\"Phone\"\":\"\"+1 212\"\"}\"\n"),
            "{text}"
        );
        assert!(!text.contains("Hunter2"), "{text}");
    }

    /// NDJSON: one flat object per row, the report's keys first.
    #[test]
    fn an_ndjson_error_report_is_flat() {
        let names = strings(&["username", "password", "email"]);
        let copied = Copied {
            names: &names,
            secret: &strings(&["password"]),
            open_ended: true,
        };
        let ann = row(3, &names, vec!["ann", "Sup3r$ecret", "=bad"]);
        let text = written("errors.ndjson", &copied, &[(invalid(3, "ann", "m"), ann)]);
        assert_eq!(
            text,
            "{\"bulk-signup:row\":3,\"bulk-signup:source_row\":null,\"bulk-signup:username\":\"ann\",\"bulk-signup:status\":\"invalid\",\"bulk-signup:error_code\":\"InvalidEmail\",\"bulk-signup:error_message\":\"m\",\"username\":\"ann\",\"email\":\"=bad\"}\n"
        );
    }

    #[test]
    fn error_reports_are_known_by_their_first_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let names = strings(&["username"]);
        for name in ["errors.csv", "errors.ndjson"] {
            let copied = Copied {
                names: &names,
                secret: &[],
                open_ended: false,
            };
            let path = dir.path().join(name);
            let mut writer = ErrorWriter::create(&path, false, &copied).expect("create");
            let ann = row(1, &names, vec!["ann"]);
            writer
                .write(&invalid(1, "ann", "m"), Some(&ann))
                .expect("write");
            writer.sync().expect("sync");
            assert!(ErrorWriter::is_error_report(&path), "{name}");
        }
        let old = dir.path().join("old.csv");
        std::fs::write(
            &old,
            "row,username,status,error_code,error_message,username,other_fields\n",
        )
        .expect("write");
        assert!(ErrorWriter::is_error_report(&old), "an earlier version's");
        let notes = dir.path().join("notes.csv");
        std::fs::write(&notes, "somebody's notes\n").expect("write");
        assert!(!ErrorWriter::is_error_report(&notes));
    }
}
