//! Cognito's length limits, and the one way they are counted: in
//! characters, not bytes.

/// Longest username, attribute value and password Cognito accepts.
pub(crate) const MAX_USERNAME: usize = 128;
pub(crate) const MAX_VALUE: usize = 2048;
pub(crate) const MAX_NAME: usize = 32;
pub(crate) const MAX_PASSWORD: usize = 256;

/// Whether `text` has more than `limit` characters. A string has no more
/// characters than bytes, so short strings skip the count (the common case).
pub(crate) fn longer_than(text: &str, limit: usize) -> bool {
    text.len() > limit && text.chars().count() > limit
}
