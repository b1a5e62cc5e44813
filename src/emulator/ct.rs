//! Comparing secrets in constant time: how long a comparison takes must not
//! tell a caller how many leading bytes of a signature or password digest
//! it guessed right.

/// Whether `a` and `b` are equal, in time that depends only on their lengths.
pub(crate) fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Every byte is looked at whatever the earlier ones held; `black_box`
    // keeps the optimiser from turning the fold back into an early exit.
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn equal_only_when_every_byte_and_the_length_match() {
        assert!(super::eq(b"", b""));
        assert!(super::eq(b"abc", b"abc"));
        assert!(!super::eq(b"abc", b"abd"));
        assert!(!super::eq(b"abc", b"ab"));
        assert!(!super::eq(b"xbc", b"abc"));
    }
}
