//! The emulator's own safety rules, through the real binary: control
//! characters refused in what it would store (raw JSON 1.1 calls, so no
//! client check stands in front), and the warning when it listens on an
//! address other machines may reach.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::workdir::*;

fn sign_up(server: &Endpoint, username: &str, attributes: &[(&str, &str)]) -> Value {
    let attributes: Vec<Value> = attributes
        .iter()
        .map(|(name, value)| json!({"Name": name, "Value": value}))
        .collect();
    json!({
        "ClientId": server.client_id,
        "Username": username,
        "Password": "Passw0rd-ok",
        "UserAttributes": attributes,
    })
}

/// Sends a SignUp that must be refused with `InvalidParameterException`,
/// HTTP 400, in Cognito's wire form (header and `__type`).
async fn assert_refused(server: &Endpoint, username: &str, attributes: &[(&str, &str)]) {
    let answer = server
        .call_answer("SignUp", sign_up(server, username, attributes))
        .await;
    let what = format!("{username:?} {attributes:?}: {answer:?}");
    assert_eq!(answer.status, 400, "{what}");
    assert_eq!(
        answer.error_type.as_deref(),
        Some("InvalidParameterException:"),
        "{what}"
    );
    assert_eq!(answer.body["__type"], "InvalidParameterException", "{what}");
}

#[tokio::test]
async fn a_nul_byte_inside_an_email_is_refused_and_no_user_is_created() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    assert_refused(&server, "ann", &[("email", "ann\u{0}@example.com")]).await;
    assert!(server.admin_get_user("ann").await.is_none());
    assert!(server.list_users().await.is_empty());
    assert_eq!(server.stats().await.users, 0);
    // The same sign-up with a clean email goes through: the NUL was the reason.
    let (status, body) = server
        .call(
            "SignUp",
            sign_up(&server, "ann", &[("email", "ann@example.com")]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.stats().await.users, 1);
}

#[tokio::test]
async fn control_characters_are_refused_but_tabs_in_free_text_are_kept() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let email = ("email", "bo@example.com");
    assert_refused(&server, "bo\u{1}", &[email]).await;
    assert_refused(&server, "bo", &[email, ("given_name", "Bo\u{7f}")]).await;
    assert_refused(&server, "bo", &[email, ("address", "1 Main St\u{1b}[2J")]).await;
    assert_refused(&server, "bo", &[("email", "bo\t@example.com")]).await;
    assert_refused(&server, "bo", &[("email", "bo@example.com\n")]).await;
    assert_refused(&server, "bo", &[email, ("address", "1 Main St\r\nX")]).await;
    assert_eq!(server.stats().await.users, 0);
    let free_text = [("given_name", "Bo\tJo"), ("address", "1 Main St\tX")];
    let (status, body) = server
        .call(
            "SignUp",
            sign_up(&server, "bo", &[email, free_text[0], free_text[1]]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let user = server.admin_get_user("bo").await.expect("bo was created");
    for (name, value) in free_text {
        assert_eq!(
            attribute(&user.user_attributes, name),
            Some(value),
            "{name}"
        );
    }
}

/// Starts `bulk-signup emulator --host HOST --port 0`, reads its stderr up to
/// the "listening" line, kills it by PID at once and returns what it printed.
async fn start_up_messages(host: &str) -> String {
    let mut child = Command::new(BIN)
        .args(["emulator", "--pool"])
        .arg(sample("pool.json"))
        .args(["--host", host, "--port", "0"])
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("emulator starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut printed = String::new();
    let read = async {
        while let Some(line) = lines.next_line().await.expect("read stderr") {
            printed.push_str(&line);
            printed.push('\n');
            if line.contains("listening on") {
                return true;
            }
        }
        false
    };
    let listening = tokio::time::timeout(Duration::from_secs(20), read).await;
    if let Some(pid) = child.id() {
        // SAFETY: killing the emulator this test started, by its PID.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    }
    let _ = child.wait().await;
    assert_eq!(
        listening.ok(),
        Some(true),
        "the emulator said where it listens:\n{printed}"
    );
    printed
}

#[tokio::test]
async fn a_non_loopback_host_is_warned_about_at_start_up() {
    let printed = start_up_messages("0.0.0.0").await;
    assert!(
        printed.contains("warning: --host 0.0.0.0 is not a loopback address"),
        "{printed}"
    );
    assert!(printed.contains("personal data"), "{printed}");
}

#[tokio::test]
async fn a_loopback_host_starts_without_the_warning() {
    let printed = start_up_messages("127.0.0.1").await;
    assert!(!printed.contains("warning"), "{printed}");
}
