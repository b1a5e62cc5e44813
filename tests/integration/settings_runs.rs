//! Settings driven through the binary: the client id, endpoint and region
//! from the environment, `-q`/`-v`, `--fixed-rate` and `--max-rate`.

use crate::endpoint::free_port;
use crate::workdir::*;

#[tokio::test]
async fn cognito_client_id_from_the_environment_reaches_the_server() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "envid", 5);
    let run = wd
        .run("users.csv")
        .args(["--endpoint-url", &server.url])
        .report("report.csv")
        .arg("--overwrite");
    run.clone()
        .env("COGNITO_CLIENT_ID", &server.client_id)
        .output()
        .await
        .assert_code(0);
    assert_eq!(server.stats().await.created, 5);
    assert!(server.admin_get_user("envid3").await.is_some());
    // The flag wins over the variable.
    run.env("COGNITO_CLIENT_ID", "someotherclient9")
        .args(["--client-id", &server.client_id])
        .output()
        .await
        .assert_code(0);
    let stats = server.stats().await;
    assert_eq!((stats.requests, stats.exists), (10, 5), "{stats:?}");
}

#[tokio::test]
async fn endpoint_variables_reach_the_server_in_the_documented_order() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "envurl", 4);
    let dead = format!("http://127.0.0.1:{}/", free_port());
    let run = || {
        wd.run("users.csv")
            .args(["--client-id", &server.client_id])
            .report("report.csv")
            .args(["--overwrite", "--max-attempts", "1"])
    };
    // AWS_ENDPOINT_URL alone.
    run()
        .env("AWS_ENDPOINT_URL", &server.url)
        .output()
        .await
        .assert_code(0);
    assert_eq!(server.stats().await.created, 4);
    // The service-specific variable wins over AWS_ENDPOINT_URL.
    run()
        .env("AWS_ENDPOINT_URL", &dead)
        .env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &server.url)
        .output()
        .await
        .assert_code(0);
    // --endpoint-url wins over both.
    run()
        .env("AWS_ENDPOINT_URL", &dead)
        .env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &dead)
        .args(["--endpoint-url", &server.url])
        .output()
        .await
        .assert_code(0);
    let stats = server.stats().await;
    assert_eq!(
        (stats.requests, stats.exists),
        (12, 8),
        "every run reached the server: {stats:?}"
    );
    assert!(wd
        .read_report("report.csv")
        .iter()
        .all(|e| e.status == Some(Status::Exists)));
}

/// The `CONNECT` target of a run with `env` and no endpoint, sent through a
/// recorder posing as the HTTPS proxy (nothing leaves 127.0.0.1).
async fn regional_host(env: &[(&str, &str)], extra: &[&str]) -> String {
    let proxy = Endpoint::recorder(200, "{}").await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "region", 3);
    let mut run = wd
        .run("users.csv")
        .args(["--client-id", "abc", "--max-attempts", "1"])
        .args(extra)
        .report("report.csv")
        .env("HTTPS_PROXY", &proxy.url);
    for (key, value) in env {
        run = run.env(key, value);
    }
    // The proxy refuses the tunnel: the endpoint never answered (exit 3).
    run.output().await.assert_code(3);
    let lines: Vec<String> = proxy.recorded().into_iter().map(|r| r.line).collect();
    assert_eq!(lines.len(), 1, "one attempt of the first row: {lines:?}");
    lines[0].clone()
}

#[tokio::test]
async fn aws_region_picks_the_regional_cognito_endpoint() {
    let connect = |host: &str| format!("CONNECT {host}:443 HTTP/1.1");
    assert_eq!(
        regional_host(&[("AWS_REGION", "eu-west-1")], &[]).await,
        connect("cognito-idp.eu-west-1.amazonaws.com")
    );
    assert_eq!(
        regional_host(&[("AWS_DEFAULT_REGION", "ap-south-1")], &[]).await,
        connect("cognito-idp.ap-south-1.amazonaws.com")
    );
    let both = [
        ("AWS_REGION", "eu-west-1"),
        ("AWS_DEFAULT_REGION", "ap-south-1"),
    ];
    assert_eq!(
        regional_host(&both, &[]).await,
        connect("cognito-idp.eu-west-1.amazonaws.com"),
        "AWS_REGION before AWS_DEFAULT_REGION"
    );
    assert_eq!(
        regional_host(&both, &["--region", "us-west-2"]).await,
        connect("cognito-idp.us-west-2.amazonaws.com"),
        "--region before both"
    );
}

/// A dry run whose mapping names keys the first NDJSON record lacks, which
/// the binary warns about.
fn warning_run(wd: &Workdir) -> Cmd {
    wd.write(
        "late.ndjson",
        "{\"Login\":\"ann\",\"Mail\":\"ann@example.com\"}\n{\"Login\":\"bob\",\"Pass\":\"Passw0rd-bob\",\"Mail\":\"bob@example.com\"}\n",
    );
    let mapping = wd.write(
        "m.toml",
        "username = \"Login\"\npassword = \"Pass\"\n[attributes]\nemail = \"Mail\"\n",
    );
    wd.run("late.ndjson")
        .arg("--mapping")
        .arg(mapping)
        .arg("--dry-run")
        .report("report.csv")
        .arg("--overwrite")
}

