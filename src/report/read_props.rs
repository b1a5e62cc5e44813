//! Property: reading a report back (`--resume`, the final rewrite,
//! `merge-reports`) never panics, whatever the file holds. A report cut at
//! any byte (a run killed mid-write) gives exactly the entries written
//! completely before the cut and the length to truncate to, with no error;
//! a report with garbage after it gives all its entries, then at most a
//! clear error naming the file and the byte; arbitrary bytes give entries
//! or a clear error.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::entry::{ReportEntry, Status};
use super::read::EntryReader;
use super::write::ReportWriter;

/// What reading a report gives: its entries up to the first error, that
/// error, and the length of the complete part.
#[derive(Debug, PartialEq)]
struct Reading {
    entries: Vec<ReportEntry>,
    error: Option<String>,
    complete_len: u64,
}

fn read(path: &Path) -> Reading {
    let mut reader = match EntryReader::open(path) {
        Ok(reader) => reader,
        Err(e) => {
            return Reading {
                entries: Vec::new(),
                error: Some(format!("{e:#}")),
                complete_len: 0,
            }
        }
    };
    let (mut entries, mut error) = (Vec::new(), None);
    for item in reader.by_ref() {
        match item {
            Ok(entry) => entries.push(entry),
            Err(e) => {
                error = Some(format!("{e:#}"));
                break;
            }
        }
    }
    Reading {
        entries,
        error,
        complete_len: reader.complete_len(),
    }
}

/// Text for a report field, with the bytes CSV quoting cares about.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[a-z0-9@.]{0,4}", 1 => "(.|[\r\n,\"]){0,4}"]
}

fn entry() -> impl Strategy<Value = ReportEntry> {
    let status = prop::option::of(prop::sample::select(Status::ALL.to_vec()));
    let ids = (any::<u64>(), text(), status, text(), any::<Option<bool>>());
    let messages = (
        text(),
        text(),
        text(),
        text(),
        any::<u32>(),
        text(),
        text(),
        any::<Option<u64>>(),
    );
    let carried = prop::sample::select(vec!["", "email", "phone_number", "email;phone_number"]);
    (ids, messages, carried).prop_map(
        |((row, username, status, user_sub, user_confirmed), m, verified)| ReportEntry {
            row,
            username,
            status,
            user_sub,
            user_confirmed,
            delivery_medium: m.0,
            delivery_destination: m.1,
            error_code: m.2,
            error_message: m.3,
            attempts: m.4,
            request_id: m.5.clone(),
            note: m.6,
            source_row: m.7,
            verified: verified.to_owned(),
            steps: if verified.is_empty() {
                String::new()
            } else {
                "confirm;group:a b".to_owned()
            },
            step_error: m.5.clone(),
        },
    )
}

/// Writes `entries` as the report at `path`; its bytes and where the header
/// and each entry end.
fn write_report(path: &Path, entries: &[ReportEntry]) -> (Vec<u8>, u64, Vec<u64>) {
    let mut writer = ReportWriter::create(path, true).expect("create the report");
    writer.flush().expect("flush");
    let len = || std::fs::metadata(path).expect("report").len();
    let header = len();
    let mut ends = Vec::new();
    for entry in entries {
        writer.write(entry).expect("write");
        writer.flush().expect("flush");
        ends.push(len());
    }
    writer.sync().expect("sync");
    (std::fs::read(path).expect("read back"), header, ends)
}

fn report_path(dir: &Path, ndjson: bool) -> PathBuf {
    dir.join(if ndjson {
        "report.ndjson"
    } else {
        "report.csv"
    })
}

proptest! {
    #![proptest_config(crate::props::config(16))]

    #[test]
    fn a_report_cut_anywhere_gives_the_entries_before_the_cut(
        entries in prop::collection::vec(entry(), 0..4),
        ndjson in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = report_path(dir.path(), ndjson);
        let (full, header, ends) = write_report(&path, &entries);
        // Longest first, so that each cut is a truncation of the file.
        let file = std::fs::OpenOptions::new().write(true).open(&path).expect("open");
        for cut in (0..=full.len() as u64).rev() {
            file.set_len(cut).expect("cut");
            let complete = ends.iter().filter(|end| **end <= cut).count();
            let complete_len = match complete {
                0 if cut >= header => header,
                0 => 0,
                n => ends[n - 1],
            };
            let expected = Reading {
                entries: entries[..complete].to_vec(),
                error: None,
                complete_len,
            };
            let full = String::from_utf8_lossy(&full);
            prop_assert_eq!(read(&path), expected, "cut at {} of {:?}", cut, full);
        }
    }

    #[test]
    fn garbage_after_a_report_is_a_clear_error_after_its_entries(
        entries in prop::collection::vec(entry(), 0..4),
        garbage in prop::collection::vec(any::<u8>(), 1..64),
        ndjson in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = report_path(dir.path(), ndjson);
        let (mut full, _, _) = write_report(&path, &entries);
        full.extend_from_slice(&garbage);
        std::fs::write(&path, &full).expect("write");
        let got = read(&path);
        prop_assert!(got.entries.len() >= entries.len(), "{:?}", got);
        prop_assert_eq!(&got.entries[..entries.len()], &entries[..]);
        if let Some(error) = got.error {
            prop_assert!(error.contains(&path.display().to_string()), "{}", error);
            prop_assert!(error.contains("unreadable entry at byte"), "{}", error);
        }
    }

    #[test]
    fn arbitrary_bytes_give_entries_or_a_clear_error(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        with_header in any::<bool>(),
        ndjson in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = report_path(dir.path(), ndjson);
        let (mut text, _, _) = write_report(&path, &[]);
        if !with_header {
            text.clear();
        }
        text.extend_from_slice(&bytes);
        std::fs::write(&path, &text).expect("write");
        let got = read(&path);
        prop_assert!(got.complete_len <= text.len() as u64, "{:?}", got);
        if let Some(error) = got.error {
            prop_assert!(error.contains(&path.display().to_string()), "{}", error);
        }
    }
}
