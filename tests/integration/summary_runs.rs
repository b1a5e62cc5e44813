//! The end-of-run summary: `--summary-json` agrees with the report and the
//! exit code, and the next steps printed name the binary by the path it
//! was run by (`--resume`, `--retry-rejected`, the error report).

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use crate::workdir::*;

/// The report's rows per status and per error code, as the JSON gives them.
fn report_tally(entries: &[ReportEntry]) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
    let mut counts: BTreeMap<String, u64> = [
        "created", "exists", "valid", "invalid", "rejected", "failed",
    ]
    .iter()
    .map(|s| ((*s).to_owned(), 0))
    .collect();
    let mut codes = BTreeMap::new();
    for entry in entries {
        let status = serde_json::to_value(entry.status.expect("status")).expect("status name");
        *counts
            .get_mut(status.as_str().expect("a name"))
            .expect("one of six") += 1;
        if !entry.error_code.is_empty() {
            *codes.entry(entry.error_code.clone()).or_insert(0) += 1;
        }
    }
    (counts, codes)
}

fn counts_of(json: &Value, field: &str) -> BTreeMap<String, u64> {
    serde_json::from_value(json[field].clone()).expect("a map of counts")
}

fn read_json(wd: &Workdir, name: &str) -> Value {
    serde_json::from_str(&wd.read(name)).expect("the summary is JSON")
}

/// The JSON's counts and error codes are the report's, and its exit code
/// the process's.
fn assert_agrees(json: &Value, entries: &[ReportEntry], code: i32) {
    let (counts, codes) = report_tally(entries);
    assert_eq!(counts_of(json, "counts"), counts);
    assert_eq!(counts_of(json, "error_codes"), codes);
    assert_eq!(json["rows"], entries.len() as u64);
    assert_eq!(json["exit_code"], code);
}

#[tokio::test]
async fn the_summary_json_agrees_with_the_report_and_the_exit_code() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    let out = wd
        .run(sample("users.csv"))
        .against(&server)
        .report("report.csv")
        .errors("errors.csv")
        .args(["--summary-json", "summary.json"])
        .output()
        .await
        .assert_code(1);
    let json = read_json(&wd, "summary.json");
    let entries = wd.read_report("report.csv");
    assert_agrees(&json, &entries, out.code);
    assert_eq!(json["counts"]["invalid"], 3, "{json}");
    assert_eq!(json["counts"]["rejected"], 3, "{json}");
    assert_eq!(json["requests"], server.stats().await.requests);
    for field in ["duration_seconds", "rows_per_second", "final_rate"] {
        assert!(
            json[field].as_f64().is_some_and(|v| v > 0.0),
            "{field}: {json}"
        );
    }
    for field in [
        "throttled",
        "retries",
        "step_requests",
        "step_throttled",
        "step_failures",
    ] {
        assert!(json[field].is_u64(), "{field}: {json}");
    }
    let mode = std::fs::metadata(wd.path("summary.json"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "owner-only");
    // The text summary: the top codes, the hint, the error report's path.
    let (_, codes) = report_tally(&entries);
    for (code, n) in &codes {
        assert!(
            out.stderr.contains(&format!("{code} {n}")),
            "{code}: {}",
            out.stderr
        );
    }
    assert!(out.stderr.contains("top error codes: "), "{}", out.stderr);
    assert!(out.stderr.contains("--retry-rejected"), "{}", out.stderr);
    let errors = wd.path("errors.csv");
    assert!(
        out.stderr
            .contains(&format!("the error report: {}", errors.display())),
        "{}",
        out.stderr
    );
}

/// Runs 200 users against a slow emulator with `program` and interrupts it
/// once 10 rows are done; returns the workdir and what it printed.
async fn interrupted_run(server: &Endpoint, wd: &Workdir, program: &str) -> Output {
    wd.users_csv("users.csv", "intr", 200);
    wd.run("users.csv")
        .program(program)
        .against(server)
        .report("report.csv")
        .args(["--rate", "60", "--summary-json", "summary.json"])
        .signal_when_grown("report.csv", 10, libc::SIGINT)
        .output()
        .await
        .assert_code(4)
}

