//! Configuration mistakes stop the run before the first request (exit 2)
//! with a message that says how to fix them; dry runs send nothing.

use crate::util::*;

#[tokio::test]
async fn an_unmapped_column_stops_before_any_request_unless_ignored() {
    let server = emulator(&sample("pool.json"), &[]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(
        dir.path(),
        "users.csv",
        "username,password,email,Internal Notes\nann,Passw0rd-x,ann@example.com,vip\n",
    );
    let report = dir.path().join("report.csv");
    let mut args = run_args(&input, &server, &report, &[]);
    let out = run_to_end(&args).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("\"Internal Notes\""), "{}", out.stderr);
    assert!(out.stderr.contains("--ignore-column"), "{}", out.stderr);
    assert!(!report.exists(), "nothing was written");
    assert_eq!(emulator_stats(&server).await.requests, 0);

    args.extend(["--ignore-column".to_owned(), "Internal Notes".to_owned()]);
    let out = run_to_end(&args).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(emulator_stats(&server).await.created, 1);
}

#[tokio::test]
async fn a_custom_attribute_the_pool_lacks_stops_before_any_request() {
    let server = emulator(&sample("pool.json"), &[]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(
        dir.path(),
        "users.csv",
        "User,Pass,Mail,Shoe\nann,Passw0rd-x,ann@example.com,42\n",
    );
    let mapping = write_file(dir.path(), "m.toml", "username = \"User\"\npassword = \"Pass\"\n[attributes]\nemail = \"Mail\"\n\"custom:shoe_size\" = { column = \"Shoe\" }\n");
    let report = dir.path().join("report.csv");
    let pool = sample("pool.json");
    let extra = [
        "--mapping",
        mapping.to_str().expect("path"),
        "--pool",
        pool.to_str().expect("path"),
    ];
    let out = run_to_end(&run_args(&input, &server, &report, &extra)).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("custom:shoe_size (from ") && out.stderr.contains("m.toml:5"),
        "names the attribute and the mapping line: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Add them to the pool"),
        "{}",
        out.stderr
    );
    assert!(!report.exists(), "nothing was written");
    assert_eq!(emulator_stats(&server).await.requests, 0);
}

#[tokio::test]
async fn an_existing_report_is_refused_without_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.csv");
    std::fs::write(&report, "keep me").expect("report");
    let out = bulk_signup(
        &[
            "run",
            sample("users.csv").to_str().expect("path"),
            "--dry-run",
            "--report",
            report.to_str().expect("path"),
        ],
        &[],
        None,
    )
    .await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--overwrite"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&report).expect("report"), "keep me");
}

#[tokio::test]
async fn missing_settings_name_the_flag_to_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.csv");
    let input = sample("users.csv");
    let cases: [(&[&str], &str); 3] = [
        (&["--region", "us-east-1"], "--client-id"),
        (&["--client-id", "abc"], "--region"),
        (
            &["--client-id", "abc", "--endpoint-url", "not a url"],
            "not an http(s) URL",
        ),
    ];
    for (extra, needle) in cases {
        let mut args = vec![
            "run",
            input.to_str().expect("path"),
            "--report",
            report.to_str().expect("path"),
        ];
        args.extend_from_slice(extra);
        let env = [("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "")];
        let out = bulk_signup(&args, &env, None).await;
        assert_eq!(out.code, 2, "{extra:?}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{extra:?}: {}", out.stderr);
    }
    assert!(!report.exists());
}

#[tokio::test]
async fn dry_run_validates_every_row_and_sends_nothing() {
    let server = emulator(&sample("pool.json"), &[]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.csv");
    let out = run_to_end(&run_args(
        &sample("users.csv"),
        &server,
        &report,
        &["--dry-run"],
    ))
    .await;
    assert_eq!(out.code, 1, "three rows are invalid: {}", out.stderr);
    let entries = read_report(&report);
    assert_eq!(entries.len(), 60);
    let invalid: Vec<u64> = entries
        .iter()
        .filter(|e| e.status == Some(bulk_signup::report::Status::Invalid))
        .map(|e| e.row)
        .collect();
    assert_eq!(invalid.len(), 3);
    assert_eq!(emulator_stats(&server).await.requests, 0);
}

#[tokio::test]
async fn emulator_flag_works_with_cognito_client_id_exported() {
    // Regression: clap counted the env var as a conflicting --client-id.
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.csv");
    let out =
        run_sample_on_built_in_emulator(&report, &[("COGNITO_CLIENT_ID", "someclient")]).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(read_report(&report).len(), 60);
}

#[tokio::test]
async fn an_unreadable_record_is_one_invalid_row_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(dir.path(), "users.csv", "username,password,email\nann,Passw0rd-ann,ann@example.com\nbob,Passw0rd-bob\ncat,Passw0rd-cat,cat@example.com\n");
    let report = dir.path().join("report.csv");
    let out = bulk_signup(
        &[
            "run",
            input.to_str().expect("path"),
            "--dry-run",
            "--report",
            report.to_str().expect("path"),
        ],
        &[],
        None,
    )
    .await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let entries = read_report(&report);
    let summary: Vec<(u64, Option<bulk_signup::report::Status>, &str)> = entries
        .iter()
        .map(|e| (e.row, e.status, e.error_code.as_str()))
        .collect();
    use bulk_signup::report::Status::{Invalid, Valid};
    assert_eq!(
        summary,
        [
            (1, Some(Valid), ""),
            (2, Some(Invalid), "UnreadableRecord"),
            (3, Some(Valid), "")
        ]
    );
    assert!(
        entries[1].error_message.contains("2 fields"),
        "{}",
        entries[1].error_message
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_stops_after_the_first_rows_attempts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("users.csv");
    users_csv(&input, "nowhere", 20);
    let report = dir.path().join("report.csv");
    let endpoint = format!("http://127.0.0.1:{}/", free_port());
    let out = bulk_signup(
        &[
            "run",
            input.to_str().expect("path"),
            "--endpoint-url",
            &endpoint,
            "--client-id",
            "abc",
            "--report",
            report.to_str().expect("path"),
            "--retry-base-ms",
            "1",
            "--retry-cap-ms",
            "5",
        ],
        &[],
        None,
    )
    .await;
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("--endpoint-url"),
        "says what to check: {}",
        out.stderr
    );
    let entries = read_report(&report);
    assert_eq!(entries.len(), 20);
    assert!(entries
        .iter()
        .all(|e| e.status == Some(bulk_signup::report::Status::Failed)));
    assert_eq!(
        entries.iter().map(|e| e.attempts).sum::<u32>(),
        8,
        "only the first row was tried"
    );
}

#[tokio::test]
async fn an_interrupted_dry_run_prints_a_command_that_works() {
    // Regression: it printed `--dry-run ... --resume`, which clap refuses.
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("users.csv");
    users_csv(&input, "dry", 400_000);
    let report = dir.path().join("report.csv");
    let child = tokio::process::Command::new(BIN)
        .args([
            "run",
            input.to_str().expect("path"),
            "--dry-run",
            "--report",
            report.to_str().expect("path"),
        ])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let (status, stderr) = signal_when_report_grows(child, &report, 1, libc::SIGINT).await;
    if status.code() == Some(0) {
        return; // finished before the signal landed: nothing to check
    }
    assert_eq!(status.code(), Some(4), "{stderr}");
    let words = printed_command(&stderr);
    assert!(
        words.last().is_some_and(|w| w == "--overwrite") && !words.iter().any(|w| w == "--resume"),
        "{words:?}"
    );
    assert_eq!(run_to_end(&words).await.code, 0);
}
