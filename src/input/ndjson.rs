//! NDJSON rows: one JSON object per line, each decoded as
//! [`super::json_object`] says; blank lines are skipped and not counted.

use std::io::BufRead;
use std::sync::Arc;

use serde_json::Value;

use super::json_object::{ObjectDecoder, Place};
use super::row::{raw_from_row, Columns, RawRecord, ReadError, Row, RowSource};

/// Rows of an NDJSON stream.
pub(crate) struct NdjsonRows<R: BufRead> {
    reader: R,
    decoder: ObjectDecoder,
    line: Vec<u8>,
    line_number: u64,
    number: u64,
    done: bool,
    /// The first line's read, done by [`NdjsonRows::start`].
    first: Option<Option<bool>>,
    /// A line longer than this is reported, not kept ([`super::row::MAX_RECORD_BYTES`]).
    max_record_bytes: usize,
}

impl<R: BufRead> NdjsonRows<R> {
    #[cfg(test)]
    pub(crate) fn new(reader: R) -> Self {
        NdjsonRows::with_max_record_bytes(reader, super::row::MAX_RECORD_BYTES)
    }

    /// Rows of `reader`; a line longer than `max_record_bytes` is reported
    /// as unreadable and skipped as it is read, never held whole.
    pub(crate) fn with_max_record_bytes(reader: R, max_record_bytes: usize) -> Self {
        NdjsonRows {
            reader,
            decoder: ObjectDecoder::default(),
            line: Vec::new(),
            line_number: 0,
            number: 0,
            done: false,
            first: None,
            max_record_bytes: max_record_bytes.max(1),
        }
    }

    /// Reads the first line now: an input that cannot be read from its
    /// start (a corrupt compressed stream) is then refused when it is
    /// opened, rather than reported as record 1 after the mapping, left
    /// without a single key, has complained about something else.
    pub(crate) fn start(mut self) -> std::io::Result<Self> {
        self.first = Some(self.read_line()?);
        Ok(self)
    }

    /// Reads the next line into `self.line`, holding at most the cap:
    /// `None` at the end of the input, else whether the line ran past it
    /// (then `self.line` is empty and the line was consumed to its end).
    fn read_line(&mut self) -> std::io::Result<Option<bool>> {
        self.line.clear();
        let (mut any, mut oversized) = (false, false);
        loop {
            let buffer = self.reader.fill_buf()?;
            if buffer.is_empty() {
                return Ok(any.then_some(oversized));
            }
            any = true;
            let (length, ended) = match memchr::memchr(b'\n', buffer) {
                Some(at) => (at + 1, true),
                None => (buffer.len(), false),
            };
            if oversized || self.line.len() + length > self.max_record_bytes {
                oversized = true;
                self.line.clear();
            } else {
                self.line.extend_from_slice(&buffer[..length]);
            }
            self.reader.consume(length);
            if ended {
                return Ok(Some(oversized));
            }
        }
    }

    fn error(&self, message: String) -> ReadError {
        ReadError {
            number: self.number,
            message,
            fatal: false,
        }
    }
}

impl<R: BufRead + Send> RowSource for NdjsonRows<R> {
    fn columns(&self) -> &Arc<Columns> {
        self.decoder.columns()
    }

    fn read_raw(
        &mut self,
        text: &mut Vec<u8>,
        ends: &mut Vec<usize>,
    ) -> Option<Result<RawRecord, ReadError>> {
        let next = self.next();
        raw_from_row(next, text, ends, (self.line_number, None))
    }
}

impl<R: BufRead> Iterator for NdjsonRows<R> {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let read = match self.first.take() {
                Some(first) => Ok(first),
                None => self.read_line(),
            };
            match read {
                Ok(None) => self.done = true,
                Ok(Some(true)) => {
                    self.line_number += 1;
                    self.number += 1;
                    return Some(Err(self.error(format!(
                        "line {} is longer than --max-record-bytes ({} bytes); it was skipped",
                        self.line_number, self.max_record_bytes
                    ))));
                }
                Ok(Some(false)) => {
                    self.line_number += 1;
                    // Invalid UTF-8 spoils only its own line, as in CSV.
                    let Ok(text) = std::str::from_utf8(&self.line) else {
                        self.number += 1;
                        return Some(Err(
                            self.error(format!("line {} is not valid UTF-8", self.line_number))
                        ));
                    };
                    let text = text.trim_start_matches('\u{feff}').trim();
                    if text.is_empty() {
                        continue;
                    }
                    self.number += 1;
                    return Some(match serde_json::from_str::<Value>(text) {
                        Ok(Value::Object(object)) => {
                            let place = Place::Line(self.line_number);
                            self.decoder.decode(object, self.number, place)
                        }
                        Ok(_) => {
                            Err(self
                                .error(format!("line {} is not a JSON object", self.line_number)))
                        }
                        Err(e) => {
                            Err(self
                                .error(format!("line {} is not valid JSON: {e}", self.line_number)))
                        }
                    });
                }
                Err(e) => {
                    self.done = true;
                    self.number += 1;
                    return Some(Err(ReadError {
                        number: self.number,
                        message: format!("cannot read input after line {}: {e}", self.line_number),
                        fatal: true,
                    }));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::json_object::MAX_KEYS;
    use super::*;

    #[test]
    fn values_become_strings_and_blank_lines_are_skipped() {
        let text = b"{\"username\":\"ann\",\"custom:points\":42,\"newsletter\":true,\"nick\":null}\n\n   \n{\"username\":\"bob\",\"email\":\"b@x.io\"}\n";
        let rows: Vec<Row> = NdjsonRows::new(&text[..])
            .map(|r| r.expect("row"))
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].number, 1);
        assert_eq!(rows[0].get("custom:points"), "42");
        assert_eq!(rows[0].get("newsletter"), "true");
        assert_eq!(rows[0].get("nick"), "");
        assert_eq!(rows[1].number, 2);
        assert_eq!(rows[1].get("email"), "b@x.io");
        assert_eq!(rows[1].get("custom:points"), "");
    }