#[tokio::test]
async fn quiet_drops_warnings_and_keeps_the_summary() {
    let wd = Workdir::new();
    let warning = "the first record has no \"Pass\"";
    let out = warning_run(&wd).output().await.assert_code(0);
    assert!(out.stderr.contains(warning), "{}", out.stderr);
    assert!(out.stderr.contains("2 rows in"), "{}", out.stderr);
    let quiet = warning_run(&wd).arg("-q").output().await.assert_code(0);
    assert!(!quiet.stderr.contains(warning), "-q: {}", quiet.stderr);
    assert!(!quiet.stderr.contains("WARN"), "-q: {}", quiet.stderr);
    assert!(
        quiet.stderr.contains("2 rows in") && quiet.stderr.contains("valid 2, invalid 0"),
        "-q keeps the final summary (run --help): {}",
        quiet.stderr
    );
    assert_eq!(wd.read_report("report.csv").len(), 2);
}

#[tokio::test]
async fn verbose_flags_add_log_levels() {
    let wd = Workdir::new();
    wd.users_csv("users.csv", "loud", 2);
    let run = |flags: &[&str]| {
        wd.run("users.csv")
            .arg("--emulator")
            .arg(sample("pool.json"))
            .report("report.csv")
            .arg("--overwrite")
            .args(flags)
    };
    let plain = run(&[]).output().await.assert_code(0);
    let started = "started the built-in emulator";
    assert!(!plain.stderr.contains(started), "{}", plain.stderr);
    assert!(!plain.stderr.contains("TRACE"), "{}", plain.stderr);
    let v = run(&["-v"]).output().await.assert_code(0);
    assert!(
        v.stderr.contains(started) && v.stderr.contains("INFO"),
        "-v: {}",
        v.stderr
    );
    assert!(!v.stderr.contains("TRACE"), "-v: {}", v.stderr);
    let vv = run(&["-vv"]).output().await.assert_code(0);
    assert!(
        vv.stderr.contains("TRACE") && vv.stderr.contains("status=200"),
        "-vv: one line per answer: {}",
        vv.stderr
    );
}

#[tokio::test]
async fn verbose_prints_debug_lines_about_the_run() {
    // `run --help`: "-v: debug". A run against an endpoint should say more
    // with -v than without it.
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "debug", 2);
    let run = wd
        .run("users.csv")
        .against(&server)
        .report("report.csv")
        .arg("--overwrite");
    let plain = run.clone().output().await.assert_code(0);
    assert!(!plain.stderr.contains("DEBUG"), "{}", plain.stderr);
    let v = run.arg("-v").output().await.assert_code(0);
    assert!(
        v.stderr
            .lines()
            .any(|l| l.contains("DEBUG") && l.contains("bulk_signup")),
        "-v prints debug lines from bulk-signup: {}",
        v.stderr
    );
}

#[tokio::test]
async fn fixed_rate_keeps_pacing_at_the_rate_under_throttling() {
    let server = Endpoint::emulator(sample("pool.json"), &["--quota", "30", "--burst", "6"]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "fixed", 120);
    let out = wd
        .run("users.csv")
        .against(&server)
        .report("report.csv")
        .args(["--fixed-rate", "--rate", "50", "--max-attempts", "20"])
        .args(["--retry-base-ms", "20", "--retry-cap-ms", "1000"])
        .output()
        .await
        .assert_code(0);
    assert_eq!(out.final_rate(), 50.0, "{}", out.stderr);
    let stats = server.stats().await;
    assert_eq!(stats.users, 120);
    // 50/s against a 30/s quota: about 40% of requests are throttled, where
    // adaptive pacing keeps it under 20% (emulator_runs).
    assert!(stats.throttled * 5 >= stats.requests, "{stats:?}");
}

#[tokio::test]
async fn max_rate_caps_adaptive_probing() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "probe", 160);
    let run = || {
        wd.run("users.csv")
            .against(&server)
            .report("report.csv")
            .args(["--overwrite", "--rate", "40"])
    };
    let probing = run().output().await.assert_code(0);
    assert!(
        probing.final_rate() > 40.0,
        "without throttling the rate probes above --rate: {}",
        probing.stderr
    );
    let capped = run()
        .args(["--max-rate", "40"])
        .output()
        .await
        .assert_code(0);
    assert_eq!(capped.final_rate(), 40.0, "{}", capped.stderr);
    let out = run()
        .args(["--max-rate", "30"])
        .output()
        .await
        .assert_code(2);
    assert!(
        out.stderr.contains("--max-rate must be at least --rate"),
        "{}",
        out.stderr
    );
}
