//! Dotted paths into nested JSON values (`user_metadata.plan`,
//! `identities.0.provider`): how a mapping source names a value inside a
//! JSON cell, and how that value is read. A key that itself holds a dot is
//! written with a backslash before the dot (`app_metadata.roles\.v2`); a
//! backslash itself as `\\`.

use std::borrow::Cow;

use serde_json::Value;

/// A source name split at its unescaped dots, escapes removed:
/// `a.b\.c` is `["a", "b.c"]`.
pub(crate) fn split(name: &str) -> Vec<String> {
    let mut segments = vec![String::new()];
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next @ ('.' | '\\')) => push(&mut segments, next),
                // A lone backslash stays what it is.
                Some(other) => {
                    push(&mut segments, '\\');
                    push(&mut segments, other);
                }
                None => push(&mut segments, '\\'),
            },
            '.' => segments.push(String::new()),
            _ => push(&mut segments, c),
        }
    }
    segments
}

fn push(segments: &mut [String], c: char) {
    if let Some(last) = segments.last_mut() {
        last.push(c);
    }
}

/// Why a path found no plain value: the rule code and the reason.
pub(crate) type PathError = (&'static str, String);

/// The value at `path` inside the JSON text `cell` (the cell of the path's
/// first segment): a string as it is, a number with its digits, a boolean
/// as `true`/`false`; `null` or an absent key or index is empty, like a
/// missing column. An object or array there cannot become one attribute.
pub(crate) fn lookup(cell: &str, path: &[String]) -> Result<String, PathError> {
    if cell.is_empty() {
        return Ok(String::new());
    }
    let value: Value = serde_json::from_str(cell).map_err(|_| {
        (
            "NotNested",
            format!(
                "holds no JSON object or array to look up {:?} in",
                path.join(".")
            ),
        )
    })?;
    let mut at = &value;
    for segment in path {
        let next = match at {
            Value::Object(object) => object.get(segment),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(next) => at = next,
            None => return Ok(String::new()),
        }
    }
    scalar_text(at)
        .map(Cow::into_owned)
        .ok_or_else(|| nested_reason(at, &path.join(".")))
}

/// A JSON scalar as a cell's text (`null` is empty); `None` for an object
/// or array.
fn scalar_text(value: &Value) -> Option<Cow<'_, str>> {
    Some(match value {
        Value::String(text) => Cow::Borrowed(text),
        Value::Number(number) => Cow::Owned(number.to_string()),
        Value::Bool(flag) => Cow::Borrowed(if *flag { "true" } else { "false" }),
        Value::Null => Cow::Borrowed(""),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

/// Whether a cell of a column that has held nested JSON is itself an
/// object or array (a string that merely starts with `{` is not).
pub(crate) fn is_nested(cell: &str) -> bool {
    cell.starts_with(['{', '[']) && serde_json::from_str::<serde::de::IgnoredAny>(cell).is_ok()
}

/// Why a nested value cannot be mapped to one field, and what to write.
pub(crate) fn nested_reason(value: &Value, path: &str) -> PathError {
    let kind = if value.is_array() { "array" } else { "object" };
    let example = match value {
        Value::Array(_) => format!("{path}.0"),
        Value::Object(object) => match object.keys().next() {
            Some(key) => format!("{path}.{}", escape(key)),
            None => format!("{path}.KEY"),
        },
        _ => path.to_owned(),
    };
    (
        "NestedValue",
        format!("holds a JSON {kind}, which cannot be one attribute; map a value inside it with a dotted path such as {example:?}"),
    )
}

/// The reason for a whole nested cell (not a path into it).
pub(crate) fn nested_cell_reason(cell: &str, column: &str) -> PathError {
    match serde_json::from_str::<Value>(cell) {
        Ok(value) => nested_reason(&value, &escape(column)),
        Err(_) => ("NestedValue", "holds a JSON object or array".to_owned()),
    }
}

/// A key written as one path segment: its dots and backslashes escaped.
pub(crate) fn escape(key: &str) -> String {
    key.replace('\\', "\\\\").replace('.', "\\.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> Vec<String> {
        split(text)[1..].to_vec()
    }

    #[test]
    fn names_split_at_unescaped_dots() {
        assert_eq!(split("email"), ["email"]);
        assert_eq!(split("user_metadata.plan"), ["user_metadata", "plan"]);
        assert_eq!(
            split("identities.0.provider"),
            ["identities", "0", "provider"]
        );
        assert_eq!(
            split(r"app_metadata.roles\.v2"),
            ["app_metadata", "roles.v2"]
        );
        assert_eq!(split(r"a\\.b"), [r"a\", "b"]);
        assert_eq!(split(r"C:\x"), [r"C:\x"]);
        assert_eq!(escape("roles.v2"), r"roles\.v2");
        assert_eq!(split(&format!("m.{}", escape(r"a.b\c"))), ["m", r"a.b\c"]);
    }

    #[test]
    fn lookups_read_scalars_and_refuse_nested_values() {
        let cell = r#"{"plan":"pro","seats":12,"beta":true,"gone":null,"roles.v2":"admin","tags":["a","b"],"org":{"id":7}}"#;
        assert_eq!(lookup(cell, &path("m.plan")).unwrap(), "pro");
        assert_eq!(lookup(cell, &path("m.seats")).unwrap(), "12");
        assert_eq!(lookup(cell, &path("m.beta")).unwrap(), "true");
        assert_eq!(lookup(cell, &path("m.gone")).unwrap(), "");
        assert_eq!(lookup(cell, &path("m.absent")).unwrap(), "");
        assert_eq!(lookup(cell, &path(r"m.roles\.v2")).unwrap(), "admin");
        assert_eq!(lookup(cell, &path("m.tags.1")).unwrap(), "b");
        assert_eq!(lookup(cell, &path("m.tags.9")).unwrap(), "");
        assert_eq!(lookup(cell, &path("m.org.id")).unwrap(), "7");
        assert_eq!(lookup("", &path("m.plan")).unwrap(), "");
        let (code, reason) = lookup(cell, &path("m.org")).unwrap_err();
        assert_eq!(code, "NestedValue");
        assert!(
            reason.contains("JSON object") && reason.contains("org.id"),
            "{reason}"
        );
        let (_, reason) = lookup(cell, &path("m.tags")).unwrap_err();
        assert!(
            reason.contains("JSON array") && reason.contains("tags.0"),
            "{reason}"
        );
        let (code, _) = lookup("plain text", &path("m.plan")).unwrap_err();
        assert_eq!(code, "NotNested");
    }

    #[test]
    fn a_nested_cell_is_told_from_text_that_looks_like_it() {
        assert!(is_nested(r#"{"plan":"pro"}"#));
        assert!(is_nested("[1,2]"));
        assert!(!is_nested("{not json"));
        assert!(!is_nested("[draft] notes"));
        assert!(!is_nested("plain"));
        let (_, reason) = nested_cell_reason(r#"{"plan":"pro"}"#, "user_metadata");
        assert!(reason.contains("user_metadata.plan"), "{reason}");
    }
}
