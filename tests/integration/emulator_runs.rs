//! Runs against the built-in emulator (as a separate process): reports,
//! server-side state, concurrency, configuration stops, secrets.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;

use crate::workdir::*;

fn statuses(report: &[ReportEntry]) -> HashMap<u64, Status> {
    report
        .iter()
        .map(|e| (e.row, e.status.expect("status")))
        .collect()
}

fn count(entries: &[ReportEntry], status: Status) -> usize {
    entries.iter().filter(|e| e.status == Some(status)).count()
}

fn assert_no_password(texts: &[&str], passwords: &[String]) {
    for text in texts {
        for password in passwords {
            assert!(
                !text.contains(password.as_str()),
                "a password leaked: {password}"
            );
        }
    }
}

fn sample_passwords() -> Vec<String> {
    let mut reader = csv::Reader::from_path(sample("users.csv")).expect("sample");
    reader
        .records()
        .map(|r| r.expect("record")[1].to_owned())
        .filter(|p| p.len() >= 3)
        .collect()
}

#[tokio::test]
async fn sample_csv_creates_exactly_the_good_rows_and_reports_each_row() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    let out = wd
        .run(sample("users.csv"))
        .against(&server)
        .report("report.csv")
        .errors("errors.csv")
        .output()
        .await
        .assert_code(1);
    let entries = wd.read_report("report.csv");
    assert_eq!(entries.len(), 60);
    let mut rows: Vec<u64> = entries.iter().map(|e| e.row).collect();
    rows.sort_unstable();
    assert_eq!(rows, (1..=60).collect::<Vec<u64>>());
    let by_row = statuses(&entries);
    for (row, status) in [
        (9, Status::Rejected),
        (17, Status::Rejected),
        (26, Status::Invalid),
        (35, Status::Invalid),
        (44, Status::Invalid),
        (53, Status::Rejected),
    ] {
        assert_eq!(by_row[&row], status, "row {row}");
    }
    assert_eq!(count(&entries, Status::Created), 54);
    assert_server_holds_the_created_rows(&server, &entries).await;
    // Invalid rows were never sent: 54 created + 3 rejected requests.
    assert_eq!(server.stats().await.requests, 57);
    assert_report_files_are_private_and_useful(&wd, &out);
    assert!(out.stderr.contains("created 54"), "{}", out.stderr);
}

/// Server side: exactly the created users, with the subs the report gives.
async fn assert_server_holds_the_created_rows(server: &Endpoint, entries: &[ReportEntry]) {
    let users = server.list_users().await;
    assert_eq!(users.len(), 54);
    let server_subs: HashMap<&str, &str> = users
        .iter()
        .map(|u| {
            (
                u.username.as_str(),
                attribute(&u.attributes, "sub").expect("sub"),
            )
        })
        .collect();
    for entry in entries.iter().filter(|e| e.status == Some(Status::Created)) {
        assert_eq!(
            server_subs.get(entry.username.as_str()),
            Some(&entry.user_sub.as_str())
        );
        assert_eq!(entry.attempts, 1);
        assert_eq!(entry.delivery_medium, "EMAIL");
        assert!(!entry.request_id.is_empty());
    }
    let jose = server.admin_get_user("jose.garcia").await.expect("jose");
    assert_eq!(
        attribute(&jose.user_attributes, "custom:tier"),
        Some("gold")
    );
    assert_eq!(attribute(&jose.user_attributes, "given_name"), Some("José"));
}

