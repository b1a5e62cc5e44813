//! A look at the input's first bytes before parsing: gzip and zstd are
//! recognised (and undone, [`super::decompress`]); an empty input, another
//! compressed or archive format, a binary file or text that is not UTF-8
//! (without `--encoding`) is refused with one clear message instead of
//! hundreds of unreadable records; a UTF-16 byte-order mark and a CSV's
//! field separator are recognised.

/// What the first bytes of an input say it is, when it is not text we read.
pub(crate) fn refusal(head: &[u8]) -> Option<String> {
    if head.is_empty() {
        return Some("the input is empty: no header row".to_owned());
    }
    if let Some((kind, compression)) = container(head) {
        // Seen after one gzip or zstd layer was undone: a second one.
        let twice = if compression.is_some() { " twice" } else { "" };
        return Some(format!(
            "the input is {kind}{twice}, not CSV, NDJSON or JSON text: decompress or extract it first"
        ));
    }
    // Text has no NUL bytes, binary files many. A stray NUL in text is one
    // row's problem (reported as that row's control character), so it
    // takes several, and at least 2% of the start, to call a file binary.
    let start = &head[..head.len().min(8 * 1024)];
    let nuls = start.iter().filter(|b| **b == 0).count();
    (nuls >= 2 && nuls * 50 >= start.len()).then(|| {
        "the input holds NUL bytes near its start: it is a binary file, not CSV, NDJSON or JSON text"
            .to_owned()
    })
}

/// UTF-16 by its byte-order mark (read without `--encoding`).
pub(crate) fn bom_encoding(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    encoding_rs::Encoding::for_bom(head)
        .map(|(encoding, _)| encoding)
        .filter(|e| *e != encoding_rs::UTF_8)
}

/// Why text read as UTF-8 is not: a legacy 8-bit export (Windows-1252,
/// Latin-1) would otherwise give every row with an accent an error. A
/// sequence cut by the end of `head` is not an error.
pub(crate) fn not_utf8(head: &[u8]) -> Option<String> {
    let error = std::str::from_utf8(head).err()?;
    error.error_len()?;
    let at = error.valid_up_to();
    Some(format!(
        "the input is not UTF-8 (byte {:#04x} at offset {at}): pass --encoding with the encoding it was written in, e.g. --encoding windows-1252 (or latin1) for a spreadsheet export; --encoding utf-8 reads it anyway, reporting each broken row",
        head[at]
    ))
}

/// The field separators a CSV may use, in the order ties are broken.
pub(crate) const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// The separator of a CSV whose first bytes are `head`: the candidate seen
/// most often in the header line, outside quotes (a comma when none is).
pub(crate) fn delimiter(head: &[u8]) -> u8 {
    let line = head.split(|b| *b == b'\n').next().unwrap_or(head);
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if let Some(i) = DELIMITERS.iter().position(|d| *d == b).filter(|_| !quoted) {
            counts[i] += 1;
        }
    }
    let best =
        (0..DELIMITERS.len()).fold(0, |best, i| if counts[i] > counts[best] { i } else { best });
    DELIMITERS[best]
}

/// How a separator is named in messages and on the command line.
pub(crate) fn delimiter_name(delimiter: u8) -> &'static str {
    match delimiter {
        b';' => "';'",
        b'\t' => "tab",
        b'|' => "'|'",
        _ => "','",
    }
}

/// A compression the reader undoes as it streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    Gzip,
    Zstd,
}

/// The compression of an input whose first bytes are `head`, if it is one
/// the reader undoes.
pub(crate) fn compression(head: &[u8]) -> Option<Compression> {
    container(head)?.1
}