#[tokio::test]
async fn an_interrupted_run_prints_a_resume_command_starting_with_the_binarys_path() {
    let server = Endpoint::emulator(sample("pool.json"), &["--latency-ms", "20"]).await;
    let wd = Workdir::new();
    let out = interrupted_run(&server, &wd, BIN).await;
    let words = out.printed_command_line();
    assert_eq!(words[0], BIN, "{}", out.stderr);
    assert_eq!(words.last().map(String::as_str), Some("--resume"));
    // Written when interrupted too, agreeing with the report so far.
    let json = read_json(&wd, "summary.json");
    assert_eq!(json["interrupted"], true);
    assert_agrees(&json, &wd.read_report("report.csv"), 4);
    // The printed command continues the run, replacing its own summary.
    let done = wd
        .command(out.printed_command())
        .output()
        .await
        .assert_code(0);
    assert!(
        !done.stderr.contains(" run "),
        "nothing to do next: {}",
        done.stderr
    );
    let json = read_json(&wd, "summary.json");
    assert_agrees(&json, &wd.read_report("report.csv"), 0);
    assert_eq!(json["counts"]["created"], 200);
}

#[tokio::test]
async fn a_renamed_binary_is_named_by_its_own_path_in_the_resume_command() {
    let server = Endpoint::emulator(sample("pool.json"), &["--latency-ms", "20"]).await;
    let wd = Workdir::new();
    let renamed = wd.path("renamed-signup");
    std::os::unix::fs::symlink(BIN, &renamed).expect("symlink");
    let renamed = renamed.to_str().expect("utf-8").to_owned();
    let out = interrupted_run(&server, &wd, &renamed).await;
    let words = out.printed_command_line();
    assert_eq!(words[0], renamed, "{}", out.stderr);
    assert!(!out.stderr.contains(BIN), "{}", out.stderr);
}

#[tokio::test]
async fn a_resumed_run_with_invalid_rows_prints_the_retry_rejected_hint() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    let run = || {
        wd.run(sample("users.csv"))
            .against(&server)
            .report("report.csv")
            .errors("errors.csv")
            .args(["--summary-json", "summary.json"])
    };
    run().output().await.assert_code(1);
    let out = run().arg("--resume").output().await.assert_code(1);
    assert!(
        out.stderr.contains("--resume leaves them"),
        "{}",
        out.stderr
    );
    let words = out.printed_command_line();
    assert_eq!(words[0], BIN);
    assert_eq!(
        words[words.len() - 2..],
        ["--resume".to_owned(), "--retry-rejected".to_owned()],
        "{}",
        out.stderr
    );
    // --resume replaced the first run's summary; its counts cover both runs.
    let json = read_json(&wd, "summary.json");
    assert_agrees(&json, &wd.read_report("report.csv"), 1);
    assert_eq!(json["session_rows"], 0, "{json}");
}

#[tokio::test]
async fn an_existing_summary_json_is_refused_without_overwrite() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.write("summary.json", "keep me");
    let run = || {
        wd.run(sample("users.csv"))
            .against(&server)
            .report("report.csv")
            .args(["--summary-json", "summary.json"])
    };
    let out = run().output().await.assert_code(2);
    assert!(out.stderr.contains("--summary-json"), "{}", out.stderr);
    assert_eq!(wd.read("summary.json"), "keep me");
    assert!(
        !wd.exists("report.csv"),
        "refused before any file is created"
    );
    assert_eq!(server.stats().await.requests, 0);
    // --resume replaces only a summary of this tool.
    run().output().await.assert_code(2);
    run().arg("--overwrite").output().await.assert_code(1);
    assert_eq!(read_json(&wd, "summary.json")["exit_code"], 1);
    wd.write("summary.json", "keep me");
    run().arg("--resume").output().await.assert_code(2);
    assert_eq!(wd.read("summary.json"), "keep me");
    // Never an output over an input.
    let out = run()
        .args(["--summary-json", "report.csv", "--overwrite"])
        .output()
        .await
        .assert_code(2);
    assert!(out.stderr.contains("--summary-json"), "{}", out.stderr);
}
