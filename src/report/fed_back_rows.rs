//! A CSV error report read back as input, record by record: the formula
//! guard comes off its copied cells (the writer's `'`, see
//! [`crate::report::formula_guard`]), and the keys of its
//! `bulk-signup:other_fields` cells become columns of their own, as they
//! were in the NDJSON input the report came from. The report's own cells
//! stay as they are (the mapping leaves them out).

use std::sync::Arc;

use serde_json::Value;

use crate::input::{not_utf8, Columns, RawRecord, ReadError, Row, RowSource, StringRecord};
use crate::report::error_columns::{is_bookkeeping, OTHER_FIELDS};
use crate::report::formula_guard::{is_guarded, unguarded};

/// Wraps the reader of a CSV error report.
pub(crate) struct FedBackRows {
    inner: Box<dyn RowSource>,
    /// Per header column: whether its cells are the input's (guarded when
    /// written), not the report's own.
    copied: Vec<bool>,
    /// Where the header has `bulk-signup:other_fields`.
    other_fields: Option<usize>,
    /// The header's columns, then the keys `other_fields` brought so far.
    columns: Arc<Columns>,
}

impl FedBackRows {
    pub(crate) fn new(inner: Box<dyn RowSource>) -> FedBackRows {
        let names = inner.columns().names();
        FedBackRows {
            copied: names.iter().map(|name| !is_bookkeeping(name)).collect(),
            other_fields: names.iter().position(|name| name == OTHER_FIELDS),
            columns: Arc::clone(inner.columns()),
            inner,
        }
    }

    /// Gives the record whose cells are `ends[first..]` (its text from
    /// byte `start` of `text`) the input's cells: guards undone, other
    /// fields spread into their columns. Most records need nothing.
    fn mend(
        &mut self,
        text: &mut Vec<u8>,
        ends: &mut Vec<usize>,
        (start, first): (usize, usize),
        number: u64,
    ) -> Result<(), ReadError> {
        let cell_starts = std::iter::once(start).chain(ends[first..].iter().copied());
        let mut cells: Vec<&[u8]> = cell_starts
            .zip(&ends[first..])
            .map(|(from, to)| &text[from..*to])
            .collect();
        let guarded = |i: usize, cell: &[u8]| self.copied.get(i) == Some(&true) && is_guarded(cell);
        let spread = self
            .other_fields
            .filter(|i| cells.get(*i).is_some_and(|c| !c.is_empty()));
        if spread.is_none() && !cells.iter().enumerate().any(|(i, c)| guarded(i, c)) {
            return Ok(());
        }
        for (i, cell) in cells.iter_mut().enumerate() {
            if self.copied.get(i) == Some(&true) {
                *cell = unguarded(cell);
            }
        }
        let mut cells: Vec<Vec<u8>> = cells.into_iter().map(<[u8]>::to_vec).collect();
        if let Some(at) = spread {
            let json = std::mem::take(&mut cells[at]);
            self.spread(&json, &mut cells)
                .map_err(|message| ReadError {
                    number,
                    message: format!("column {OTHER_FIELDS:?} {message}"),
                    fatal: false,
                })?;
        }
        text.truncate(start);
        ends.truncate(first);
        for cell in cells {
            text.extend_from_slice(&cell);
            ends.push(text.len());
        }
        Ok(())
    }

    /// Puts the fields of an `other_fields` cell (a JSON object) into
    /// `cells`, adding columns for keys not seen before. A cell the header
    /// already has a value for keeps it: the person's edit wins.
    fn spread(&mut self, json: &[u8], cells: &mut Vec<Vec<u8>>) -> Result<(), String> {
        let fields: serde_json::Map<String, Value> = serde_json::from_slice(json)
            .map_err(|e| format!("is not a JSON object of column names and values: {e}"))?;
        for (name, value) in fields {
            if is_bookkeeping(&name) {
                continue;
            }
            let index = match self.columns.position(&name) {
                Some(index) => index,
                None => {
                    let mut names = self.columns.names().to_vec();
                    names.push(name);
                    self.columns = Arc::new(Columns::new(names));
                    self.columns.len() - 1
                }
            };
            cells.resize(cells.len().max(index + 1), Vec::new());
            if cells[index].is_empty() {
                cells[index] = match value {
                    Value::String(text) => text.into_bytes(),
                    Value::Null => Vec::new(),
                    other => other.to_string().into_bytes(),
                };
            }
        }
        Ok(())
    }
}