/// Compressed and archive formats, by their magic numbers: what each is
/// called, and whether the reader undoes it.
fn container(head: &[u8]) -> Option<(&'static str, Option<Compression>)> {
    const MAGIC: [(&[u8], &str, Option<Compression>); 6] = [
        (&[0x1f, 0x8b], "gzip-compressed", Some(Compression::Gzip)),
        (
            &[0x28, 0xb5, 0x2f, 0xfd],
            "zstd-compressed",
            Some(Compression::Zstd),
        ),
        (b"BZh", "bzip2-compressed", None),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0x00], "xz-compressed", None),
        (
            &[b'P', b'K', 0x03, 0x04],
            "a zip archive (or a spreadsheet such as .xlsx)",
            None,
        ),
        (
            &[b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c],
            "a 7-Zip archive",
            None,
        ),
    ];
    MAGIC
        .iter()
        .find(|(magic, _, _)| head.starts_with(magic))
        .map(|(_, kind, compression)| (*kind, *compression))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_lines_most_frequent_separator_wins() {
        assert_eq!(
            delimiter(b"username,email,given_name\nann,a@b.co,Ann\n"),
            b','
        );
        assert_eq!(
            delimiter(b"username;email;given_name\nann;a@b.co;Ann\n"),
            b';'
        );
        assert_eq!(delimiter(b"username\temail\nann\ta@b.co\n"), b'\t');
        assert_eq!(delimiter(b"username|email\n"), b'|');
        // Separators inside quotes do not count.
        assert_eq!(delimiter(b"\"a,b,c\";x;y\n"), b';');
        assert_eq!(delimiter(b"username\n"), b',');
        assert_eq!(delimiter(b""), b',');
    }

    #[test]
    fn text_passes_and_containers_are_named() {
        assert_eq!(refusal(b"username,email\nann,a@b.co\n"), None);
        assert_eq!(refusal("\u{feff}username\n".as_bytes()), None);
        assert_eq!(refusal(b"{\"username\":\"ann\"}\n"), None);
        let empty = refusal(b"").expect("empty");
        assert!(
            empty.contains("the input is empty: no header row"),
            "{empty}"
        );
        // Refusal looks at what is left after one gzip or zstd layer.
        let gzip = refusal(&[0x1f, 0x8b, 0x08, 0x00]).expect("gzip");
        assert!(gzip.contains("gzip-compressed twice"), "{gzip}");
        assert!(refusal(&[0x28, 0xb5, 0x2f, 0xfd, 1])
            .expect("zstd")
            .contains("zstd"));
        assert_eq!(compression(&[0x1f, 0x8b, 8]), Some(Compression::Gzip));
        assert_eq!(
            compression(&[0x28, 0xb5, 0x2f, 0xfd, 1]),
            Some(Compression::Zstd)
        );
        for (head, kind) in [
            (&b"BZh91AY&SY"[..], "bzip2"),
            (&[0xfd, b'7', b'z', b'X', b'Z', 0x00, 1][..], "xz"),
            (&b"PK\x03\x04rest"[..], "zip"),
            (&[b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c][..], "7-Zip"),
        ] {
            assert_eq!(compression(head), None, "{kind}");
            let refused = refusal(head).expect(kind);
            assert!(
                refused.contains(kind) && !refused.contains("twice"),
                "{refused}"
            );
        }
        assert_eq!(
            bom_encoding(&[0xff, 0xfe, b'u', 0]),
            Some(encoding_rs::UTF_16LE)
        );
        assert_eq!(
            bom_encoding(&[0xfe, 0xff, 0, b'u']),
            Some(encoding_rs::UTF_16BE)
        );
        assert_eq!(bom_encoding(b"\xEF\xBB\xBFusername"), None);
        assert!(not_utf8("Zoë,ok\n".as_bytes()).is_none());
        assert!(not_utf8(b"Zo\xEB,latin1\n")
            .expect("latin-1")
            .contains("windows-1252"));
        assert!(
            not_utf8(b"cut \xC3").is_none(),
            "a sequence cut by the buffer's end"
        );
        assert!(refusal(b"\0\0\0\x01abcdef")
            .expect("binary")
            .contains("NUL"));
        assert_eq!(refusal(b"username,email\nann,ann\0@example.com\n"), None);
    }
}
