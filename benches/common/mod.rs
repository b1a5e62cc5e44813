//! Helpers shared by the benchmark harnesses: input generation, running the
//! release binary, and peak memory of finished children.

#![allow(dead_code, unused_imports)]

pub mod emulator;
pub mod measure;

pub use emulator::{Emulator, POOL, SCRUB};
pub use measure::{process_cpu_secs, run_measured, Measured};

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_bulk-signup");

/// Writes `rows` realistic users as CSV (header-mapped column names).
pub fn write_users_csv(path: &Path, rows: usize, prefix: &str) {
    let file = std::fs::File::create(path).expect("create input");
    write_users(std::io::BufWriter::new(file), rows, prefix)
        .flush()
        .expect("flush");
}

/// Writes `rows` realistic users as gzip-compressed CSV (fast level): a
/// tenth of the plain size, for inputs too big for the disk.
pub fn write_users_csv_gz(path: &Path, rows: usize, prefix: &str) {
    let file = std::fs::File::create(path).expect("create input");
    let gz =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
    let gz = write_users(gz, rows, prefix);
    gz.finish().expect("gzip trailer").flush().expect("flush");
}

/// The CSV of [`write_users_csv`], streamed into `out`.
pub fn write_users<W: Write>(out: W, rows: usize, prefix: &str) -> W {
    let mut writer = csv::Writer::from_writer(out);
    writer
        .write_record([
            "username",
            "password",
            "email",
            "given_name",
            "family_name",
            "phone_number",
            "birthdate",
            "custom:tier",
        ])
        .expect("header");
    let tiers = ["gold", "silver", "bronze"];
    for i in 0..rows {
        writer
            .write_record([
                format!("{prefix}{i:08}"),
                format!("Pw{i}-Secret#x"),
                format!("{prefix}{i}@example.com"),
                format!("Given{}", i % 977),
                format!("Family{}", i % 1231),
                format!("+1415{:07}", i % 10_000_000),
                format!("19{:02}-{:02}-{:02}", 50 + i % 50, 1 + i % 12, 1 + i % 28),
                tiers[i % 3].to_owned(),
            ])
            .expect("row");
    }
    writer.flush().expect("flush");
    writer
        .into_inner()
        .map_err(|e| e.into_error())
        .expect("flush")
}

/// Runs the binary; returns wall time and the exit code.
pub fn run_bin(args: &[&str], envs: &[(&str, &str)]) -> (Duration, i32, String) {
    let start = Instant::now();
    let output = Command::new(BIN)
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run bulk-signup");
    (
        start.elapsed(),
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Largest resident set of any child waited for so far, in KiB (Linux).
pub fn children_max_rss_kib() -> u64 {
    // SAFETY: getrusage only writes into the struct we pass.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) == 0 {
            usage.ru_maxrss as u64
        } else {
            0
        }
    }
}
