//! Dry-run throughput and memory on a 1,000,000-row CSV, against a bare
//! `csv`-crate read of the same file in the same run.
//!
//! `cargo bench --bench dry_run` (set `BENCH_ROWS` for another size,
//! `BENCH_RUNS` for another number of runs per figure). Prints
//! rows/s of both and their ratio (target: dry run ≥ 50% of the bare read),
//! and the peak RSS of dry runs over a quarter of the rows and all of them,
//! whose difference is what grows with the input (duplicate detection).

mod common;

use std::time::Instant;

use common::*;

fn bare_read(path: &std::path::Path) -> (usize, f64) {
    let start = Instant::now();
    let mut reader = csv::ReaderBuilder::new().from_path(path).expect("open");
    let mut record = csv::ByteRecord::new();
    let mut rows = 0usize;
    while reader.read_byte_record(&mut record).expect("read") {
        rows += 1;
    }
    (rows, start.elapsed().as_secs_f64())
}

/// The idiomatic read: `records()`, a UTF-8-checked `StringRecord` per row.
fn idiomatic_read(path: &std::path::Path) -> (usize, f64) {
    let start = Instant::now();
    let mut reader = csv::ReaderBuilder::new().from_path(path).expect("open");
    let rows = reader.records().filter(|r| r.is_ok()).count();
    (rows, start.elapsed().as_secs_f64())
}

fn dry_run(input: &std::path::Path, report: &std::path::Path, pool: bool) -> f64 {
    let pool_json = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/pool.json");
    let mut args = vec![
        "run",
        input.to_str().expect("path"),
        "--dry-run",
        "--quiet",
        "--overwrite",
        "--report",
        report.to_str().expect("path"),
    ];
    if pool {
        args.extend(["--pool", pool_json]);
    }
    let (elapsed, code, stderr) = run_bin(&args, &[]);
    assert_eq!(code, 0, "dry run failed: {stderr}");
    elapsed.as_secs_f64()
}

fn main() {
    let rows: usize = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let small = dir.path().join("small.csv");
    let large = dir.path().join("large.csv");
    write_users_csv(&small, rows / 4, "u");
    write_users_csv(&large, rows, "u");
    let report = dir.path().join("report.csv");

    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    // Warm the page cache so both sides read from memory.
    let _ = bare_read(&large);
    let small_secs = dry_run(&small, &report, true);
    let rss_small = children_max_rss_kib();
    // Rounds of every measurement back to back, so each ratio compares runs
    // seconds apart: the machines are shared and their speed drifts. Every
    // other round runs them in reverse order, so neither side always runs
    // first. The figures are medians over the rounds.
    let mut rounds = Vec::new();
    for round in 0..runs.max(1) {
        let mut measured = [0.0; 4];
        let mut order = [0, 1, 2, 3];
        if round % 2 == 1 {
            order.reverse();
        }
        for which in order {
            measured[which] = match which {
                0 | 1 => {
                    let read = if which == 0 {
                        bare_read
                    } else {
                        idiomatic_read
                    };
                    let (count, secs) = read(&large);
                    assert_eq!(count, rows);
                    secs
                }
                _ => dry_run(&large, &report, which == 2),
            };
        }
        rounds.push(measured);
    }
    let rss_large = children_max_rss_kib();
    let median_of = |pick: &dyn Fn(&[f64; 4]) -> f64| {
        let mut values: Vec<f64> = rounds.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let [bare_secs, idiomatic_secs, dry_secs, plain_secs] =
        [0, 1, 2, 3].map(|i| median_of(&|r: &[f64; 4]| r[i]));
    // Ratios of rates: bare time over dry-run time, round by round.
    let dry_ratio = median_of(&|r: &[f64; 4]| r[0] / r[2]);
    let plain_ratio = median_of(&|r: &[f64; 4]| r[0] / r[3]);
    let (ratio_low, ratio_high) = rounds
        .iter()
        .map(|r| r[0] / r[2])
        .fold((f64::MAX, 0f64), |(lo, hi), x| (lo.min(x), hi.max(x)));

    let bare_rate = rows as f64 / bare_secs;
    let dry_rate = rows as f64 / dry_secs;
    let plain_rate = rows as f64 / plain_secs;
    let growth_per_million =
        (rss_large.saturating_sub(rss_small)) as f64 / 1024.0 / (0.75 * rows as f64 / 1e6);
    println!(
        "dry_run bench, {rows} rows ({} MiB CSV), medians of {runs} rounds",
        std::fs::metadata(&large).map_or(0, |m| m.len() >> 20)
    );
    println!("  bare csv read        {bare_rate:>12.0} rows/s   (read_byte_record into one reused record)");
    let idiomatic_rate = rows as f64 / idiomatic_secs;
    println!("  records() read       {idiomatic_rate:>12.0} rows/s   (a StringRecord per row)");
    println!(
        "  dry run --pool       {dry_rate:>12.0} rows/s   ratio {dry_ratio:.2} to bare read (target >= 0.50; rounds {ratio_low:.2}..{ratio_high:.2}), {:.2} to records()",
        dry_rate / idiomatic_rate
    );
    println!("  dry run, no pool     {plain_rate:>12.0} rows/s   ratio {plain_ratio:.2}");
    println!(
        "  small run ({} rows)   {:>10.0} rows/s",
        rows / 4,
        (rows / 4) as f64 / small_secs
    );
    println!(
        "  peak RSS: {:.1} MiB at {} rows, {:.1} MiB at {rows} rows: {growth_per_million:.1} MiB per million rows",
        rss_small as f64 / 1024.0,
        rows / 4,
        rss_large as f64 / 1024.0
    );
}
