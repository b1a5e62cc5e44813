//! CSV rows: a header row, RFC 4180 quoting (embedded newlines, doubled
//! quotes), an optional UTF-8 BOM and CRLF or LF line ends. A record with the
//! wrong number of fields or invalid UTF-8 is reported on its own; the rest
//! of the file is still read.

use std::io::Read;
use std::sync::Arc;

use super::{Columns, ReadError, Row, RowSource};

/// Rows of a CSV file with a header.
pub struct CsvRows<R: Read> {
    reader: ::csv::Reader<R>,
    columns: Arc<Columns>,
    record: ::csv::ByteRecord,
    number: u64,
    done: bool,
}

impl<R: Read> CsvRows<R> {
    pub fn new(input: R) -> anyhow::Result<Self> {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(input);
        let header = reader
            .byte_headers()
            .map_err(|e| anyhow::anyhow!("cannot read the CSV header: {e}"))?;
        let mut names = Vec::with_capacity(header.len());
        for (i, field) in header.iter().enumerate() {
            let name = std::str::from_utf8(field)
                .map_err(|_| anyhow::anyhow!("CSV header column {} is not valid UTF-8", i + 1))?;
            // Some exporters write a BOM the csv crate does not strip.
            names.push(name.trim_start_matches('\u{feff}').trim().to_owned());
        }
        Ok(CsvRows {
            reader,
            columns: Arc::new(Columns::new(names)),
            record: ::csv::ByteRecord::new(),
            number: 0,
            done: false,
        })
    }
}

impl<R: Read + Send> RowSource for CsvRows<R> {
    fn columns(&self) -> Arc<Columns> {
        Arc::clone(&self.columns)
    }

    /// Parses straight into `row`'s record: no allocation once its buffers
    /// have grown to the input's widest row.
    fn read_into(&mut self, row: &mut Row) -> Option<Result<(), ReadError>> {
        if self.done {
            return None;
        }
        match self.reader.read_record(&mut row.values) {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                self.number += 1;
                row.number = self.number;
                if !Arc::ptr_eq(&row.columns, &self.columns) {
                    row.columns = Arc::clone(&self.columns);
                }
                let line = row.values.position().map_or(0, |p| p.line());
                Some(self.check_width(row.values.len(), line))
            }
            Err(e) => {
                self.number += 1;
                Some(Err(self.read_error(e)))
            }
        }
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                self.number += 1;
                Some(self.decode())
            }
            Err(e) => {
                self.number += 1;
                Some(Err(self.read_error(e)))
            }
        }
    }
}

impl<R: Read> CsvRows<R> {
    /// A csv error as this record's error: invalid UTF-8 names its column;
    /// an I/O error ends the input.
    fn read_error(&mut self, e: ::csv::Error) -> ReadError {
        let fatal = matches!(e.kind(), ::csv::ErrorKind::Io(_));
        self.done = fatal;
        let message = match e.kind() {
            ::csv::ErrorKind::Utf8 { pos, err } => format!(
                "column {:?} on line {} is not valid UTF-8",
                self.columns
                    .names()
                    .get(err.field())
                    .map_or("?", String::as_str),
                pos.as_ref().map_or(0, |p| p.line())
            ),
            _ => format!("unreadable CSV record: {e}"),
        };
        ReadError {
            number: self.number,
            message,
            fatal,
        }
    }

    fn check_width(&self, width: usize, line: u64) -> Result<(), ReadError> {
        if width == self.columns.len() {
            return Ok(());
        }
        Err(ReadError {
            number: self.number,
            message: format!(
                "record on line {line} has {width} fields, the header has {}",
                self.columns.len()
            ),
            fatal: false,
        })
    }

    fn decode(&self) -> Result<Row, ReadError> {
        let line = self.record.position().map_or(0, |p| p.line());
        self.check_width(self.record.len(), line)?;
        let values = ::csv::StringRecord::from_byte_record(self.record.clone()).map_err(|e| {
            let field = e.utf8_error().field();
            ReadError {
                number: self.number,
                message: format!(
                    "column {:?} on line {line} is not valid UTF-8",
                    self.columns.names().get(field).map_or("?", String::as_str)
                ),
                fatal: false,
            }
        })?;
        Ok(Row {
            number: self.number,
            columns: Arc::clone(&self.columns),
            values,
        })
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
        assert!(err.message.contains("1 fields"), "{}", err.message);
        assert_eq!(rows[1].as_ref().expect("row").get("email"), "b@example.com");
    }

    #[test]
    fn invalid_utf8_names_the_column() {
        let (_, rows) = read(b"username,name\nann,\xff\xfe\n");
        let err = rows[0].as_ref().expect_err("bad utf-8");
        assert!(err.message.contains("\"name\""), "{}", err.message);
    }
}
