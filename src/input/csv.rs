//! CSV rows: a header row, RFC 4180 quoting (embedded newlines, doubled
//! quotes), an optional UTF-8 BOM and CRLF or LF line ends. A record with the
//! wrong number of fields or invalid UTF-8 is reported on its own; the rest
//! of the file is still read.
//!
//! Parsing is `csv_core`'s state machine driven straight into the caller's
//! buffer ([`RowSource::read_raw`]): the parse thread's batches get each
//! record's cells with one copy, not via an intermediate record.

use std::io::BufRead;
use std::sync::Arc;

use csv_core::ReadRecordResult;

use super::row::{Columns, RawRecord, ReadError, Row, RowSource};
use ::csv::StringRecord;

/// Rows of a CSV file with a header.
pub(crate) struct CsvRows<R: BufRead> {
    input: R,
    parser: csv_core::Reader,
    columns: Arc<Columns>,
    /// Input bytes consumed so far.
    consumed: u64,
    /// Line feeds csv_core did not read (between records, and ending lines
    /// taken by the fast path): it counts only the ones it reads (`line()`).
    skipped_newlines: u64,
    /// Take quote-free lines without csv_core (off only to test that both
    /// ways read the same).
    pub(super) plain_lines: bool,
    /// A file without a header row: its first record goes through csv_core
    /// (for its BOM), and then the fast path takes over.
    plain_after_first: bool,
    /// A file without a header row, whose columns were named for it: a
    /// record may stop early (the columns it lacks are empty), as exports
    /// whose later versions added columns at the end do (Firebase's CSV).
    short_records_pad: bool,
    /// Records read so far (the header excluded).
    number: u64,
    done: bool,
    /// csv_core's output while a record is parsed.
    scratch_text: Vec<u8>,
    scratch_ends: Vec<usize>,
    /// Scratch for [`Iterator::next`]: one record's cells and their ends.
    text: Vec<u8>,
    ends: Vec<usize>,
    /// The byte between fields: `,` unless told otherwise.
    delimiter: u8,
    /// A record longer than this is reported, not kept ([`super::row::MAX_RECORD_BYTES`]).
    max_record_bytes: usize,
}

/// One record's place in the input.
struct Parsed {
    /// The line the record starts on (1-based).
    line: u64,
    /// Where the record starts.
    byte: u64,
    /// The record ran past the size cap: its cells were dropped as it was
    /// read (an unclosed quote would otherwise take the rest of the file).
    oversized: bool,
    /// A quote opened in the record was never closed: the record ran over
    /// every line after it to the end of the input (its cells are dropped).
    unclosed_quote: bool,
}

impl<R: BufRead> CsvRows<R> {
    #[cfg(test)]
    pub(crate) fn new(input: R) -> anyhow::Result<Self> {
        CsvRows::with_options(input, super::row::MAX_RECORD_BYTES, b',', None)
    }

    /// Like [`CsvRows::new`], with a cap on the bytes of one record (the
    /// header included: a longer record is reported as unreadable and its
    /// bytes skipped as they are read, never held), the field separator,
    /// and, for a file without a header row, its column names.
    pub(crate) fn with_options(
        input: R,
        max_record_bytes: usize,
        delimiter: u8,
        columns: Option<&[String]>,
    ) -> anyhow::Result<Self> {
        let mut rows = CsvRows {
            input,
            parser: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            columns: Arc::new(Columns::default()),
            consumed: 0,
            skipped_newlines: 0,
            // The first record goes through csv_core: it strips a BOM from
            // the first bytes it reads, so those must be the file's first.
            plain_lines: false,
            plain_after_first: columns.is_some(),
            short_records_pad: columns.is_some(),
            number: 0,
            done: false,
            scratch_text: Vec::new(),
            scratch_ends: Vec::new(),
            text: Vec::new(),
            ends: Vec::new(),
            max_record_bytes: max_record_bytes.max(1),
            delimiter,
        };
        let names = match columns {
            Some(names) => names.to_vec(),
            None => {
                let names = rows.read_header()?;
                rows.plain_lines = true;
                names
            }
        };
        rows.columns = Arc::new(Columns::new(names));
        Ok(rows)
    }