/// Files: owner-only, no passwords, error report has the bad rows' columns.
fn assert_report_files_are_private_and_useful(wd: &Workdir, out: &Output) {
    for name in ["report.csv", "errors.csv"] {
        let mode = std::fs::metadata(wd.path(name))
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
    let report_text = wd.read("report.csv");
    let errors_text = wd.read("errors.csv");
    assert_no_password(
        &[&report_text, &errors_text, &out.stdout, &out.stderr],
        &sample_passwords(),
    );
    let error_rows = wd.csv_rows("errors.csv");
    assert_eq!(error_rows.len(), 6);
    let phone_row = error_rows
        .iter()
        .find(|r| r["bulk-signup:row"] == "26")
        .expect("row 26");
    assert_eq!(phone_row["bulk-signup:error_code"], "InvalidPhoneNumber");
    assert_eq!(phone_row["phone_number"], "555-0199");
    assert!(!phone_row.contains_key("password"));
}

#[tokio::test]
async fn ndjson_gives_the_same_outcome_as_csv() {
    let wd = Workdir::new();
    let mut outcomes = Vec::new();
    for input in ["users.csv", "users.ndjson"] {
        let server = Endpoint::emulator(sample("pool.json"), &[]).await;
        let report = format!("{input}.report.csv");
        wd.run(sample(input))
            .against(&server)
            .report(&report)
            .output()
            .await
            .assert_code(1);
        let mut by_row: Vec<(u64, String, Status, String)> = wd
            .read_report(&report)
            .into_iter()
            .map(|e| (e.row, e.username, e.status.expect("status"), e.error_code))
            .collect();
        by_row.sort();
        let mut points: Vec<(String, String)> = server
            .list_users()
            .await
            .iter()
            .map(|u| {
                let points = attribute(&u.attributes, "custom:loyalty_points").unwrap_or("");
                (u.username.clone(), points.to_owned())
            })
            .collect();
        points.sort();
        outcomes.push((by_row, points));
    }
    assert_eq!(outcomes[0], outcomes[1]);
    assert_eq!(outcomes[0].1.len(), 54);
}

#[tokio::test]
async fn rerun_reports_exists_for_every_row_and_exits_zero() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "seed", 120);
    let run = wd
        .run("users.csv")
        .against(&server)
        .report("report.csv")
        .arg("--overwrite");
    for expected in [Status::Created, Status::Exists] {
        run.clone().output().await.assert_code(0);
        let entries = wd.read_report("report.csv");
        assert_eq!(entries.len(), 120);
        assert!(
            entries.iter().all(|e| e.status == Some(expected)),
            "expected all {expected:?}"
        );
    }
    assert_eq!(server.list_users().await.len(), 120);
}

#[tokio::test]
async fn never_more_than_concurrency_requests_in_flight() {
    let server = Endpoint::emulator(sample("pool.json"), &["--latency-ms", "40"]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "conc", 150);
    wd.run("users.csv")
        .against(&server)
        .report("report.csv")
        .args(["--concurrency", "5", "--rate", "0"])
        .output()
        .await
        .assert_code(0);
    let stats = server.stats().await;
    assert_eq!(stats.created, 150);
    assert!(stats.peak_in_flight <= 5, "peak {}", stats.peak_in_flight);
    assert!(
        stats.peak_in_flight >= 3,
        "requests did run concurrently: peak {}",
        stats.peak_in_flight
    );
}

#[tokio::test]
async fn wrong_client_id_stops_after_the_first_answer() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    let out = wd
        .run(sample("users.csv"))
        .against(&server)
        .client_id("doesnotexist123")
        .report("report.csv")
        .output()
        .await
        .assert_code(3);
    assert!(
        out.stderr.contains("ResourceNotFoundException"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--client-id"),
        "says what to fix: {}",
        out.stderr
    );
    assert_eq!(server.stats().await.requests, 1);
    let entries = wd.read_report("report.csv");
    assert_eq!(entries.len(), 60);
    let failed: Vec<_> = entries
        .iter()
        .filter(|e| e.status == Some(Status::Failed))
        .collect();
    assert_eq!(
        failed.len(),
        57,
        "every valid row is failed with the reason"
    );
    assert!(failed
        .iter()
        .all(|e| e.error_code == "ResourceNotFoundException"));
}

