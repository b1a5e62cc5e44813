//! Throughput, client CPU and memory (issue 14), from one command:
//! `cargo bench --bench throughput`.
//!
//! 1. wrk (`-t2 -c64`, `benches/wrk_signup.lua`: real SignUp bodies, a fresh
//!    username each, so every answer is a 200 and a created user) against a
//!    fresh emulator (no quota, no latency): requests/s, the emulator's CPU
//!    per request, to show whether the emulator is the limit, and wrk's own
//!    CPU per request, the floor for any HTTP/1.1 client on this machine. Without
//!    wrk, oha with one fixed body (then all but the first answer is
//!    UsernameExistsException: a cheaper answer, said so in the output).
//! 2. `bulk-signup run --concurrency 64 --rate 0` over `BENCH_ROWS` rows
//!    (default 1,000,000) against a fresh emulator (64 is a ceiling: unpaced,
//!    the run keeps what the emulator takes without queueing, 16–32 on 2
//!    cores, `src/send/concurrency/saturation.rs`): rows/s end to end (start
//!    to exit, the final report rewrite included), the ratio to wrk, client
//!    CPU (user + sys from the child's own rusage) per row, peak RSS.
//! 3. The same at 100,000 rows: peak RSS.
//! 4. A 100 ms emulator, `--rate 1000` and otherwise default flags, over
//!    1,000 × `BENCH_LATENCY_SECONDS` rows (default 20): rows/s.
//! 5. Dry runs (`--pool`) of 1 M and `BENCH_DRY_ROWS` (default 10 M) rows
//!    from plain CSV, or gzip-compressed CSV when the disk cannot hold 10 M
//!    plain rows:
//!    peak RSS. Skipped, with a word, when the temporary directory has too
//!    little free space.
//!
//! Targets: ratio ≥ 0.5, CPU ≤ 15 µs/row, ≥ 950 rows/s at 100 ms, RSS at
//! 1 M rows ≤ 64 MiB. Inputs go to a temporary directory, deleted as soon
//! as each step is measured. `BENCH_ONLY` (e.g. `1,2,4`) picks steps;
//! `BENCH_WRK_SECONDS` (default 10) sets wrk's duration.

mod common;

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

const WRK_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/wrk_signup.lua");
const CONNECTIONS: &str = "64";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn wanted(step: u32) -> bool {
    match std::env::var("BENCH_ONLY") {
        Ok(only) => only.split(',').any(|s| s.trim() == step.to_string()),
        Err(_) => true,
    }
}

/// What the load generator reached against the emulator.
struct Baseline {
    tool: &'static str,
    requests_per_sec: f64,
    answers: String,
    emulator_cpu_us_per_request: f64,
    /// The load generator's own CPU per request: what one request costs a
    /// lean C client on this machine, the floor to read the tool's against.
    client_cpu_us_per_request: f64,
}

