//! Reading a results report back: for `--resume`, for the final in-order
//! rewrite and for `merge-reports`. A report is an append-only log while a
//! run is under way, so a process killed mid-write can leave a torn last
//! line; the reader stops before it and says where the complete part ends.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;

use anyhow::{bail, Context};

use crate::report::entry::{ReportEntry, OLD_REPORT_COLUMNS, REPORT_COLUMNS};
use crate::report::read_fields;
use crate::report::write::ReportFormat;

/// Streams the complete entries of a report file, in file order.
pub(crate) struct EntryReader {
    inner: Inner,
    /// Bytes of the file up to the end of the last complete entry read.
    complete_len: u64,
    file_len: u64,
    ends_with_newline: bool,
    header: csv::StringRecord,
    path: String,
}

enum Inner {
    Empty,
    Csv(Box<csv::Reader<BufReader<Capped>>>, csv::StringRecord),
    Ndjson(BufReader<Capped>, Vec<u8>),
}

/// The longest line a report may have. The tool's own lines are a few
/// hundred bytes (messages are capped at 1 KiB); anything far longer is not
/// a report of this tool, and must not be read into memory whole.
const MAX_REPORT_LINE: usize = 1024 * 1024;

/// A report file read with a cap on the bytes between line feeds.
struct Capped {
    file: File,
    since_newline: usize,
}

impl Capped {
    fn new(file: File) -> BufReader<Capped> {
        BufReader::new(Capped {
            file,
            since_newline: 0,
        })
    }
}

impl Capped {
    /// The file underneath, for reading a range of it again.
    fn get_ref(&self) -> &File {
        &self.file
    }
}

impl Read for Capped {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.since_newline = match memchr::memrchr(b'\n', &buf[..n]) {
            Some(at) => n - at - 1,
            None => self.since_newline + n,
        };
        if self.since_newline > MAX_REPORT_LINE {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "a line longer than {MAX_REPORT_LINE} bytes: this is not a bulk-signup report"
                ),
            ));
        }
        Ok(n)
    }
}

impl EntryReader {
    /// Opens a report; checks the CSV header.
    pub(crate) fn open(path: &Path) -> anyhow::Result<Self> {
        let mut file =
            File::open(path).with_context(|| format!("cannot open report {}", path.display()))?;
        let file_len = file.metadata()?.len();
        let name = path.display().to_string();
        let (inner, columns) = match ReportFormat::from_path(path) {
            ReportFormat::Csv => {
                // Flexible: a line may lack the columns added since its
                // version (checked per record in `next_csv`).
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(Capped::new(file));
                let mut header = csv::StringRecord::new();
                let complete = reader.read_record(&mut header).unwrap_or(false);
                if torn_header(path, file_len)? {
                    // Killed while writing the header: nothing to resume from.
                    let mut empty = EntryReader::open_empty(name);
                    empty.file_len = file_len;
                    return Ok(empty);
                }
                let columns = complete.then(|| report_columns(&header)).flatten();
                if file_len > 0 && columns.is_none() {
                    bail!(
                        "{name} is not a bulk-signup report (its header is not {})",
                        REPORT_COLUMNS.join(",")
                    );
                }
                let columns = columns.unwrap_or(REPORT_COLUMNS.len());
                (
                    Inner::Csv(Box::new(reader), csv::StringRecord::new()),
                    columns,
                )
            }
            ReportFormat::Ndjson => {
                file.seek(SeekFrom::Start(0))?;
                (
                    Inner::Ndjson(Capped::new(file), Vec::new()),
                    REPORT_COLUMNS.len(),
                )
            }
        };
        let mut reader = EntryReader {
            inner,
            complete_len: 0,
            file_len,
            ends_with_newline: ends_with_newline(path)?,
            // An older report's lines lack the later columns: they read as
            // their defaults (`source_row`: none).
            header: csv::StringRecord::from(REPORT_COLUMNS[..columns].to_vec()),
            path: name,
        };
        if let Inner::Csv(csv, _) = &reader.inner {
            reader.complete_len = csv.position().byte();
        }
        Ok(reader)
    }