    /// Bug: serde_json's default float parsing is off by one unit in the
    /// last place now and then, so a number's digits changed on the way.
    #[test]
    fn a_float_keeps_its_digits() {
        let text = b"{\"n\":-1.897702296788164e+247,\"m\":0.1}\n";
        let row = NdjsonRows::new(&text[..])
            .next()
            .expect("a line")
            .expect("row");
        assert_eq!(row.get("n"), "-1.897702296788164e+247");
        assert_eq!(row.get("m"), "0.1");
    }

    #[test]
    fn bad_lines_are_row_errors_not_the_end() {
        let text = b"{\"username\":\"ann\"}\nnot json\n[1,2]\n{\"username\":\"cy\"}\n{\"username\":\"\xff\"}\n{\"username\":\"eve\"}";
        let items: Vec<_> = NdjsonRows::new(&text[..]).collect();
        assert_eq!(items.len(), 6);
        assert!(items[4]
            .as_ref()
            .is_err_and(|e| !e.fatal && e.message.contains("UTF-8")));
        assert!(items[1]
            .as_ref()
            .is_err_and(|e| e.number == 2 && e.message.contains("not valid JSON")));
        assert!(items[2]
            .as_ref()
            .is_err_and(|e| e.message.contains("not a JSON object")));
        assert_eq!(items[3].as_ref().expect("row").get("username"), "cy");
        assert_eq!(items[5].as_ref().expect("row").get("username"), "eve");
    }

    /// Nested values were refused ("key ... holds a JSON object"); an
    /// export with metadata objects lost every row. They are kept as JSON.
    #[test]
    fn a_nested_value_is_its_json_text_in_a_flagged_column() {
        let text = b"{\"username\":\"ann\",\"meta\":{\"plan\": \"pro\"},\"tags\":[\"a\", 1]}\n";
        let mut rows = NdjsonRows::new(&text[..]);
        let row = rows.next().expect("a line").expect("a row, not an error");
        assert_eq!(row.get("meta"), r#"{"plan":"pro"}"#);
        assert_eq!(row.get("tags"), r#"["a",1]"#);
        let columns = rows.columns();
        assert!(columns.holds_json(columns.position("meta").expect("meta")));
        assert!(!columns.holds_json(columns.position("username").expect("username")));
    }

    #[test]
    fn a_line_over_the_cap_is_reported_and_skipped_without_being_held() {
        let mut text = b"{\"username\":\"ann\"}\n{\"username\":\"".to_vec();
        text.extend(std::iter::repeat_n(b'x', 3_000_000));
        text.extend_from_slice(b"\"}\n{\"username\":\"bob\"}\n");
        let mut rows = NdjsonRows::with_max_record_bytes(&text[..], 1024);
        let results: Vec<_> = rows.by_ref().collect();
        assert_eq!(results.len(), 3);
        assert!(results[0].is_ok() && results[2].is_ok());
        let long = results[1].as_ref().expect_err("too long");
        assert!(
            long.message
                .contains("line 2 is longer than --max-record-bytes"),
            "{}",
            long.message
        );
        assert!(rows.line.capacity() < 64 * 1024, "{}", rows.line.capacity());
    }

    #[test]
    fn an_input_unreadable_from_its_start_is_refused_when_started() {
        struct Corrupt;
        impl std::io::Read for Corrupt {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("the gzip data is corrupt"))
            }
        }
        let refused = NdjsonRows::new(std::io::BufReader::new(Corrupt)).start();
        assert!(refused.is_err_and(|e| e.to_string().contains("corrupt")));
        let mut rows = NdjsonRows::new(&b"\n{\"a\":\"1\"}\n"[..])
            .start()
            .expect("readable");
        assert_eq!(rows.next().expect("a row").expect("read").number, 1);
        assert!(rows.next().is_none());
    }

    #[test]
    fn keys_past_the_cap_refuse_their_own_line_only() {
        let mut text: String = (0..MAX_KEYS + 5)
            .map(|i| format!("{{\"username\":\"u{i}\",\"k{i}\":\"v\"}}\n"))
            .collect();
        text.push_str("{\"username\":\"last\",\"k0\":\"known keys still read\"}\n");
        let results: Vec<_> = NdjsonRows::new(text.as_bytes()).collect();
        assert_eq!(results.len(), MAX_KEYS + 6, "every line is accounted for");
        let refused: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        // Each line adds a key to "username": the lines past the cap are refused.
        assert_eq!(refused.len(), 6, "{refused:?}");
        assert!(refused.iter().all(|e| !e.fatal), "{refused:?}");
        assert!(
            refused[0].message.contains("past 256 distinct keys"),
            "{}",
            refused[0].message
        );
        let last = results.last().expect("rows").as_ref().expect("read");
        assert_eq!(last.get("k0"), "known keys still read");
    }
}