fn command_exists(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The first number after `label` in `text`.
fn number_after(text: &str, label: &str) -> Option<f64> {
    let rest = &text[text.find(label)? + label.len()..];
    let rest = rest.trim_start_matches(|c: char| !c.is_ascii_digit());
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// A load generator's arguments against an emulator for some seconds.
type LoadArgs = fn(&Emulator, u64) -> Vec<String>;

/// wrk, or oha without it, against a fresh emulator.
fn baseline(seconds: u64) -> Option<Baseline> {
    let (tool, args): (&'static str, LoadArgs) = if command_exists("wrk") {
        ("wrk", wrk_args)
    } else if command_exists("oha") {
        eprintln!("wrk is not installed (apt-get install wrk): using oha, one fixed body");
        ("oha", oha_args)
    } else {
        eprintln!("neither wrk nor oha is installed: `apt-get install wrk` (or `cargo install oha`) for the ratio");
        return None;
    };
    let emulator = Emulator::start(None, None, 0);
    let before = process_cpu_secs(emulator.child.id());
    // Its output goes to a file so that its own rusage can be read.
    let out = tempfile::tempfile().expect("temporary file");
    let measured = run_measured(
        Command::new(tool)
            .args(args(&emulator, seconds))
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("temporary file")),
    );
    let cpu = process_cpu_secs(emulator.child.id()) - before;
    let stats = emulator.stats();
    drop(emulator);
    let mut text = String::new();
    let mut out = out;
    std::io::Seek::rewind(&mut out).expect("rewind");
    std::io::Read::read_to_string(&mut out, &mut text).expect("load generator output");
    let requests_per_sec = number_after(&text, "Requests/sec:").unwrap_or(0.0);
    let requests = stats.get("requests").copied().unwrap_or(0).max(1);
    let answers = match text.lines().find(|l| l.starts_with("wrk-answers")) {
        Some(line) => format!(
            "{line}, users created {}",
            stats.get("users").copied().unwrap_or(0)
        ),
        None => "all but the first: UsernameExistsException".to_owned(),
    };
    Some(Baseline {
        tool,
        requests_per_sec,
        answers,
        emulator_cpu_us_per_request: cpu * 1e6 / requests as f64,
        client_cpu_us_per_request: measured.cpu_secs() * 1e6 / requests as f64,
    })
}

fn wrk_args(emulator: &Emulator, seconds: u64) -> Vec<String> {
    let duration = format!("{seconds}s");
    ["-t2", "-c", CONNECTIONS, "-d", &duration, "-s", WRK_SCRIPT]
        .iter()
        .map(|s| s.to_string())
        .chain([
            emulator.endpoint.clone(),
            "--".into(),
            emulator.client_id.clone(),
        ])
        .collect()
}

fn oha_args(emulator: &Emulator, seconds: u64) -> Vec<String> {
    let body = format!(
        r#"{{"ClientId":"{}","Username":"oha0","Password":"Pw0-Secret#x","UserAttributes":[{{"Name":"email","Value":"oha0@example.com"}}]}}"#,
        emulator.client_id
    );
    let duration = format!("{seconds}s");
    [
        "--no-tui",
        "-c",
        CONNECTIONS,
        "-z",
        &duration,
        "-m",
        "POST",
        "-H",
        "Content-Type: application/x-amz-json-1.1",
        "-H",
        "X-Amz-Target: AWSCognitoIdentityProviderService.SignUp",
        "-d",
        &body,
        &emulator.endpoint,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// One `bulk-signup run` against an emulator.
struct RunResult {
    rows: u64,
    measured: Measured,
    /// The summary's requests/s and goodput, as the tool counted them.
    summary_rate: f64,
    summary_goodput: f64,
    users: u64,
    emulator_cpu_secs: f64,
}

impl RunResult {
    fn rows_per_sec(&self) -> f64 {
        self.rows as f64 / self.measured.wall.as_secs_f64().max(1e-9)
    }
    fn cpu_us_per_row(&self) -> f64 {
        self.measured.cpu_secs() * 1e6 / self.rows.max(1) as f64
    }
}

fn real_run(dir: &Path, rows: u64, latency_ms: u64, args: &[&str]) -> RunResult {
    let input = dir.join(format!("real-{rows}.csv"));
    write_users_csv(&input, rows as usize, &format!("t{rows}l{latency_ms}u"));
    let report = dir.join(format!("real-{rows}-report.csv"));
    let stderr_path = dir.join(format!("real-{rows}-stderr.txt"));
    let emulator = Emulator::start(None, None, latency_ms);
    let before = process_cpu_secs(emulator.child.id());
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(&input)
        .args(["--endpoint-url", &emulator.endpoint])
        .args(["--client-id", &emulator.client_id])
        .args(["--region", "us-east-1", "--overwrite", "-q", "--report"])
        .arg(&report)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&stderr_path).expect("stderr file"));
    for var in SCRUB {
        cmd.env_remove(var);
    }
    let measured = run_measured(&mut cmd);
    let emulator_cpu_secs = process_cpu_secs(emulator.child.id()) - before;
    let users = emulator.stats().get("users").copied().unwrap_or(0);
    drop(emulator);
    let summary = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    if measured.code != 0 {
        eprintln!(
            "  ! bulk-signup exited {}: {}",
            measured.code,
            summary.trim()
        );
    }
    for path in [&input, &report, &stderr_path] {
        let _ = std::fs::remove_file(path);
    }
    RunResult {
        rows,
        measured,
        summary_rate: number_after(&summary, "requests (").unwrap_or(0.0),
        summary_goodput: number_after(&summary, "goodput").unwrap_or(0.0),
        users,
        emulator_cpu_secs,
    }
}

fn print_run(label: &str, r: &RunResult) {
    println!(
        "{label}: {} rows in {:.1} s = {:.0} rows/s end to end (summary: {:.0} requests/s, goodput {:.0}/s); users created {}; client CPU {:.2} s user + {:.2} s sys = {:.1} µs/row; peak RSS {:.1} MiB; emulator CPU {:.1} µs/row; exit {}",
        r.rows,
        r.measured.wall.as_secs_f64(),
        r.rows_per_sec(),
        r.summary_rate,
        r.summary_goodput,
        r.users,
        r.measured.user_secs,
        r.measured.sys_secs,
        r.cpu_us_per_row(),
        r.measured.max_rss_kib as f64 / 1024.0,
        r.emulator_cpu_secs * 1e6 / r.rows.max(1) as f64,
        r.measured.code,
    );
}

/// Free bytes in the file system that holds `dir`.
fn free_bytes(dir: &Path) -> u64 {
    let path = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: statvfs only writes into the struct we pass.
    unsafe {
        let mut stat: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(path.as_ptr(), &mut stat) != 0 {
            return 0;
        }
        stat.f_bavail as u64 * stat.f_frsize as u64
    }
}

/// The input format of the dry runs: plain CSV when the disk holds the
/// largest one (about 130 bytes of input and 160 of report per row, plus
/// 2 GB spare), else (or with `BENCH_DRY_GZIP` set) gzip-compressed CSV
/// (about 25 bytes a row).
fn dry_run_extension(dir: &Path, largest: u64) -> &'static str {
    let gzip_asked = std::env::var_os("BENCH_DRY_GZIP").is_some();
    if !gzip_asked && free_bytes(dir) >= largest * 290 + 2_000_000_000 {
        "csv"
    } else {
        "csv.gz"
    }
}