    /// A reader with no entries and nothing complete (a torn header).
    fn open_empty(path: String) -> Self {
        EntryReader {
            inner: Inner::Empty,
            complete_len: 0,
            file_len: 0,
            ends_with_newline: true,
            header: csv::StringRecord::new(),
            path,
        }
    }

    /// Whether this is a CSV report of an earlier version, whose columns
    /// end at `note` (a resumed run continues it in that form).
    pub(crate) fn old_form(&self) -> bool {
        self.header.len() == OLD_REPORT_COLUMNS
    }

    /// Bytes up to the end of the last complete entry returned so far (after
    /// the iterator is exhausted: the length to truncate a torn file to).
    pub(crate) fn complete_len(&self) -> u64 {
        self.complete_len
    }

    /// The next entry of a CSV report.
    fn next_csv(&mut self) -> Option<anyhow::Result<ReportEntry>> {
        let Inner::Csv(reader, record) = &mut self.inner else {
            return None;
        };
        let start = reader.position().byte();
        let read = reader.read_record(record);
        let end = reader.position().byte();
        // Only the very end of the file can be torn (see `next`).
        let at_end = end >= self.file_len;
        match read {
            Ok(false) => None,
            // A record that runs to the end of a file without a final
            // newline, or whose last newline is inside quotes, was cut off
            // mid-write.
            Ok(true)
                if at_end
                    && (!self.ends_with_newline
                        || inside_quotes(reader.get_ref().get_ref().get_ref(), start, end)) =>
            {
                None
            }
            Ok(true) if !fits(record.len(), self.header.len()) => match at_end {
                true => None,
                false => Some(Err(anyhow::anyhow!(
                    "{}: unreadable entry at byte {}: it has {} fields, the header {}",
                    self.path,
                    self.complete_len,
                    record.len(),
                    self.header.len()
                ))),
            },
            Ok(true) => match deserialize(record, &self.header) {
                Ok(entry) => {
                    self.complete_len = end;
                    Some(Ok(entry))
                }
                Err(_) if at_end => None,
                Err(e) => Some(Err(anyhow::anyhow!(
                    "{}: unreadable entry at byte {}: {e}",
                    self.path,
                    self.complete_len
                ))),
            },
            Err(_) if at_end => None,
            Err(e) => {
                // Once refused (a line over the cap), the reader ends.
                self.inner = Inner::Empty;
                Some(Err(anyhow::anyhow!(
                    "{}: unreadable entry at byte {}: {e}",
                    self.path,
                    self.complete_len
                )))
            }
        }
    }
}

impl Iterator for EntryReader {
    type Item = anyhow::Result<ReportEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        // Only the very end of the file can be torn: anything before it was
        // followed by more writes, so it was complete.
        let file_len = self.file_len;
        let torn = |end: u64| end >= file_len;
        match &mut self.inner {
            Inner::Empty => None,
            Inner::Csv(..) => self.next_csv(),
            Inner::Ndjson(reader, line) => loop {
                line.clear();
                match reader.read_until(b'\n', line) {
                    Ok(0) => return None,
                    Ok(n) => {
                        let end = self.complete_len + n as u64;
                        if line.last() != Some(&b'\n') {
                            return None; // torn last line
                        }
                        let text = &line[..line.len() - 1];
                        if text.iter().all(u8::is_ascii_whitespace) {
                            self.complete_len = end;
                            continue;
                        }
                        return match serde_json::from_slice::<ReportEntry>(text) {
                            Ok(entry) => {
                                self.complete_len = end;
                                Some(Ok(entry))
                            }
                            Err(_) if torn(end) => None,
                            Err(e) => Some(Err(anyhow::anyhow!(
                                "{}: unreadable entry at byte {}: {e}",
                                self.path,
                                self.complete_len
                            ))),
                        };
                    }
                    Err(e) => {
                        // Once refused, the reader ends: no further entries.
                        self.inner = Inner::Empty;
                        return Some(Err(anyhow::anyhow!("{}: {e}", self.path)));
                    }
                }
            },
        }
    }
}

/// How many of [`REPORT_COLUMNS`] a report's CSV `header` holds: all of
/// them, or an earlier version's first [`OLD_REPORT_COLUMNS`]; `None` for
/// any other header.
fn report_columns(header: &csv::StringRecord) -> Option<usize> {
    [REPORT_COLUMNS.len(), OLD_REPORT_COLUMNS]
        .into_iter()
        .find(|n| header.iter().eq(REPORT_COLUMNS[..*n].iter().copied()))
}

