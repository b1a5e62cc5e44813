//! The error report's formula guard and its undoing. An error report is
//! opened in spreadsheets and its cells come from the input, so a cell a
//! spreadsheet would run as a formula is written with a leading `'`, which
//! spreadsheets show as text. When a fixed error report is run again, the
//! `'` comes off, so every cell reaches Cognito as it was in the input.

use std::borrow::Cow;

/// First bytes that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [u8; 6] = [b'=', b'+', b'-', b'@', b'\t', b'\r'];

/// Whether the cell, past any leading `'`, starts a formula. Apostrophes
/// count so that a cell that already starts with `'=` is guarded too
/// (`''=`): otherwise reading it back would take its own `'` off.
fn starts_formula(cell: &[u8]) -> bool {
    cell.iter()
        .find(|b| **b != b'\'')
        .is_some_and(|b| FORMULA_STARTS.contains(b))
}

/// The cell as the error report writes it: with a leading `'` when it
/// would start a formula (`=`, `+`, `-`, `@`, a tab or a carriage return,
/// possibly after `'`s of its own).
pub(crate) fn guarded(cell: &str) -> Cow<'_, str> {
    match starts_formula(cell.as_bytes()) {
        true => Cow::Owned(format!("'{cell}")),
        false => Cow::Borrowed(cell),
    }
}

/// Whether `cell` is one [`guarded`] gave a `'`: only these lose their
/// first byte when read back.
pub(crate) fn is_guarded(cell: &[u8]) -> bool {
    cell.first() == Some(&b'\'') && starts_formula(cell)
}

/// The input's cell that [`guarded`] wrote as `cell` (its bytes).
pub(crate) fn unguarded(cell: &[u8]) -> &[u8] {
    match is_guarded(cell) {
        true => &cell[1..],
        false => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// [`unguarded`] on text (the `'` it drops is one byte).
    fn unguarded(cell: &str) -> &str {
        std::str::from_utf8(super::unguarded(cell.as_bytes())).expect("text stays text")
    }

    #[test]
    fn formula_cells_get_a_quote_and_lose_it_when_read_back() {
        for (cell, written) in [
            ("=cmd", "'=cmd"),
            ("+1 555 0100", "'+1 555 0100"),
            ("-5", "'-5"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=already", "''=already"),
            ("plain", "plain"),
            ("'quoted", "'quoted"),
            ("'", "'"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(guarded(cell), written, "{cell:?}");
            assert_eq!(unguarded(written), cell, "{written:?}");
        }
    }

    /// Only the guarded forms are changed when read back: a `'` before
    /// anything else is the input's own.
    #[test]
    fn only_a_quote_before_a_formula_start_comes_off() {
        assert_eq!(unguarded("'abc"), "'abc");
        assert_eq!(unguarded("'"), "'");
        assert_eq!(unguarded("''"), "''");
        assert_eq!(unguarded("=x"), "=x", "an unguarded formula stays as it is");
        assert_eq!(unguarded("'=x"), "=x");
        assert_eq!(unguarded("''+1"), "'+1");
    }

    proptest! {
        #[test]
        fn every_cell_round_trips(cell in "['=+@\\t\\r a-z-]{0,6}") {
            let written = guarded(&cell);
            prop_assert_eq!(unguarded(&written), cell.as_str());
        }
    }
}