    /// Reads the header row: the column names.
    fn read_header(&mut self) -> anyhow::Result<Vec<String>> {
        let (mut text, mut ends) = (Vec::new(), Vec::new());
        let header = self
            .parse(&mut text, &mut ends)
            .map_err(|e| anyhow::anyhow!("cannot read the CSV header: {e}"))?;
        let max = self.max_record_bytes;
        match header {
            None => anyhow::bail!("the input is empty: no header row (only blank lines)"),
            Some(h) if h.unclosed_quote => anyhow::bail!(
                "the CSV header opens a quote that is never closed: fix the header line"
            ),
            Some(h) if h.oversized => anyhow::bail!(
                "the CSV header is longer than --max-record-bytes ({max} bytes): is this a CSV file?"
            ),
            Some(_) => {}
        }
        let mut names = Vec::with_capacity(ends.len());
        let mut start = 0;
        for (i, end) in ends.iter().enumerate() {
            let name = std::str::from_utf8(&text[start..*end])
                .map_err(|_| anyhow::anyhow!("CSV header column {} is not valid UTF-8", i + 1))?;
            // Some exporters write a BOM; it is not part of the first name.
            names.push(name.trim_start_matches('\u{feff}').trim().to_owned());
            start = *end;
        }
        Ok(names)
    }

    /// Parses one record, appending its cells to `text` and their end
    /// offsets (in `text`) to `ends`; `None` at the end of the input.
    fn parse(
        &mut self,
        text: &mut Vec<u8>,
        ends: &mut Vec<usize>,
    ) -> std::io::Result<Option<Parsed>> {
        self.skip_line_breaks()?;
        let (line, byte) = (self.parser.line() + self.skipped_newlines, self.consumed);
        if self.plain_lines && self.parse_plain(text, ends)? {
            return Ok(Some(Parsed {
                line,
                byte,
                oversized: false,
                unclosed_quote: false,
            }));
        }
        self.parse_with_core(text, ends, line, byte)
    }

    /// Parses one record with csv_core (quoted fields, line breaks in
    /// them, the end of the input), starting at `line` and `byte`.
    fn parse_with_core(
        &mut self,
        text: &mut Vec<u8>,
        ends: &mut Vec<usize>,
        line: u64,
        byte: u64,
    ) -> std::io::Result<Option<Parsed>> {
        // csv_core writes into initialised slices: parse into scratch
        // buffers that only ever grow, then copy the record out once.
        let (mut used_text, mut used_ends, mut quotes) = (0, 0, 0usize);
        loop {
            if self.scratch_text.len() < used_text + 64 {
                let grown = (self.scratch_text.len() * 2).max(4096);
                self.scratch_text.resize(grown, 0);
            }
            if self.scratch_ends.len() < used_ends + 8 {
                let grown = (self.scratch_ends.len() * 2).max(64);
                self.scratch_ends.resize(grown, 0);
            }
            let input = self.input.fill_buf()?;
            let (result, read, wrote, ended) = self.parser.read_record(
                input,
                &mut self.scratch_text[used_text..],
                &mut self.scratch_ends[used_ends..],
            );
            quotes += memchr::memchr_iter(b'"', &input[..read]).count();
            self.input.consume(read);
            self.consumed += read as u64;
            // (csv_core's ends count from the record's first byte, across calls.)
            used_text += wrote;
            used_ends += ended;
            let oversized = self.consumed - byte > self.max_record_bytes as u64;
            if oversized {
                // Past the cap: keep parsing to find the record's end, but
                // into the same scratch space, so memory stays flat.
                (used_text, used_ends) = (0, 0);
            }
            let parsed = Parsed {
                line,
                byte,
                oversized,
                unclosed_quote: false,
            };
            match result {
                ReadRecordResult::InputEmpty
                | ReadRecordResult::OutputFull
                | ReadRecordResult::OutputEndsFull => continue,
                ReadRecordResult::Record => {
                    let unclosed_quote = quotes % 2 == 1 && self.ran_to_the_end(line)?;
                    if !oversized && !unclosed_quote {
                        let offset = text.len();
                        text.extend_from_slice(&self.scratch_text[..used_text]);
                        ends.extend(self.scratch_ends[..used_ends].iter().map(|e| e + offset));
                    }
                    return Ok(Some(Parsed {
                        unclosed_quote,
                        ..parsed
                    }));
                }
                ReadRecordResult::End => return Ok(None),
            }
        }
    }

