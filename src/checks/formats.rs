//! Value formats Cognito checks (email, E.164 phone number, birthdate) and
//! white space, as byte-level predicates: they run for every row.

/// `local@domain.tld`, no white space, one `@`: a non-empty local part and
/// at least two non-empty dot-separated labels after the `@`.
pub(crate) fn is_email(value: &str) -> bool {
    // Byte loops rather than char iterators or memchr (whose set-up costs
    // more than it saves on short strings): called for every row.
    let bytes = value.as_bytes();
    let Some(at) = bytes.iter().position(|b| *b == b'@') else {
        return false;
    };
    at > 0 && is_domain(&bytes[at + 1..]) && !has_white_space(value)
}

/// At least two non-empty dot-separated labels and no `@`, in one pass.
fn is_domain(domain: &[u8]) -> bool {
    let (mut labels, mut label_len) = (1, 0);
    for byte in domain {
        match byte {
            b'.' if label_len == 0 => return false,
            b'.' => (labels, label_len) = (labels + 1, 0),
            b'@' => return false,
            _ => label_len += 1,
        }
    }
    labels >= 2 && label_len > 0
}

/// The first control character in `text` (U+0000–U+001F or U+007F), tab
/// aside when `allow_tab`: Cognito refuses them in attribute values, and a
/// NUL or an escape code in a name is corruption, never data.
pub(crate) fn control_character(text: &str, allow_tab: bool) -> Option<char> {
    // Controls are ASCII, so bytes will do. A branch-free test settles the
    // common case, no control at all; only a value with one is searched
    // again for which.
    if !has_control_byte(text.as_bytes()) {
        return None;
    }
    text.bytes()
        .find(|&b| (b < b' ' && !(allow_tab && b == b'\t')) || b == 0x7f)
        .map(char::from)
}

/// Whether any byte is below 0x20 or is 0x7F. Blocks of 64 bytes are
/// tested branch-free, which the compiler turns into vector instructions,
/// with an exit between blocks: a whole batch's text is scanned in one go.
pub(crate) fn has_control_byte(bytes: &[u8]) -> bool {
    let any_control = |block: &[u8]| {
        block
            .iter()
            .fold(false, |found, &b| found | (b < b' ') | (b == 0x7f))
    };
    let mut blocks = bytes.chunks_exact(64);
    blocks.any(any_control) || any_control(blocks.remainder())
}

/// Whether `text` holds any Unicode white space.
pub(crate) fn has_white_space(text: &str) -> bool {
    // Printable ASCII holds none: a branch-free scan (which the compiler
    // vectorises) settles that common case; anything else gets the exact check.
    let unusual = text
        .bytes()
        .fold(false, |found, b| found | (b <= b' ') | (b >= 0x7f));
    unusual && text.chars().any(char::is_whitespace)
}

/// `+` then 4 to 15 digits, the first not 0.
pub(crate) fn is_e164(value: &str) -> bool {
    let Some(digits) = value.strip_prefix('+') else {
        return false;
    };
    (4..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// `YYYY-MM-DD` with a real month and day.
pub(crate) fn is_birthdate(value: &str) -> bool {
    let bytes = value.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    // Digits only (`str::parse` would also take a `+`).
    let number = |range: std::ops::Range<usize>| {
        bytes[range].iter().try_fold(0u32, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    match (number(0..4), number(5..7), number(8..10)) {
        (Some(year), Some(month), Some(day)) => {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            let days = match month {
                1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
                4 | 6 | 9 | 11 => 30,
                2 if leap => 29,
                2 => 28,
                _ => return false,
            };
            (1..=days).contains(&day)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_and_tab_only_where_allowed() {
        assert_eq!(control_character("ann@example.com", false), None);
        assert_eq!(control_character("ann\0@example.com", false), Some('\0'));
        assert_eq!(control_character("Ann\x1b[31m", true), Some('\x1b'));
        assert_eq!(control_character("del\x7f", true), Some('\x7f'));
        assert_eq!(control_character("a\tb", true), None);
        assert_eq!(control_character("a\tb", false), Some('\t'));
        assert_eq!(control_character("Zoë, naïve", false), None);
        // Every byte value, at every place in a block and in the tail.
        for len in [1, 7, 8, 9, 63, 64, 65, 130] {
            for at in 0..len {
                for b in 0u8..=255 {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    let expected = b < 0x20 || b == 0x7f;
                    assert_eq!(
                        has_control_byte(&bytes),
                        expected,
                        "{b:#x} at {at} of {len}"
                    );
                }
            }
        }
    }
}