impl RowSource for FedBackRows {
    fn columns(&self) -> &Arc<Columns> {
        &self.columns
    }

    fn read_raw(
        &mut self,
        text: &mut Vec<u8>,
        ends: &mut Vec<usize>,
    ) -> Option<Result<RawRecord, ReadError>> {
        let at = (text.len(), ends.len());
        let record = match self.inner.read_raw(text, ends)? {
            Ok(record) => record,
            Err(e) => return Some(Err(e)),
        };
        if let Err(e) = self.mend(text, ends, at, record.number) {
            // A failed record appends nothing.
            text.truncate(at.0);
            ends.truncate(at.1);
            return Some(Err(e));
        }
        Some(Ok(record))
    }
}

impl Iterator for FedBackRows {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (mut text, mut ends) = (Vec::new(), Vec::new());
        let record = match self.read_raw(&mut text, &mut ends)? {
            Ok(record) => record,
            Err(e) => return Some(Err(e)),
        };
        let mut values = StringRecord::with_capacity(text.len(), ends.len());
        let mut start = 0;
        for (i, end) in ends.iter().enumerate() {
            let Ok(cell) = std::str::from_utf8(&text[start..*end]) else {
                return Some(Err(not_utf8(&self.columns, i, record.number, record.line)));
            };
            values.push_field(cell);
            start = *end;
        }
        Some(Ok(Row {
            number: record.number,
            columns: Arc::clone(&self.columns),
            values,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::CsvRows;

    fn rows(csv: &str) -> Vec<Result<Vec<(String, String)>, String>> {
        let inner = CsvRows::new(std::io::Cursor::new(csv.as_bytes().to_vec())).expect("header");
        FedBackRows::new(Box::new(inner))
            .map(|row| {
                row.map(|row| {
                    row.cells()
                        .map(|(n, v)| (n.to_owned(), v.to_owned()))
                        .collect()
                })
                .map_err(|e| e.message)
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn copied_cells_lose_the_guard_and_the_reports_own_cells_keep_theirs() {
        let csv = "bulk-signup:row,bulk-signup:username,given_name,phone_number,nickname\n\
                   4,'-ann,'=cmd,'+1 555 0100,'quoted\n\
                   5,bob,''=x,'\t,plain\n";
        assert_eq!(
            rows(csv),
            [
                Ok(pairs(&[
                    ("bulk-signup:row", "4"),
                    ("bulk-signup:username", "'-ann"),
                    ("given_name", "=cmd"),
                    ("phone_number", "+1 555 0100"),
                    ("nickname", "'quoted"),
                ])),
                Ok(pairs(&[
                    ("bulk-signup:row", "5"),
                    ("bulk-signup:username", "bob"),
                    ("given_name", "'=x"),
                    ("phone_number", "\t"),
                    ("nickname", "plain"),
                ])),
            ]
        );
    }

    #[test]
    fn other_fields_become_columns_and_an_edited_cell_wins() {
        let csv = "bulk-signup:row,username,email,bulk-signup:other_fields\n\
                   1,ann,a@x.org,\n\
                   2,bob,,\"{\"\"Phone\"\":\"\"+1 212\"\",\"\"email\"\":\"\"b@x.org\"\"}\"\n\
                   3,cat,c@x.org,\"{\"\"email\"\":\"\"old@x.org\"\",\"\"n\"\":7}\"\n\
                   4,dan,,not json\n";
        let read = rows(csv);
        assert_eq!(
            read[0],
            Ok(pairs(&[
                ("bulk-signup:row", "1"),
                ("username", "ann"),
                ("email", "a@x.org"),
                ("bulk-signup:other_fields", ""),
            ]))
        );
        assert_eq!(
            read[1],
            Ok(pairs(&[
                ("bulk-signup:row", "2"),
                ("username", "bob"),
                ("email", "b@x.org"),
                ("bulk-signup:other_fields", ""),
                ("Phone", "+1 212"),
            ]))
        );
        let cat = read[2].as_ref().expect("cat");
        assert!(cat.contains(&("email".into(), "c@x.org".into())), "{cat:?}");
        assert!(cat.contains(&("n".into(), "7".into())), "{cat:?}");
        let dan = read[3].as_ref().expect_err("dan");
        assert!(dan.contains("bulk-signup:other_fields"), "{dan}");
    }
}
