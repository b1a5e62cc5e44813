//! Rate control against a throttling endpoint (issue 4): goodput and
//! throttled share of `bulk-signup run` against the emulator's token-bucket
//! quota, and of a hand-written boto3 script (standard and adaptive retry
//! modes) in the same conditions.
//!
//! `cargo bench --bench rate_control`. Every run gets a fresh emulator (the
//! release binary, on 127.0.0.1 only) and an input of quota × `BENCH_SECONDS`
//! rows (default 60 s). Scenarios:
//!
//! 1. quota 50/s, burst 10, default settings;
//! 2. quota 30/s, burst 6, default settings (`--rate 50` is above the quota);
//! 3. quota 500/s, burst 100, `--rate 500` (default `--concurrency`, or
//!    `BENCH_S3_CONCURRENCY`);
//! 4. 50 ms latency, no quota, `--concurrency 64 --rate 0`: the ceiling is
//!    64 / 0.05 s = 1,280 rows/s; 1,280 × `BENCH_SECONDS` / 4 rows;
//! 5. quota 50/s, burst 10, `--confirm`: SignUp and AdminConfirmSignUp share
//!    the UserCreation quota, so 25 users/s is the reference (issue 12's
//!    check: about 25 users/s, at most 3% of requests throttled);
//! 6. 100 ms latency, no quota, `--rate 1000` and otherwise default flags:
//!    adaptive concurrency must keep about 100 requests in flight without
//!    being told (issue 14: at least 950 rows/s); 1,000 × `BENCH_SECONDS` / 4 rows;
//! 7. quota 500/s, burst 100, 50 ms latency, `--rate 500`: the quota
//!    scenario 3 at a real latency, also with default flags.
//!
//! Targets: 1–3 goodput ≥ 95% of the quota, throttled ≤ 3% of requests,
//! no failed rows, the pool holds exactly one user per row; 4 goodput ≥ 90%
//! of 1,280 rows/s. Scenarios 1–3 run again with `benches/boto3_signup.py`
//! (16 threads, `max_attempts` 8) in both retry modes.
//!
//! Environment: `BENCH_SECONDS` (default 60), `BENCH_ONLY` (e.g. `1,3`),
//! `BENCH_BOTO3=0` to skip boto3, `BENCH_S3_CONCURRENCY` (default: none given).
//! boto3 is installed with pip when `import boto3` fails.
//!
//! `TIMELINE_DIR=DIR`: a picture of each run in DIR. bulk-signup runs with
//! `--timeline DIR/timeline-s<N>-bulk-signup.svg`; the boto3 script writes
//! a timeline CSV of what it can observe (its `--timeline`), which is drawn
//! with the same chart code into `DIR/timeline-s<N>-boto3-<mode>.svg`.

mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bulk_signup::report::timeline_chart;
use common::*;

const BOTO3_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/boto3_signup.py");

/// Runs a child to completion, or kills it (by PID) at the deadline.
/// Returns wall time and the exit code (-1 if killed or signalled).
fn run_with_deadline(cmd: &mut Command, deadline: Duration) -> (Duration, i32) {
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (start.elapsed(), status.code().unwrap_or(-1));
        }
        if start.elapsed() > deadline {
            eprintln!(
                "  ! deadline of {deadline:?} passed: killing pid {}",
                child.id()
            );
            let _ = child.kill();
            let _ = child.wait();
            return (start.elapsed(), -1);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// What one run achieved.
#[derive(Debug, Clone, Default)]
struct Outcome {
    rows: u64,
    secs: f64,
    ok: u64,
    failed: u64,
    requests: u64,
    throttled: u64,
    users: u64,
    peak_in_flight: u64,
    exit_code: i32,
    detail: String,
}

impl Outcome {
    fn goodput(&self) -> f64 {
        self.ok as f64 / self.secs.max(1e-9)
    }

    fn throttled_share(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.throttled as f64 / self.requests as f64
        }
    }
}

