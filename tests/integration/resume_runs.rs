//! Stopping and resuming: SIGKILL at random moments, SIGINT/SIGTERM with the
//! printed resume command, torn reports, reports from another input,
//! `--retry-rejected`, and shards merged back into one report.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use crate::workdir::*;

/// One final entry per row 1..=rows, in order, all created or exists.
fn assert_final(wd: &Workdir, report: &str, rows: u64) -> Vec<ReportEntry> {
    let entries = wd.read_report(report);
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
        let faults = [
            "--drop-rate",
            "0.05",
            "--fault-rate",
            "0.05",
            "--quota",
            "120",
            "--burst",
            "10",
        ];
        let server = Endpoint::emulator(sample("pool.json"), &faults).await;
        let wd = Workdir::new();
        wd.users_csv("users.csv", &format!("kill{seed}-"), 300);
        let kills = kill_and_resume_until_done(&wd, &server, seed).await;
        assert!(kills >= 1, "seed {seed}: was killed at least once");
        let entries = assert_final(&wd, "report.csv", 300);
        let stats = server.stats().await;
        assert_eq!(stats.users, 300, "seed {seed}: exactly one user per row");
        assert_eq!(stats.created, 300, "seed {seed}: no user created twice");
        assert!(stats.throttled > 0, "seed {seed}: throttling happened");
        // Every row the server created once maps to one report row; subs match.
        let users = server.list_users().await;
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

/// Runs, SIGKILLs after a pseudo-random delay, resumes, … until a run
/// finishes (exit 0, within 40 runs); returns how many runs were killed.
async fn kill_and_resume_until_done(wd: &Workdir, server: &Endpoint, seed: u64) -> u32 {
    // --rate above the quota: throttling, so kills land during retries too.
    let first = wd
        .run("users.csv")
        .against(server)
        .report("report.csv")
        .args(["--rate", "200", "--concurrency", "24"]);
    let resume = first.clone().arg("--resume");
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut kills = 0;
    for attempt in 0..40 {
        let run = if attempt == 0 { &first } else { &resume };
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let delay = Duration::from_millis(150 + (state >> 33) % 900);
        let out = run.clone().kill_after(delay).output().await;
        if out.signal == Some(libc::SIGKILL) {
            kills += 1;
            continue;
        }
        eprintln!("seed {seed}: a finished run exits 0");
        out.assert_code(0);
        return kills;
    }
    panic!("seed {seed}: finished within 40 runs");
}

async fn interrupt_and_resume(signal: i32) {
    let server = Endpoint::emulator(sample("pool.json"), &["--latency-ms", "20"]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", &format!("sig{signal}-"), 200);
    // Signal once some rows are done (bounded wait: a loaded machine starts slowly).
    let out = wd
        .run("users.csv")
        .against(&server)
        .report("report.csv")
        .args(["--rate", "60"])
        .errors("errors.csv")
        .arg("--overwrite")
        .signal_when_grown("report.csv", 10, signal)
        .output()
        .await
        .assert_code(4);
    let partial = wd.read_report("report.csv");
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
    let words = out.printed_command();
    assert!(
        words.last().is_some_and(|w| w == "--resume") && !words.iter().any(|w| w == "--overwrite"),
        "{words:?}"
    );
    wd.command(words).output().await.assert_code(0);
    assert_final(&wd, "report.csv", 200);
    assert_eq!(server.stats().await.users, 200);
    let errors_text = wd.read("errors.csv");
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
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "torn", 50);
    let run = wd.run("users.csv").against(&server).report("report.csv");
    run.clone().output().await.assert_code(0);
    // Forge an interrupted log: rows 1-30 done, row 31 `failed`, a torn line.
    let text = wd.read("report.csv");
    let mut lines: Vec<&str> = text.lines().take(31).collect();
    let failed = "31,torn31,failed,,,,,InternalErrorException,boom,8,,gave up after 8 attempts";
    lines.push(failed);
    let mut forged = lines.join("\n");
    forged.push_str("\n32,torn32,crea");
    wd.write("report.csv", &forged);
    let before = server.stats().await.requests;
    run.arg("--resume").output().await.assert_code(0);
    let entries = assert_final(&wd, "report.csv", 50);
    // Rows 31-50 were sent again (they exist already), rows 1-30 were not.
    assert_eq!(server.stats().await.requests - before, 20);
    assert!(entries[..30]
        .iter()
        .all(|e| e.status == Some(Status::Created)));
    assert!(entries[30..]
        .iter()
        .all(|e| e.status == Some(Status::Exists)));
}

#[tokio::test]
async fn a_report_from_another_input_is_refused_before_any_request() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("a.csv", "alpha", 20);
    wd.users_csv("b.csv", "beta", 20);
    let run = |input: &str| wd.run(input).against(&server).report("report.csv");
    run("a.csv").output().await.assert_code(0);
    let before = server.stats().await.requests;
    let out = run("b.csv").arg("--resume").output().await.assert_code(2);
    assert!(
        out.stderr.contains("does not belong to this input"),
        "{}",
        out.stderr
    );
    assert_eq!(server.stats().await.requests, before);
    // An existing report needs --resume or --overwrite.
    run("b.csv").output().await.assert_code(2);
}

