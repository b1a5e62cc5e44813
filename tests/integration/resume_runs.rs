//! Stopping and resuming: SIGKILL at random moments, SIGINT/SIGTERM with the
//! printed resume command, torn reports, reports from another input, and
//! shards merged back into one report.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use bulk_signup::report::{ReportEntry, Status};
use tokio::process::Command;

use crate::util::*;

fn spawn(args: &[String]) -> tokio::process::Child {
    Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("bulk-signup starts")
}

/// One final entry per row 1..=rows, in order, all created or exists.
fn assert_final(report: &Path, rows: u64) -> Vec<ReportEntry> {
    let entries = read_report(report);
    let numbers: Vec<u64> = entries.iter().map(|e| e.row).collect();
    assert_eq!(
        numbers,
        (1..=rows).collect::<Vec<u64>>(),
        "one entry per row, in row order"
    );
    for e in &entries {
        assert!(
            matches!(e.status, Some(Status::Created | Status::Exists)),
            "row {}: {:?} {} {}",
            e.row,
            e.status,
            e.error_code,
            e.note
        );
    }
    entries
}

#[tokio::test]
async fn sigkill_at_random_moments_then_resume_loses_nothing_and_creates_nothing_twice() {
    for seed in [1u64, 2, 3] {
        let server = emulator(
            &sample("pool.json"),
            &[
                "--drop-rate",
                "0.05",
                "--fault-rate",
                "0.05",
                "--quota",
                "120",
                "--burst",
                "10",
            ],
        )
        .await;
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("users.csv");
        users_csv(&input, &format!("kill{seed}-"), 300);
        let report = dir.path().join("report.csv");
        // --rate above the quota: throttling, so kills land during retries too.
        let first = run_args(
            &input,
            &server,
            &report,
            &["--rate", "200", "--concurrency", "24"],
        );
        let mut resume = first.clone();
        resume.push("--resume".into());
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut kills = 0;
        let mut finished = None;
        for attempt in 0..40 {
            let args = if attempt == 0 { &first } else { &resume };
            let mut child = spawn(args);
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let delay = Duration::from_millis(150 + (state >> 33) % 900);
            match tokio::time::timeout(delay, child.wait()).await {
                Ok(status) => {
                    let status = status.expect("wait");
                    assert_eq!(
                        status.code(),
                        Some(0),
                        "seed {seed}: a finished run exits 0"
                    );
                    finished = Some(attempt);
                    break;
                }
                Err(_) => {
                    child.start_kill().expect("SIGKILL");
                    let _ = child.wait().await;
                    kills += 1;
                }
            }
        }
        assert!(finished.is_some(), "seed {seed}: finished within 40 runs");
        assert!(kills >= 1, "seed {seed}: was killed at least once");
        let entries = assert_final(&report, 300);
        let stats = emulator_stats(&server).await;
        assert_eq!(stats.users, 300, "seed {seed}: exactly one user per row");
        assert_eq!(stats.created, 300, "seed {seed}: no user created twice");
        assert!(stats.throttled > 0, "seed {seed}: throttling happened");
        // Every row the server created once maps to one report row; subs match.
        let users = list_users(&server.endpoint, &server.pool_id).await;
        let subs: HashSet<&str> = users
            .iter()
            .filter_map(|u| attribute(&u.attributes, "sub"))
            .collect();
        for e in entries.iter().filter(|e| e.status == Some(Status::Created)) {
            assert!(
                subs.contains(e.user_sub.as_str()),
                "seed {seed}: row {} sub",
                e.row
            );
        }
    }
}

