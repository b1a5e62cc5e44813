//! What `--resume` keeps per row, and how long reading a report back takes.
//!
//! `cargo bench --bench resume_memory` (set `BENCH_ROWS` for another size):
//! writes a report of BENCH_ROWS rows (default 1,000,000; every tenth row
//! `failed`, some rows twice, as after a crash and a resume), loads it as
//! `--resume` does, and prints the per-row state's bytes per million rows
//! (target ≤ 4 MB) and the load rate. Then it runs the final in-order
//! rewrite over the same log and prints its time.

use std::time::Instant;

use bulk_signup::report::finalize_report;
use bulk_signup::report::{ReportEntry, ReportWriter, Status};
use bulk_signup::run::ResumeState;

fn main() {
    let rows: u64 = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.csv");
    let mut writer = ReportWriter::create(&path, false).expect("create");
    let entry = |row: u64, status: Status| ReportEntry {
        row,
        username: format!("user{row:09}@example.com"),
        status: Some(status),
        user_sub: "d83508b2-00ba-4d3a-9967-4a7db88f7c92".into(),
        user_confirmed: Some(false),
        attempts: 1,
        request_id: "a43e824b-bdbe-41f9-8eed-e2bce51692e5".into(),
        ..ReportEntry::default()
    };
    for row in 1..=rows {
        let status = if row % 10 == 0 {
            Status::Failed
        } else {
            Status::Created
        };
        writer.write(&entry(row, status)).expect("write");
    }
    // The resumed session's entries for the failed rows.
    for row in (10..=rows).step_by(10) {
        writer.write(&entry(row, Status::Exists)).expect("write");
    }
    writer.sync().expect("sync");
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());

    let start = Instant::now();
    let state = ResumeState::load(&path, 1).expect("load");
    let load = start.elapsed().as_secs_f64();
    assert_eq!(state.max_row, rows);
    let per_million = state.memory_bytes() as f64 / (rows as f64 / 1e6) / 1e6;
    println!(
        "resume_memory bench, {rows} rows, report {} MiB",
        size >> 20
    );
    println!(
        "  per-row state: {} bytes in all, {per_million:.2} MB per million rows (target <= 4 MB)",
        state.memory_bytes()
    );
    println!(
        "  loading the report: {load:.2} s ({:.0} entries/s)",
        state.entries as f64 / load
    );
    drop(state);

    let start = Instant::now();
    let counts = finalize_report(&path).expect("finalize");
    let finalize = start.elapsed().as_secs_f64();
    assert_eq!(counts.values().sum::<u64>(), rows);
    println!(
        "  final in-order rewrite: {finalize:.2} s ({:.0} rows/s), chunks of {} MiB of entries",
        rows as f64 / finalize,
        bulk_signup::report::CHUNK_BYTES >> 20
    );
}
