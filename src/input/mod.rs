//! Streaming input: CSV, NDJSON and JSON array readers that yield one
//! [`Row`] at a time (record number + cells), never holding the whole file.
//! [`open`] looks at the first bytes first: a gzip or zstd input is
//! decompressed as it streams, whatever its name; an empty, otherwise
//! compressed or binary file is refused; a UTF-16 byte-order mark or
//! `--encoding` decodes the text to UTF-8 as it streams; a CSV's field
//! separator is found from its header line. JSON records (NDJSON lines,
//! array elements) are objects whose nested values are kept as JSON text.
//! The format comes from `--format`, the name, or the first bytes
//! ([`Format`]). Reading is blocking; the pipeline runs it on its own
//! thread ([`read_ahead`]) behind bounded channels.
//!
//! May use: nothing else in the crate.

mod csv;
#[cfg(test)]
mod csv_props;
mod decompress;
mod format;
mod json_array;
#[cfg(test)]
mod json_array_props;
mod json_frame;
mod json_object;
mod ndjson;
#[cfg(test)]
mod ndjson_props;
pub(crate) mod read_ahead;
mod row;
pub(crate) mod size_hint;
pub(crate) mod sniff;
mod text;

use std::path::Path;
use std::sync::Arc;

pub(crate) use ::csv::StringRecord;

pub(crate) use self::csv::{not_utf8, CsvRows};
pub(crate) use self::format::Format;
use self::json_array::JsonArrayRows;
pub(crate) use self::ndjson::NdjsonRows;
pub(crate) use self::row::{
    Cells, Columns, RawRecord, ReadError, Row, RowSource, MAX_RECORD_BYTES,
};
pub(crate) use self::sniff::delimiter_name;

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

/// The field separator of the CSV file at `path`, from its header line as
/// its reader will see it (decompressed, decoded); `None` for stdin, which
/// cannot be read twice: its reader finds it.
pub(crate) fn sniff_delimiter(
    path: &Path,
    encoding: Option<&'static encoding_rs::Encoding>,
) -> anyhow::Result<Option<u8>> {
    if is_stdin(path) {
        return Ok(None);
    }
    Ok(Some(sniff::delimiter(&text::head(path, encoding)?)))
}

/// How [`file_format`] found a file's format, for the notice that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormatFound {
    /// The name's extension said it.
    Named,
    /// Named `.json`, but one object per line (Auth0's `.json.gz`).
    ObjectPerLine,
    /// The name said nothing; the first bytes did (what gave it away).
    Sniffed(&'static str),
}

/// The format of the file at `path`: its extension, else its first bytes
/// (decompressed, decoded). `.json` names both JSON kinds, so its first
/// bytes decide between them. Not for stdin, which cannot be read twice.
pub(crate) fn file_format(
    path: &Path,
    encoding: Option<&'static encoding_rs::Encoding>,
) -> anyhow::Result<(Format, FormatFound)> {
    let named = Format::from_path(path);
    if let Some(format) = named.filter(|f| *f != Format::Json) {
        return Ok((format, FormatFound::Named));
    }
    let head = text::head(path, encoding)?;
    Ok(match named {
        Some(_) if format::is_object_per_line(&head) => {
            (Format::Ndjson, FormatFound::ObjectPerLine)
        }
        Some(format) => (format, FormatFound::Named),
        None => {
            let (format, seen) = Format::from_content(&head);
            (format, FormatFound::Sniffed(seen))
        }
    })
}

/// Whether `path` names standard input (`-`), which can be read only once.
pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Opens `path` (or stdin for `-`) as a row source.
pub(crate) fn open(path: &Path, read: &ReadSettings) -> anyhow::Result<Box<dyn RowSource>> {
    let max_record_bytes = read.max_record_bytes;
    let reader = text::open_text(path, read.encoding)?;
    // (CSV parses straight from this buffer; NDJSON reads it by lines, JSON
    // by elements.)
    Ok(match read.format {
        Format::Csv => {
            let delimiter = read
                .delimiter
                .unwrap_or_else(|| sniff::delimiter(reader.buffer()));
            Box::new(CsvRows::with_options(
                reader,
                max_record_bytes,
                delimiter,
                read.columns.as_deref(),
            )?)
        }
        Format::Ndjson => Box::new(
            NdjsonRows::with_max_record_bytes(reader, max_record_bytes)
                .start()
                .map_err(|e| anyhow::anyhow!("cannot read input {}: {e}", path.display()))?,
        ),
        Format::Json => Box::new(
            JsonArrayRows::new(reader, max_record_bytes)
                .map_err(|message| anyhow::anyhow!("{message} ({})", path.display()))?,
        ),
    })
}
