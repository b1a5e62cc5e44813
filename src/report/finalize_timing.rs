//! A harness that times the final rewrite on a real log, not a test: the
//! timings and their command live in benches/final_rewrite.sh and
//! BENCHMARKS.md. Ignored unless asked for, it rewrites `FINALIZE_LOG` in
//! place (pass a copy) by `FINALIZE_PATH`: `run` (what a run does: the
//! one-pass path, falling back to chunks) or `chunked` (the chunked sort
//! alone), with the default limits.

use std::path::PathBuf;

use crate::report::finalize::{finalize_by_merge, finalize_in_chunks, Limits};

#[test]
#[ignore = "a timing harness: benches/final_rewrite.sh runs it on a real log"]
fn time_final_rewrite() {
    // `cargo test -- --ignored` runs every ignored test: without a log to
    // time, there is nothing to do.
    let (Ok(log), Ok(path)) = (
        std::env::var("FINALIZE_LOG"),
        std::env::var("FINALIZE_PATH"),
    ) else {
        eprintln!("time_final_rewrite: set FINALIZE_LOG (a copy of a log) and FINALIZE_PATH (run or chunked); nothing timed");
        return;
    };
    let log = PathBuf::from(log);
    let start = std::time::Instant::now();
    let tally = match path.as_str() {
        "run" => finalize_in_chunks(&log, Limits::default()),
        "chunked" => finalize_by_merge(&log, Limits::default()),
        other => panic!("FINALIZE_PATH {other}: run or chunked"),
    }
    .expect("finalize");
    // Stderr, so that the harness's own lines on stdout stay apart.
    eprintln!(
        "final rewrite ({path}): {} rows in {:.3} s wall",
        tally.counts.values().sum::<u64>(),
        start.elapsed().as_secs_f64()
    );
}
