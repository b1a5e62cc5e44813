//! An input opened as UTF-8 text: the one way every reader and every sniff
//! starts. The file (or stdin) is decompressed when its first bytes are
//! gzip's or zstd's, then decoded to UTF-8 when a UTF-16 byte-order mark or
//! `--encoding` says, and refused when what is left is not text we read.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use encoding_rs::Encoding;

use super::decompress::{decompressed, Source, BUFFER_BYTES};
use super::{is_stdin, sniff};

/// How much of an input a sniff looks at.
const HEAD_BYTES: u64 = 64 * 1024;

/// `path` (stdin for `-`) as UTF-8 text, its first bytes checked.
pub(crate) fn open_text(
    path: &Path,
    encoding: Option<&'static Encoding>,
) -> anyhow::Result<BufReader<Source>> {
    let source: Source = if is_stdin(path) {
        Box::new(io::stdin())
    } else {
        let file = File::open(path)
            .map_err(|e| anyhow::anyhow!("cannot open input {}: {e}", path.display()))?;
        Box::new(file)
    };
    let cannot_read = |e: io::Error| anyhow::anyhow!("cannot read input {}: {e}", path.display());
    let reader = BufReader::with_capacity(BUFFER_BYTES, source);
    // Compression first: the encoding is that of the text inside.
    let mut reader = decompressed(reader).map_err(cannot_read)?;
    // A decoder's error must surface here: asked again, it may say "end".
    let head = reader.fill_buf().map_err(cannot_read)?;
    let encoding = encoding.or_else(|| sniff::bom_encoding(head));
    if let Some(encoding) = encoding.filter(|e| *e != encoding_rs::UTF_8) {
        // Decoded to UTF-8 as it streams; a BOM, if any, decides.
        let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding))
            .build(reader);
        reader = BufReader::with_capacity(BUFFER_BYTES, Box::new(decoded));
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
    Ok(reader)
}

/// The first bytes of the text of the file at `path` (up to 64 KiB),
/// decompressed and decoded as its reader will see them.
pub(crate) fn head(path: &Path, encoding: Option<&'static Encoding>) -> anyhow::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_BYTES as usize);
    open_text(path, encoding)?
        .take(HEAD_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| anyhow::anyhow!("cannot read input {}: {e}", path.display()))?;
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bug: the first read's error was dropped while looking for a
    /// byte-order mark, and the gzip decoder, asked again, said "end":
    /// a cut gzip header read as an empty input.
    #[test]
    fn a_cut_gzip_header_is_a_read_error_not_an_empty_input() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("users.csv");
        std::fs::write(&path, [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0]).expect("write");
        let Err(error) = open_text(&path, None) else {
            panic!("a cut gzip header opened");
        };
        let error = error.to_string();
        assert!(
            error.contains("the gzip data is corrupt or cut short"),
            "{error}"
        );
    }
}
