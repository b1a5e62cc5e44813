//! CSV fields written straight to a buffered writer, quoted only when they
//! hold a comma, a double quote or a line break: the csv crate's default
//! (`QuoteStyle::Necessary`) output, without its per-field bookkeeping, for
//! the report's one-line-per-row hot path.

use std::io::{self, Write};

/// Writes one field, quoting it when it needs quotes.
pub(crate) fn write_field(out: &mut impl Write, field: &str) -> io::Result<()> {
    let bytes = field.as_bytes();
    if !bytes
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
    {
        return out.write_all(bytes);
    }
    out.write_all(b"\"")?;
    for (i, part) in field.split('"').enumerate() {
        if i > 0 {
            out.write_all(b"\"\"")?;
        }
        out.write_all(part.as_bytes())?;
    }
    out.write_all(b"\"")
}

/// Writes one record: fields separated by commas, then `\n`. A record of one
/// empty field is written `""`, as the csv crate does: a bare line break
/// would read back as no record at all.
pub(crate) fn write_record<'a>(
    out: &mut impl Write,
    fields: impl IntoIterator<Item = &'a str>,
) -> io::Result<()> {
    let mut count = 0;
    let mut only_empty = true;
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_field(out, field)?;
        count = i + 1;
        only_empty &= field.is_empty();
    }
    if count == 1 && only_empty {
        out.write_all(b"\"\"")?;
    }
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRICKY: [&str; 9] = [
        "plain",
        "",
        "a,b",
        "say \"hi\"",
        "\"",
        "line\nbreak",
        "cr\rlf\r\n",
        " spaced ",
        "ünïcödé",
    ];

    #[test]
    fn writes_what_the_csv_crate_writes() {
        let mut ours = Vec::new();
        write_record(&mut ours, TRICKY).expect("write");
        write_record(&mut ours, ["1", "x"]).expect("write");
        write_record(&mut ours, [""]).expect("write");
        let mut theirs = csv::WriterBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_writer(Vec::new());
        theirs.write_record(TRICKY).expect("write");
        theirs.write_record(["1", "x"]).expect("write");
        theirs.write_record([""]).expect("write");
        let theirs = theirs.into_inner().expect("flush");
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs)
        );
    }

    #[test]
    fn reads_back_unchanged() {
        let mut text = Vec::new();
        write_record(&mut text, TRICKY).expect("write");
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_slice());
        let record = reader.records().next().expect("a record").expect("valid");
        assert_eq!(record.iter().collect::<Vec<_>>(), TRICKY);
    }
}
