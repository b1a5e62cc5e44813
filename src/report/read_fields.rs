//! A CSV report line read by position into a [`ReportEntry`]. A report's
//! header is always [`REPORT_COLUMNS`] (or its first
//! [`OLD_REPORT_COLUMNS`](crate::report::entry::OLD_REPORT_COLUMNS)), in
//! that order, so field `i` is column `i`: no column names to match per
//! field, as serde's by-header reading does for every line of every resume
//! and final rewrite. A line this cannot read whole is left to serde,
//! which reads it the same way or says what is wrong with it.

use serde::de::IntoDeserializer;

use crate::report::entry::{ReportEntry, Status, REPORT_COLUMNS};

/// The entry on `record`, or `None` when a field does not parse (or the
/// record has more fields than the report has columns).
pub(super) fn entry_by_position(record: &csv::StringRecord) -> Option<ReportEntry> {
    if record.len() > REPORT_COLUMNS.len() {
        return None;
    }
    // A column an older report lacks reads as its default, as with serde.
    let field = |i: usize| record.get(i).unwrap_or("");
    Some(ReportEntry {
        row: field(0).parse().ok()?,
        username: field(1).to_owned(),
        status: optional(field(2), status)?,
        user_sub: field(3).to_owned(),
        user_confirmed: optional(field(4), |s| s.parse().ok())?,
        delivery_medium: field(5).to_owned(),
        delivery_destination: field(6).to_owned(),
        error_code: field(7).to_owned(),
        error_message: field(8).to_owned(),
        attempts: field(9).parse().ok()?,
        request_id: field(10).to_owned(),
        note: field(11).to_owned(),
        source_row: optional(field(12), |s| s.parse().ok())?,
        verified: field(13).to_owned(),
        steps: field(14).to_owned(),
        step_error: field(15).to_owned(),
    })
}

/// An optional column: empty is `None` (as csv's serde reads an `Option`);
/// otherwise `parse` must succeed.
fn optional<T>(text: &str, parse: impl Fn(&str) -> Option<T>) -> Option<Option<T>> {
    match text {
        "" => Some(None),
        text => parse(text).map(Some),
    }
}

/// A status by its serde name: the same names the report is written with.
fn status(text: &str) -> Option<Status> {
    let text: serde::de::value::StrDeserializer<serde::de::value::Error> = text.into_deserializer();
    serde::Deserialize::deserialize(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::entry::OLD_REPORT_COLUMNS;

    /// What serde's by-header reading makes of `line` under the first
    /// `columns` report columns.
    fn by_serde(line: &[&str], columns: usize) -> Option<ReportEntry> {
        let header = csv::StringRecord::from(REPORT_COLUMNS[..columns].to_vec());
        csv::StringRecord::from(line.to_vec())
            .deserialize(Some(&header))
            .ok()
    }

    #[test]
    fn every_line_reads_as_serde_reads_it() {
        let lines: Vec<Vec<&str>> = vec![
            vec![
                "7",
                "ann",
                "created",
                "sub-1",
                "false",
                "EMAIL",
                "a***@e***",
                "",
                "",
                "1",
                "req-1",
                "",
                "",
                "email",
                "confirm;group:staff",
                "",
            ],
            vec![
                "8",
                "bob",
                "failed",
                "",
                "",
                "",
                "",
                "TooManyRequestsException",
                "Rate exceeded, \"twice\"",
                "4",
                "",
                "a note",
                "12",
                "",
                "",
                "group: denied",
            ],
            vec![
                "9", "cy", "", "", "true", "", "", "", "", "0", "", "", "", "", "", "",
            ],
        ];
        for line in &lines {
            let record = csv::StringRecord::from(line.clone());
            let ours = entry_by_position(&record).expect("reads");
            assert_eq!(Some(ours), by_serde(line, REPORT_COLUMNS.len()), "{line:?}");
        }
        // An earlier version's line, up to `note`: the rest are defaults.
        let old = &lines[1][..OLD_REPORT_COLUMNS];
        let ours = entry_by_position(&csv::StringRecord::from(old.to_vec())).expect("reads");
        assert_eq!(ours.source_row, None);
        assert_eq!(Some(ours), by_serde(old, OLD_REPORT_COLUMNS));
    }

    #[test]
    fn a_field_that_does_not_parse_is_left_to_serde() {
        let good = [
            "1", "u", "exists", "", "", "", "", "", "", "1", "", "", "", "", "", "",
        ];
        for (column, bad) in [(0, "x"), (2, "made-up"), (4, "yes"), (9, "-1"), (12, "one")] {
            let mut line = good.to_vec();
            line[column] = bad;
            let record = csv::StringRecord::from(line.clone());
            assert_eq!(entry_by_position(&record), None, "{line:?}");
            assert_eq!(by_serde(&line, REPORT_COLUMNS.len()), None, "{line:?}");
        }
        let mut long = good.to_vec();
        long.push("extra");
        assert_eq!(entry_by_position(&csv::StringRecord::from(long)), None);
    }
}
