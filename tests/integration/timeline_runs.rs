//! `--timeline FILE`: a run against a throttling emulator records one line
//! per second whose figures add up to the summary's and whose last counts
//! are the report's; a `.svg` name gets a chart of the run.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use crate::workdir::*;

/// A throttling emulator and `n` users (one of them invalid), sent with `extra`.
async fn throttled_run(wd: &Workdir, n: usize, extra: &[&str]) -> Output {
    let server = Endpoint::emulator(sample("pool.json"), &["--quota", "5", "--burst", "5"]).await;
    throttled_cmd(wd, &server, n, extra).output().await
}

/// The command of [`throttled_run`], to run against `server`.
fn throttled_cmd(wd: &Workdir, server: &Endpoint, n: usize, extra: &[&str]) -> Cmd {
    let users = wd.users_csv("users.csv", "tl", n);
    let mut text = std::fs::read_to_string(&users).expect("users");
    text.push_str("tl-bad,Pw-0-Secret9x,not-an-email,Bad,gold\n");
    std::fs::write(&users, text).expect("users");
    wd.run("users.csv")
        .against(server)
        .report("report.csv")
        .args(["--rate", "20", "--summary-json", "summary.json"])
        .args(extra.iter().copied())
}

fn number(row: &HashMap<String, String>, column: &str) -> f64 {
    let cell = row.get(column).unwrap_or_else(|| panic!("column {column}"));
    cell.parse()
        .unwrap_or_else(|_| panic!("{column} = {cell:?} is a number"))
}

fn total(rows: &[HashMap<String, String>], column: &str) -> u64 {
    rows.iter().map(|r| number(r, column) as u64).sum()
}

#[tokio::test]
async fn the_csv_timeline_adds_up_to_the_summary_and_ends_with_the_reports_counts() {
    let wd = Workdir::new();
    throttled_run(&wd, 30, &["--timeline", "t.csv"])
        .await
        .assert_code(1);
    let rows = wd.csv_rows("t.csv");
    assert!(
        rows.len() >= 2,
        "a throttled run of 30 rows at 5/s lasts seconds"
    );
    let seconds: Vec<u64> = rows
        .iter()
        .map(|r| number(r, "elapsed_seconds") as u64)
        .collect();
    assert_eq!(seconds, (1..=rows.len() as u64).collect::<Vec<_>>());

    let summary: Value = serde_json::from_str(&wd.read("summary.json")).expect("json");
    assert_eq!(
        total(&rows, "sent"),
        summary["requests"].as_u64().expect("n")
    );
    assert_eq!(
        total(&rows, "throttled"),
        summary["throttled"].as_u64().expect("n")
    );
    assert_eq!(
        total(&rows, "retries"),
        summary["retries"].as_u64().expect("n")
    );
    assert!(total(&rows, "throttled") > 0, "the quota throttles the run");
    let accepted = total(&rows, "accepted");
    assert_eq!(accepted + total(&rows, "throttled"), total(&rows, "sent"));
    assert!(rows.iter().all(|r| number(r, "pacing_rate") > 0.0));

    let last = rows.last().expect("a last line");
    let entries = wd.read_report("report.csv");
    for status in [
        "created", "exists", "valid", "invalid", "rejected", "failed",
    ] {
        let in_report = entries
            .iter()
            .filter(|e| serde_json::to_value(e.status).expect("status") == status)
            .count();
        assert_eq!(number(last, status) as usize, in_report, "{status}");
    }
    assert_eq!(number(last, "created"), 30.0);
    assert_eq!(
        number(last, "in_flight"),
        0.0,
        "nothing is on the wire at the end"
    );
    let mode = std::fs::metadata(wd.path("t.csv"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "owner-only, like the reports");
}

#[tokio::test]
async fn an_existing_timeline_is_kept_unless_overwrite_and_an_input_never_replaced() {
    let wd = Workdir::new();
    wd.write("t.csv", "someone else's file\n");
    let out = throttled_run(&wd, 2, &["--timeline", "t.csv"]).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--timeline"), "{}", out.stderr);
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    assert_eq!(wd.read("t.csv"), "someone else's file\n");
    assert!(!wd.exists("report.csv"), "refused before any report");

    let out = throttled_run(&wd, 2, &["--timeline", "users.csv", "--overwrite"]).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("an input is never overwritten"),
        "{}",
        out.stderr
    );

    throttled_run(&wd, 2, &["--timeline", "t.csv", "--overwrite"])
        .await
        .assert_code(1);
    assert!(wd.read("t.csv").starts_with("elapsed_seconds,sent,"));
}

/// The SVG's elements, by name, and all its text.
fn parse_svg(svg: &str) -> (HashMap<String, usize>, String) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(svg);
    let (mut elements, mut text) = (HashMap::new(), String::new());
    let mut depth = 0i32;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                depth += 1;
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                *elements.entry(name).or_insert(0) += 1;
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                *elements.entry(name).or_insert(0) += 1;
            }
            Event::End(_) => depth -= 1,
            Event::Text(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "every element is closed");
    (elements, text)
}

#[tokio::test]
async fn an_svg_timeline_is_a_chart_of_the_run() {
    let wd = Workdir::new();
    throttled_run(&wd, 15, &["--timeline", "run.svg"])
        .await
        .assert_code(1);
    let svg = wd.read("run.svg");
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
    assert!(svg.trim_end().ends_with("</svg>"));
    let (elements, text) = parse_svg(&svg);
    // The three rate lines, the in-flight line and the legend's samples.
    assert!(
        elements.get("polyline").copied().unwrap_or(0) >= 4,
        "{elements:?}"
    );
    for label in [
        "seconds",
        "requests per second",
        "in flight",
        "accepted/s",
        "throttled/s",
        "pacing rate",
        "run.svg",
    ] {
        assert!(text.contains(label), "{label:?} in {text:?}");
    }
    let mode = std::fs::metadata(wd.path("run.svg"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn a_crash_keeps_the_csv_lines_written_and_ctrl_c_still_draws_the_chart() {
    let server = Endpoint::emulator(sample("pool.json"), &["--quota", "5", "--burst", "5"]).await;
    let wd = Workdir::new();
    let killed = throttled_cmd(&wd, &server, 40, &["--timeline", "t.csv"])
        .signal_when_grown("t.csv", 3, libc::SIGKILL)
        .output()
        .await;
    assert_eq!(killed.signal, Some(libc::SIGKILL));
    let rows = wd.csv_rows("t.csv");
    assert!(
        rows.len() >= 3,
        "the lines before the crash are in the file"
    );
    for row in &rows {
        number(row, "sent");
        number(row, "failed");
    }

    let wd = Workdir::new();
    throttled_cmd(&wd, &server, 40, &["--timeline", "run.svg"])
        .signal_when_grown("report.csv", 5, libc::SIGINT)
        .output()
        .await
        .assert_code(4);
    let svg = wd.read("run.svg");
    let (elements, text) = parse_svg(&svg);
    assert!(elements.contains_key("polyline"), "{elements:?}");
    assert!(text.contains("accepted/s"), "{text}");
}