    /// Whether a record that started on `line` went on over several lines
    /// to the end of the input: with an odd number of quotes in it, that is
    /// an opening quote never closed, which took every record after it.
    fn ran_to_the_end(&mut self, line: u64) -> std::io::Result<bool> {
        let last_line = self.parser.line() + self.skipped_newlines;
        Ok(last_line > line && self.input.fill_buf()?.is_empty())
    }

    /// Line breaks before a record (the LF of a CR LF csv_core left unread,
    /// blank lines) are skipped here, as csv_core would skip them, so that
    /// the record's line is known before it is parsed.
    fn skip_line_breaks(&mut self) -> std::io::Result<()> {
        loop {
            let input = self.input.fill_buf()?;
            let breaks = input
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            if breaks == 0 {
                return Ok(());
            }
            self.skipped_newlines += input[..breaks].iter().filter(|b| **b == b'\n').count() as u64;
            self.input.consume(breaks);
            self.consumed += breaks as u64;
        }
    }

    /// The fast path for the common record: a line with no quote at all,
    /// whole in the read buffer. Its cells are the bytes between commas,
    /// exactly what csv_core would give, found with SIMD searches instead of
    /// a state machine step per byte. Anything else (a quote, a line that
    /// runs past the buffer, the end of the input) is left to csv_core:
    /// false, and nothing consumed.
    fn parse_plain(&mut self, text: &mut Vec<u8>, ends: &mut Vec<usize>) -> std::io::Result<bool> {
        let input = self.input.fill_buf()?;
        let Some(stop) = memchr::memchr3(b'\n', b'\r', b'"', input) else {
            return Ok(false);
        };
        let terminator = input[stop];
        if terminator == b'"' || stop == 0 || stop > self.max_record_bytes {
            return Ok(false);
        }
        let line = &input[..stop];
        let mut start = 0;
        for comma in memchr::memchr_iter(self.delimiter, line) {
            text.extend_from_slice(&line[start..comma]);
            ends.push(text.len());
            start = comma + 1;
        }
        text.extend_from_slice(&line[start..]);
        ends.push(text.len());
        // The terminator: LF, CR, or CR LF (a CR LF split by the end of the
        // buffer leaves its LF to the skip at the next record's start).
        let crlf = terminator == b'\r' && input.get(stop + 1) == Some(&b'\n');
        let used = stop + 1 + usize::from(crlf);
        // csv_core never sees these bytes, so its line count misses this LF.
        self.skipped_newlines += u64::from(terminator == b'\n' || crlf);
        self.input.consume(used);
        self.consumed += used as u64;
        Ok(true)
    }

    fn error(&mut self, message: String, fatal: bool) -> ReadError {
        self.done |= fatal;
        ReadError {
            number: self.number,
            message,
            fatal,
        }
    }
}

impl<R: BufRead + Send> RowSource for CsvRows<R> {
    fn columns(&self) -> &Arc<Columns> {
        &self.columns
    }

    fn read_raw(
        &mut self,
        text: &mut Vec<u8>,
        ends: &mut Vec<usize>,
    ) -> Option<Result<RawRecord, ReadError>> {
        if self.done {
            return None;
        }
        let (text_start, ends_start) = (text.len(), ends.len());
        let parsed = self.parse(text, ends);
        if std::mem::take(&mut self.plain_after_first) {
            self.plain_lines = true;
        }
        let parsed = match parsed {
            Ok(Some(parsed)) => parsed,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.number += 1;
                return Some(Err(
                    self.error(format!("cannot read the CSV input: {e}"), true)
                ));
            }
        };
        self.number += 1;
        if parsed.unclosed_quote || parsed.oversized {
            text.truncate(text_start);
            ends.truncate(ends_start);
            let message = if parsed.unclosed_quote {
                format!(
                    "record on line {} opens a quote that is never closed, so it runs to the end of the input and takes every line after it: close the quote and run again",
                    parsed.line
                )
            } else {
                format!(
                    "record on line {} is longer than --max-record-bytes ({} bytes); it was skipped",
                    parsed.line, self.max_record_bytes
                )
            };
            return Some(Err(self.error(message, false)));
        }
        let width = ends.len() - ends_start;
        if width < self.columns.len() && self.short_records_pad {
            ends.resize(ends_start + self.columns.len(), text.len());
        } else if width != self.columns.len() {
            text.truncate(text_start);
            ends.truncate(ends_start);
            let named_by = if self.short_records_pad {
                "the named columns are"
            } else {
                "the header has"
            };
            let message = format!(
                "record on line {} has {width} fields, {named_by} {}",
                parsed.line,
                self.columns.len()
            );
            return Some(Err(self.error(message, false)));
        }
        Some(Ok(RawRecord {
            number: self.number,
            line: parsed.line,
            byte: Some(parsed.byte),
        }))
    }
}