struct Scenario {
    id: u32,
    name: &'static str,
    quota: Option<f64>,
    burst: Option<f64>,
    latency_ms: u64,
    rows: u64,
    args: Vec<String>,
    /// Rows/s the goodput is compared with: the quota, or the latency bound.
    reference: f64,
    goodput_target: f64,
    throttle_target: Option<f64>,
    boto3: bool,
    /// Run with `--confirm`: each user costs a second UserCreation token,
    /// and the requests and throttles counted include the confirmations.
    confirm: bool,
}

fn status_counts(report: &Path) -> BTreeMap<String, u64> {
    let mut reader = csv::Reader::from_path(report).expect("open report");
    let headers = reader.headers().expect("report header").clone();
    let col = headers
        .iter()
        .position(|h| h == "status")
        .expect("status column");
    let mut counts = BTreeMap::new();
    for record in reader.records() {
        let record = record.expect("report row");
        *counts.entry(record[col].to_owned()).or_insert(0) += 1;
    }
    counts
}

/// The admin requests and throttles in a summary's "steps after sign-up:
/// N admin requests, T throttled" line; zeros when it has none.
fn steps_line(summary: &str) -> (u64, u64) {
    let Some(line) = summary
        .lines()
        .find(|l| l.starts_with("steps after sign-up:"))
    else {
        return (0, 0);
    };
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    (
        numbers.first().copied().unwrap_or(0),
        numbers.get(1).copied().unwrap_or(0),
    )
}

fn deadline_for(rows: u64, reference: f64) -> Duration {
    // Generous: ten times the ideal duration, plus two minutes.
    Duration::from_secs_f64(10.0 * rows as f64 / reference + 120.0)
}

/// `TIMELINE_DIR/timeline-s<N>-<client>.<ext>`, when `TIMELINE_DIR` is set.
fn timeline_path(s: &Scenario, client: &str, ext: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("TIMELINE_DIR")?);
    std::fs::create_dir_all(&dir).expect("TIMELINE_DIR");
    Some(dir.join(format!("timeline-s{}-{client}.{ext}", s.id)))
}

fn run_bulk_signup(s: &Scenario, dir: &Path) -> Outcome {
    let input = dir.join(format!("s{}-bulk.csv", s.id));
    write_users_csv(&input, s.rows as usize, &format!("b{}u", s.id));
    let report = dir.join(format!("s{}-bulk-report.csv", s.id));
    let stderr_path = dir.join(format!("s{}-bulk-stderr.txt", s.id));
    let emulator = Emulator::start(s.quota, s.burst, s.latency_ms);
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(&input)
        .args(["--endpoint-url", &emulator.endpoint])
        .args(["--client-id", &emulator.client_id])
        .args(["--region", "us-east-1"])
        .arg("--report")
        .arg(&report)
        .args(["--overwrite", "-q"])
        .args(&s.args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&stderr_path).expect("stderr file"));
    for var in SCRUB {
        cmd.env_remove(var);
    }
    if let Some(chart) = timeline_path(s, "bulk-signup", "svg") {
        cmd.arg("--timeline").arg(chart);
    }
    if s.confirm {
        cmd.args(["--confirm", "--user-pool-id", &emulator.user_pool_id])
            .env("AWS_ACCESS_KEY_ID", &emulator.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &emulator.secret_access_key)
            .env("AWS_EC2_METADATA_DISABLED", "true");
    }
    let (elapsed, code) = run_with_deadline(&mut cmd, deadline_for(s.rows, s.reference));
    let stats = emulator.stats();
    drop(emulator);
    let counts = status_counts(&report);
    let ok =
        counts.get("created").copied().unwrap_or(0) + counts.get("exists").copied().unwrap_or(0);
    let total: u64 = counts.values().sum();
    let summary = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    // The emulator counts SignUp's requests; the confirmations are the
    // client's count (its summary's steps line), their throttles the
    // emulator's UserCreation count less SignUp's.
    let (step_requests, _) = steps_line(&summary);
    let all_throttled = stats.get("throttled_UserCreation").copied();
    Outcome {
        rows: s.rows,
        secs: elapsed.as_secs_f64(),
        ok,
        failed: total.saturating_sub(ok) + s.rows.saturating_sub(total),
        requests: stats.get("requests").copied().unwrap_or(0) + step_requests,
        throttled: all_throttled
            .filter(|_| s.confirm)
            .unwrap_or_else(|| stats.get("throttled").copied().unwrap_or(0)),
        users: stats.get("users").copied().unwrap_or(0),
        peak_in_flight: stats.get("peak_in_flight").copied().unwrap_or(0),
        exit_code: code,
        detail: summary
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" | "),
    }
}

