//! NDJSON rows: one JSON object per line. Strings, numbers and booleans
//! become strings; `null` is an empty cell; blank lines are skipped and not
//! counted. Columns are the keys seen so far, so a key that first appears on
//! line 900 still reaches the mapping (which decides whether it is allowed).

use std::io::BufRead;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::row::{Columns, RawRecord, ReadError, Row, RowSource};

/// Rows of an NDJSON stream.
pub(crate) struct NdjsonRows<R: BufRead> {
    reader: R,
    columns: Arc<Columns>,
    line: Vec<u8>,
    line_number: u64,
    number: u64,
    done: bool,
}

impl<R: BufRead> NdjsonRows<R> {
    pub(crate) fn new(reader: R) -> Self {
        NdjsonRows {
            reader,
            columns: Arc::new(Columns::default()),
            line: Vec::new(),
            line_number: 0,
            number: 0,
            done: false,
        }
    }

    fn decode(&mut self, object: Map<String, Value>) -> Result<Row, ReadError> {
        let unseen: Vec<&String> = object
            .keys()
            .filter(|k| self.columns.position(k).is_none())
            .collect();
        if !unseen.is_empty() {
            let mut names = self.columns.names().to_vec();
            names.extend(unseen.into_iter().cloned());
            self.columns = Arc::new(Columns::new(names));
        }
        let mut values = vec![String::new(); self.columns.len()];
        for (key, value) in object {
            let text = match value {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(self.error(format!(
                        "key {key:?} on line {} holds a JSON {}; only strings, numbers and booleans are accepted",
                        self.line_number,
                        if value.is_array() { "array" } else { "object" }
                    )))
                }
            };
            if let Some(i) = self.columns.position(&key) {
                values[i] = text;
            }
        }
        Ok(Row {
            number: self.number,
            columns: Arc::clone(&self.columns),
            values: ::csv::StringRecord::from(values),
        })
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
        &self.columns
    }

    fn read_raw(
        &mut self,
        text: &mut Vec<u8>,
        ends: &mut Vec<usize>,
    ) -> Option<Result<RawRecord, ReadError>> {
        let row = match self.next()? {
            Ok(row) => row,
            Err(e) => return Some(Err(e)),
        };
        row.append_cells(text, ends);
        Some(Ok(RawRecord {
            number: row.number,
            line: self.line_number,
            byte: None,
        }))
    }
}

impl<R: BufRead> Iterator for NdjsonRows<R> {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.line.clear();
            match self.reader.read_until(b'\n', &mut self.line) {
                Ok(0) => self.done = true,
                Ok(_) => {
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
                        Ok(Value::Object(object)) => self.decode(object),
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
        let text = b"{\"username\":\"ann\"}\nnot json\n[1,2]\n{\"username\":{\"a\":1}}\n{\"username\":\"\xff\"}\n{\"username\":\"eve\"}";
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
        assert!(items[3]
            .as_ref()
            .is_err_and(|e| e.message.contains("object")));
        assert_eq!(items[5].as_ref().expect("row").get("username"), "eve");
    }
}
