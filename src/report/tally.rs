//! A report's tally: rows per status and error codes with their counts,
//! one entry per row (the latest), as the summary and `--summary-json`
//! give them.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::report::entry::{ReportEntry, Status};
use crate::report::read::EntryReader;

/// Rows per status and per `error_code` (rows without one are not counted
/// there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportTally {
    pub(crate) counts: BTreeMap<Status, u64>,
    pub(crate) error_codes: BTreeMap<String, u64>,
}

impl ReportTally {
    /// Counts one row's final entry.
    pub(crate) fn add(&mut self, entry: &ReportEntry) {
        if let Some(status) = entry.status {
            *self.counts.entry(status).or_insert(0) += 1;
        }
        add_code(&mut self.error_codes, &entry.error_code);
    }

    /// Reads `report` (a final report or a log of an interrupted run) and
    /// counts the latest entry of each row, as `finalize` would keep it.
    /// Memory: one small slot per row, codes interned.
    pub(crate) fn read(report: &Path) -> anyhow::Result<ReportTally> {
        let mut codes: Vec<String> = Vec::new();
        let mut code_ids: HashMap<String, u32> = HashMap::new();
        let mut latest: HashMap<u64, (Option<Status>, u32)> = HashMap::new();
        for entry in EntryReader::open(report)? {
            let entry = entry?;
            let id = *code_ids.entry(entry.error_code.clone()).or_insert_with(|| {
                codes.push(entry.error_code.clone());
                u32::try_from(codes.len() - 1).unwrap_or(u32::MAX)
            });
            latest.insert(entry.row, (entry.status, id));
        }
        let mut tally = ReportTally::default();
        for (status, id) in latest.into_values() {
            if let Some(status) = status {
                *tally.counts.entry(status).or_insert(0) += 1;
            }
            let code = codes.get(id as usize).map_or("", String::as_str);
            add_code(&mut tally.error_codes, code);
        }
        Ok(tally)
    }
}

/// Counts `code` in `codes` unless it is empty.
pub(crate) fn add_code(codes: &mut BTreeMap<String, u64>, code: &str) {
    if !code.is_empty() {
        *codes.entry(code.to_owned()).or_insert(0) += 1;
    }
}

/// The `n` most frequent codes, most frequent first (ties by name).
pub(crate) fn top_codes(codes: &BTreeMap<String, u64>, n: usize) -> Vec<(&str, u64)> {
    let mut top: Vec<(&str, u64)> = codes.iter().map(|(c, k)| (c.as_str(), *k)).collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    top.truncate(n);
    top
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::write::ReportWriter;

    fn entry(row: u64, status: Status, code: &str) -> ReportEntry {
        ReportEntry {
            row,
            username: format!("u{row}"),
            status: Some(status),
            error_code: code.to_owned(),
            ..ReportEntry::default()
        }
    }

    #[test]
    fn a_log_is_counted_by_the_latest_entry_of_each_row() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.csv");
        let mut writer = ReportWriter::create(&path, false).expect("create");
        for e in [
            entry(1, Status::Failed, "InternalErrorException"),
            entry(2, Status::Rejected, "InvalidPasswordException"),
            entry(1, Status::Created, ""),
            entry(3, Status::Invalid, "missing_email"),
        ] {
            writer.write(&e).expect("write");
        }
        writer.sync().expect("sync");
        let tally = ReportTally::read(&path).expect("read");
        assert_eq!(tally.counts.get(&Status::Created), Some(&1));
        assert_eq!(tally.counts.get(&Status::Failed), None);
        assert_eq!(tally.error_codes.len(), 2, "{:?}", tally.error_codes);
        assert_eq!(tally.error_codes.get("missing_email"), Some(&1));
    }

    #[test]
    fn top_codes_are_the_most_frequent_first() {
        let codes: BTreeMap<String, u64> = [("a", 1), ("b", 5), ("c", 3)]
            .into_iter()
            .map(|(c, n)| (c.to_owned(), n))
            .collect();
        assert_eq!(top_codes(&codes, 2), [("b", 5), ("c", 3)]);
    }
}