fn boto3_available() -> bool {
    let works = || {
        Command::new("python3")
            .args(["-c", "import boto3"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if works() {
        return true;
    }
    eprintln!("boto3 missing: python3 -m pip install --quiet boto3");
    let _ = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "boto3"])
        .status();
    works()
}

fn run_boto3(s: &Scenario, mode: &str, dir: &Path) -> Outcome {
    let input = dir.join(format!("s{}-{mode}.csv", s.id));
    write_users_csv(
        &input,
        s.rows as usize,
        &format!("p{}{}u", s.id, &mode[..1]),
    );
    let stdout_path = dir.join(format!("s{}-{mode}-stdout.txt", s.id));
    let stderr_path = dir.join(format!("s{}-{mode}-stderr.txt", s.id));
    let aws_config = dir.join("no-aws-config");
    let emulator = Emulator::start(s.quota, s.burst, s.latency_ms);
    let mut cmd = Command::new("python3");
    cmd.arg(BOTO3_SCRIPT)
        .args(["--endpoint", &emulator.endpoint])
        .args(["--client-id", &emulator.client_id])
        .arg("--input")
        .arg(&input)
        .args(["--mode", mode, "--workers", "16"])
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", &aws_config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &aws_config)
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).expect("stdout file"))
        .stderr(File::create(&stderr_path).expect("stderr file"));
    for var in SCRUB {
        cmd.env_remove(var);
    }
    let timeline = timeline_path(s, &format!("boto3-{mode}"), "csv");
    if let Some(csv) = &timeline {
        cmd.arg("--timeline").arg(csv);
    }
    let (wall, code) = run_with_deadline(&mut cmd, deadline_for(s.rows, s.reference));
    if let Some(csv) = timeline {
        let chart = csv.with_extension("svg");
        let title = format!("boto3 {mode} (hand-written script): {}", file_name(&chart));
        timeline_chart::draw_csv(&csv, &chart, &title).expect("draw the boto3 timeline");
    }
    let stats = emulator.stats();
    drop(emulator);
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let line = stdout.lines().rev().find(|l| l.starts_with('{'));
    let Some(result) = line.and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok()) else {
        let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        panic!("boto3 {mode} printed no result (exit {code}): {tail:?}");
    };
    let n = |k: &str| result[k].as_u64().unwrap_or(0);
    Outcome {
        rows: s.rows,
        // The script's own clock: the sign-ups only, not Python start-up.
        secs: result["elapsed"].as_f64().unwrap_or(wall.as_secs_f64()),
        ok: n("created") + n("exists"),
        failed: n("failed")
            + s.rows
                .saturating_sub(n("created") + n("exists") + n("failed")),
        requests: stats.get("requests").copied().unwrap_or(0),
        throttled: stats.get("throttled").copied().unwrap_or(0),
        users: stats.get("users").copied().unwrap_or(0),
        peak_in_flight: stats.get("peak_in_flight").copied().unwrap_or(0),
        exit_code: code,
        detail: format!("errors {}", result["errors"]),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn print_outcome(label: &str, s: &Scenario, o: &Outcome) {
    println!(
        "  {label:<16} {:>7.1} rows/s = {:>5.1}% of {:>5}  throttled {:>5.2}% ({} of {} requests)  failed {}  users {} of {} rows  peak in flight {}  {:.1} s  exit {}",
        o.goodput(),
        100.0 * o.goodput() / s.reference,
        s.reference,
        100.0 * o.throttled_share(),
        o.throttled,
        o.requests,
        o.failed,
        o.users,
        o.rows,
        o.peak_in_flight,
        o.secs,
        o.exit_code,
    );
    if !o.detail.is_empty() {
        println!("  {:<16} {}", "", o.detail);
    }
}

/// The target verdicts of one bulk-signup run.
fn verdicts(s: &Scenario, o: &Outcome) -> Vec<(String, bool)> {
    let share = o.goodput() / s.reference;
    let mut v = vec![(
        format!(
            "goodput {:.2}% >= {:.0}%",
            100.0 * share,
            100.0 * s.goodput_target
        ),
        share >= s.goodput_target,
    )];
    if let Some(t) = s.throttle_target {
        v.push((
            format!(
                "throttled {:.2}% <= {:.0}%",
                100.0 * o.throttled_share(),
                100.0 * t
            ),
            o.throttled_share() <= t,
        ));
    }
    v.push((format!("failed {} == 0", o.failed), o.failed == 0));
    v.push((
        format!("server users {} == rows {}", o.users, o.rows),
        o.users == o.rows,
    ));
    // Every row the report calls created/exists is in the pool, and no more
    // (a user created by an attempt reported failed would show up here).
    v.push((
        format!("server users {} == rows reported ok {}", o.users, o.ok),
        o.users == o.ok,
    ));
    v
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}", a / b)
    } else if a > 0.0 {
        "inf".into()
    } else {
        "-".into()
    }
}

