//! A SignUp request's JSON body, byte for byte what serde_json writes for
//! [`SignUpRequest`], without serde's per-character escaping of names that
//! never need it. At tens of thousands of rows a second the generic path
//! spent more on escaping the constant member names (`Name`, `Value`, …)
//! than on the values. Only requests of the common shape (no validation
//! data, client metadata or context data) take this path; every string that
//! holds a character JSON must escape is still written by serde_json.

use super::wire::SignUpRequest;

/// Appends `request`'s JSON to `body`. (Writing to memory cannot fail, nor
/// can serde_json on these types; the error is passed on all the same.)
pub(crate) fn write_sign_up_body(
    body: &mut Vec<u8>,
    request: &SignUpRequest,
) -> serde_json::Result<()> {
    let common = request.validation_data.is_empty()
        && request.client_metadata.is_empty()
        && request.user_context_data.is_none();
    if !common {
        return serde_json::to_writer(body, request);
    }
    body.extend_from_slice(b"{\"ClientId\":");
    string(body, &request.client_id)?;
    body.extend_from_slice(b",\"Username\":");
    string(body, &request.username)?;
    if let Some(password) = &request.password {
        body.extend_from_slice(b",\"Password\":");
        string(body, password.expose())?;
    }
    if let Some(hash) = &request.secret_hash {
        body.extend_from_slice(b",\"SecretHash\":");
        string(body, hash)?;
    }
    if !request.user_attributes.is_empty() {
        body.extend_from_slice(b",\"UserAttributes\":[");
        for (i, attribute) in request.user_attributes.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(b"{\"Name\":");
            string(body, &attribute.name)?;
            body.extend_from_slice(b",\"Value\":");
            string(body, &attribute.value)?;
            body.push(b'}');
        }
        body.push(b']');
    }
    body.push(b'}');
    Ok(())
}

/// `text` as a JSON string: copied as it is when nothing in it needs
/// escaping (serde_json escapes only `"`, `\` and control characters),
/// else written by serde_json.
fn string(body: &mut Vec<u8>, text: &str) -> serde_json::Result<()> {
    if needs_escaping(text.as_bytes()) {
        return serde_json::to_writer(body, text);
    }
    body.push(b'"');
    body.extend_from_slice(text.as_bytes());
    body.push(b'"');
    Ok(())
}

/// Whether `bytes` hold a character JSON must escape: a control character,
/// `"` or `\`. Eight bytes at a time: the strings of a request are mostly
/// shorter than the sixteen a vectorised loop needs before it starts.
fn needs_escaping(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // The classic "has a byte less than n" test (exact for n <= 128: a
    // borrow can only spill out of a byte that is itself below n).
    let has_less = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS;
    let has = |word: u64, b: u8| has_less(word ^ (ONES * u64::from(b)), 1);
    let mut words = bytes.chunks_exact(8);
    for chunk in &mut words {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        if has_less(word, 0x20) | has(word, b'"') | has(word, b'\\') != 0 {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::cognito::wire::{AttributeType, Secret, UserContextData};
    use proptest::prelude::*;

    fn by_serde(request: &SignUpRequest) -> Vec<u8> {
        serde_json::to_vec(request).expect("json")
    }

    fn ours(request: &SignUpRequest) -> Vec<u8> {
        let mut body = Vec::new();
        write_sign_up_body(&mut body, request).expect("json");
        body
    }

    proptest! {
        /// Any strings (quotes, backslashes, control and non-ASCII
        /// characters included), any optional members: serde's bytes.
        #[test]
        fn the_body_is_what_serde_writes(
            client_id in ".{0,12}",
            username in ".{0,12}",
            password in proptest::option::of(".{0,12}"),
            secret_hash in proptest::option::of("[A-Za-z0-9+/=]{0,12}"),
            attributes in proptest::collection::vec((".{1,8}", ".{0,12}"), 0..4),
            context in proptest::option::of(".{0,6}"),
        ) {
            let mut request = SignUpRequest {
                client_id,
                username,
                password: password.map(Secret::new),
                secret_hash,
                user_attributes: attributes
                    .into_iter()
                    .map(|(name, value)| AttributeType::new(name, value))
                    .collect(),
                ..SignUpRequest::default()
            };
            prop_assert_eq!(ours(&request), by_serde(&request));
            // A request of another shape goes through serde whole.
            request.user_context_data = context.map(|ip| UserContextData {
                ip_address: Some(ip),
                encoded_data: None,
            });
            prop_assert_eq!(ours(&request), by_serde(&request));
        }
    }

    /// Every byte value, at every place in a short string.
    #[test]
    fn the_word_scan_finds_exactly_the_bytes_json_escapes() {
        for b in 0..=255u8 {
            let escaped = b < 0x20 || b == b'"' || b == b'\\';
            // 19 bytes: two whole words, then a remainder of three.
            for place in 0..19 {
                let mut bytes = [b'a'; 19];
                bytes[place] = b;
                assert_eq!(needs_escaping(&bytes), escaped, "byte {b:#04x} at {place}");
            }
        }
        assert!(!needs_escaping(b""));
        assert!(!needs_escaping("é~\u{7f}ü0123456789".as_bytes()));
    }

    #[test]
    fn characters_json_must_escape_are_escaped() {
        let request = SignUpRequest {
            client_id: "c".to_owned(),
            username: "a\"b\\c\nd\u{1}é".to_owned(),
            ..SignUpRequest::default()
        };
        assert_eq!(
            String::from_utf8(ours(&request)).expect("utf-8"),
            r#"{"ClientId":"c","Username":"a\"b\\c\nd\u0001é"}"#
        );
    }
}
