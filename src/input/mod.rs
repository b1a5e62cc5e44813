//! Streaming input: CSV and NDJSON readers that yield one [`Row`] at a time
//! (record number + cells), never holding the whole file. Reading is blocking;
//! the pipeline runs it on its own thread behind a bounded channel.

mod csv;
mod ndjson;
pub mod read_ahead;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

pub use ::csv::StringRecord;

pub use self::csv::{not_utf8, CsvRows};
pub use self::ndjson::NdjsonRows;

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    /// The format implied by a file name's extension, if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        match extension_of(path)?.as_str() {
            "csv" => Some(Format::Csv),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            _ => None,
        }
    }
}

/// A file name's extension, lower-cased: the one reading of extensions, for
/// input formats and report formats alike.
pub fn extension_of(path: &Path) -> Option<String> {
    Some(path.extension()?.to_str()?.to_ascii_lowercase())
}

/// The column names of an input, in order, with a name → index lookup.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Columns {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Columns {
    pub fn new(names: Vec<String>) -> Columns {
        let mut index = HashMap::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            // A repeated header keeps its first position; mapping reports it.
            index.entry(name.clone()).or_insert(i);
        }
        Columns { names, index }
    }
    pub fn names(&self) -> &[String] {
        &self.names
    }
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// One input record: its 1-based number (header excluded, blank NDJSON lines
/// not counted) and its cells, aligned with `columns`. A missing cell is "".
/// The cells live in one `StringRecord` (one buffer, not one `String` each),
/// which keeps reading cheap.
#[derive(Debug, Clone)]
pub struct Row {
    pub number: u64,
    pub columns: Arc<Columns>,
    pub values: StringRecord,
}

impl Row {
    /// The cell at column `index`, or "" when the row lacks it.
    pub fn value(&self, index: usize) -> &str {
        self.values.get(index).unwrap_or("")
    }
    /// The cell under `name`, or "" when the row lacks it.
    pub fn get(&self, name: &str) -> &str {
        self.columns.position(name).map_or("", |i| self.value(i))
    }
    /// Appends the row's cells to `text` and their end offsets to `ends`,
    /// the way [`RowSource::read_raw`] gives a record.
    pub fn append_cells(&self, text: &mut Vec<u8>, ends: &mut Vec<usize>) {
        for cell in self.values.iter() {
            text.extend_from_slice(cell.as_bytes());
            ends.push(text.len());
        }
    }

    /// `(column, value)` pairs, in column order.
    pub fn cells(&self) -> impl Iterator<Item = (&str, &str)> {
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
pub trait Cells {
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
pub struct ReadError {
    pub number: u64,
    pub message: String,
    pub fatal: bool,
}

/// A stream of rows from some input.
pub trait RowSource: Iterator<Item = Result<Row, ReadError>> + Send {
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

/// Where a record read by [`RowSource::read_raw`] was.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord {
    pub number: u64,
    /// The line it starts on.
    pub line: u64,
    /// The byte offset it starts at, when the format tells.
    pub byte: Option<u64>,
}

/// Opens `path` (or stdin for `-`) as a row source.
pub fn open(path: &Path, format: Format) -> anyhow::Result<Box<dyn RowSource>> {
    let reader: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        let file = File::open(path)
            .map_err(|e| anyhow::anyhow!("cannot open input {}: {e}", path.display()))?;
        Box::new(file)
    };
    let reader = BufReader::with_capacity(256 * 1024, reader);
    // (CSV parses straight from this buffer; NDJSON reads it by lines.)
    Ok(match format {
        Format::Csv => Box::new(CsvRows::new(reader)?),
        Format::Ndjson => Box::new(NdjsonRows::new(reader)),
    })
}
