//! What every reader yields: [`Row`]s of cells under [`Columns`], or a
//! [`ReadError`] for a record that cannot be read, through the
//! [`RowSource`] trait; [`Cells`] is how mapping reads any of them.

use std::collections::HashMap;
use std::sync::Arc;

use ::csv::StringRecord;

/// The default cap on one record's bytes (`--max-record-bytes`): far above
/// any real user record, far below what would strain memory.
pub(crate) const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// The column names of an input, in order, with a name → index lookup.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Columns {
    names: Vec<String>,
    index: HashMap<String, usize>,
    /// Per column: whether it has held a JSON object or array in this input
    /// so far (JSON inputs only). Such a cell is that value's compact JSON
    /// text; a scalar in the same column is plain text as anywhere else.
    json: Vec<bool>,
}

impl Columns {
    pub(crate) fn new(names: Vec<String>) -> Columns {
        let json = vec![false; names.len()];
        Columns::with_json(names, json)
    }

    /// Columns of which those flagged in `json` hold nested JSON values.
    pub(crate) fn with_json(names: Vec<String>, mut json: Vec<bool>) -> Columns {
        let mut index = HashMap::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            // A repeated header keeps its first position; mapping reports it.
            index.entry(name.clone()).or_insert(i);
        }
        json.resize(names.len(), false);
        Columns { names, index, json }
    }

    /// Whether column `index` has held a JSON object or array: then a cell
    /// of it that is one is compact JSON text.
    pub(crate) fn holds_json(&self, index: usize) -> bool {
        self.json.get(index).copied().unwrap_or(false)
    }
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }
    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
}

/// One input record: its 1-based number (header excluded, blank NDJSON lines
/// not counted) and its cells, aligned with `columns`. A missing cell is "".
/// The cells live in one `StringRecord` (one buffer, not one `String` each),
/// which keeps reading cheap.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) number: u64,
    pub(crate) columns: Arc<Columns>,
    pub(crate) values: StringRecord,
}

impl Row {
    /// The cell at column `index`, or "" when the row lacks it.
    pub(crate) fn value(&self, index: usize) -> &str {
        self.values.get(index).unwrap_or("")
    }
    /// The cell under `name`, or "" when the row lacks it.
    #[cfg(test)]
    pub(crate) fn get(&self, name: &str) -> &str {
        self.columns.position(name).map_or("", |i| self.value(i))
    }
    /// Appends the row's cells to `text` and their end offsets to `ends`,
    /// the way [`RowSource::read_raw`] gives a record.
    pub(crate) fn append_cells(&self, text: &mut Vec<u8>, ends: &mut Vec<usize>) {
        for cell in self.values.iter() {
            text.extend_from_slice(cell.as_bytes());
            ends.push(text.len());
        }
    }

    /// `(column, value)` pairs, in column order.
    pub(crate) fn cells(&self) -> impl Iterator<Item = (&str, &str)> {
        self.columns
            .names()
            .iter()
            .enumerate()
            .map(|(i, name)| (name.as_str(), self.value(i)))
    }
}

/// Read access to one record's cells: an owned [`Row`], or a row inside a
/// batch parsed ahead ([`crate::input::read_ahead::RowView`]). Mapping reads rows
/// only through this.
pub(crate) trait Cells {
    /// The record's 1-based number.
    fn number(&self) -> u64;
    /// The columns the cells align with.
    fn columns(&self) -> &Arc<Columns>;
    /// The cell at column `index`, or "" when the record lacks it.
    fn cell(&self, index: usize) -> &str;
}

impl Cells for Row {
    fn number(&self) -> u64 {
        self.number
    }
    fn columns(&self) -> &Arc<Columns> {
        &self.columns
    }
    fn cell(&self, index: usize) -> &str {
        self.value(index)
    }
}

/// A record that could not be read. `fatal` errors (I/O) end the input;
/// the others affect only their own record, which is reported `invalid`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub(crate) struct ReadError {
    pub(crate) number: u64,
    pub(crate) message: String,
    pub(crate) fatal: bool,
}

/// A stream of rows from some input.
pub(crate) trait RowSource: Iterator<Item = Result<Row, ReadError>> + Send {
    /// The columns seen so far, which are those of the record read last:
    /// the header for CSV; for NDJSON, the keys of the records read so far
    /// (peek one record first).
    fn columns(&self) -> &Arc<Columns>;

    /// Reads the next record, appending its cells to `text` and their end
    /// offsets (in `text`) to `ends`; `None` at the end. Nothing is appended
    /// for a record that fails. The cells are not checked for UTF-8: the
    /// caller checks many records at once ([`crate::input::read_ahead`]).
    fn read_raw(
        &mut self,
        text: &mut Vec<u8>,
        ends: &mut Vec<usize>,
    ) -> Option<Result<RawRecord, ReadError>>;
}

/// [`RowSource::read_raw`] for a source that reads whole [`Row`]s (the
/// JSON readers): `next`'s cells appended to `text` and `ends`, placed at
/// `line` (and `byte`, when the format tells).
pub(crate) fn raw_from_row(
    next: Option<Result<Row, ReadError>>,
    text: &mut Vec<u8>,
    ends: &mut Vec<usize>,
    (line, byte): (u64, Option<u64>),
) -> Option<Result<RawRecord, ReadError>> {
    let row = match next? {
        Ok(row) => row,
        Err(e) => return Some(Err(e)),
    };
    row.append_cells(text, ends);
    Some(Ok(RawRecord {
        number: row.number,
        line,
        byte,
    }))
}

/// Where a record read by [`RowSource::read_raw`] was.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawRecord {
    pub(crate) number: u64,
    /// The line it starts on.
    pub(crate) line: u64,
    /// The byte offset it starts at, when the format tells.
    pub(crate) byte: Option<u64>,
}