#[tokio::test]
async fn secret_hash_is_sent_from_env_or_file_and_a_wrong_secret_stops_the_run() {
    let wd = Workdir::new();
    let client = wd.secret_client("secretclient1", "very-secret-value-123");
    let client = client.to_str().expect("path");
    let server = Endpoint::emulator(sample("pool.json"), &["--client", client]).await;
    assert_eq!(server.client_id, "secretclient1");
    wd.users_csv("users.csv", "sec", 30);
    let secret_file = wd.write("secret.txt", "very-secret-value-123\n");
    let base = wd
        .run("users.csv")
        .against(&server)
        .client_id("secretclient1")
        .report("report.csv")
        .arg("--overwrite");

    let out = base
        .clone()
        .env("COGNITO_CLIENT_SECRET", "wrong-secret")
        .output()
        .await
        .assert_code(3);
    assert!(
        out.stderr.contains("NotAuthorizedException"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("wrong-secret"));

    base.clone()
        .env("COGNITO_CLIENT_SECRET", "very-secret-value-123")
        .output()
        .await
        .assert_code(0);
    assert!(wd
        .read_report("report.csv")
        .iter()
        .all(|e| e.status == Some(Status::Created)));

    base.arg("--client-secret-file")
        .arg(secret_file)
        .output()
        .await
        .assert_code(0);
    assert!(wd
        .read_report("report.csv")
        .iter()
        .all(|e| e.status == Some(Status::Exists)));
    assert!(!wd.read("report.csv").contains("very-secret-value-123"));
}

#[tokio::test]
async fn stdin_input_needs_a_format_and_then_works() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    let run = wd
        .run("-")
        .against(&server)
        .report("report.ndjson")
        .stdin_file(sample("users.ndjson"));
    let out = run.clone().output().await.assert_code(2);
    assert!(out.stderr.contains("--format"));
    run.args(["--format", "ndjson"])
        .output()
        .await
        .assert_code(1);
    let lines: Vec<serde_json::Value> = wd
        .read("report.ndjson")
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson entry"))
        .collect();
    assert_eq!(lines.len(), 60);
    assert_eq!(
        lines.iter().filter(|l| l["status"] == "created").count(),
        54
    );
}

#[tokio::test]
async fn faults_and_dropped_answers_still_end_with_one_user_per_row() {
    let faults = [
        "--fault-rate",
        "0.1",
        "--drop-rate",
        "0.05",
        "--quota",
        "150",
        "--burst",
        "30",
    ];
    let server = Endpoint::emulator(sample("pool.json"), &faults).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "flaky", 300);
    let out = wd
        .run("users.csv")
        .against(&server)
        .report("report.csv")
        .args(["--rate", "300", "--concurrency", "32"])
        .args(["--timeout-seconds", "5"])
        .output()
        .await;
    let entries = wd.read_report("report.csv");
    let not_done: Vec<_> = entries
        .iter()
        .filter(|e| !matches!(e.status, Some(Status::Created | Status::Exists)))
        .collect();
    if out.code != 0 {
        eprintln!("rows not created or existing: {not_done:#?}");
    }
    out.assert_code(0);
    assert_eq!(entries.len(), 300);
    assert!(entries
        .iter()
        .all(|e| matches!(e.status, Some(Status::Created | Status::Exists))));
    let stats = server.stats().await;
    assert!(
        stats.faults > 0 && stats.drops > 0 && stats.throttled > 0,
        "{stats:?}"
    );
    let users = server.list_users().await;
    assert_eq!(users.len(), 300, "exactly one user per row");
    // Every row the report calls `exists` came from a lost answer, and says so.
    for e in entries.iter().filter(|e| e.status == Some(Status::Exists)) {
        assert_eq!(e.note, LOST_ANSWER_NOTE, "row {}", e.row);
    }
    assert!(entries.iter().any(|e| e.attempts > 1));
}

