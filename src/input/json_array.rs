//! JSON array rows: `[{...},{...}]` or `{"users":[{...}]}`, streamed one
//! element at a time ([`super::json_frame`] finds the elements), each object
//! decoded as NDJSON's lines are ([`super::json_object`]). Record numbers
//! are the elements' 1-based positions; an element that is not an object,
//! not valid JSON or too long is its own record's error, and the input goes
//! on. An input that cannot be framed any further ends with a fatal error.

use std::io::BufRead;
use std::sync::Arc;

use serde_json::Value;

use super::json_frame::{Frame, FrameError, Framer};
use super::json_object::{ObjectDecoder, Place};
use super::row::{raw_from_row, Columns, RawRecord, ReadError, Row, RowSource};

/// Rows of a JSON array.
pub(crate) struct JsonArrayRows<R: BufRead> {
    framer: Framer<R>,
    decoder: ObjectDecoder,
    number: u64,
    /// The line the last element started on.
    line: u64,
    done: bool,
    max_record_bytes: usize,
    /// The first frame, read when the rows are made.
    first: Option<Frame>,
}

impl<R: BufRead> JsonArrayRows<R> {
    /// Rows of `reader`; an element longer than `max_record_bytes` is
    /// reported as unreadable and skipped as it is read, never held whole.
    /// The first element is framed now: an input that is no JSON array, or
    /// cannot be read up to its first element's end, is refused here rather
    /// than reported as record 1 after the mapping, left without a single
    /// key, has complained about something else.
    pub(crate) fn new(reader: R, max_record_bytes: usize) -> Result<Self, String> {
        let mut framer = Framer::new(reader, max_record_bytes);
        let first = framer.next_frame().map_err(|FrameError(message)| message)?;
        Ok(JsonArrayRows {
            framer,
            decoder: ObjectDecoder::default(),
            number: 0,
            line: 0,
            done: false,
            max_record_bytes: max_record_bytes.max(1),
            first: Some(first),
        })
    }

    /// The element just framed, as a row.
    fn element(&mut self, place: Place) -> Result<Row, ReadError> {
        let number = self.number;
        let error = |message: String| ReadError {
            number,
            message,
            fatal: false,
        };
        // Invalid UTF-8 spoils only its own element, as in NDJSON.
        let Ok(text) = std::str::from_utf8(self.framer.element()) else {
            return Err(error(format!("{place} is not valid UTF-8")));
        };
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) => self.decoder.decode(object, number, place),
            Ok(_) => Err(error(format!("{place} is not a JSON object"))),
            Err(e) => Err(error(format!("{place} is not valid JSON: {e}"))),
        }
    }
}

impl<R: BufRead + Send> RowSource for JsonArrayRows<R> {
    fn columns(&self) -> &Arc<Columns> {
        self.decoder.columns()
    }

    fn read_raw(
        &mut self,
        text: &mut Vec<u8>,
        ends: &mut Vec<usize>,
    ) -> Option<Result<RawRecord, ReadError>> {
        let next = self.next();
        // The byte sizes the duplicate-username table from the input's length.
        let place = (self.line, Some(self.framer.element_start()));
        raw_from_row(next, text, ends, place)
    }
}