impl<R: BufRead + Send> Iterator for CsvRows<R> {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (mut text, mut ends) = (
            std::mem::take(&mut self.text),
            std::mem::take(&mut self.ends),
        );
        text.clear();
        ends.clear();
        let record = self.read_raw(&mut text, &mut ends);
        let row = record.map(|record| {
            let record = record?;
            let mut values = StringRecord::with_capacity(text.len(), ends.len());
            let mut start = 0;
            for (i, end) in ends.iter().enumerate() {
                let Ok(cell) = std::str::from_utf8(&text[start..*end]) else {
                    return Err(not_utf8(&self.columns, i, record.number, record.line));
                };
                values.push_field(cell);
                start = *end;
            }
            Ok(Row {
                number: record.number,
                columns: Arc::clone(&self.columns),
                values,
            })
        });
        (self.text, self.ends) = (text, ends);
        row
    }
}

/// The error of a record whose cell `column` is not UTF-8.
pub(crate) fn not_utf8(columns: &Columns, column: usize, number: u64, line: u64) -> ReadError {
    ReadError {
        number,
        message: format!(
            "column {:?} on line {line} is not valid UTF-8",
            columns.names().get(column).map_or("?", String::as_str)
        ),
        fatal: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8]) -> (Vec<String>, Vec<Result<Row, ReadError>>) {
        let rows = CsvRows::new(text).expect("header");
        let names = rows.columns().names().to_vec();
        (names, rows.collect())
    }

    #[test]
    fn bom_crlf_quotes_and_embedded_newlines() {
        let (names, rows) = read(
            b"\xEF\xBB\xBFusername,address\r\nann,\"1 Main St,\r\nSpringfield\"\r\nbob,\"say \"\"hi\"\"\"\r\n",
        );
        assert_eq!(names, ["username", "address"]);
        let rows: Vec<Row> = rows.into_iter().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].number, 1);
        assert_eq!(rows[0].get("address"), "1 Main St,\r\nSpringfield");
        assert_eq!(rows[1].number, 2);
        assert_eq!(rows[1].get("address"), "say \"hi\"");
    }

    #[test]
    fn a_short_record_is_reported_and_reading_goes_on() {
        let (_, rows) = read(b"username,email\nann\nbob,b@example.com\n");
        assert_eq!(rows.len(), 2);
        let err = rows[0].as_ref().expect_err("short record");
        assert_eq!(err.number, 1);
        assert!(!err.fatal);
        assert!(
            err.message.contains("line 2 has 1 fields"),
            "{}",
            err.message
        );
        assert_eq!(rows[1].as_ref().expect("row").get("email"), "b@example.com");
    }

    #[test]
    fn line_numbers_count_line_breaks_inside_quotes_crlf_or_lf() {
        for eol in ["\r\n", "\n"] {
            let text = [
                "username,note",
                "ann,x",
                "bob,\"two",
                "lines\"",
                "cy",
                "dee,y",
                "",
            ]
            .join(eol);
            let (_, rows) = read(text.as_bytes());
            let err = rows[2].as_ref().expect_err("short record");
            assert!(
                err.message.contains("record on line 5 has 1 fields"),
                "{eol:?}: {}",
                err.message
            );
            assert_eq!(rows[3].as_ref().expect("row").get("note"), "y");
        }
    }

    #[test]
    fn invalid_utf8_names_the_column() {
        let (_, rows) = read(b"username,name\nann,\xff\xfe\n");
        let err = rows[0].as_ref().expect_err("bad utf-8");
        assert!(
            err.message.contains("\"name\" on line 2"),
            "{}",
            err.message
        );
    }

    #[test]
    fn records_larger_than_the_buffers_and_no_final_newline() {
        let long = "x".repeat(100_000);
        let text = format!("username,note\nann,\"{long}\"\nbob,{long}");
        let (_, rows) = read(text.as_bytes());
        let rows: Vec<Row> = rows.into_iter().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get("note").len(), 100_000);
        assert_eq!(rows[1].get("username"), "bob");
        assert_eq!(rows[1].get("note").len(), 100_000);
    }

    /// Every record `read_raw` gives (cells, number, line, byte) or its
    /// error, with or without the quote-free fast path.
    fn raw_records(text: &[u8], buffer: usize, plain_lines: bool) -> Vec<String> {
        let input = std::io::BufReader::with_capacity(buffer, text);
        let Ok(mut rows) = CsvRows::new(input) else {
            return vec!["no header".to_owned()];
        };
        rows.plain_lines = plain_lines;
        let mut seen = vec![format!("{:?}", rows.columns().names())];
        let (mut text, mut ends) = (Vec::new(), Vec::new());
        while let Some(record) = rows.read_raw(&mut text, &mut ends) {
            seen.push(match record {
                Ok(r) => format!("{} {} {:?} {:?} {:?}", r.number, r.line, r.byte, text, ends),
                Err(e) => format!("error {} {}", e.number, e.message),
            });
            text.clear();
            ends.clear();
        }
        seen
    }

    #[test]
    fn the_fast_path_reads_exactly_what_csv_core_reads() {
        // Random texts over the bytes that matter to CSV, read through
        // buffers of many sizes (lines cut by the buffer's end included).
        let alphabet: &[&[u8]] = &[
            b"a",
            b"b",
            b",",
            b",",
            b"\"",
            b"\r",
            b"\n",
            b"\n",
            b"\r\n",
            b" ",
            "é".as_bytes(),
            b"\"\"",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for case in 0..3000 {
            let mut text = b"h1,h2\n".to_vec();
            for _ in 0..next(60) {
                text.extend_from_slice(alphabet[next(alphabet.len())]);
            }
            let buffer = [1, 2, 3, 5, 8, 13, 64, 8192][case % 8];
            assert_eq!(
                raw_records(&text, buffer, true),
                raw_records(&text, buffer, false),
                "case {case}, buffer {buffer}: {:?}",
                String::from_utf8_lossy(&text)
            );
        }
    }

    /// Bug: the fast path read the header, so csv_core first read a later
    /// record and took a U+FEFF at its start for the file's BOM, dropping it.
    #[test]
    fn a_bom_after_the_header_is_data_not_a_bom() {
        let text = b"h1,h2\n\xEF\xBB\xBF\"a\",b\n";
        let (_, rows) = read(text);
        let row = rows[0].as_ref().expect("row");
        let mut csv = ::csv::Reader::from_reader(&text[..]);
        let expected = csv.records().next().expect("a record").expect("valid");
        assert_eq!(row.values, expected);
        assert_eq!(row.get("h1"), "\u{feff}\"a\"");
    }

    #[test]
    fn an_input_without_a_header_row_is_refused() {
        for text in [&b""[..], b"\r\n\n", b"\n\n\n", b"\xEF\xBB\xBF"] {
            let err = CsvRows::new(text).err().expect("refused");
            assert!(err.to_string().contains("no header row"), "{text:?}: {err}");
        }
        let err = CsvRows::new(&b"a,\"b\nc,d\n"[..]).err().expect("refused");
        assert!(err.to_string().contains("never closed"), "{err}");
    }

    #[test]
    fn an_unclosed_quote_is_named_and_a_stray_quote_is_data() {
        let (_, rows) = read(b"username,note\nann,O\"Brien\nbob,\"open\ncat,x\ndan,y\n");
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].as_ref().expect("ann").get("note"), "O\"Brien");
        let err = rows[1].as_ref().expect_err("bob's quote");
        assert!(
            err.message
                .contains("line 3 opens a quote that is never closed"),
            "{}",
            err.message
        );
        // A closed multi-line quote at the end of the input is a record.
        let (_, rows) = read(b"username,note\nann,\"two\nlines\"\n");
        assert_eq!(rows[0].as_ref().expect("ann").get("note"), "two\nlines");
    }

    #[test]
    fn lines_after_blank_lines_are_counted() {
        let (_, rows) = read(b"username,email\nann,a@x.io\n\n\nbob\n");
        assert_eq!(rows.len(), 2, "blank lines are not records");
        let err = rows[1].as_ref().expect_err("short record");
        assert!(err.message.contains("on line 5"), "{}", err.message);
        let (_, rows) = read(b"username,email\r\nann,a@x.io\r\n\r\n\"b\r\nb\"\r\n");
        let err = rows[1].as_ref().expect_err("short record");
        assert!(err.message.contains("on line 4"), "{}", err.message);
    }

    #[test]
    fn a_record_over_the_cap_is_reported_and_skipped_without_being_held() {
        let cap = 64 * 1024;
        let mut text = b"username,note\nann,short\nbob,\"".to_vec();
        text.extend(std::iter::repeat_n(b'x', 200_000));
        text.extend_from_slice(b"\"\ncat,fine\ndan,\"never closed ");
        text.extend(std::iter::repeat_n(b'y', 5_000_000));
        let mut rows = CsvRows::with_options(&text[..], cap, b',', None).expect("header");
        let mut results = Vec::new();
        for row in rows.by_ref() {
            results.push(row.map(|r| r.values.get(0).unwrap_or("").to_owned()));
        }
        assert_eq!(results.len(), 4, "{results:?}");
        assert_eq!(results[0].as_deref().ok(), Some("ann"));
        let long = results[1].as_ref().expect_err("bob is too long");
        assert!(
            long.message.contains("longer than --max-record-bytes"),
            "{}",
            long.message
        );
        assert!(!long.fatal);
        assert_eq!(results[2].as_deref().ok(), Some("cat"));
        assert!(
            results[3].is_err(),
            "the unclosed quote is one record, reported"
        );
        // The 5 MB of the unclosed quote never sat in memory whole.
        assert!(
            rows.scratch_text.len() <= 2 * cap,
            "{}",
            rows.scratch_text.len()
        );
        let err = CsvRows::with_options(&b"a,b,c\n"[..], 3, b',', None)
            .err()
            .expect("header");
        assert!(err.to_string().contains("header is longer"), "{err}");
    }

    #[test]
    fn another_separator_reads_the_same_on_both_paths() {
        let text = b"username;note\nann;plain\nbob;\"quoted; with a separator\"\ncat;a,comma\n";
        let rows: Vec<Row> = CsvRows::with_options(&text[..], 1024, b';', None)
            .expect("header")
            .map(|r| r.expect("row"))
            .collect();
        let notes: Vec<&str> = rows.iter().map(|r| r.get("note")).collect();
        assert_eq!(notes, ["plain", "quoted; with a separator", "a,comma"]);
        let tabs: Vec<Row> =
            CsvRows::with_options(&b"username\tnote\nann\tx y\n"[..], 1024, b'\t', None)
                .expect("header")
                .map(|r| r.expect("row"))
                .collect();
        assert_eq!(tabs[0].get("note"), "x y");
    }

    #[test]
    fn a_file_without_a_header_row_takes_the_given_columns() {
        let names = ["uid", "email"].map(str::to_owned);
        let text = "\u{feff}u1,a@b.co\nu2,\"c@d.co\"\nu3,e@f.co\n";
        let rows: Vec<Row> = CsvRows::with_options(text.as_bytes(), 1024, b',', Some(&names))
            .expect("no header to read")
            .map(|r| r.expect("row"))
            .collect();
        let uids: Vec<&str> = rows.iter().map(|r| r.get("uid")).collect();
        assert_eq!(
            uids,
            ["u1", "u2", "u3"],
            "the BOM is not part of the first cell"
        );
        assert_eq!(rows[1].get("email"), "c@d.co");
        assert_eq!(
            rows[0].number, 1,
            "the first line is row 1: there is no header"
        );
    }

    /// Firebase's CSV grew columns at the end over the years: a record of
    /// an older layout stops early, and reads with the later columns empty.
    #[test]
    fn a_header_less_record_may_stop_early_but_not_run_long() {
        let names = ["uid", "email", "disabled", "claims"].map(str::to_owned);
        let text = "u1,a@b.co,\nu2,c@d.co,true,{}\nu3,e@f.co,true,{},extra\n";
        let rows: Vec<_> = CsvRows::with_options(text.as_bytes(), 1024, b',', Some(&names))
            .expect("no header to read")
            .collect();
        let short = rows[0].as_ref().expect("padded");
        assert_eq!((short.get("email"), short.get("claims")), ("a@b.co", ""));
        assert_eq!(short.values.len(), 4);
        assert_eq!(rows[1].as_ref().expect("full").get("claims"), "{}");
        let long = rows[2].as_ref().expect_err("a field too many");
        assert!(
            long.message
                .contains("has 5 fields, the named columns are 4"),
            "{}",
            long.message
        );
    }
}
