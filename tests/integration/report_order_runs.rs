//! The report comes out in row order as it is written: rows finishing in
//! any order, refused rows among them, and rows held back by throttling
//! (then the report is rewritten at the end). Either way the final report
//! and the error report hold every row once, in row order.

use crate::workdir::*;

/// 300 users, every tenth with an email the local checks refuse.
fn users_with_refusals(wd: &Workdir) {
    let mut csv = String::from("username,password,email\n");
    for i in 1..=300 {
        let email = match i % 10 {
            0 => format!("order{i}-at-example.com"),
            _ => format!("order{i}@example.com"),
        };
        csv.push_str(&format!("order{i},Pw-{i}-Secret9x,{email}\n"));
    }
    wd.write("users.csv", &csv);
}

/// Exit code 1: the refused rows.
fn assert_every_row_once_in_order(wd: &Workdir) {
    let rows: Vec<u64> = wd.read_report("report.csv").iter().map(|e| e.row).collect();
    assert_eq!(rows, (1..=300).collect::<Vec<u64>>());
    let failed: Vec<u64> = wd
        .csv_rows("errors.csv")
        .iter()
        .map(|r| r["bulk-signup:row"].parse().expect("row"))
        .collect();
    assert_eq!(failed, (1..=30).map(|i| i * 10).collect::<Vec<u64>>());
}

#[tokio::test]
async fn a_fast_run_writes_its_report_in_row_order_and_needs_no_rewrite() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    users_with_refusals(&wd);
    // Rows wait for an earlier one for one flush interval at most: a machine
    // stalled that long lets them out of order (then the report is
    // rewritten). Three tries make that unlikely to hide a working reorder.
    let mut said = Vec::new();
    for _ in 0..3 {
        let out = wd
            .run("users.csv")
            .against(&server)
            .report("report.csv")
            .errors("errors.csv")
            .args(["--overwrite", "--concurrency", "16", "--rate", "0", "-v"])
            .output()
            .await
            .assert_code(1);
        assert_every_row_once_in_order(&wd);
        if out.stderr.contains("final as written") {
            return;
        }
        said.push(out.stderr);
    }
    panic!("every run rewrote its report: {said:?}");
}

#[tokio::test]
async fn rows_held_back_by_throttling_leave_a_report_that_is_rewritten_in_order() {
    let server = Endpoint::emulator(sample("pool.json"), &["--quota", "40", "--burst", "4"]).await;
    let wd = Workdir::new();
    users_with_refusals(&wd);
    let out = wd
        .run("users.csv")
        .against(&server)
        .report("report.csv")
        .errors("errors.csv")
        .args(["--rate", "80", "--fixed-rate", "--max-attempts", "30"])
        .args(["--retry-base-ms", "150", "--retry-cap-ms", "400", "-v"])
        .output()
        .await
        .assert_code(1);
    assert!(
        out.stderr.contains("rewriting the report"),
        "{}",
        out.stderr
    );
    assert_every_row_once_in_order(&wd);
}
