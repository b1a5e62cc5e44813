//! Harm refused by default (issue 10): outputs never overwrite inputs, an
//! endpoint that is not Cognito stops the run within a request or two,
//! passwords never travel over plain HTTP to another host or through a
//! proxy to a local endpoint, hostile answers are capped and made printable,
//! and hostile input bytes are refused or reported.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::endpoint::Endpoint;
use crate::workdir::{sample, Status, Workdir};

/// Every file name in the work dir.
fn files(wd: &Workdir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(wd.path("."))
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn an_output_that_is_an_input_is_refused_and_nothing_is_created() {
    let wd = Workdir::new();
    let input = wd.users_csv("users.csv", "keep", 3);
    let original = wd.read("users.csv");
    wd.write("mapping.toml", "[options]\nignore = []\n");
    wd.write("secret.txt", "s3cret\n");
    std::fs::set_permissions(wd.path("secret.txt"), PermissionsExt::from_mode(0o600))
        .expect("chmod");
    std::os::unix::fs::symlink(&input, wd.path("link.csv")).expect("symlink");
    std::fs::hard_link(&input, wd.path("hard.csv")).expect("hard link");
    std::fs::create_dir(wd.path("sub")).expect("dir");
    let before = files(&wd);
    let cases: [(&[&str], &str); 8] = [
        (&["--report", "users.csv"], "--report"),
        (&["--report", "link.csv"], "--report"),
        (&["--report", "hard.csv"], "--report"),
        (&["--report", "sub/../users.csv"], "--report"),
        (
            &[
                "--report",
                "r.csv",
                "--errors",
                "mapping.toml",
                "--mapping",
                "mapping.toml",
            ],
            "--errors",
        ),
        (
            &[
                "--report",
                "r.csv",
                "--errors",
                "pool.json",
                "--pool",
                "pool.json",
            ],
            "--errors",
        ),
        (
            &[
                "--report",
                "secret.txt",
                "--client-secret-file",
                "secret.txt",
            ],
            "--report",
        ),
        (
            &["--report", "r.csv", "--errors", "sub/../r.csv"],
            "--errors",
        ),
    ];
    std::fs::copy(sample("pool.json"), wd.path("pool.json")).expect("pool");
    let before = [before, vec!["pool.json".to_owned()]].concat();
    for (args, flag) in cases {
        let out = wd
            .run("users.csv")
            .args(args)
            .args([
                "--overwrite",
                "--client-id",
                "abc",
                "--endpoint-url",
                "http://127.0.0.1:9/",
            ])
            .output()
            .await
            .assert_code(2);
        assert!(out.stderr.contains(flag), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("the same file") || out.stderr.contains("different files"),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(wd.read("users.csv"), original, "{args:?} changed the input");
        let mut now = files(&wd);
        let mut expected = before.clone();
        now.sort();
        expected.sort();
        assert_eq!(now, expected, "{args:?} created a file");
    }
}

#[tokio::test]
async fn a_refused_errors_file_leaves_no_report_behind() {
    let wd = Workdir::new();
    wd.users_csv("users.csv", "err", 2);
    wd.write("errors.csv", "somebody's notes\n");
    let out = wd
        .run("users.csv")
        .args(["--dry-run"])
        .report("report.csv")
        .errors("errors.csv")
        .output()
        .await
        .assert_code(2);
    assert!(
        out.stderr.contains("errors.csv already exists"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("--resume"), "{}", out.stderr);
    assert!(!wd.exists("report.csv"), "a header-only report was left");
    assert_eq!(wd.read("errors.csv"), "somebody's notes\n");
}

#[tokio::test]
async fn resume_keeps_an_errors_file_that_is_not_an_error_report() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "resume", 3);
    let run = wd.run("users.csv").against(&server).report("report.csv");
    run.clone().output().await.assert_code(0);
    wd.write("notes.csv", "name,phone\nann,555\n");
    let out = run
        .clone()
        .errors("notes.csv")
        .arg("--resume")
        .output()
        .await
        .assert_code(2);
    assert!(out.stderr.contains("not an error report"), "{}", out.stderr);
    assert_eq!(wd.read("notes.csv"), "name,phone\nann,555\n");
    // Its own error report is continued as before.
    run.clone()
        .errors("errors.csv")
        .arg("--overwrite")
        .output()
        .await
        .assert_code(0);
    run.errors("errors.csv")
        .arg("--resume")
        .output()
        .await
        .assert_code(0);
}

/// Runs 5 users against `server`; returns the output and the report.
async fn run_against(server: &Endpoint, extra: &[&str]) -> (crate::workdir::Output, Workdir) {
    let wd = Workdir::new();
    wd.users_csv("users.csv", "probe", 5);
    let out = wd
        .run("users.csv")
        .against(server)
        .client_id("abc")
        .report("report.csv")
        .args(extra)
        .output()
        .await;
    (out, wd)
}

#[tokio::test]
async fn endpoints_that_are_not_cognito_stop_the_run_at_the_first_answer() {
    let html = "<html><body>Not Found</body></html>";
    let answers = [
        (format!("HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n{html}", html.len()), "HTTP 404 with an HTML page"),
        (format!("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n{html}", html.len()), "HTTP 200 with an HTML page"),
        ("HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\n\r\n".to_owned(), "HTTP 501"),
        ("HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}".to_owned(), "no x-amzn-ErrorType"),
        ("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}".to_owned(), "instead of a SignUp answer"),
    ];
    for (answer, said) in answers {
        let server = Endpoint::answering(answer).await;
        let (out, wd) = run_against(&server, &[]).await;
        let out = out.assert_code(3);
        assert!(out.stderr.contains(said), "{said}: {}", out.stderr);
        assert!(out.stderr.contains("--endpoint-url"), "{}", out.stderr);
        assert_eq!(
            server.recorded().len(),
            1,
            "{said}: one request, not one per row"
        );
        // Every row is failed, so --resume continues them.
        let report = wd.read_report("report.csv");
        assert_eq!(report.len(), 5, "{said}");
        assert!(
            report.iter().all(|e| e.status == Some(Status::Failed)),
            "{report:?}"
        );
        assert_eq!(report[0].error_code, "NotCognito", "{report:?}");
    }
}

#[tokio::test]
async fn a_redirect_is_never_followed() {
    let elsewhere = Endpoint::recorder(200, r#"{"UserConfirmed":false,"UserSub":"x"}"#).await;
    let answer = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nlocation: {}\r\ncontent-length: 0\r\n\r\n",
        elsewhere.url
    );
    let server = Endpoint::answering(answer).await;
    let (out, _wd) = run_against(&server, &[]).await;
    let out = out.assert_code(3);
    assert!(out.stderr.contains("redirect"), "{}", out.stderr);
    assert_eq!(
        elsewhere.recorded().len(),
        0,
        "the password went to the redirect target"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_stops_the_run_within_the_first_rows_attempts() {
    let server = Endpoint::answering(String::new()).await;
    let started = Instant::now();
    let (out, wd) = run_against(
        &server,
        &[
            "--timeout-seconds",
            "0.5",
            "--max-attempts",
            "3",
            "--retry-base-ms",
            "10",
        ],
    )
    .await;
    let out = out.assert_code(3);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert!(out.stderr.contains("EndpointUnreachable"), "{}", out.stderr);
    assert_eq!(server.recorded().len(), 3, "the first row's attempts only");
    let report = wd.read_report("report.csv");
    assert!(
        report.iter().all(|e| e.status == Some(Status::Failed)),
        "{report:?}"
    );
}

#[tokio::test]
async fn a_huge_hostile_answer_is_capped_and_printable() {
    let message = format!("\u{1b}[2J\u{1b}[31mgo away{}", "x".repeat(2_000_000));
    let body =
        serde_json::json!({"__type": "NotAuthorizedException", "message": message}).to_string();
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\nx-amzn-ErrorType: NotAuthorizedException:\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let server = Endpoint::answering(answer).await;
    let (out, wd) = run_against(&server, &[]).await;
    let out = out.assert_code(3);
    assert!(
        !out.stderr.contains('\u{1b}'),
        "escape codes reached the terminal"
    );
    assert!(
        out.stderr.len() < 20_000,
        "{} bytes of stderr",
        out.stderr.len()
    );
    let report = std::fs::read(wd.path("report.csv")).expect("report");
    assert!(report.len() < 5 * 4_096, "a {}-byte report", report.len());
    assert!(!report.contains(&0x1b), "escape codes reached the report");
}

#[tokio::test]
async fn plain_http_to_another_host_is_refused_before_any_request() {
    let wd = Workdir::new();
    wd.users_csv("users.csv", "tls", 2);
    for (args, env) in [
        (vec!["--endpoint-url", "http://cognito.invalid/"], None),
        (vec![], Some(("AWS_ENDPOINT_URL", "http://10.1.2.3:4566/"))),
    ] {
        let mut run = wd
            .run("users.csv")
            .report("report.csv")
            .args(["--client-id", "abc"])
            .args(args);
        if let Some((key, value)) = env {
            run = run.env(key, value);
        }
        let started = Instant::now();
        let out = run.output().await.assert_code(2);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            out.stderr.contains("--allow-insecure-http"),
            "{}",
            out.stderr
        );
        if let Some((key, _)) = env {
            assert!(
                out.stderr.contains(key),
                "names where it came from: {}",
                out.stderr
            );
        }
        assert!(!wd.exists("report.csv"));
    }
}

#[tokio::test]
async fn the_endpoint_is_named_before_the_first_request_and_loopback_skips_proxies() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let proxy = Endpoint::recorder(500, "{}").await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "proxy", 3);
    let out = wd
        .run("users.csv")
        .report("report.csv")
        .args(["--client-id", server.client_id.as_str()])
        .env("AWS_ENDPOINT_URL", &server.url)
        .env("HTTP_PROXY", &proxy.url)
        .env("http_proxy", &proxy.url)
        .env("ALL_PROXY", &proxy.url)
        .output()
        .await
        .assert_code(0);
    let named = format!("sending to {} (from AWS_ENDPOINT_URL)", server.url);
    assert!(out.stderr.contains(&named), "{}", out.stderr);
    assert_eq!(
        proxy.recorded().len(),
        0,
        "a local endpoint's traffic went to a proxy"
    );
    assert_eq!(server.stats().await.created, 3);
}

