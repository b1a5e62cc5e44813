//! Runs against the built-in emulator (as a separate process): reports,
//! server-side state, concurrency, configuration stops, secrets.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;

use bulk_signup::report::Status;

use crate::util::*;

fn statuses(report: &[bulk_signup::report::ReportEntry]) -> HashMap<u64, Status> {
    report
        .iter()
        .map(|e| (e.row, e.status.expect("status")))
        .collect()
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
    let server = emulator(&sample("pool.json"), &[]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.csv");
    let errors = dir.path().join("errors.csv");
    let out = run_to_end(&run_args(
        &sample("users.csv"),
        &server,
        &report,
        &["--errors", errors.to_str().expect("path")],
    ))
    .await;
    assert_eq!(out.code, 1, "some rows are bad: {}", out.stderr);
    let entries = read_report(&report);
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
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.status == Some(Status::Created))
            .count(),
        54
    );

    // Server side: exactly the created users, with the subs the report gives.
    let users = list_users(&server.endpoint, &server.pool_id).await;
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
    let jose = admin_get_user(&server.endpoint, &server.pool_id, "jose.garcia")
        .await
        .expect("jose");
    assert_eq!(
        attribute(&jose.user_attributes, "custom:tier"),
        Some("gold")
    );
    assert_eq!(attribute(&jose.user_attributes, "given_name"), Some("José"));

    // Invalid rows were never sent: 54 created + 3 rejected requests.
    let stats = emulator_stats(&server).await;
    assert_eq!(stats.requests, 57);

    // Files: owner-only, no passwords, error report has the bad rows' columns.
    for path in [&report, &errors] {
        let mode = std::fs::metadata(path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
    let report_text = std::fs::read_to_string(&report).expect("report");
    let errors_text = std::fs::read_to_string(&errors).expect("errors");
    assert_no_password(
        &[&report_text, &errors_text, &out.stdout, &out.stderr],
        &sample_passwords(),
    );
    let error_rows = read_csv_rows(&errors);
    assert_eq!(error_rows.len(), 6);
    let phone_row = error_rows
        .iter()
        .find(|r| r["row"] == "26")
        .expect("row 26");
    assert_eq!(phone_row["error_code"], "InvalidPhoneNumber");
    assert_eq!(phone_row["phone_number"], "555-0199");
    assert!(!phone_row.contains_key("password"));
    assert!(out.stderr.contains("created 54"), "{}", out.stderr);
}

fn read_csv_rows(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("csv");
    let headers = reader.headers().expect("headers").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn ndjson_gives_the_same_outcome_as_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut outcomes = Vec::new();
    for input in ["users.csv", "users.ndjson"] {
        let server = emulator(&sample("pool.json"), &[]).await;
        let report = dir.path().join(format!("{input}.report.csv"));
        let out = run_to_end(&run_args(&sample(input), &server, &report, &[])).await;
        assert_eq!(out.code, 1, "{}", out.stderr);
        let mut by_row: Vec<(u64, String, Status, String)> = read_report(&report)
            .into_iter()
            .map(|e| (e.row, e.username, e.status.expect("status"), e.error_code))
            .collect();
        by_row.sort();
        let users = list_users(&server.endpoint, &server.pool_id).await;
        let mut points: Vec<(String, String)> = users
            .iter()
            .map(|u| {
                (
                    u.username.clone(),
                    attribute(&u.attributes, "custom:loyalty_points")
                        .unwrap_or("")
                        .to_owned(),
                )
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
    let server = emulator(&sample("pool.json"), &[]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("users.csv");
    users_csv(&input, "seed", 120);
    let report = dir.path().join("report.csv");
    let args = |report: &std::path::Path| {
        vec![
            "run".to_owned(),
            input.to_str().expect("path").to_owned(),
            "--endpoint-url".into(),
            server.endpoint.clone(),
            "--client-id".into(),
            server.client_id.clone(),
            "--report".into(),
            report.to_str().expect("path").to_owned(),
            "--overwrite".into(),
        ]
    };
    for expected in [Status::Created, Status::Exists] {
        let argv = args(&report);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let out = bulk_signup(&argv, &[], None).await;
        assert_eq!(out.code, 0, "{}", out.stderr);
        let entries = read_report(&report);
        assert_eq!(entries.len(), 120);
        assert!(
            entries.iter().all(|e| e.status == Some(expected)),
            "expected all {expected:?}"
        );
    }
    assert_eq!(
        list_users(&server.endpoint, &server.pool_id).await.len(),
        120
    );
}

#[tokio::test]
async fn never_more_than_concurrency_requests_in_flight() {
    let job = Job::new(&["--latency-ms", "40"], "conc", 150).await;
    let server = &job.server;
    let out = job.run(&["--concurrency", "5", "--rate", "0"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let stats = emulator_stats(server).await;
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
    let server = emulator(&sample("pool.json"), &[]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.csv");
    let out = bulk_signup(
        &[
            "run",
            sample("users.csv").to_str().expect("path"),
            "--endpoint-url",
            &server.endpoint,
            "--client-id",
            "doesnotexist123",
            "--report",
            report.to_str().expect("path"),
        ],
        &[],
        None,
    )
    .await;
    assert_eq!(out.code, 3, "{}", out.stderr);
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
    assert_eq!(emulator_stats(&server).await.requests, 1);
    let entries = read_report(&report);
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
    let dir = tempfile::tempdir().expect("tempdir");
    let client = write_file(
        dir.path(),
        "client.json",
        r#"{"UserPoolClient": {"ClientId": "secretclient1", "ClientSecret": "very-secret-value-123", "UserPoolId": "us-east-1_SAMPLE1"}}"#,
    );
    let server = emulator(
        &sample("pool.json"),
        &["--client", client.to_str().expect("path")],
    )
    .await;
    assert_eq!(server.client_id, "secretclient1");
    let input = dir.path().join("users.csv");
    users_csv(&input, "sec", 30);
    let secret_file = dir.path().join("secret.txt");
    std::fs::write(&secret_file, "very-secret-value-123\n").expect("secret file");
    let report = dir.path().join("report.csv");
    let base = [
        "run",
        input.to_str().expect("path"),
        "--endpoint-url",
        &server.endpoint,
        "--client-id",
        "secretclient1",
        "--report",
        report.to_str().expect("path"),
        "--overwrite",
    ];

    let out = bulk_signup(&base, &[("COGNITO_CLIENT_SECRET", "wrong-secret")], None).await;
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("NotAuthorizedException"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("wrong-secret"));

    let out = bulk_signup(
        &base,
        &[("COGNITO_CLIENT_SECRET", "very-secret-value-123")],
        None,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(read_report(&report)
        .iter()
        .all(|e| e.status == Some(Status::Created)));

    let mut with_file: Vec<&str> = base.to_vec();
    with_file.extend(["--client-secret-file", secret_file.to_str().expect("path")]);
    let out = bulk_signup(&with_file, &[], None).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(read_report(&report)
        .iter()
        .all(|e| e.status == Some(Status::Exists)));
    let text = std::fs::read_to_string(&report).expect("report");
    assert!(!text.contains("very-secret-value-123"));
}

#[tokio::test]
async fn stdin_input_needs_a_format_and_then_works() {
    let server = emulator(&sample("pool.json"), &[]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.ndjson");
    let stdin = sample("users.ndjson");
    let mut args = run_args(std::path::Path::new("-"), &server, &report, &[]);
    let out = run_to_end_with_stdin(&args, &stdin).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--format"));
    args.extend(["--format".to_owned(), "ndjson".to_owned()]);
    let out = run_to_end_with_stdin(&args, &stdin).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&report)
        .expect("report")
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
    let server = emulator(
        &sample("pool.json"),
        &[
            "--fault-rate",
            "0.1",
            "--drop-rate",
            "0.05",
            "--quota",
            "150",
            "--burst",
            "30",
        ],
    )
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("users.csv");
    users_csv(&input, "flaky", 300);
    let report = dir.path().join("report.csv");
    let out = run_to_end(&run_args(
        &input,
        &server,
        &report,
        &[
            "--rate",
            "300",
            "--concurrency",
            "32",
            "--timeout-seconds",
            "5",
        ],
    ))
    .await;
    let entries = read_report(&report);
    let not_done: Vec<_> = entries
        .iter()
        .filter(|e| !matches!(e.status, Some(Status::Created | Status::Exists)))
        .collect();
    assert_eq!(out.code, 0, "{}\n{not_done:#?}", out.stderr);
    assert_eq!(entries.len(), 300);
    assert!(entries
        .iter()
        .all(|e| matches!(e.status, Some(Status::Created | Status::Exists))));
    let stats = emulator_stats(&server).await;
    assert!(
        stats.faults > 0 && stats.drops > 0 && stats.throttled > 0,
        "{stats:?}"
    );
    let users = list_users(&server.endpoint, &server.pool_id).await;
    assert_eq!(users.len(), 300, "exactly one user per row");
    // Every row the report calls `exists` came from a lost answer, and says so.
    for e in entries.iter().filter(|e| e.status == Some(Status::Exists)) {
        assert_eq!(
            e.note,
            bulk_signup::report::LOST_ANSWER_NOTE,
            "row {}",
            e.row
        );
    }
    assert!(entries.iter().any(|e| e.attempts > 1));
}

#[tokio::test]
async fn built_in_emulator_flag_runs_the_main_job() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.csv");
    let out = run_sample_on_built_in_emulator(&report, &[]).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let entries = read_report(&report);
    assert_eq!(entries.len(), 60);
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.status == Some(Status::Created))
            .count(),
        54
    );
    assert!(out.stderr.contains("60 rows"), "{}", out.stderr);
}

#[tokio::test]
async fn adaptive_pacing_settles_below_a_quota_lower_than_the_rate() {
    // Regression: the dispatcher never told the pacer about throttles.
    let job = Job::new(&["--quota", "30", "--burst", "6"], "quota", 200).await;
    let server = &job.server;
    let out = job.run(&[]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let final_rate: f64 = out
        .stderr
        .split("pacing at ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("the summary gives the final pacing rate");
    assert!(
        final_rate < 40.0,
        "the default 50/s was cut towards the 30/s quota: {final_rate}"
    );
    let stats = emulator_stats(server).await;
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
    let job = Job::new(&["--message-quota", "4"], "mail", 10).await;
    let (server, report) = (&job.server, &job.report);
    let out = job.run(&[]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let entries = read_report(report);
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
    let stats = emulator_stats(server).await;
    assert_eq!(
        (stats.requests, stats.users),
        (10, 10),
        "never retried, all created"
    );
}

#[tokio::test]
async fn lambda_faults_are_retried_at_most_twice() {
    let job = Job::new(&["--lambda-fault-rate", "1"], "lambda", 5).await;
    let (server, report) = (&job.server, &job.report);
    let out = job
        .run(&["--retry-base-ms", "1", "--retry-cap-ms", "5"])
        .await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    for e in read_report(report) {
        assert_eq!(e.status, Some(Status::Failed), "row {}", e.row);
        assert_eq!(
            e.attempts, 3,
            "row {}: the first attempt and two retries",
            e.row
        );
        assert_eq!(e.error_code, "UnexpectedLambdaException");
    }
    assert_eq!(emulator_stats(server).await.requests, 15);
}

#[tokio::test]
async fn a_reachable_but_failing_endpoint_is_not_called_unreachable() {
    // Every answer is an HTTP 500: the first row gives up, but the endpoint
    // answered, so the run goes on (exit 1, not 3) and tries every row.
    let server = emulator(&sample("pool.json"), &["--fault-rate", "1"]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("users.csv");
    users_csv(&input, "sick", 4);
    let report = dir.path().join("report.csv");
    let fast = [
        "--retry-base-ms",
        "1",
        "--retry-cap-ms",
        "2",
        "--max-attempts",
        "3",
    ];
    let out = run_to_end(&run_args(&input, &server, &report, &fast)).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        !out.stderr.contains("EndpointUnreachable"),
        "{}",
        out.stderr
    );
    assert!(read_report(&report)
        .iter()
        .all(|e| e.attempts == 3 && e.error_code == "InternalErrorException"));
    assert_eq!(emulator_stats(&server).await.requests, 12);
}
