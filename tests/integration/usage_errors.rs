//! Configuration mistakes stop the run before the first request (exit 2)
//! with a message that says how to fix them; dry runs send nothing, and an
//! interrupted dry run prints a command that checks the input again.

use crate::endpoint::free_port;
use crate::workdir::*;

#[tokio::test]
async fn an_unmapped_column_stops_before_any_request_unless_ignored() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.write(
        "users.csv",
        "username,password,email,Internal Notes\nann,Passw0rd-x,ann@example.com,vip\n",
    );
    let run = wd.run("users.csv").against(&server).report("report.csv");
    let out = run.clone().output().await.assert_code(2);
    assert!(out.stderr.contains("\"Internal Notes\""), "{}", out.stderr);
    assert!(out.stderr.contains("--ignore-column"), "{}", out.stderr);
    assert!(!wd.exists("report.csv"), "nothing was written");
    assert_eq!(server.stats().await.requests, 0);

    run.args(["--ignore-column", "Internal Notes"])
        .output()
        .await
        .assert_code(0);
    assert_eq!(server.stats().await.created, 1);
}

#[tokio::test]
async fn a_custom_attribute_the_pool_lacks_stops_before_any_request() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.write(
        "users.csv",
        "User,Pass,Mail,Shoe\nann,Passw0rd-x,ann@example.com,42\n",
    );
    let mapping = wd.write("m.toml", "username = \"User\"\npassword = \"Pass\"\n[attributes]\nemail = \"Mail\"\n\"custom:shoe_size\" = { column = \"Shoe\" }\n");
    let out = wd
        .run("users.csv")
        .against(&server)
        .report("report.csv")
        .arg("--mapping")
        .arg(mapping)
        .arg("--pool")
        .arg(sample("pool.json"))
        .output()
        .await
        .assert_code(2);
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
    assert!(!wd.exists("report.csv"), "nothing was written");
    assert_eq!(server.stats().await.requests, 0);
}

#[tokio::test]
async fn an_existing_report_is_refused_without_overwrite() {
    let wd = Workdir::new();
    wd.write("report.csv", "keep me");
    let out = wd
        .run(sample("users.csv"))
        .arg("--dry-run")
        .report("report.csv")
        .output()
        .await
        .assert_code(2);
    assert!(out.stderr.contains("--overwrite"), "{}", out.stderr);
    assert_eq!(wd.read("report.csv"), "keep me");
}

#[tokio::test]
async fn missing_settings_name_the_flag_to_use() {
    let wd = Workdir::new();
    let cases: [(&[&str], &str); 3] = [
        (&["--region", "us-east-1"], "--client-id"),
        (&["--client-id", "abc"], "--region"),
        (
            &["--client-id", "abc", "--endpoint-url", "not a url"],
            "not an http(s) URL",
        ),
    ];
    for (extra, needle) in cases {
        let out = wd
            .run(sample("users.csv"))
            .report("report.csv")
            .args(extra)
            .env("AWS_REGION", "")
            .env("AWS_DEFAULT_REGION", "")
            .output()
            .await
            .assert_code(2);
        assert!(out.stderr.contains(needle), "{extra:?}: {}", out.stderr);
    }
    assert!(!wd.exists("report.csv"));
}

#[tokio::test]
async fn dry_run_validates_every_row_and_sends_nothing() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    // Exit 1: three rows are invalid.
    wd.run(sample("users.csv"))
        .against(&server)
        .report("report.csv")
        .arg("--dry-run")
        .output()
        .await
        .assert_code(1);
    let entries = wd.read_report("report.csv");
    assert_eq!(entries.len(), 60);
    let invalid: Vec<u64> = entries
        .iter()
        .filter(|e| e.status == Some(Status::Invalid))
        .map(|e| e.row)
        .collect();
    assert_eq!(invalid.len(), 3);
    assert_eq!(server.stats().await.requests, 0);
}

#[tokio::test]
async fn emulator_flag_works_with_cognito_client_id_exported() {
    // Regression: clap counted the env var as a conflicting --client-id.
    let wd = Workdir::new();
    wd.run(sample("users.csv"))
        .arg("--emulator")
        .arg(sample("pool.json"))
        .report("report.csv")
        .env("COGNITO_CLIENT_ID", "someclient")
        .output()
        .await
        .assert_code(1);
    assert_eq!(wd.read_report("report.csv").len(), 60);
}

#[tokio::test]
async fn an_unreadable_record_is_one_invalid_row_and_the_run_goes_on() {
    let wd = Workdir::new();
    wd.write("users.csv", "username,password,email\nann,Passw0rd-ann,ann@example.com\nbob,Passw0rd-bob\ncat,Passw0rd-cat,cat@example.com\n");
    wd.run("users.csv")
        .arg("--dry-run")
        .report("report.csv")
        .output()
        .await
        .assert_code(1);
    let entries = wd.read_report("report.csv");
    let summary: Vec<(u64, Option<Status>, &str)> = entries
        .iter()
        .map(|e| (e.row, e.status, e.error_code.as_str()))
        .collect();
    use Status::{Invalid, Valid};
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
    let wd = Workdir::new();
    wd.users_csv("users.csv", "nowhere", 20);
    let out = wd
        .run("users.csv")
        .args([
            "--endpoint-url",
            &format!("http://127.0.0.1:{}/", free_port()),
        ])
        .args(["--client-id", "abc"])
        .report("report.csv")
        .args(["--retry-base-ms", "1", "--retry-cap-ms", "5"])
        .output()
        .await
        .assert_code(3);
    assert!(
        out.stderr.contains("--endpoint-url"),
        "says what to check: {}",
        out.stderr
    );
    let entries = wd.read_report("report.csv");
    assert_eq!(entries.len(), 20);
    assert!(entries.iter().all(|e| e.status == Some(Status::Failed)));
    assert_eq!(
        entries.iter().map(|e| e.attempts).sum::<u32>(),
        8,
        "only the first row was tried"
    );
}

#[tokio::test]
async fn an_interrupted_dry_run_prints_a_command_that_works() {
    // Regression: it printed `--dry-run ... --resume`, which clap refuses.
    // The rows come through a pipe held open, so the input never ends: the
    // run is provably mid-way when SIGINT lands and cannot finish first.
    let wd = Workdir::new();
    let input = wd.users_csv("users.csv", "dry", 20_000);
    let bytes = std::fs::read(&input).expect("input");
    let out = wd
        .run("-")
        .args(["--format", "csv", "--dry-run"])
        .report("report.csv")
        .stdin_held_open(bytes)
        .signal_when_grown("report.csv", 1, libc::SIGINT)
        .output()
        .await
        .assert_code(4);
    let done = wd.read_report("report.csv");
    assert!(
        !done.is_empty() && done.iter().all(|e| e.status == Some(Status::Valid)),
        "the rows checked before the interrupt are reported"
    );
    let words = out.printed_command();
    assert!(
        words.last().is_some_and(|w| w == "--overwrite") && !words.iter().any(|w| w == "--resume"),
        "{words:?}"
    );
    wd.command(words)
        .stdin_file("users.csv")
        .output()
        .await
        .assert_code(0);
    assert_eq!(wd.read_report("report.csv").len(), 20_000);
}
