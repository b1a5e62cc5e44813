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
    let log = PathBuf::from(std::env::var("FINALIZE_LOG").expect("FINALIZE_LOG: a log to rewrite"));
    let path = std::env::var("FINALIZE_PATH").expect("FINALIZE_PATH: run or chunked");
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
