//! Streaming input: CSV and NDJSON readers that yield one [`Row`] at a time
//! (record number + cells), never holding the whole file. [`open`] looks at
//! the first bytes first (an empty, compressed or binary file is refused;
//! a UTF-16 byte-order mark or `--encoding` decodes the text to UTF-8 as it
//! streams; a CSV's field separator is found from its header line). Reading
//! is blocking; the pipeline runs it on its own thread ([`read_ahead`])
//! behind bounded channels.
//!
//! May use: nothing else in the crate.

mod csv;
#[cfg(test)]
mod csv_props;
mod json_object;
mod ndjson;
#[cfg(test)]
mod ndjson_props;
pub(crate) mod read_ahead;
mod row;
mod sniff;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

pub(crate) use ::csv::StringRecord;

pub(crate) use self::csv::{not_utf8, CsvRows};
pub(crate) use self::ndjson::NdjsonRows;
pub(crate) use self::row::{
    Cells, Columns, RawRecord, ReadError, Row, RowSource, MAX_RECORD_BYTES,
};
pub(crate) use self::sniff::delimiter_name;

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Csv,
    Ndjson,
}

impl Format {
    /// The format implied by a file name's extension, if any.
    pub(crate) fn from_path(path: &Path) -> Option<Format> {
        match extension_of(path)?.as_str() {
            "csv" => Some(Format::Csv),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            _ => None,
        }
    }
}

/// A file name's extension, lower-cased: the one reading of extensions, for
/// input formats and report formats alike.
pub(crate) fn extension_of(path: &Path) -> Option<String> {
    Some(path.extension()?.to_str()?.to_ascii_lowercase())
}

/// How an input is read: its format, and the cap on one record's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReadSettings {
    pub(crate) format: Format,
    pub(crate) max_record_bytes: usize,
    /// CSV's field separator; `None`: found from the header line.
    pub(crate) delimiter: Option<u8>,
    /// A CSV without a header row: its column names, in order.
    pub(crate) columns: Option<Arc<[String]>>,
    /// `--encoding`; `None`: UTF-8, or UTF-16 when the input starts with
    /// its byte-order mark.
    pub(crate) encoding: Option<&'static encoding_rs::Encoding>,
}

/// The field separator of the CSV file at `path`, from its header line
/// (`None` for stdin, which cannot be read twice: its reader finds it).
pub(crate) fn sniff_delimiter(path: &Path) -> anyhow::Result<Option<u8>> {
    if is_stdin(path) {
        return Ok(None);
    }
    let mut head = Vec::with_capacity(64 * 1024);
    File::open(path)
        .and_then(|file| file.take(64 * 1024).read_to_end(&mut head))
        .map_err(|e| anyhow::anyhow!("cannot read input {}: {e}", path.display()))?;
    Ok(Some(sniff::delimiter(&head)))
}

/// Whether `path` names standard input (`-`), which can be read only once.
pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Opens `path` (or stdin for `-`) as a row source.
pub(crate) fn open(path: &Path, read: &ReadSettings) -> anyhow::Result<Box<dyn RowSource>> {
    let ReadSettings {
        format,
        max_record_bytes,
        delimiter,
        columns,
        encoding,
    } = read.clone();
    let source: Box<dyn Read + Send> = if is_stdin(path) {
        Box::new(io::stdin())
    } else {
        let file = File::open(path)
            .map_err(|e| anyhow::anyhow!("cannot open input {}: {e}", path.display()))?;
        Box::new(file)
    };
    let cannot_read = |e: io::Error| anyhow::anyhow!("cannot read input {}: {e}", path.display());
    let mut reader = BufReader::with_capacity(256 * 1024, source);
    let encoding = encoding.or_else(|| sniff::bom_encoding(reader.fill_buf().unwrap_or(&[])));
    if let Some(encoding) = encoding.filter(|e| *e != encoding_rs::UTF_8) {
        // Decoded to UTF-8 as it streams; a BOM, if any, decides.
        let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding))
            .build(reader);
        reader = BufReader::with_capacity(256 * 1024, Box::new(decoded));
    }
    let head = reader.fill_buf().map_err(cannot_read)?;
    if let Some(refusal) = sniff::refusal(head) {
        anyhow::bail!("{refusal} ({})", path.display());
    }
    if encoding.is_none() {
        if let Some(refusal) = sniff::not_utf8(head) {
            anyhow::bail!("{refusal} ({})", path.display());
        }
    }
    // (CSV parses straight from this buffer; NDJSON reads it by lines.)
    Ok(match format {
        Format::Csv => {
            let delimiter = delimiter.unwrap_or_else(|| sniff::delimiter(reader.buffer()));
            Box::new(CsvRows::with_options(
                reader,
                max_record_bytes,
                delimiter,
                columns.as_deref(),
            )?)
        }
        Format::Ndjson => Box::new(NdjsonRows::with_max_record_bytes(reader, max_record_bytes)),
    })
}