/// One line as an entry; a line in an earlier version's form (fewer
/// fields than `header`) is read under the header of its own form, the
/// columns it lacks taking their defaults.
fn deserialize(
    record: &csv::StringRecord,
    header: &csv::StringRecord,
) -> Result<ReportEntry, csv::Error> {
    if let Some(entry) = read_fields::entry_by_position(record) {
        return Ok(entry);
    }
    if record.len() < header.len() {
        let own = csv::StringRecord::from(REPORT_COLUMNS[..record.len()].to_vec());
        return record.deserialize(Some(&own));
    }
    record.deserialize(Some(header))
}

/// Whether a line of `fields` fields belongs under a header of `columns`:
/// it has them all, or (a line in an earlier version's form) those up to
/// `note`; the columns it lacks read as their defaults.
fn fits(fields: usize, columns: usize) -> bool {
    fields == columns || fields == OLD_REPORT_COLUMNS
}

/// Whether bytes `start..end` of `file` (one CSV record) hold an odd number
/// of double quotes: the record ends inside a quoted field. (The writer
/// quotes every field that holds a quote and doubles the quotes in it.)
fn inside_quotes(file: &File, start: u64, end: u64) -> bool {
    let mut bytes = vec![0; end.saturating_sub(start) as usize];
    file.read_exact_at(&mut bytes, start).is_ok()
        && memchr::memchr_iter(b'"', &bytes).count() % 2 == 1
}

/// Whether the file is a strict prefix of the CSV header line (a run killed
/// while creating its report).
fn torn_header(path: &Path, file_len: u64) -> anyhow::Result<bool> {
    let header = format!("{}\n", REPORT_COLUMNS.join(","));
    if file_len == 0 || file_len >= header.len() as u64 {
        return Ok(false);
    }
    let content = std::fs::read(path)?;
    Ok(header.as_bytes().starts_with(&content))
}