#[tokio::test]
async fn a_mismatch_found_mid_run_still_records_every_request_sent() {
    // From stdin there is no check of the whole input first: the mismatch
    // shows at row 600, after rows 1..599 were handed to the senders.
    let server = Endpoint::emulator(sample("pool.json"), &["--latency-ms", "40"]).await;
    let wd = Workdir::new();
    wd.users_csv("a.csv", "alpha", 600);
    wd.write("b.csv", &wd.read("a.csv").replace("alpha600,", "omega600,"));
    let stdin_run = || {
        wd.run("-")
            .against(&server)
            .report("report.csv")
            .args(["--format", "csv"])
    };
    stdin_run()
        .arg("--dry-run")
        .stdin_file("a.csv")
        .output()
        .await
        .assert_code(0);
    // Rows were sent before the mismatch showed: the run failed mid-way (1),
    // not a configuration error before any row was sent (2).
    let out = stdin_run()
        .args(["--resume", "--concurrency", "64", "--rate", "2000"])
        .stdin_file("b.csv")
        .output()
        .await
        .assert_code(1);
    assert!(
        out.stderr.contains("does not belong to this input"),
        "{}",
        out.stderr
    );
    let created_rows: Vec<u64> = wd
        .read_report("report.csv")
        .iter()
        .filter(|e| e.status == Some(Status::Created))
        .map(|e| e.row)
        .collect();
    let stats = server.stats().await;
    assert!(stats.created > 0, "rows before the mismatch were sent");
    assert_eq!(
        created_rows.len() as u64,
        stats.created,
        "every user the server created has its report entry"
    );
}

#[tokio::test]
async fn retry_rejected_resends_rows_after_the_pool_is_fixed() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.write(
        "users.csv",
        "username,password,email\nok1,Passw0rd-ok1,ok1@example.com\nweak,short,weak@example.com\n",
    );
    let run = wd.run("users.csv").against(&server).report("report.csv");
    run.clone().output().await.assert_code(1);
    // The user fixes the row's password, then resumes.
    wd.write(
        "users.csv",
        "username,password,email\nok1,Passw0rd-ok1,ok1@example.com\nweak,Passw0rd-fixed,weak@example.com\n",
    );
    // Without --retry-rejected the rejected row stays.
    run.clone().arg("--resume").output().await.assert_code(1);
    run.args(["--resume", "--retry-rejected"])
        .output()
        .await
        .assert_code(0);
    assert_final(&wd, "report.csv", 2);
}

#[tokio::test]
async fn retry_rejected_rechecks_invalid_rows_after_the_input_is_fixed() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    let input = |email: &str| {
        format!(
            "username,password,email\nok1,Passw0rd-ok1,ok1@example.com\nbad,Passw0rd-bad,{email}\n"
        )
    };
    wd.write("users.csv", &input("not-an-email"));
    let run = wd.run("users.csv").against(&server).report("report.csv");
    run.clone().output().await.assert_code(1);
    let entry = &wd.read_report("report.csv")[1];
    assert_eq!(
        (entry.status, entry.error_code.as_str(), entry.attempts),
        (Some(Status::Invalid), "InvalidEmail", 0)
    );
    assert_eq!(
        server.stats().await.requests,
        1,
        "the invalid row was never sent"
    );
    wd.write("users.csv", &input("bad@example.com"));
    // Without --retry-rejected the invalid row stays.
    run.clone().arg("--resume").output().await.assert_code(1);
    assert_eq!(
        wd.read_report("report.csv")[1].status,
        Some(Status::Invalid)
    );
    assert_eq!(server.stats().await.requests, 1, "nothing was sent again");
    run.args(["--resume", "--retry-rejected"])
        .output()
        .await
        .assert_code(0);
    let entries = assert_final(&wd, "report.csv", 2);
    assert_eq!(entries[1].status, Some(Status::Created));
    assert_eq!(
        server.stats().await.requests,
        2,
        "only the fixed row was sent"
    );
    assert!(server.admin_get_user("bad").await.is_some());
}

#[tokio::test]
async fn three_shards_cover_every_row_once_and_merge_into_a_single_runs_report() {
    let wd = Workdir::new();
    wd.users_csv("users.csv", "Shard", 240);
    let sharded = Endpoint::emulator(sample("pool.json"), &[]).await;
    let mut shard_reports = Vec::new();
    for k in 1..=3 {
        let report = format!("shard{k}.csv");
        wd.run("users.csv")
            .against(&sharded)
            .report(&report)
            .args(["--shard", &format!("{k}/3")])
            .output()
            .await
            .assert_code(0);
        shard_reports.push(report);
    }
    let mut seen = BTreeMap::new();
    for (k, report) in shard_reports.iter().enumerate() {
        let entries = wd.read_report(report);
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
    assert_eq!(sharded.stats().await.users, 240);

    wd.command(["merge-reports", "merged.csv"])
        .args(&shard_reports)
        .output()
        .await
        .assert_code(0);

    let single_server = Endpoint::emulator(sample("pool.json"), &[]).await;
    wd.run("users.csv")
        .against(&single_server)
        .report("single.csv")
        .output()
        .await
        .assert_code(0);
    let key = |entries: Vec<ReportEntry>| -> Vec<(u64, String, Option<Status>)> {
        entries
            .into_iter()
            .map(|e| (e.row, e.username, e.status))
            .collect()
    };
    assert_eq!(
        key(wd.read_report("merged.csv")),
        key(wd.read_report("single.csv"))
    );
}
