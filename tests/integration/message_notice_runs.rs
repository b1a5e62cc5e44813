//! The messages SignUp makes Cognito send, said up front: a pool that
//! auto-verifies email (`--pool`) is said once before the first row
//! settles, with how many users will get one, the default sender's 50 a
//! day and the silent ways; without `--pool` the first answer's
//! CodeDeliveryDetails is the moment; `--quiet` leaves it to the summary,
//! which counts what Cognito said it sent; AdminCreateUser sends nothing
//! and says nothing.

use serde_json::json;

use crate::steps_runs::with_credentials;
use crate::workdir::*;

const SAID: &str = "will each get a verification email";

#[tokio::test]
async fn a_pool_that_auto_verifies_email_is_said_before_the_first_row_and_counted() {
    let wd = Workdir::new();
    wd.users_csv("users.csv", "note", 4);
    let out = wd
        .run("users.csv")
        .report("report.csv")
        .arg("--emulator")
        .arg(sample("pool.json"))
        .arg("--pool")
        .arg(sample("pool.json"))
        // Each settled row is a debug line: the notice must come first.
        .arg("-v")
        .output()
        .await
        .assert_code(0);
    let said = out
        .stderr
        .find("up to 4 users will each get a verification email");
    let first_row = out.stderr.find("row settled");
    assert!(
        matches!((said, first_row), (Some(s), Some(r)) if s < r),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.matches(SAID).count(), 1, "said once");
    for part in [
        "AutoVerifiedAttributes",
        "stops at 50 emails a day",
        "--api admin-create-user",
        "pre sign-up Lambda",
    ] {
        assert!(out.stderr.contains(part), "{part}: {}", out.stderr);
    }
    assert!(
        out.stderr
            .contains("4 verification messages sent (EMAIL: 4, SMS: 0)"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn without_a_pool_the_first_answer_that_shows_a_message_is_the_moment() {
    let wd = Workdir::new();
    wd.users_csv("users.csv", "late", 3);
    let out = wd
        .run("users.csv")
        .report("report.csv")
        .arg("--emulator")
        .arg(sample("pool.json"))
        .output()
        .await
        .assert_code(0);
    assert!(
        out.stderr
            .contains("saying it sent a verification code by EMAIL"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("up to 3 users"), "{}", out.stderr);
    assert_eq!(out.stderr.matches(SAID).count(), 1, "said once");
    // --quiet: not said up front, but a cron job still reads it in the summary.
    let out = wd
        .run("users.csv")
        .report("quiet.csv")
        .arg("--emulator")
        .arg(sample("pool.json"))
        .arg("-q")
        .output()
        .await
        .assert_code(0);
    assert!(!out.stderr.contains(SAID), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("3 verification messages sent (EMAIL: 3, SMS: 0)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("50 emails a day"), "{}", out.stderr);
}

#[tokio::test]
async fn admin_create_user_sends_no_message_and_says_none() {
    let Some(server) = Endpoint::moto(false).await else {
        return;
    };
    let wd = Workdir::new();
    wd.users_csv("users.csv", "quiet", 2);
    // The pool id comes from --pool, as for the steps.
    let pool = json!({"UserPool": {
        "Id": server.pool_id,
        "AutoVerifiedAttributes": ["email"],
        "SchemaAttributes": [{"Name": "custom:tier", "AttributeDataType": "String"}],
    }});
    wd.write("pool.json", &pool.to_string());
    let out = with_credentials(wd.run("users.csv").report("report.csv"))
        .args(["--api", "admin-create-user", "--endpoint-url", &server.url])
        .arg("--pool")
        .arg(wd.path("pool.json"))
        .output()
        .await
        .assert_code(0);
    assert!(!out.stderr.contains("verification"), "{}", out.stderr);
    let entries = wd.read_report("report.csv");
    assert!(entries
        .iter()
        .all(|e| e.status == Some(Status::Created) && e.delivery_medium.is_empty()));
}
