//! The error report's own columns (its bookkeeping), next to the input
//! columns it copies under their own names. They carry a prefix no input
//! column has, so the two never collide, the same mapping works on a fixed
//! error report, and an error report fed back as input is recognised by
//! its header.

use crate::input::Cells;
use crate::mapping::rules::Mapping;

/// The row's record number in the input of the run that wrote the report.
pub(crate) const ROW: &str = "bulk-signup:row";
/// For a run over an error report: the row in the input that report came
/// from (empty otherwise), so fixing twice still points at the first file.
pub(crate) const SOURCE_ROW: &str = "bulk-signup:source_row";
/// The username as the run mapped it.
pub(crate) const USERNAME: &str = "bulk-signup:username";
pub(crate) const STATUS: &str = "bulk-signup:status";
pub(crate) const ERROR_CODE: &str = "bulk-signup:error_code";
pub(crate) const ERROR_MESSAGE: &str = "bulk-signup:error_message";
/// CSV of an NDJSON input: the row's keys the header lacks (keys first
/// seen after the header was written), as one JSON object.
pub(crate) const OTHER_FIELDS: &str = "bulk-signup:other_fields";

/// The columns an error report starts with, in order.
pub(crate) const LEADING: [&str; 6] =
    [ROW, SOURCE_ROW, USERNAME, STATUS, ERROR_CODE, ERROR_MESSAGE];

/// The columns an earlier version's error report started with (it repeated
/// the input's own `username`, and could not be read back).
pub(crate) const OLD_LEADING: [&str; 5] =
    ["row", "username", "status", "error_code", "error_message"];

/// Whether `name` is one of the error report's own columns.
pub(crate) fn is_bookkeeping(name: &str) -> bool {
    LEADING.contains(&name) || name == OTHER_FIELDS
}

/// Whether columns named `names` are an error report's: they hold one of
/// its own columns (a person fixing the file may have deleted others).
pub(crate) fn is_error_report_header(names: &[String]) -> bool {
    names.iter().any(|name| is_bookkeeping(name))
}

/// Fits `mapping` to an error report read as input: its own columns are
/// left out (not sent, and no "unmapped column"), and, when it has
/// `bulk-signup:other_fields`, a named column may be absent from the header
/// (it came from NDJSON, whose keys come and go).
pub(crate) fn fit_mapping(mapping: &mut Mapping, names: &[String]) {
    let own = LEADING.iter().chain([&OTHER_FIELDS]);
    mapping.ignored.extend(own.map(|name| (*name).to_owned()));
    if names.iter().any(|name| name == OTHER_FIELDS) {
        mapping.missing_columns_empty = true;
    }
}

/// A fed-back error report's row: the row of the original input it stands
/// for (its `bulk-signup:source_row`, else its `bulk-signup:row`); `None`
/// when neither holds a row number.
pub(crate) fn source_row(row: &(impl Cells + ?Sized)) -> Option<u64> {
    let columns = row.columns();
    let cell = |name: &str| {
        let cell = columns.position(name).map_or("", |i| row.cell(i)).trim();
        cell.parse::<u64>().ok().filter(|n| *n > 0)
    };
    cell(SOURCE_ROW).or_else(|| cell(ROW))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Columns, Row, StringRecord};
    use std::sync::Arc;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn an_error_report_header_is_known_by_its_own_columns() {
        let mut header = names(&LEADING);
        header.extend(names(&["username", "email"]));
        assert!(is_error_report_header(&header));
        // A person deleted all but one of the report's columns.
        assert!(is_error_report_header(&names(&[
            "username",
            "bulk-signup:status"
        ])));
        for plain in [
            names(&["username", "email", "row", "status", "error_code"]),
            names(&["bulk-signup:rows", "username"]),
            names(&["Bulk-Signup:row", "username"]),
            Vec::new(),
        ] {
            assert!(!is_error_report_header(&plain), "{plain:?}");
        }
        assert!(LEADING.iter().all(|name| is_bookkeeping(name)));
        assert!(is_bookkeeping(OTHER_FIELDS) && !is_bookkeeping("username"));
    }

    #[test]
    fn fitting_a_mapping_leaves_the_reports_columns_out() {
        let mut mapping = Mapping::by_header([]);
        fit_mapping(&mut mapping, &names(&[ROW, "username"]));
        assert!(LEADING.iter().all(|name| mapping.ignored.contains(*name)));
        assert!(
            !mapping.missing_columns_empty,
            "a CSV input's header is whole"
        );
        fit_mapping(&mut mapping, &names(&[ROW, "username", OTHER_FIELDS]));
        assert!(mapping.missing_columns_empty);
    }

    #[test]
    fn the_source_row_is_the_carried_one_else_the_row() {
        let columns = Arc::new(Columns::new(names(&[ROW, SOURCE_ROW, "username"])));
        let row = |cells: Vec<&str>| Row {
            number: 1,
            columns: Arc::clone(&columns),
            values: StringRecord::from(cells),
        };
        assert_eq!(source_row(&row(vec!["7", "", "ann"])), Some(7));
        assert_eq!(source_row(&row(vec!["7", "31", "ann"])), Some(31));
        assert_eq!(source_row(&row(vec![" 7 ", "x", "ann"])), Some(7));
        assert_eq!(source_row(&row(vec!["", "", "ann"])), None);
        assert_eq!(source_row(&row(vec!["0", "", "ann"])), None);
    }
}