#[tokio::test]
async fn built_in_emulator_flag_runs_the_main_job() {
    let wd = Workdir::new();
    let out = wd
        .run(sample("users.csv"))
        .arg("--emulator")
        .arg(sample("pool.json"))
        .report("report.csv")
        .output()
        .await
        .assert_code(1);
    let entries = wd.read_report("report.csv");
    assert_eq!(entries.len(), 60);
    assert_eq!(count(&entries, Status::Created), 54);
    assert!(out.stderr.contains("60 rows"), "{}", out.stderr);
}

#[tokio::test]
async fn adaptive_pacing_settles_below_a_quota_lower_than_the_rate() {
    // Regression: the dispatcher never told the pacer about throttles.
    let server = Endpoint::emulator(sample("pool.json"), &["--quota", "30", "--burst", "6"]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "quota", 200);
    let out = wd
        .run("users.csv")
        .against(&server)
        .report("report.csv")
        .output()
        .await
        .assert_code(0);
    let final_rate = out.final_rate();
    assert!(
        final_rate < 40.0,
        "the default 50/s was cut towards the 30/s quota: {final_rate}"
    );
    let stats = server.stats().await;
    assert!(stats.throttled > 0, "{stats:?}");
    assert_eq!(stats.users, 200);
    // Fixed pacing at 50/s against 30/s would be throttled on ~40% of requests.
    assert!(
        stats.throttled * 5 < stats.requests,
        "adaptive pacing keeps throttling well below fixed pacing's: {stats:?}"
    );
}

#[tokio::test]
async fn a_hit_message_quota_means_created_without_retry() {
    // LimitExceededException: Cognito created the user but sent no message.
    let server = Endpoint::emulator(sample("pool.json"), &["--message-quota", "4"]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "mail", 10);
    wd.run("users.csv")
        .against(&server)
        .report("report.csv")
        .output()
        .await
        .assert_code(0);
    let entries = wd.read_report("report.csv");
    assert!(entries
        .iter()
        .all(|e| e.status == Some(Status::Created) && e.attempts == 1));
    let over_quota: Vec<_> = entries
        .iter()
        .filter(|e| e.error_code == "LimitExceededException")
        .collect();
    assert_eq!(over_quota.len(), 6);
    assert!(over_quota
        .iter()
        .all(|e| e.note.contains("no confirmation message")));
    let stats = server.stats().await;
    assert_eq!(
        (stats.requests, stats.users),
        (10, 10),
        "never retried, all created"
    );
}

#[tokio::test]
async fn lambda_faults_are_retried_at_most_twice() {
    let server = Endpoint::emulator(sample("pool.json"), &["--lambda-fault-rate", "1"]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "lambda", 5);
    wd.run("users.csv")
        .against(&server)
        .report("report.csv")
        .args(["--retry-base-ms", "1", "--retry-cap-ms", "5"])
        .output()
        .await
        .assert_code(1);
    for e in wd.read_report("report.csv") {
        assert_eq!(e.status, Some(Status::Failed), "row {}", e.row);
        assert_eq!(
            e.attempts, 3,
            "row {}: the first attempt and two retries",
            e.row
        );
        assert_eq!(e.error_code, "UnexpectedLambdaException");
    }
    assert_eq!(server.stats().await.requests, 15);
}

#[tokio::test]
async fn a_reachable_but_failing_endpoint_is_not_called_unreachable() {
    // Every answer is an HTTP 500: the first row gives up, but the endpoint
    // answered, so the run goes on (exit 1, not 3) and tries every row.
    let server = Endpoint::emulator(sample("pool.json"), &["--fault-rate", "1"]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "sick", 4);
    let out = wd
        .run("users.csv")
        .against(&server)
        .report("report.csv")
        .args(["--retry-base-ms", "1", "--retry-cap-ms", "2"])
        .args(["--max-attempts", "3"])
        .output()
        .await
        .assert_code(1);
    assert!(
        !out.stderr.contains("EndpointUnreachable"),
        "{}",
        out.stderr
    );
    assert!(wd
        .read_report("report.csv")
        .iter()
        .all(|e| e.attempts == 3 && e.error_code == "InternalErrorException"));
    assert_eq!(server.stats().await.requests, 12);
}