fn main() {
    let seconds: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60.0);
    let only: Option<Vec<u32>> = std::env::var("BENCH_ONLY")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect());
    let with_boto3 = std::env::var("BENCH_BOTO3").map_or(true, |v| v != "0");
    // Scenario 3 runs at default flags unless a --concurrency is asked for.
    let s3_concurrency: Vec<String> = std::env::var("BENCH_S3_CONCURRENCY")
        .map(|n| vec!["--concurrency".into(), n])
        .unwrap_or_default();
    let rows = |rate: f64, secs: f64| (rate * secs).round() as u64;

    let scenarios = [
        Scenario {
            id: 1,
            name: "quota 50/s, burst 10, defaults",
            quota: Some(50.0),
            burst: Some(10.0),
            latency_ms: 0,
            rows: rows(50.0, seconds),
            args: vec![],
            reference: 50.0,
            goodput_target: 0.95,
            throttle_target: Some(0.03),
            boto3: true,
            confirm: false,
        },
        Scenario {
            id: 2,
            name: "quota 30/s, burst 6, defaults (--rate 50 above quota)",
            quota: Some(30.0),
            burst: Some(6.0),
            latency_ms: 0,
            rows: rows(30.0, seconds),
            args: vec![],
            reference: 30.0,
            goodput_target: 0.95,
            throttle_target: Some(0.03),
            boto3: true,
            confirm: false,
        },
        Scenario {
            id: 3,
            name: "quota 500/s, burst 100, --rate 500",
            quota: Some(500.0),
            burst: Some(100.0),
            latency_ms: 0,
            rows: rows(500.0, seconds),
            args: [vec!["--rate".into(), "500".into()], s3_concurrency.clone()].concat(),
            reference: 500.0,
            goodput_target: 0.95,
            throttle_target: Some(0.03),
            boto3: true,
            confirm: false,
        },
        Scenario {
            id: 4,
            name: "latency 50 ms, no quota, --concurrency 64 --rate 0",
            quota: None,
            burst: None,
            latency_ms: 50,
            rows: rows(1280.0, seconds / 4.0),
            args: vec![
                "--concurrency".into(),
                "64".into(),
                "--rate".into(),
                "0".into(),
            ],
            reference: 1280.0,
            goodput_target: 0.90,
            throttle_target: None,
            boto3: false,
            confirm: false,
        },
        Scenario {
            id: 5,
            name: "quota 50/s, burst 10, --confirm (two UserCreation tokens a user)",
            quota: Some(50.0),
            burst: Some(10.0),
            latency_ms: 0,
            rows: rows(25.0, seconds),
            args: vec![],
            reference: 25.0,
            goodput_target: 0.95,
            throttle_target: Some(0.03),
            boto3: false,
            confirm: true,
        },
        Scenario {
            id: 6,
            name: "latency 100 ms, no quota, --rate 1000, default flags",
            quota: None,
            burst: None,
            latency_ms: 100,
            rows: rows(1000.0, seconds / 4.0),
            args: vec!["--rate".into(), "1000".into()],
            reference: 1000.0,
            goodput_target: 0.95,
            throttle_target: None,
            boto3: false,
            confirm: false,
        },
        Scenario {
            id: 7,
            name: "quota 500/s, burst 100, latency 50 ms, --rate 500, default flags",
            quota: Some(500.0),
            burst: Some(100.0),
            latency_ms: 50,
            rows: rows(500.0, seconds / 2.0),
            args: vec!["--rate".into(), "500".into()],
            reference: 500.0,
            goodput_target: 0.95,
            throttle_target: Some(0.03),
            boto3: false,
            confirm: false,
        },
    ];
    let selected = |s: &Scenario| only.as_ref().is_none_or(|ids| ids.contains(&s.id));

    let boto3 = with_boto3 && scenarios.iter().any(|s| s.boto3 && selected(s)) && boto3_available();
    if with_boto3 && !boto3 {
        println!("boto3 not importable even after pip install: boto3 runs skipped");
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let bench_start = Instant::now();
    println!(
        "rate_control: BENCH_SECONDS={seconds}, scenario 3 flags {s3_concurrency:?}, load average {}",
        load_average()
    );

    let mut table = Vec::new();
    for s in scenarios.iter().filter(|s| selected(s)) {
        println!("\nscenario {}: {} ({} rows)", s.id, s.name, s.rows);
        let bulk = run_bulk_signup(s, dir.path());
        print_outcome("bulk-signup", s, &bulk);
        let checks = verdicts(s, &bulk);
        for (what, ok) in &checks {
            println!("    {} {what}", if *ok { "met   " } else { "MISSED" });
        }
        let mut others = Vec::new();
        if boto3 && s.boto3 {
            for mode in ["standard", "adaptive"] {
                let o = run_boto3(s, mode, dir.path());
                print_outcome(&format!("boto3 {mode}"), s, &o);
                println!(
                    "  {:<16} vs bulk-signup: goodput x{}, throttled share x{}",
                    "",
                    ratio(o.goodput(), bulk.goodput()),
                    ratio(o.throttled_share(), bulk.throttled_share()),
                );
                others.push((mode, o));
            }
        }
        println!("  (load average {})", load_average());
        table.push((s, bulk, checks, others));
    }

    println!(
        "\n| scenario | client | goodput/s | % of ref | throttled | failed rows | server users | goodput vs bulk-signup |"
    );
    println!("|---|---|---:|---:|---:|---:|---|---:|");
    for (s, bulk, _, others) in &table {
        let row = |client: &str, o: &Outcome, vs: String| {
            println!(
                "| {} | {client} | {:.1} | {:.1}% | {:.2}% | {} | {} of {} | {vs} |",
                s.id,
                o.goodput(),
                100.0 * o.goodput() / s.reference,
                100.0 * o.throttled_share(),
                o.failed,
                o.users,
                o.rows,
            );
        };
        row("bulk-signup", bulk, "1".into());
        for (mode, o) in others {
            row(
                &format!("boto3 {mode}"),
                o,
                ratio(o.goodput(), bulk.goodput()),
            );
        }
    }
    println!();
    let mut missed = 0;
    for (s, _, checks, _) in &table {
        for (what, ok) in checks {
            if !ok {
                missed += 1;
                println!("target MISSED in scenario {}: {what}", s.id);
            }
        }
    }
    if missed == 0 {
        println!("every bulk-signup target met");
    }
    println!(
        "bench took {:.0} s; load average {}",
        bench_start.elapsed().as_secs_f64(),
        load_average()
    );
}