#[tokio::test]
async fn a_secret_file_others_can_read_gets_a_warning() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "secretfile", 1);
    let secret = wd.write("secret.txt", "not-the-real-one\n");
    std::fs::set_permissions(&secret, PermissionsExt::from_mode(0o644)).expect("chmod");
    let out = wd
        .run("users.csv")
        .against(&server)
        .report("report.csv")
        .arg("--client-secret-file")
        .arg(&secret)
        .output()
        .await
        .assert_code(0);
    assert!(out.stderr.contains("chmod 600"), "{}", out.stderr);
    assert!(!out.stderr.contains("not-the-real-one"), "{}", out.stderr);
}

#[tokio::test]
async fn hostile_input_bytes_are_refused_or_reported() {
    let wd = Workdir::new();
    wd.write("empty.csv", "");
    let out = wd
        .run("empty.csv")
        .args(["--dry-run"])
        .report("r.csv")
        .output()
        .await;
    let out = out.assert_code(2);
    assert!(
        out.stderr.contains("the input is empty: no header row"),
        "{}",
        out.stderr
    );
    assert!(!wd.exists("r.csv"));

    wd.write("header.csv", "username,password,email\n");
    wd.run("header.csv")
        .args(["--dry-run"])
        .report("h.csv")
        .output()
        .await
        .assert_code(0);
    assert_eq!(wd.read_report("h.csv").len(), 0);

    // A gzip stream cut inside its header (gzip is read, since issue 11).
    std::fs::write(wd.path("users.csv"), [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0]).expect("gzip");
    let out = wd
        .run("users.csv")
        .args(["--dry-run"])
        .report("g.csv")
        .output()
        .await;
    let out = out.assert_code(2);
    assert!(
        out.stderr.contains("the gzip data is corrupt or cut short"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("UnreadableRecord"), "{}", out.stderr);

    wd.write(
        "nul.csv",
        "username,password,email\nann,Passw0rd!x,ann\u{0}@example.com\nbob,Passw0rd!x,bob@example.com\n",
    );
    let out = wd
        .run("nul.csv")
        .args(["--dry-run"])
        .report("n.csv")
        .output()
        .await;
    out.assert_code(1);
    let report = wd.read_report("n.csv");
    assert_eq!(report[0].error_code, "ControlCharacter", "{report:?}");
    assert_eq!(report[1].status, Some(Status::Valid), "{report:?}");
}

#[tokio::test]
async fn the_error_report_copies_only_what_is_sent_and_never_a_formula() {
    let wd = Workdir::new();
    wd.write(
        "users.csv",
        "username,password,email,given_name,Temp Pass\nann,Passw0rd!x,not-an-email,=CMD(\"calc\"),Tmp-9999\n",
    );
    wd.run("users.csv")
        .args(["--dry-run", "--ignore-column", "Temp Pass"])
        .report("report.csv")
        .errors("errors.csv")
        .output()
        .await
        .assert_code(1);
    let errors = wd.read("errors.csv");
    assert!(
        !errors.contains("Temp Pass") && !errors.contains("Tmp-9999"),
        "{errors}"
    );
    assert!(!errors.contains("Passw0rd!x"), "{errors}");
    assert!(
        errors.contains("not-an-email"),
        "the column to fix is there: {errors}"
    );
    assert!(
        errors.contains("'=CMD"),
        "a formula cell is neutralised: {errors}"
    );
}

#[tokio::test]
async fn a_record_over_max_record_bytes_is_invalid_and_the_rest_is_read() {
    let wd = Workdir::new();
    let mut text =
        String::from("username,password,email\nann,Passw0rd!x,ann@example.com\nbob,Passw0rd!x,\"");
    text.push_str(&"b".repeat(300));
    text.push_str("\"\ncat,Passw0rd!x,cat@example.com\n");
    wd.write("users.csv", &text);
    wd.run("users.csv")
        .args(["--dry-run", "--max-record-bytes", "200"])
        .report("report.csv")
        .output()
        .await
        .assert_code(1);
    let report = wd.read_report("report.csv");
    let codes: Vec<(u64, &str)> = report
        .iter()
        .map(|e| (e.row, e.error_code.as_str()))
        .collect();
    assert_eq!(codes, [(1, ""), (2, "UnreadableRecord"), (3, "")]);
    assert!(
        report[1].error_message.contains("--max-record-bytes"),
        "{report:?}"
    );
    // The default (1 MiB) takes this record as it is.
    wd.run("users.csv")
        .args(["--dry-run", "--overwrite"])
        .report("report.csv")
        .output()
        .await
        .assert_code(1);
    assert_eq!(wd.read_report("report.csv")[1].error_code, "InvalidEmail");
}

#[tokio::test]
async fn a_report_path_with_another_name_is_never_written_through() {
    let wd = Workdir::new();
    wd.users_csv("users.csv", "hard", 2);
    let victim = wd.write("victim.txt", "keep me\n");
    std::fs::hard_link(&victim, wd.path("report.csv")).expect("hard link");
    let out = wd
        .run("users.csv")
        .args(["--dry-run", "--overwrite"])
        .report("report.csv")
        .output()
        .await
        .assert_code(2);
    assert!(out.stderr.contains("hard links"), "{}", out.stderr);
    assert_eq!(wd.read("victim.txt"), "keep me\n");
}

#[tokio::test]
async fn merge_reports_never_replaces_what_it_merges() {
    let wd = Workdir::new();
    wd.users_csv("users.csv", "mergeself", 10);
    for k in 1..=2 {
        wd.run("users.csv")
            .args(["--dry-run", "--shard", &format!("{k}/2")])
            .report(&format!("s{k}.csv"))
            .output()
            .await
            .assert_code(0);
    }
    let (s1, record) = (wd.read("s1.csv"), wd.read("s1.csv.shard.json"));
    for out in ["s1.csv", "./sub/../s1.csv", "s1.csv.shard.json"] {
        std::fs::create_dir_all(wd.path("sub")).expect("dir");
        let result = wd
            .command(["merge-reports", out, "s1.csv", "s2.csv", "--overwrite"])
            .output()
            .await
            .assert_code(2);
        assert!(
            result.stderr.contains("one of the files merged"),
            "{out}: {}",
            result.stderr
        );
        assert_eq!(wd.read("s1.csv"), s1, "{out}");
        assert_eq!(wd.read("s1.csv.shard.json"), record, "{out}");
    }
}

#[tokio::test]
async fn resume_refuses_a_report_with_rows_the_input_does_not_have() {
    let wd = Workdir::new();
    wd.users_csv("users.csv", "ghost", 3);
    wd.run("users.csv")
        .args(["--dry-run"])
        .report("report.csv")
        .output()
        .await
        .assert_code(0);
    let mut report = wd.read("report.csv");
    report.push_str("1000,ghost,created,,,,,,,1,,\n");
    wd.write("report.csv", &report);
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let out = wd
        .run("users.csv")
        .against(&server)
        .report("report.csv")
        .arg("--resume")
        .output()
        .await
        .assert_code(2);
    assert!(
        out.stderr
            .contains("entry for row 1000, but the input has 3 rows"),
        "{}",
        out.stderr
    );
    assert_eq!(server.stats().await.requests, 0);
}

#[tokio::test]
async fn quiet_still_names_an_endpoint_a_variable_chose() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "quietenv", 1);
    let out = wd
        .run("users.csv")
        .report("report.csv")
        .args(["-q", "--client-id", server.client_id.as_str()])
        .env("AWS_ENDPOINT_URL", &server.url)
        .output()
        .await
        .assert_code(0);
    assert!(
        out.stderr.contains("(from AWS_ENDPOINT_URL)"),
        "{}",
        out.stderr
    );
    let out = wd
        .run("users.csv")
        .against(&server)
        .report("report2.csv")
        .arg("-q")
        .output()
        .await
        .assert_code(0);
    assert!(!out.stderr.contains("sending to"), "{}", out.stderr);
}

#[tokio::test]
async fn a_control_character_from_the_mapping_itself_is_caught() {
    // The input's text holds none: the check must still run, because the
    // mapping's own constant brings one into every row.
    let wd = Workdir::new();
    wd.write(
        "users.csv",
        "username,password,email\nann,Passw0rd!x,ann@example.com\n",
    );
    wd.write(
        "mapping.toml",
        "username = { column = \"username\" }\npassword = { column = \"password\" }\n[attributes]\nemail = { column = \"email\" }\nnickname = { value = \"bell\\u0007\" }\n",
    );
    wd.run("users.csv")
        .args(["--dry-run", "--mapping", "mapping.toml"])
        .report("report.csv")
        .output()
        .await
        .assert_code(1);
    let report = wd.read_report("report.csv");
    assert_eq!(report[0].error_code, "ControlCharacter", "{report:?}");
}