impl<R: BufRead> Iterator for JsonArrayRows<R> {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let frame = match self.first.take() {
            Some(first) => Ok(first),
            None => self.framer.next_frame(),
        };
        if !matches!(frame, Ok(Frame::End)) {
            self.number += 1;
        }
        Some(match frame {
            Ok(Frame::End) => {
                self.done = true;
                return None;
            }
            Ok(Frame::Element { line }) => {
                self.line = line;
                self.element(Place::Element {
                    index: self.number,
                    line,
                })
            }
            Ok(Frame::Oversized { line }) => {
                self.line = line;
                let place = Place::Element {
                    index: self.number,
                    line,
                };
                Err(ReadError {
                    number: self.number,
                    message: format!(
                        "{place} is longer than --max-record-bytes ({} bytes); it was skipped",
                        self.max_record_bytes
                    ),
                    fatal: false,
                })
            }
            Err(FrameError(message)) => {
                self.done = true;
                Err(ReadError {
                    number: self.number,
                    message,
                    fatal: true,
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Result<Row, ReadError>> {
        JsonArrayRows::new(text.as_bytes(), 1 << 20)
            .expect("an array")
            .collect()
    }

    #[test]
    fn elements_become_rows_numbered_from_one() {
        let text = "[\n{\"uid\":\"a\",\"n\":42,\"ok\":true,\"x\":null},\n{\"uid\":\"b\",\"meta\":{\"plan\":\"pro\"}}\n]";
        let rows: Vec<Row> = read(text).into_iter().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].number, rows[0].get("n"), rows[0].get("ok")),
            (1, "42", "true")
        );
        assert_eq!(rows[0].get("x"), "");
        assert_eq!((rows[1].number, rows[1].get("uid")), (2, "b"));
        assert_eq!(rows[1].get("meta"), r#"{"plan":"pro"}"#);
        let columns = &rows[1].columns;
        assert!(columns.holds_json(columns.position("meta").expect("meta")));
    }

    #[test]
    fn a_bad_element_is_its_own_error_and_reading_goes_on() {
        let text = "{\"users\": [\n{\"uid\":\"a\"},\n7,\n{\"uid\":\"b\",},\n{\"uid\":\"\u{e9}\"},\n{\"uid\":\"c\"}\n]}";
        let items = read(text);
        assert_eq!(items.len(), 5);
        let error = |i: usize| items[i].as_ref().expect_err("an error");
        assert_eq!(error(1).message, "element 2 (line 3) is not a JSON object");
        assert!(!error(1).fatal && error(1).number == 2);
        assert!(
            error(2)
                .message
                .starts_with("element 3 (line 4) is not valid JSON: "),
            "{}",
            error(2).message
        );
        assert_eq!(items[3].as_ref().expect("row").get("uid"), "\u{e9}");
        assert_eq!(items[4].as_ref().expect("row").number, 5);
    }

    #[test]
    fn invalid_utf8_spoils_only_its_element() {
        let text = b"[{\"uid\":\"\xff\"},{\"uid\":\"b\"}]";
        let items: Vec<_> = JsonArrayRows::new(&text[..], 1024)
            .expect("an array")
            .collect();
        assert_eq!(
            items[0].as_ref().expect_err("bad").message,
            "element 1 (line 1) is not valid UTF-8"
        );
        assert_eq!(items[1].as_ref().expect("row").get("uid"), "b");
    }

    #[test]
    fn a_framing_error_ends_the_input_fatally() {
        let items = read("[{\"uid\":\"a\"},\n{\"uid\":\"b\"");
        assert_eq!(items.len(), 2);
        let cut = items[1].as_ref().expect_err("cut");
        assert!(cut.fatal && cut.number == 2, "{cut:?}");
        assert!(cut.message.contains("line 2"), "{}", cut.message);
    }

    #[test]
    fn an_input_that_fails_before_its_first_element_ends_is_refused_at_once() {
        let refused = |text: &str| match JsonArrayRows::new(text.as_bytes(), 1024) {
            Ok(_) => panic!("{text:?} opened"),
            Err(message) => message,
        };
        let ndjson = refused("{\"username\":\"ann\"}\n{\"username\":\"bob\"}\n");
        assert!(ndjson.contains("holds no array of records"), "{ndjson}");
        let cut = refused("[{\"username\":\"an");
        assert!(cut.contains("ends inside element 1"), "{cut}");
        assert!(JsonArrayRows::new(&b"[]"[..], 1024)
            .expect("empty array")
            .next()
            .is_none());
    }

    #[test]
    fn an_oversized_element_is_a_record_error() {
        let text = format!("[{{\"uid\":\"{}\"}},{{\"uid\":\"b\"}}]", "x".repeat(5000));
        let items: Vec<_> = JsonArrayRows::new(text.as_bytes(), 1024)
            .expect("an array")
            .collect();
        let big = items[0].as_ref().expect_err("too long");
        assert_eq!(
            big.message,
            "element 1 (line 1) is longer than --max-record-bytes (1024 bytes); it was skipped"
        );
        assert!(!big.fatal);
        assert_eq!(items[1].as_ref().expect("row").number, 2);
    }

    #[test]
    fn raw_records_carry_their_cells_and_line() {
        let mut rows =
            JsonArrayRows::new(&b"[\n{\"a\":\"x\",\"b\":\"yz\"}]"[..], 1024).expect("an array");
        let (mut text, mut ends) = (Vec::new(), Vec::new());
        let record = rows
            .read_raw(&mut text, &mut ends)
            .expect("one")
            .expect("ok");
        assert_eq!((record.number, record.line, record.byte), (1, 2, Some(2)));
        assert_eq!(
            (text.as_slice(), ends.as_slice()),
            (&b"xyz"[..], &[1, 3][..])
        );
        assert!(rows.read_raw(&mut text, &mut ends).is_none());
    }
}