async fn interrupt_and_resume(signal: i32) {
    let server = emulator(&sample("pool.json"), &["--latency-ms", "20"]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("users.csv");
    users_csv(&input, &format!("sig{signal}-"), 200);
    let report = dir.path().join("report.csv");
    let errors = dir.path().join("errors.csv");
    let args = run_args(
        &input,
        &server,
        &report,
        &[
            "--rate",
            "60",
            "--errors",
            errors.to_str().expect("path"),
            "--overwrite",
        ],
    );
    let child = spawn(&args);
    // Signal once some rows are done (bounded wait: a loaded machine starts slowly).
    let output = signal_when_report_grows(child, &report, 10, signal).await;
    assert_eq!(output.0.code(), Some(4), "signal {signal}: {}", output.1);
    let partial = read_report(&report);
    assert!(
        !partial.is_empty() && partial.len() < 200,
        "signal {signal}: {} rows before the stop",
        partial.len()
    );
    assert!(
        partial
            .iter()
            .all(|e| e.status != Some(Status::Failed) || e.note.contains("interrupted")),
        "rows never sent are absent, not failed"
    );
    // The printed command resumes the run.
    let words = printed_command(&output.1);
    assert!(
        words.last().is_some_and(|w| w == "--resume") && !words.iter().any(|w| w == "--overwrite"),
        "{words:?}"
    );
    let out = run_to_end(&words).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_final(&report, 200);
    assert_eq!(emulator_stats(&server).await.users, 200);
    let errors_text = std::fs::read_to_string(&errors).expect("errors");
    assert_eq!(
        errors_text.lines().count(),
        1,
        "the final error report has no rows: {errors_text}"
    );
}

#[tokio::test]
async fn sigint_stops_with_exit_4_and_the_printed_command_resumes() {
    interrupt_and_resume(libc::SIGINT).await;
}

#[tokio::test]
async fn sigterm_stops_with_exit_4_and_the_printed_command_resumes() {
    interrupt_and_resume(libc::SIGTERM).await;
}

#[tokio::test]
async fn a_torn_report_resumes_and_only_failed_rows_are_sent_again() {
    let server = emulator(&sample("pool.json"), &[]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("users.csv");
    users_csv(&input, "torn", 50);
    let report = dir.path().join("report.csv");
    let args = run_args(&input, &server, &report, &[]);
    assert_eq!(run_to_end(&args).await.code, 0);
    // Forge an interrupted log: rows 1-30 done, row 31 `failed`, a torn line.
    let text = std::fs::read_to_string(&report).expect("report");
    let mut lines: Vec<&str> = text.lines().take(31).collect();
    let failed = "31,torn31,failed,,,,,InternalErrorException,boom,8,,gave up after 8 attempts";
    lines.push(failed);
    let mut forged = lines.join("\n");
    forged.push_str("\n32,torn32,crea");
    std::fs::write(&report, forged).expect("forge");
    let before = emulator_stats(&server).await.requests;
    let mut resume = args.clone();
    resume.push("--resume".into());
    let out = run_to_end(&resume).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let entries = assert_final(&report, 50);
    // Rows 31-50 were sent again (they exist already), rows 1-30 were not.
    assert_eq!(emulator_stats(&server).await.requests - before, 20);
    assert!(entries[..30]
        .iter()
        .all(|e| e.status == Some(Status::Created)));
    assert!(entries[30..]
        .iter()
        .all(|e| e.status == Some(Status::Exists)));
}

#[tokio::test]
async fn a_report_from_another_input_is_refused_before_any_request() {
    let server = emulator(&sample("pool.json"), &[]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    users_csv(&a, "alpha", 20);
    users_csv(&b, "beta", 20);
    let report = dir.path().join("report.csv");
    assert_eq!(
        run_to_end(&run_args(&a, &server, &report, &[])).await.code,
        0
    );
    let before = emulator_stats(&server).await.requests;
    let out = run_to_end(&run_args(&b, &server, &report, &["--resume"])).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("does not belong to this input"),
        "{}",
        out.stderr
    );
    assert_eq!(emulator_stats(&server).await.requests, before);
    let without_resume = run_to_end(&run_args(&b, &server, &report, &[])).await;
    assert_eq!(
        without_resume.code, 2,
        "an existing report needs --resume or --overwrite"
    );
}

#[tokio::test]
async fn a_mismatch_found_mid_run_still_records_every_request_sent() {
    // From stdin there is no check of the whole input first: the mismatch
    // shows at row 600, after rows 1..599 were handed to the senders.
    let server = emulator(&sample("pool.json"), &["--latency-ms", "40"]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    users_csv(&a, "alpha", 600);
    let text = std::fs::read_to_string(&a).expect("a.csv");
    std::fs::write(&b, text.replace("alpha600,", "omega600,")).expect("b.csv");
    let report = dir.path().join("report.csv");
    let stdin_args = |extra: &[&str]| {
        let mut args = run_args(Path::new("-"), &server, &report, &["--format", "csv"]);
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let dry = stdin_args(&["--dry-run"]);
    assert_eq!(run_to_end_with_stdin(&dry, &a).await.code, 0);
    let resumed = stdin_args(&["--resume", "--concurrency", "64", "--rate", "2000"]);
    let out = run_to_end_with_stdin(&resumed, &b).await;
    assert!(
        out.stderr.contains("does not belong to this input"),
        "{}",
        out.stderr
    );
    assert_ne!(out.code, 0);
    let created_rows: Vec<u64> = read_report(&report)
        .iter()
        .filter(|e| e.status == Some(Status::Created))
        .map(|e| e.row)
        .collect();
    let stats = emulator_stats(&server).await;
    assert!(stats.created > 0, "rows before the mismatch were sent");
    assert_eq!(
        created_rows.len() as u64,
        stats.created,
        "every user the server created has its report entry"
    );
}

#[tokio::test]
async fn retry_rejected_resends_rows_after_the_pool_is_fixed() {
    let server = emulator(&sample("pool.json"), &[]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(
        dir.path(),
        "users.csv",
        "username,password,email\nok1,Passw0rd-ok1,ok1@example.com\nweak,short,weak@example.com\n",
    );
    let report = dir.path().join("report.csv");
    assert_eq!(
        run_to_end(&run_args(&input, &server, &report, &[]))
            .await
            .code,
        1
    );
    // The user fixes the row's password, then resumes.
    std::fs::write(
        &input,
        "username,password,email\nok1,Passw0rd-ok1,ok1@example.com\nweak,Passw0rd-fixed,weak@example.com\n",
    )
    .expect("input");
    let out = run_to_end(&run_args(&input, &server, &report, &["--resume"])).await;
    assert_eq!(
        out.code, 1,
        "without --retry-rejected the rejected row stays: {}",
        out.stderr
    );
    let out = run_to_end(&run_args(
        &input,
        &server,
        &report,
        &["--resume", "--retry-rejected"],
    ))
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_final(&report, 2);
}

#[tokio::test]
async fn three_shards_cover_every_row_once_and_merge_into_a_single_runs_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("users.csv");
    users_csv(&input, "Shard", 240);
    let sharded = emulator(&sample("pool.json"), &[]).await;
    let mut shard_reports = Vec::new();
    for k in 1..=3 {
        let report = dir.path().join(format!("shard{k}.csv"));
        let shard = format!("{k}/3");
        let out = run_to_end(&run_args(&input, &sharded, &report, &["--shard", &shard])).await;
        assert_eq!(out.code, 0, "{}", out.stderr);
        shard_reports.push(report);
    }
    let mut seen = BTreeMap::new();
    for (k, report) in shard_reports.iter().enumerate() {
        let entries = read_report(report);
        assert!(!entries.is_empty(), "shard {} has rows", k + 1);
        for e in entries {
            assert!(
                seen.insert(e.row, k).is_none(),
                "row {} in two shards",
                e.row
            );
        }
    }
    assert_eq!(seen.len(), 240);
    assert_eq!(emulator_stats(&sharded).await.users, 240);

    let merged = dir.path().join("merged.csv");
    let mut args = vec!["merge-reports".to_owned(), merged.display().to_string()];
    args.extend(shard_reports.iter().map(|p| p.display().to_string()));
    let out = run_to_end(&args).await;
    assert_eq!(out.code, 0, "{}", out.stderr);

    let single_server = emulator(&sample("pool.json"), &[]).await;
    let single = dir.path().join("single.csv");
    assert_eq!(
        run_to_end(&run_args(&input, &single_server, &single, &[]))
            .await
            .code,
        0
    );
    let key = |entries: Vec<ReportEntry>| -> Vec<(u64, String, Option<Status>)> {
        entries
            .into_iter()
            .map(|e| (e.row, e.username, e.status))
            .collect()
    };
    assert_eq!(key(read_report(&merged)), key(read_report(&single)));
}
