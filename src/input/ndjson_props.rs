//! Property: the NDJSON reader takes any lines (objects, nested values,
//! garbage, invalid UTF-8, huge numbers, blank lines) without panicking;
//! every non-blank line is exactly one item, a row or a per-record error
//! with that record's number and its line number, and an object's string,
//! number, boolean and null values come back as README says (the text of the
//! string or number, `true`/`false`, an empty cell): one bad line must never
//! end or shift the rest of the input.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::ndjson::NdjsonRows;

/// One generated line (without its line break).
#[derive(Debug, Clone)]
enum Line {
    /// An object of scalar values, and the cells they must become.
    Object(String, BTreeMap<String, String>),
    /// Anything else: nested values, garbage, numbers out of range.
    Other(Vec<u8>),
}

/// A JSON scalar and the cell README says it becomes.
fn scalar() -> impl Strategy<Value = (Value, String)> {
    prop_oneof![
        any::<String>().prop_map(|s| (json!(s), s)),
        any::<i64>().prop_map(|n| (json!(n), n.to_string())),
        any::<u64>().prop_map(|n| (json!(n), n.to_string())),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(|f| {
                let value = json!(f);
                let text = value.to_string();
                (value, text)
            }),
        any::<bool>().prop_map(|b| (json!(b), b.to_string())),
        Just((Value::Null, String::new())),
    ]
}

fn object() -> impl Strategy<Value = Line> {
    prop::collection::btree_map(any::<String>(), scalar(), 0..5).prop_map(|map| {
        let cells = map.iter().map(|(k, (_, cell))| (k.clone(), cell.clone()));
        let cells = cells.collect();
        let object: serde_json::Map<String, Value> =
            map.into_iter().map(|(k, (value, _))| (k, value)).collect();
        Line::Object(Value::Object(object).to_string(), cells)
    })
}

/// Any JSON value, nested.
fn nested() -> impl Strategy<Value = Value> {
    let leaf = scalar().prop_map(|(value, _)| value);
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn other() -> impl Strategy<Value = Line> {
    let bytes = prop_oneof![
        nested().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..40),
        "[0-9]{19,400}(\\.[0-9]{0,20})?(e[+-]?[0-9]{1,5})?"
            .prop_map(|n| format!("{{\"n\":{n}}}").into_bytes()),
        "[ \t\r\u{feff}]{0,3}".prop_map(String::into_bytes),
        "\\{.{0,20}".prop_map(String::into_bytes),
    ];
    // A line break would make it two lines.
    bytes.prop_map(|mut b| {
        b.retain(|c| *c != b'\n');
        Line::Other(b)
    })
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![2 => object(), 3 => other()]
}

/// Whether a line is blank as the reader judges: skipped and not counted.
fn blank(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|t| t.trim_start_matches('\u{feff}').trim().is_empty())
}

proptest! {
    #![proptest_config(crate::props::config(256))]

    #[test]
    fn every_line_is_a_row_or_its_own_error(
        lines in prop::collection::vec((line(), prop::sample::select(vec!["\n", "\r\n"])), 0..12),
        last_break in any::<bool>(),
    ) {
        let mut text = Vec::new();
        for (i, (line, end)) in lines.iter().enumerate() {
            match line {
                Line::Object(json, _) => text.extend_from_slice(json.as_bytes()),
                Line::Other(bytes) => text.extend_from_slice(bytes),
            }
            if last_break || i + 1 < lines.len() {
                text.extend_from_slice(end.as_bytes());
            }
        }
        let mut items = NdjsonRows::new(text.as_slice());
        let mut number = 0;
        for (i, (line, _)) in lines.iter().enumerate() {
            let line_number = i + 1;
            if let Line::Other(bytes) = line {
                if blank(bytes) {
                    continue;
                }
            }
            number += 1;
            let item = items.next();
            prop_assert!(item.is_some(), "line {} gave nothing", line_number);
            match (item.expect("checked"), line) {
                (Ok(row), Line::Object(_, cells)) => {
                    prop_assert_eq!(row.number, number);
                    for (key, cell) in cells {
                        prop_assert_eq!(row.get(key), cell.as_str(), "key {:?}", key);
                    }
                }
                (Ok(row), Line::Other(_)) => prop_assert_eq!(row.number, number),
                (Err(e), Line::Object(json, _)) => {
                    let refused = format!("{json} refused: {}", e.message);
                    return Err(TestCaseError::fail(refused));
                }
                (Err(e), Line::Other(_)) => {
                    prop_assert_eq!(e.number, number);
                    prop_assert!(!e.fatal, "{}", e.message);
                    let at = format!("line {line_number} ");
                    prop_assert!(e.message.contains(&at), "{}", e.message);
                }
            }
        }
        prop_assert!(items.next().is_none(), "more items than lines");
    }
}
