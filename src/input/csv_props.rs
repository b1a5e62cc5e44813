//! Property: over arbitrary bytes (quotes, CR, LF, commas, NUL, invalid
//! UTF-8, a BOM) and read-buffer sizes, the CSV reader's quote-free fast path
//! yields exactly what csv_core alone yields (records, cells, byte offsets,
//! line numbers, errors), and neither panics: the fast path must be an
//! optimisation, never a second dialect.

use std::io::BufReader;

use proptest::prelude::*;

use super::csv::CsvRows;
use super::row::RowSource;

/// Everything the reader says about `text` read through a `buffer`-byte
/// buffer: the header, then each raw record (number, line, byte, cells) or
/// error, then each row or error as the iterator gives them.
fn reading(text: &[u8], buffer: usize, plain_lines: bool) -> Vec<String> {
    let open = || -> Option<CsvRows<BufReader<&[u8]>>> {
        let mut rows = CsvRows::new(BufReader::with_capacity(buffer, text)).ok()?;
        rows.plain_lines = plain_lines;
        Some(rows)
    };
    let Some(mut rows) = open() else {
        return vec!["no header".to_owned()];
    };
    let mut seen = vec![format!("{:?}", rows.columns().names())];
    let (mut cells, mut ends) = (Vec::new(), Vec::new());
    while let Some(record) = rows.read_raw(&mut cells, &mut ends) {
        seen.push(match record {
            Ok(r) => format!("{} {} {:?} {cells:?} {ends:?}", r.number, r.line, r.byte),
            Err(e) => format!("error {} {} {}", e.number, e.fatal, e.message),
        });
        cells.clear();
        ends.clear();
    }
    let rows = open().expect("opened once already");
    seen.extend(rows.map(|row| match row {
        Ok(row) => format!("row {} {:?}", row.number, row.values),
        Err(e) => format!("error {} {} {}", e.number, e.fatal, e.message),
    }));
    seen
}

/// Bytes that matter to CSV, and some that must not matter.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::sample::select(vec![
            &b"a"[..], b"bc", b",", b"\"", b"\"\"", b"\r", b"\n", b"\r\n", b" ", b"\0",
            b"\xff", b"\xc3", "é".as_bytes(), b"\xEF\xBB\xBF", b"\t",
        ])
        .prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 0..8),
    ]
}

/// An input: sometimes a fixed header first (so that records fit it), then
/// pieces of CSV or wholly arbitrary bytes.
fn input() -> impl Strategy<Value = Vec<u8>> {
    let body = prop_oneof![
        3 => prop::collection::vec(piece(), 0..60).prop_map(|p| p.concat()),
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ];
    (any::<bool>(), body).prop_map(|(header, body)| {
        let mut text = if header {
            b"h1,h2\n".to_vec()
        } else {
            Vec::new()
        };
        text.extend_from_slice(&body);
        text
    })
}

fn buffer() -> impl Strategy<Value = usize> {
    prop_oneof![1usize..=16, Just(64), Just(8192)]
}

proptest! {
    #![proptest_config(crate::props::config(512))]

    #[test]
    fn the_fast_path_reads_arbitrary_bytes_exactly_as_csv_core(
        text in input(),
        buffer in buffer(),
    ) {
        prop_assert_eq!(reading(&text, buffer, true), reading(&text, buffer, false));
    }
}
