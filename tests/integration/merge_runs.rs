//! `bulk-signup merge-reports` refusals: a missing report, overlapping
//! rows, an unfinished shard and an existing output each exit 2 with a
//! message that says what is wrong, and leave no half-merged output.

use crate::workdir::*;

/// The reports of shards 1/2 and 2/2 (a.csv, b.csv) of one 20-row input
/// (dry runs: no server needed).
async fn two_shards(wd: &Workdir) {
    wd.users_csv("users.csv", "merge", 20);
    for (name, shard) in [("a.csv", "1/2"), ("b.csv", "2/2")] {
        wd.run("users.csv")
            .args(["--dry-run", "--shard", shard])
            .report(name)
            .output()
            .await
            .assert_code(0);
        assert!(wd.read_report(name).len() >= 2, "shard {shard} has rows");
    }
}

/// Runs `merge-reports OUT REPORT…` expecting a refusal: exit 2, each of
/// `said` in the message, and no OUT written.
async fn refused(wd: &Workdir, args: &[&str], said: &[&str]) {
    let out = wd
        .command(["merge-reports"])
        .args(args)
        .output()
        .await
        .assert_code(2);
    for text in said {
        assert!(out.stderr.contains(text), "{args:?}: {}", out.stderr);
    }
    assert!(
        !wd.exists(args[0]),
        "{args:?}: a refused merge wrote {:?}",
        std::fs::read_to_string(wd.path(args[0]))
    );
}

#[tokio::test]
async fn a_missing_report_is_named_and_nothing_is_written() {
    let wd = Workdir::new();
    two_shards(&wd).await;
    let args = ["out.csv", "a.csv", "nothere.csv"];
    refused(&wd, &args, &["cannot open report nothere.csv"]).await;
}

#[tokio::test]
async fn one_shard_twice_is_refused_with_both_reports_named() {
    let wd = Workdir::new();
    two_shards(&wd).await;
    let args = ["out.csv", "a.csv", "a.csv"];
    refused(&wd, &args, &["a.csv and a.csv are both shard 1/2"]).await;
}

#[tokio::test]
async fn two_of_three_shards_merge_with_the_missing_rows_named_and_exit_1() {
    let wd = Workdir::new();
    wd.users_csv("users.csv", "third", 30);
    for k in 1..=3 {
        wd.run("users.csv")
            .args(["--dry-run", "--shard", &format!("{k}/3")])
            .report(&format!("s{k}.csv"))
            .output()
            .await
            .assert_code(0);
    }
    let missing: Vec<u64> = wd.read_report("s2.csv").iter().map(|e| e.row).collect();
    let out = wd
        .command(["merge-reports", "out.csv", "s1.csv", "s3.csv"])
        .output()
        .await
        .assert_code(1);
    assert!(
        out.stderr.contains("missing shard reports: 2/3"),
        "{}",
        out.stderr
    );
    let count = format!("{} of the input's 30 rows", missing.len());
    assert!(out.stderr.contains(&count), "{}", out.stderr);
    assert!(
        out.stderr.contains(&missing[0].to_string()),
        "{}",
        out.stderr
    );
    assert_eq!(wd.read_report("out.csv").len(), 30 - missing.len());
    // With the third shard, the merge is whole.
    wd.command(["merge-reports", "all.csv", "s1.csv", "s2.csv", "s3.csv"])
        .output()
        .await
        .assert_code(0);
    assert_eq!(wd.read_report("all.csv").len(), 30);
}

#[tokio::test]
async fn a_shard_interrupted_before_it_finished_is_refused() {
    let wd = Workdir::new();
    two_shards(&wd).await;
    // A run under way (or stopped by a signal) has no shard record yet.
    std::fs::remove_file(wd.path("b.csv.shard.json")).expect("record");
    let said = ["b.csv is not the report of a finished --shard run"];
    refused(&wd, &["out.csv", "a.csv", "b.csv"], &said).await;
}

/// b.csv as a run under way leaves it: an append log, rows out of order.
fn unfinish(wd: &Workdir) {
    let text = wd.read("b.csv");
    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(1, 2);
    wd.write("b.csv", &(lines.join("\n") + "\n"));
}

#[tokio::test]
async fn an_unfinished_shard_is_refused_and_nothing_is_written() {
    let wd = Workdir::new();
    two_shards(&wd).await;
    unfinish(&wd);
    let said = ["b.csv is not in row order", "finish (or resume) that shard"];
    refused(&wd, &["out.csv", "a.csv", "b.csv"], &said).await;
}

#[tokio::test]
async fn an_existing_output_is_kept_without_overwrite_and_replaced_with_it() {
    let wd = Workdir::new();
    two_shards(&wd).await;
    wd.write("out.csv", "keep me");
    let merge = wd.command(["merge-reports", "out.csv", "a.csv", "b.csv"]);
    let out = merge.clone().output().await.assert_code(2);
    assert!(
        out.stderr.contains("out.csv already exists") && out.stderr.contains("--overwrite"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("--resume"),
        "merge-reports has no --resume: {}",
        out.stderr
    );
    assert_eq!(wd.read("out.csv"), "keep me");
    let out = merge.arg("--overwrite").output().await.assert_code(0);
    assert!(out.stderr.contains("merged 20 rows"), "{}", out.stderr);
    let rows: Vec<(u64, String)> = wd
        .read_report("out.csv")
        .into_iter()
        .map(|e| (e.row, e.username))
        .collect();
    let expected: Vec<(u64, String)> = (1..=20).map(|i| (i, format!("merge{i}"))).collect();
    assert_eq!(rows, expected);
}

#[tokio::test]
async fn an_interrupted_shard_run_leaves_no_shard_record_even_over_an_old_one() {
    let server = Endpoint::emulator(sample("pool.json"), &["--latency-ms", "50"]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "cut", 60);
    let run = wd.run("users.csv").against(&server).report("s1.csv").args([
        "--shard",
        "1/2",
        "--concurrency",
        "1",
    ]);
    run.clone()
        .args(["--dry-run"])
        .output()
        .await
        .assert_code(0);
    assert!(
        wd.exists("s1.csv.shard.json"),
        "a finished shard run leaves its record"
    );
    // A stale record beside a report about to be written afresh.
    std::fs::remove_file(wd.path("s1.csv")).expect("old report");
    run.signal_when_grown("s1.csv", 3, libc::SIGINT)
        .output()
        .await
        .assert_code(4);
    assert!(
        !wd.exists("s1.csv.shard.json"),
        "an interrupted run kept the old record"
    );
}