/// Whether a file ends with a newline (an append-only log that was not torn).
pub(crate) fn ends_with_newline(path: &Path) -> anyhow::Result<bool> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut byte = [0u8];
    file.read_exact(&mut byte)?;
    Ok(byte[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::write::ReportWriter;

    /// A line reading by position cannot take (csv's serde reads `0x1A` as
    /// a number; the report is never written so) is still read, by serde.
    #[test]
    fn a_line_read_by_position_fails_on_is_read_by_serde() {
        let header = csv::StringRecord::from(REPORT_COLUMNS.to_vec());
        let mut line = vec![""; REPORT_COLUMNS.len()];
        line[..3].copy_from_slice(&["0x1A", "ann", "created"]);
        line[9] = "1";
        let record = csv::StringRecord::from(line);
        assert_eq!(crate::report::read_fields::entry_by_position(&record), None);
        let entry = deserialize(&record, &header).expect("read by serde");
        assert_eq!(entry.row, 26);
        assert_eq!(entry.username, "ann");
    }

    #[test]
    fn a_report_with_a_giant_line_is_refused_not_read_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["giant.csv", "giant.ndjson"] {
            let path = dir.path().join(name);
            let mut text = String::new();
            if name.ends_with(".csv") {
                text.push_str(&REPORT_COLUMNS.join(","));
                text.push('\n');
                text.push_str("1,ann,created,,,,,,,1,,,,,,\n2,\"");
            } else {
                let ann = ReportEntry {
                    row: 1,
                    username: "ann".into(),
                    ..ReportEntry::default()
                };
                text.push_str(&serde_json::to_string(&ann).expect("json"));
                text.push_str("\n{\"row\":2,\"username\":\"");
            }
            text.push_str(&"x".repeat(3 * MAX_REPORT_LINE));
            text.push_str("\n3,bob,created,,,,,,,1,,,,,,\n");
            std::fs::write(&path, text).expect("write");
            let entries: Vec<_> = EntryReader::open(&path).expect("open").collect();
            assert!(entries[0].is_ok(), "{name}: the first entry reads");
            let err = entries
                .iter()
                .find_map(|e| e.as_ref().err())
                .expect("an error");
            assert!(
                err.to_string().contains("not a bulk-signup report"),
                "{name}: {err}"
            );
            assert_eq!(entries.len(), 2, "{name}: reading stops at the refusal");
        }
    }

    /// Bug: a report cut just after a line break inside its last quoted
    /// field ends with a newline, and the cut entry was read as complete.
    #[test]
    fn a_report_cut_inside_quotes_after_a_line_break_is_torn() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("report.csv");
        let mut writer = ReportWriter::create(&path, false).expect("create");
        let entry = ReportEntry {
            row: 1,
            note: "two\nlines".to_owned(),
            ..ReportEntry::default()
        };
        writer.write(&entry).expect("write");
        writer.sync().expect("sync");
        let full = std::fs::read(&path).expect("read");
        let header = REPORT_COLUMNS.join(",").len() as u64 + 1;
        // The line ends `"two\nlines",,,,` (the empty columns after `note`).
        let after_note = REPORT_COLUMNS.len() - 12;
        let cut = full.iter().rposition(|b| *b == b'\n').expect("a newline") - 6 - after_note;
        assert_eq!(&full[cut - 4..cut], b"two\n");
        std::fs::write(&path, &full[..cut]).expect("cut");
        let mut reader = EntryReader::open(&path).expect("open");
        assert!(reader.next().is_none(), "the torn entry is not read");
        assert_eq!(reader.complete_len(), header);
        std::fs::write(&path, &full).expect("whole");
        let entries: Vec<_> = EntryReader::open(&path).expect("open").collect();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].as_ref().expect("entry"), &entry);
    }

    /// A report of an earlier version (no `source_row`) still reads: its
    /// entries have none; a current report gives it back.
    #[test]
    fn reports_with_and_without_source_row_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let old = dir.path().join("old.csv");
        let header = REPORT_COLUMNS[..OLD_REPORT_COLUMNS].join(",");
        std::fs::write(&old, format!("{header}\n1,ann,created,,false,,,,,1,,\n")).expect("write");
        let mut reader = EntryReader::open(&old).expect("open");
        let entry = reader.next().expect("an entry").expect("readable");
        assert_eq!(
            (entry.row, entry.username.as_str(), entry.source_row),
            (1, "ann", None)
        );
        assert!(reader.old_form());
        for name in ["new.csv", "new.ndjson"] {
            let path = dir.path().join(name);
            let mut writer = ReportWriter::create(&path, false).expect("create");
            let entry = ReportEntry {
                row: 1,
                source_row: Some(17),
                verified: "email;phone_number".to_owned(),
                ..ReportEntry::default()
            };
            writer.write(&entry).expect("write");
            writer.sync().expect("sync");
            let mut reader = EntryReader::open(&path).expect("open");
            assert_eq!(reader.next().expect("an entry").expect("readable"), entry);
            assert!(!reader.old_form(), "{name}");
        }
        // A line in the earlier form under the current header still reads.
        let mixed = dir.path().join("mixed.csv");
        let lines = "1,ann,created,,false,,,,,1,,,3,email,confirm,\n2,bob,created,,false,,,,,1,,\n";
        let current = REPORT_COLUMNS.join(",");
        std::fs::write(&mixed, format!("{current}\n{lines}3,cat\n{lines}")).expect("write");
        let read: Vec<_> = EntryReader::open(&mixed).expect("open").collect();
        let first = read[0].as_ref().expect("ann");
        let second = read[1].as_ref().expect("bob");
        assert_eq!((first.source_row, second.source_row), (Some(3), None));
        assert_eq!(
            (first.verified.as_str(), second.verified.as_str()),
            ("email", "")
        );
        let err = read[2]
            .as_ref()
            .expect_err("two fields is not a line of a report");
        assert!(
            err.to_string().contains(&format!(
                "it has 2 fields, the header {}",
                REPORT_COLUMNS.len()
            )),
            "{err}"
        );
        let wrong = dir.path().join("wrong.csv");
        std::fs::write(&wrong, format!("{header},extra\n")).expect("write");
        let err = EntryReader::open(&wrong).err().expect("refused");
        assert!(
            err.to_string().contains("not a bulk-signup report"),
            "{err}"
        );
    }
}