/// A dry run over `rows` rows of `extension` input; peak RSS in MiB, or
/// `None` when the disk has too little room for its input and report.
fn dry_run(dir: &Path, rows: u64, extension: &str) -> Option<(f64, Duration)> {
    let per_row = if extension == "csv" { 290 } else { 185 };
    let needed = rows * per_row + 2_000_000_000;
    let free = free_bytes(dir);
    if free < needed {
        println!(
            "dry run of {rows} rows skipped: {:.1} GB free in {}, {:.1} GB needed",
            free as f64 / 1e9,
            dir.display(),
            needed as f64 / 1e9
        );
        return None;
    }
    let input = dir.join(format!("dry-{rows}.{extension}"));
    if extension == "csv" {
        write_users_csv(&input, rows as usize, "dry");
    } else {
        write_users_csv_gz(&input, rows as usize, "dry");
    }
    let report = dir.join(format!("dry-{rows}-report.csv"));
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(&input)
        .args(["--dry-run", "--pool", POOL, "--overwrite", "-q", "--report"])
        .arg(&report)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let measured = run_measured(&mut cmd);
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&report);
    assert_eq!(measured.code, 0, "dry run of {rows} rows failed");
    Some((measured.max_rss_kib as f64 / 1024.0, measured.wall))
}

fn header() {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    println!(
        "throughput bench: {date}, commit {commit}, {} cores, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}

fn main() {
    header();
    let rows = env_number("BENCH_ROWS", 1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lines = Vec::new();

    let wrk = wanted(1)
        .then(|| baseline(env_number("BENCH_WRK_SECONDS", 10)))
        .flatten();
    if let Some(b) = &wrk {
        println!(
            "1. {} -c{CONNECTIONS} on the emulator: {:.0} requests/s ({}); emulator CPU {:.1} µs/request; {}'s own CPU {:.1} µs/request",
            b.tool, b.requests_per_sec, b.answers, b.emulator_cpu_us_per_request, b.tool, b.client_cpu_us_per_request
        );
    }
    if wanted(2) {
        let r = real_run(
            dir.path(),
            rows,
            0,
            &["--concurrency", CONNECTIONS, "--rate", "0"],
        );
        print_run("2. bulk-signup --concurrency 64 --rate 0", &r);
        if let Some(b) = &wrk {
            let ratio = r.rows_per_sec() / b.requests_per_sec.max(1e-9);
            lines.push(format!("ratio to {}: {ratio:.2} (target ≥ 0.5)", b.tool));
        }
        lines.push(format!(
            "client CPU: {:.1} µs/row (target ≤ 15)",
            r.cpu_us_per_row()
        ));
        if let Some(b) = &wrk {
            lines.push(format!(
                "client CPU per row / {}'s CPU per request: {:.2} ({:.1} µs)",
                b.tool,
                r.cpu_us_per_row() / b.client_cpu_us_per_request.max(1e-9),
                b.client_cpu_us_per_request
            ));
        }
        lines.push(format!(
            "peak RSS, real run of {rows} rows: {:.1} MiB (target ≤ 64 at 1 M)",
            r.measured.max_rss_kib as f64 / 1024.0
        ));
    }
    if wanted(3) {
        let r = real_run(
            dir.path(),
            100_000,
            0,
            &["--concurrency", CONNECTIONS, "--rate", "0"],
        );
        print_run("3. the same, 100 k rows", &r);
        lines.push(format!(
            "peak RSS, real run of 100000 rows: {:.1} MiB",
            r.measured.max_rss_kib as f64 / 1024.0
        ));
    }
    if wanted(4) {
        let latency_rows = 1000 * env_number("BENCH_LATENCY_SECONDS", 20);
        let r = real_run(dir.path(), latency_rows, 100, &["--rate", "1000"]);
        print_run("4. 100 ms emulator, --rate 1000, default flags", &r);
        lines.push(format!(
            "100 ms latency, --rate 1000: {:.0} rows/s end to end, goodput {:.0}/s (target ≥ 950)",
            r.rows_per_sec(),
            r.summary_goodput
        ));
    }
    if wanted(5) {
        let largest = env_number("BENCH_DRY_ROWS", 10_000_000);
        let extension = dry_run_extension(dir.path(), largest);
        for dry_rows in [1_000_000, largest] {
            if let Some((mib, wall)) = dry_run(dir.path(), dry_rows, extension) {
                println!(
                    "5. dry run of {dry_rows} rows (.{extension}): peak RSS {mib:.1} MiB in {:.1} s",
                    wall.as_secs_f64()
                );
                lines.push(format!(
                    "peak RSS, dry run of {dry_rows} rows (.{extension}): {mib:.1} MiB"
                ));
            }
        }
    }
    println!("--- summary ---");
    for line in lines {
        println!("{line}");
    }
}
