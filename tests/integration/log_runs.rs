//! Logs and progress on stderr (issue 13): no escape codes unless a
//! terminal or `CLICOLOR_FORCE` asks for colour, `--log-format json` lines
//! that all parse, `--progress` drawing the bar with its total, and no
//! password or client secret in any output even at trace level.

use std::process::Stdio;

use crate::workdir::*;

/// A throttling emulator (`--quota 5`) and a run of `n` users against it.
async fn throttled_run(wd: &Workdir, n: usize, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let server = Endpoint::emulator(sample("pool.json"), &["--quota", "5", "--burst", "5"]).await;
    wd.users_csv("users.csv", "log", n);
    let mut cmd = wd
        .run("users.csv")
        .against(&server)
        .report("report.csv")
        .args(["--overwrite", "--rate", "20"])
        .args(extra.iter().copied());
    for (k, v) in env {
        cmd = cmd.env(k, v);
    }
    cmd.output().await.assert_code(0)
}

#[tokio::test]
async fn stderr_to_a_pipe_has_no_escape_codes_unless_colour_is_forced() {
    let wd = Workdir::new();
    let plain = throttled_run(&wd, 20, &["-v"], &[]).await;
    assert!(plain.stderr.contains("INFO"), "{}", plain.stderr);
    assert!(!plain.stderr.contains('\x1b'), "{}", plain.stderr);

    let forced = throttled_run(&wd, 5, &["-v"], &[("CLICOLOR_FORCE", "1")]).await;
    assert!(forced.stderr.contains('\x1b'), "{}", forced.stderr);

    let both = [("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")];
    let no_colour = throttled_run(&wd, 5, &["-v"], &both).await;
    assert!(!no_colour.stderr.contains('\x1b'), "{}", no_colour.stderr);
}

#[tokio::test]
async fn throttling_is_said_at_info_level_with_the_pacing_rate() {
    let wd = Workdir::new();
    let out = throttled_run(&wd, 30, &["-v"], &[]).await;
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("throttled by Cognito"))
        .unwrap_or_else(|| panic!("a throttling line:\n{}", out.stderr));
    assert!(
        line.contains("INFO") && line.contains("requests/s"),
        "{line}"
    );
    assert!(line.contains("backoff_ms"), "{line}");
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_summary() {
    let wd = Workdir::new();
    let out = throttled_run(&wd, 20, &["-vv", "--log-format", "json"], &[]).await;
    let mut messages = Vec::new();
    for line in out.stderr.lines().filter(|l| !l.trim().is_empty()) {
        let value: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}\n{}", out.stderr));
        messages.push(value["fields"]["message"].as_str().unwrap_or("").to_owned());
    }
    assert!(messages.iter().any(|m| m.contains("row settled")));
    // The summary is one JSON event whose message is the text summary.
    assert!(
        messages
            .iter()
            .any(|m| m.contains("created") && m.contains('\n')),
        "{messages:#?}"
    );
}

#[tokio::test]
async fn progress_flag_draws_the_bar_with_its_total_when_not_a_terminal() {
    let wd = Workdir::new();
    let out = throttled_run(&wd, 30, &["--progress"], &[]).await;
    assert!(
        out.stderr.contains("/30 rows") || out.stderr.contains('%'),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains('\x1b'), "{}", out.stderr);
    let quiet = throttled_run(&wd, 5, &[], &[]).await;
    assert!(!quiet.stderr.contains(" rows ("), "{}", quiet.stderr);
}

#[tokio::test]
async fn no_password_or_client_secret_in_any_output_at_trace_level() {
    const SECRET: &str = "very-secret-client-value-42";
    let wd = Workdir::new();
    let client = wd.secret_client("logsecretclient", SECRET);
    let client = client.to_str().expect("path");
    let server = Endpoint::emulator(sample("pool.json"), &["--client", client]).await;
    wd.users_csv("users.csv", "trace", 12);
    // A row the pool refuses (too short a password) fills the error report.
    let mut text = wd.read("users.csv");
    text.push_str("weakling,Wk-1zz,weakling@example.com,Weak,gold\n");
    wd.write("users.csv", &text);
    let out = wd
        .run("users.csv")
        .against(&server)
        .client_id("logsecretclient")
        .env("COGNITO_CLIENT_SECRET", SECRET)
        .env("RUST_LOG", "trace")
        .report("report.csv")
        .errors("errors.csv")
        .args(["-vv", "--progress", "--overwrite"])
        .output()
        .await;
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    assert!(out.stderr.contains("TRACE"), "trace logs were on");
    let outputs = [
        ("stdout", out.stdout.clone()),
        ("stderr", out.stderr.clone()),
        ("report", wd.read("report.csv")),
        ("errors", wd.read("errors.csv")),
    ];
    let mut secrets: Vec<String> = (1..=12).map(|i| format!("Pw-{i}-Secret9x")).collect();
    secrets.push("Wk-1zz".to_owned());
    secrets.push(SECRET.to_owned());
    for (name, text) in &outputs {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{secret} in {name}:\n{text}"
            );
        }
    }
}

#[tokio::test]
async fn on_a_terminal_the_bar_shows_the_total_and_an_eta() {
    if std::process::Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_or(true, |s| !s.success())
    {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let server = Endpoint::emulator(sample("pool.json"), &["--quota", "5", "--burst", "5"]).await;
    let wd = Workdir::new();
    let users = wd.users_csv("users.csv", "tty", 25);
    let line = format!(
        "{BIN} run {} --endpoint-url {} --client-id {} --region {} --report {} --rate 10",
        users.display(),
        server.url,
        server.client_id,
        server.region,
        wd.path("report.csv").display()
    );
    let out = tokio::process::Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("script runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("/25 rows"), "{text}");
    assert!(text.contains("ETA"), "{text}");
}
