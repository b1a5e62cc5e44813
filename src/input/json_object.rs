//! One JSON object becomes one [`Row`]: the shared decoding of NDJSON lines
//! and JSON array elements. Strings, numbers and booleans become their text,
//! `null` an empty cell, and a nested object or array its compact JSON text
//! in its top-level key's cell (that column is then flagged as holding
//! JSON). Columns are the keys seen so far, so a key that first appears in
//! record 900 still reaches the mapping (which decides whether it is allowed).

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::row::{Columns, ReadError, Row};

/// The most distinct keys an input may bring. Each new key widens every
/// later row and recompiles the mapping, so keys that never repeat (an id
/// used as a key, say) would cost quadratic time and memory; real records
/// have tens of keys.
pub(crate) const MAX_KEYS: usize = 256;

/// Where a record is, as messages name it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place {
    /// An NDJSON line.
    Line(u64),
    /// An element of a JSON array (1-based) and the line it starts on.
    Element { index: u64, line: u64 },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(line) => write!(f, "line {line}"),
            Place::Element { index, line } => write!(f, "element {index} (line {line})"),
        }
    }
}

/// Turns objects into rows, growing the columns as keys appear.
#[derive(Debug, Default)]
pub(crate) struct ObjectDecoder {
    columns: Arc<Columns>,
}

impl ObjectDecoder {
    /// The columns of the records decoded so far.
    pub(crate) fn columns(&self) -> &Arc<Columns> {
        &self.columns
    }

    /// Record `number` (at `place`) as a row. An error affects this record
    /// only: the columns stay as they were.
    pub(crate) fn decode(
        &mut self,
        object: Map<String, Value>,
        number: u64,
        place: Place,
    ) -> Result<Row, ReadError> {
        self.widen(&object).map_err(|added| ReadError {
            number,
            message: format!(
                "{place} would bring the input past {MAX_KEYS} distinct keys (it adds {added}); records of one export share their keys"
            ),
            fatal: false,
        })?;
        let mut values = vec![String::new(); self.columns.len()];
        for (key, value) in object {
            let text = match value {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                // Kept whole, as text: mapping picks paths out of it.
                nested @ (Value::Array(_) | Value::Object(_)) => nested.to_string(),
            };
            if let Some(i) = self.columns.position(&key) {
                values[i] = text;
            }
        }
        Ok(Row {
            number,
            columns: Arc::clone(&self.columns),
            values: ::csv::StringRecord::from(values),
        })
    }

    /// Makes new columns when `object` brings keys not seen before, or a
    /// nested value under a key that held none so far. Nothing changes
    /// otherwise: the same `Columns` means the same compiled mapping.
    /// `Err(n)`: the `n` new keys would pass [`MAX_KEYS`].
    fn widen(&mut self, object: &Map<String, Value>) -> Result<(), usize> {
        let columns = &self.columns;
        let unseen: Vec<&String> = object
            .keys()
            .filter(|k| columns.position(k).is_none())
            .collect();
        if columns.len() + unseen.len() > MAX_KEYS {
            // This record only: the keys already known stay, and later
            // records made of them are read as usual.
            return Err(unseen.len());
        }
        let newly_nested = |(key, value): &(&String, &Value)| {
            (value.is_object() || value.is_array())
                && columns.position(key).is_none_or(|i| !columns.holds_json(i))
        };
        if unseen.is_empty() && !object.iter().any(|kv| newly_nested(&kv)) {
            return Ok(());
        }
        let mut names = columns.names().to_vec();
        names.extend(unseen.into_iter().cloned());
        let mut json: Vec<bool> = (0..columns.len()).map(|i| columns.holds_json(i)).collect();
        json.resize(names.len(), false);
        for (key, value) in object {
            if value.is_object() || value.is_array() {
                if let Some(i) = names.iter().position(|n| n == key) {
                    json[i] = true;
                }
            }
        }
        self.columns = Arc::new(Columns::with_json(names, json));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(text: &str) -> Map<String, Value> {
        match serde_json::from_str(text).expect("json") {
            Value::Object(object) => object,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn nested_values_are_kept_as_compact_json_and_flag_their_column() {
        let mut decoder = ObjectDecoder::default();
        let row = decoder
            .decode(object(r#"{"uid":"a1","n":null}"#), 1, Place::Line(1))
            .expect("row");
        assert_eq!(row.get("n"), "");
        let plain = Arc::clone(decoder.columns());
        let row = decoder
            .decode(
                object(r#"{"uid":"a2","meta": { "plan" : "pro", "tags":[1, 2.5] },"list":[]}"#),
                2,
                Place::Line(2),
            )
            .expect("row");
        assert_eq!(row.get("meta"), r#"{"plan":"pro","tags":[1,2.5]}"#);
        assert_eq!(row.get("list"), "[]");
        let columns = decoder.columns();
        assert!(!Arc::ptr_eq(&plain, columns), "new columns for new flags");
        let flagged = |name: &str| columns.holds_json(columns.position(name).expect(name));
        assert!(flagged("meta") && flagged("list") && !flagged("uid"));
        // A scalar later under a flagged key is plain text; the flag stays,
        // and nothing new means the very same columns.
        let nested = Arc::clone(columns);
        let row = decoder
            .decode(object(r#"{"uid":"a3","meta":"none"}"#), 3, Place::Line(3))
            .expect("row");
        assert_eq!(row.get("meta"), "none");
        assert!(Arc::ptr_eq(&nested, decoder.columns()));
        decoder
            .decode(object(r#"{"meta":{"again":true}}"#), 4, Place::Line(4))
            .expect("row");
        assert!(Arc::ptr_eq(&nested, decoder.columns()), "already flagged");
    }

    #[test]
    fn a_known_key_turning_nested_flags_it_without_new_names() {
        let mut decoder = ObjectDecoder::default();
        decoder
            .decode(object(r#"{"uid":"a","meta":"x"}"#), 1, Place::Line(1))
            .expect("row");
        let names = decoder.columns().names().to_vec();
        decoder
            .decode(object(r#"{"meta":[1]}"#), 2, Place::Line(2))
            .expect("row");
        let columns = decoder.columns();
        assert_eq!(columns.names(), names);
        let flagged = |name: &str| columns.holds_json(columns.position(name).expect(name));
        assert!(flagged("meta") && !flagged("uid"));
    }

    #[test]
    fn the_key_cap_names_the_place() {
        let mut decoder = ObjectDecoder::default();
        let keys: Map<String, Value> = (0..=MAX_KEYS)
            .map(|i| (format!("k{i}"), Value::from(i)))
            .collect();
        let place = Place::Element { index: 7, line: 12 };
        let err = decoder.decode(keys, 7, place).expect_err("too many keys");
        assert_eq!(err.number, 7);
        assert!(!err.fatal);
        assert!(
            err.message.starts_with("element 7 (line 12) would bring"),
            "{}",
            err.message
        );
        assert_eq!(decoder.columns().len(), 0);
    }
}
