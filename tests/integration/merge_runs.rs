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

#[tokio::test]
async fn a_missing_report_is_named_and_nothing_is_written() {
    let wd = Workdir::new();
    two_shards(&wd).await;
    let out = wd
        .command(["merge-reports", "out.csv", "a.csv", "nothere.csv"])
        .output()
        .await
        .assert_code(2);
    assert!(
        out.stderr.contains("cannot open report nothere.csv"),
        "{}",
        out.stderr
    );
    assert!(!wd.exists("out.csv"));
}

#[tokio::test]
async fn overlapping_rows_are_refused_with_both_reports_named() {
    let wd = Workdir::new();
    two_shards(&wd).await;
    let out = wd
        .command(["merge-reports", "out.csv", "a.csv", "a.csv"])
        .output()
        .await
        .assert_code(2);
    assert!(
        out.stderr.contains(" is in both a.csv and a.csv"),
        "{}",
        out.stderr
    );
}

/// b.csv as a run under way leaves it: an append log, rows out of order.
fn unfinish(wd: &Workdir) {
    let text = wd.read("b.csv");
    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(1, 2);
    wd.write("b.csv", &(lines.join("\n") + "\n"));
}

#[tokio::test]
async fn a_refused_merge_leaves_no_half_merged_output() {
    let wd = Workdir::new();
    two_shards(&wd).await;
    wd.command(["merge-reports", "out.csv", "a.csv", "a.csv"])
        .output()
        .await
        .assert_code(2);
    assert!(
        !wd.exists("out.csv"),
        "overlap: a refused merge leaves no output: {:?}",
        std::fs::read_to_string(wd.path("out.csv"))
    );
    unfinish(&wd);
    wd.command(["merge-reports", "out2.csv", "a.csv", "b.csv"])
        .output()
        .await
        .assert_code(2);
    assert!(
        !wd.exists("out2.csv"),
        "unfinished shard: a refused merge leaves no output: {:?}",
        std::fs::read_to_string(wd.path("out2.csv"))
    );
}

#[tokio::test]
async fn an_unfinished_shard_is_refused() {
    let wd = Workdir::new();
    two_shards(&wd).await;
    unfinish(&wd);
    let out = wd
        .command(["merge-reports", "out.csv", "a.csv", "b.csv"])
        .output()
        .await
        .assert_code(2);
    assert!(
        out.stderr.contains("b.csv is not in row order"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("finish (or resume) that shard"),
        "{}",
        out.stderr
    );
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
async fn the_existing_output_message_names_only_flags_merge_reports_has() {
    let wd = Workdir::new();
    two_shards(&wd).await;
    wd.write("out.csv", "keep me");
    let out = wd
        .command(["merge-reports", "out.csv", "a.csv", "b.csv"])
        .output()
        .await
        .assert_code(2);
    assert!(
        !out.stderr.contains("--resume"),
        "merge-reports has no --resume: {}",
        out.stderr
    );
}
