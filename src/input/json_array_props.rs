//! Property: the JSON array reader cuts any array of any JSON values
//! (strings holding brackets, quotes and escapes; nested arrays and
//! objects; compact or pretty-printed; bare or inside `{"users": ...}`),
//! read through any buffer size, into exactly its elements: every object is
//! a row whose cells are what README says (a scalar's text, a nested
//! value's compact JSON), every other element its own non-fatal error, in
//! order and numbered from 1, and nothing after the last.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::json_array::JsonArrayRows;

/// Any JSON value, nested.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<String>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
        // The characters the framer must not take for structure.
        "[\\[\\]{}\",:\\\\ \n]{0,6}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z\\[\\]{}\"\\\\]{0,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An element: mostly objects (users), some anything else.
fn element() -> impl Strategy<Value = Value> {
    let object = prop::collection::btree_map(any::<String>(), value(), 0..5)
        .prop_map(|m: BTreeMap<String, Value>| Value::Object(m.into_iter().collect()));
    prop_oneof![3 => object, 1 => value()]
}

/// The cell a value becomes.
fn cell(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

proptest! {
    #![proptest_config(crate::props::config(256))]

    #[test]
    fn every_element_is_a_row_or_its_own_error(
        elements in prop::collection::vec(element(), 0..10),
        pretty in any::<bool>(),
        wrapped in any::<bool>(),
        capacity in 1usize..64,
    ) {
        let array = Value::Array(elements.clone());
        let top = if wrapped {
            let mut wrapper = Map::new();
            wrapper.insert("kind".to_owned(), Value::from("export [x]"));
            wrapper.insert("users".to_owned(), array);
            wrapper.insert("next".to_owned(), Value::Null);
            Value::Object(wrapper)
        } else {
            array
        };
        let text = if pretty {
            serde_json::to_string_pretty(&top)
        } else {
            serde_json::to_string(&top)
        }
        .expect("serialise");
        let reader = std::io::BufReader::with_capacity(capacity, text.as_bytes());
        let mut rows = JsonArrayRows::new(reader, 1 << 20).expect("an array");
        for (i, element) in elements.iter().enumerate() {
            let number = i as u64 + 1;
            let item = rows.next();
            prop_assert!(item.is_some(), "element {} gave nothing", number);
            match (item.expect("checked"), element) {
                (Ok(row), Value::Object(object)) => {
                    prop_assert_eq!(row.number, number);
                    for (key, value) in object {
                        prop_assert_eq!(row.get(key), cell(value), "key {:?}", key);
                    }
                }
                (Ok(row), other) => {
                    return Err(TestCaseError::fail(format!("{other} read as row {}", row.number)));
                }
                (Err(e), Value::Object(_)) => {
                    return Err(TestCaseError::fail(format!("element {number} refused: {}", e.message)));
                }
                (Err(e), _) => {
                    prop_assert_eq!(e.number, number);
                    prop_assert!(!e.fatal, "{}", e.message);
                    prop_assert!(e.message.contains("is not a JSON object"), "{}", e.message);
                }
            }
        }
        prop_assert!(rows.next().is_none(), "more items than elements");
    }
}
