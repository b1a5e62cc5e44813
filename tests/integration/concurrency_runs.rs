//! Adaptive concurrency against the emulator with real latency: the default
//! `--concurrency` is a ceiling the run grows towards when the pacing rate
//! needs it, and a ceiling that holds the rate back is named once, with the
//! figure to use. Unpaced, the run grows while the server answers as fast,
//! and stops growing where a saturated server makes requests queue.

use crate::workdir::*;

#[tokio::test]
async fn a_raised_rate_at_real_latency_gets_the_requests_in_flight_it_needs() {
    // 300/s at 100 ms needs about 30 requests in flight: more than the
    // 16 the fixed default used to allow.
    let server = Endpoint::emulator(sample("pool.json"), &["--latency-ms", "100"]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "wide", 900);
    let out = wd
        .run("users.csv")
        .against(&server)
        .report("report.csv")
        .args(["--rate", "300"])
        .output()
        .await
        .assert_code(0);
    let stats = server.stats().await;
    assert_eq!(stats.created, 900);
    assert!(
        stats.peak_in_flight > 16,
        "default flags reached only {} in flight",
        stats.peak_in_flight
    );
    assert!(!out.stderr.contains("caps the rate"), "{}", out.stderr);
}

#[tokio::test]
async fn a_ceiling_that_caps_the_rate_is_named_once_with_the_figure_to_use() {
    let server = Endpoint::emulator(sample("pool.json"), &["--latency-ms", "100"]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "capped", 200);
    let out = wd
        .run("users.csv")
        .against(&server)
        .report("report.csv")
        .args(["--rate", "300", "--concurrency", "4"])
        .output()
        .await
        .assert_code(0);
    let stats = server.stats().await;
    assert_eq!(stats.created, 200);
    assert!(stats.peak_in_flight <= 4, "peak {}", stats.peak_in_flight);
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("caps the rate"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    let suggested: usize = warnings[0]
        .rsplit("run with --concurrency ")
        .next()
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no figure: {}", warnings[0]));
    // 300/s at 100 ms or more needs at least 30 in flight.
    assert!(suggested >= 32, "{}", warnings[0]);
    assert!(
        warnings[0].contains("--concurrency 4 caps the rate"),
        "{}",
        warnings[0]
    );
}

/// Runs `rows` users unpaced (`--rate 0`, default `--concurrency`) against
/// `server`; the emulator's counts after the run.
async fn unpaced_run(server: &Endpoint, prefix: &str, rows: usize) -> StatsSnapshot {
    let wd = Workdir::new();
    wd.users_csv("users.csv", prefix, rows);
    wd.run("users.csv")
        .against(server)
        .report("report.csv")
        .args(["--rate", "0"])
        .output()
        .await
        .assert_code(0);
    server.stats().await
}

#[tokio::test]
async fn an_unpaced_run_grows_while_the_server_keeps_up() {
    // 40 ms per answer, whatever the load: more in flight is more rows/s.
    let server = Endpoint::emulator(sample("pool.json"), &["--latency-ms", "40"]).await;
    let stats = unpaced_run(&server, "open", 3000).await;
    assert_eq!(stats.created, 3000);
    assert!(
        stats.peak_in_flight > 64,
        "grew to only {} in flight",
        stats.peak_in_flight
    );
}

#[tokio::test]
async fn an_unpaced_run_does_not_queue_at_a_saturated_server() {
    // Four served at once, 10 ms each: 400/s at most, however many wait.
    // Keeping the default ceiling (256) in flight would only make each
    // request wait 64 turns.
    let server = Endpoint::emulator(
        sample("pool.json"),
        &["--latency-ms", "10", "--capacity", "4"],
    )
    .await;
    let stats = unpaced_run(&server, "full", 1200).await;
    assert_eq!(stats.created, 1200);
    assert!(
        stats.peak_in_flight <= 64,
        "{} in flight at a server serving 4",
        stats.peak_in_flight
    );
}
