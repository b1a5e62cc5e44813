//! Which format an input is: `--format`, else its name's extension (under a
//! compression extension: `users.json.gz` is JSON), else a look at the
//! first bytes of its text.

use std::path::Path;

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Values separated by `,` `;` tab or `|`, under a header row.
    Csv,
    /// One JSON object per line.
    Ndjson,
    /// A JSON array of objects, or an object whose one array member holds them.
    Json,
}

/// Extensions of a compression the reader undoes, which hide the format's.
const COMPRESSION_EXTENSIONS: [&str; 4] = [".gz", ".gzip", ".zst", ".zstd"];

impl Format {
    /// The format implied by a file name's extension, if any.
    pub(crate) fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let inner = COMPRESSION_EXTENSIONS
            .iter()
            .find_map(|extension| name.strip_suffix(extension))
            .unwrap_or(&name);
        match Path::new(inner).extension()?.to_str()? {
            "csv" => Some(Format::Csv),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// The format of text starting with `head`, and what gave it away (for
    /// the notice that says so): a `[` is a JSON array; a `{` is JSON when
    /// it opens the wrapper object of `{"users": [...]}`, else NDJSON;
    /// anything else is CSV.
    pub(crate) fn from_content(head: &[u8]) -> (Format, &'static str) {
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let start = text.iter().position(|b| !b.is_ascii_whitespace());
        match start.map(|at| (at, text[at])) {
            Some((_, b'[')) => (Format::Json, "starts with '['"),
            Some((at, b'{')) if is_wrapper(&text[at..]) => (
                Format::Json,
                "starts with an object whose one member is an array",
            ),
            Some((_, b'{')) => (Format::Ndjson, "starts with a JSON object"),
            _ => (Format::Csv, "does not start with '[' or '{'"),
        }
    }

    /// The format's name, as `--format` takes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
            Format::Json => "json",
        }
    }
}

/// Whether text starting with `head`, named `.json`, is one JSON object per
/// line, as Auth0's `.json.gz` export is: its first line is a whole object,
/// and not the one-member `{"users": [...]}` wrapper written on one line.
pub(crate) fn is_object_per_line(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let Some(line) = text
        .split(|b| *b == b'\n')
        .find(|line| line.iter().any(|b| !b.is_ascii_whitespace()))
    else {
        return false;
    };
    match serde_json::from_slice::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(members)) => {
            !(members.len() == 1 && members.values().all(serde_json::Value::is_array))
        }
        _ => false,
    }
}

/// Whether `object` (from its `{`) is a wrapper: its first member's value
/// is an array, and it does not close on its first line (the array's
/// elements follow on other lines, or the line is longer than the head),
/// or closes there with that one member.
fn is_wrapper(object: &[u8]) -> bool {
    if !first_value_is_array(object) {
        return false;
    }
    let line = object.split(|b| *b == b'\n').next().unwrap_or(object);
    let mut values = serde_json::Deserializer::from_slice(line).into_iter::<serde_json::Value>();
    match values.next() {
        Some(Ok(serde_json::Value::Object(members))) => members.len() == 1,
        Some(Err(e)) => e.is_eof(),
        _ => false,
    }
}

/// Whether `object`'s first member's value starts with `[`.
fn first_value_is_array(object: &[u8]) -> bool {
    let after = |text: &[u8], byte: u8| -> Option<usize> {
        let at = text.iter().position(|b| !b.is_ascii_whitespace())?;
        (text[at] == byte).then_some(at + 1)
    };
    let Some(name) = object
        .get(1..)
        .and_then(|rest| after(rest, b'"'))
        .map(|at| at + 1)
    else {
        return false;
    };
    // The member name's closing quote: the first one not escaped.
    let mut escaped = false;
    let Some(close) = object[name..].iter().position(|&b| {
        let quote = b == b'"' && !escaped;
        escaped = b == b'\\' && !escaped;
        quote
    }) else {
        return false;
    };
    let rest = &object[name + close + 1..];
    after(rest, b':').is_some_and(|colon| after(&rest[colon..], b'[').is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_under_a_compression_extension_tells() {
        let format = |name: &str| Format::from_path(Path::new(name));
        assert_eq!(format("users.csv"), Some(Format::Csv));
        assert_eq!(format("dir.d/Users.JSONL"), Some(Format::Ndjson));
        assert_eq!(format("users.ndjson"), Some(Format::Ndjson));
        assert_eq!(format("users.json"), Some(Format::Json));
        assert_eq!(format("users.json.gz"), Some(Format::Json));
        assert_eq!(format("users.csv.zst"), Some(Format::Csv));
        assert_eq!(format("users.ndjson.GZIP"), Some(Format::Ndjson));
        assert_eq!(format("users.jsonl.zstd"), Some(Format::Ndjson));
        for silent in ["users.gz", "export.txt", "users", "users.zst", ".gz", "-"] {
            assert_eq!(format(silent), None, "{silent}");
        }
    }

    #[test]
    fn the_first_bytes_tell_when_the_name_does_not() {
        let format = |text: &str| Format::from_content(text.as_bytes()).0;
        assert_eq!(format("[{\"uid\":\"1\"}]"), Format::Json);
        assert_eq!(format("\u{feff}\n  [\n"), Format::Json);
        // The wrapper object: not closed on its first line...
        assert_eq!(format("{\"users\": [\n{\"uid\":\"1\"}\n]}"), Format::Json);
        assert_eq!(format("{ \"us\\\"ers\" : [{\"uid\":\"1\"},"), Format::Json);
        // ...or closed there with its one member.
        assert_eq!(format("{\"users\":[{\"uid\":\"1\"}]}\n"), Format::Json);
        // NDJSON records, even one with an array first.
        assert_eq!(format("{\"uid\":\"1\"}\n{\"uid\":\"2\"}\n"), Format::Ndjson);
        assert_eq!(format("{\"tags\":[\"a\"],\"uid\":\"1\"}\n"), Format::Ndjson);
        assert_eq!(format("{\"uid\":\"1\",\"users\":[\n"), Format::Ndjson);
        assert_eq!(format("{not json\n"), Format::Ndjson);
        // Named .json: one object per line is NDJSON; a pretty wrapper,
        // whatever its first member, or an array, is JSON.
        assert!(is_object_per_line(
            b"{\"user_id\":\"a|1\",\"identities\":[{}]}\n{\"user_id\":\"b\"}\n"
        ));
        assert!(!is_object_per_line(
            b"{\"kind\": \"x\", \"users\": [\n  {\"localId\": \"1\"}\n]}\n"
        ));
        assert!(!is_object_per_line(b"{\"users\":[{\"localId\":\"1\"}]}\n"));
        assert!(!is_object_per_line(b"[{\"a\":1}]\n"));
        assert_eq!(format("username,email\nann,a@b.co\n"), Format::Csv);
        assert_eq!(format(""), Format::Csv);
    }
}
