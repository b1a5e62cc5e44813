//! The admin steps after sign-up (`--confirm`, `--verify`, `--group`,
//! `[account]`), signed with credentials from the standard AWS chain, against
//! moto, an independent implementation of the admin operations: the users
//! end confirmed, verified and in their groups; a failed step is reported
//! and resumed without a second sign-up; a nightly re-run gives `exists`
//! rows their steps and their `sub`.

use serde_json::{json, Value};

use crate::workdir::*;

/// Credentials for moto (which takes any) from the environment, as the
/// default chain reads them; no profile or instance metadata is consulted.
pub fn with_credentials(cmd: Cmd) -> Cmd {
    cmd.env("AWS_ACCESS_KEY_ID", "AKIDTESTSTEPS")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret-not-real")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
}

async fn create_group(server: &Endpoint, name: &str) {
    let (status, body) = server
        .call(
            "CreateGroup",
            json!({"UserPoolId": server.pool_id, "GroupName": name}),
        )
        .await;
    assert_eq!(status, 200, "CreateGroup: {body}");
}

/// AdminGetUser's answer and the user's groups, from moto.
async fn user_state(server: &Endpoint, username: &str) -> (Value, Vec<String>) {
    let user = json!({"UserPoolId": server.pool_id, "Username": username});
    let (status, got) = server.call("AdminGetUser", user.clone()).await;
    assert_eq!(status, 200, "AdminGetUser {username}: {got}");
    let (status, groups) = server.call("AdminListGroupsForUser", user).await;
    assert_eq!(status, 200, "AdminListGroupsForUser: {groups}");
    let names = groups["Groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["GroupName"].as_str().expect("name").to_owned())
        .collect();
    (got, names)
}

fn attribute<'a>(user: &'a Value, name: &str) -> Option<&'a str> {
    user["UserAttributes"]
        .as_array()?
        .iter()
        .find(|a| a["Name"] == name)?["Value"]
        .as_str()
}

fn steps_run(wd: &Workdir, server: &Endpoint, input: &str) -> Cmd {
    with_credentials(wd.run(input).against(server).report("report.csv")).args([
        "--user-pool-id",
        &server.pool_id,
        "--region",
        "us-east-1",
    ])
}

#[tokio::test]
async fn confirmed_verified_and_grouped_against_moto() {
    let Some(server) = Endpoint::moto(false).await else {
        return;
    };
    create_group(&server, "testers").await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "step", 4);
    steps_run(&wd, &server, "users.csv")
        .args(["--confirm", "--verify", "email", "--group", "testers"])
        .output()
        .await
        .assert_code(0);
    let entries = wd.read_report("report.csv");
    assert_eq!(entries.len(), 4);
    for entry in &entries {
        assert_eq!(entry.status, Some(Status::Created), "{entry:?}");
        assert_eq!(entry.steps, "confirm;verify:email;group:testers");
        assert_eq!(entry.step_error, "");
        let (user, groups) = user_state(&server, &entry.username).await;
        assert_eq!(user["UserStatus"], "CONFIRMED", "{user}");
        assert_eq!(attribute(&user, "email_verified"), Some("true"), "{user}");
        assert_eq!(groups, ["testers"]);
    }
}

#[tokio::test]
async fn a_failed_step_is_reported_and_resumed_without_a_second_sign_up() {
    let Some(server) = Endpoint::moto(false).await else {
        return;
    };
    let wd = Workdir::new();
    wd.users_csv("users.csv", "later", 3);
    // The group does not exist yet: every row's group step fails.
    let out = steps_run(&wd, &server, "users.csv")
        .args(["--confirm", "--group", "staff"])
        .output()
        .await;
    assert_ne!(
        out.code, 0,
        "a failed step is not a success: {}",
        out.stderr
    );
    let first = wd.read_report("report.csv");
    assert!(first.iter().all(|e| e.status == Some(Status::Created)));
    // The first row's group step meets the missing group; that stops the
    // steps for every later row (each would fail the same way).
    assert!(
        first[0]
            .step_error
            .starts_with("group:staff: ResourceNotFoundException"),
        "{first:?}"
    );
    assert_eq!(first[0].steps, "confirm");
    assert!(first.iter().all(|e| !e.step_error.is_empty()), "{first:?}");
    assert!(
        out.stderr.contains("steps after sign-up stopped"),
        "{}",
        out.stderr
    );
    let subs: Vec<String> = first.iter().map(|e| e.user_sub.clone()).collect();
    create_group(&server, "staff").await;
    steps_run(&wd, &server, "users.csv")
        .args(["--confirm", "--group", "staff", "--resume"])
        .output()
        .await
        .assert_code(0);
    let resumed = wd.read_report("report.csv");
    assert_eq!(resumed.len(), 3);
    for (entry, sub) in resumed.iter().zip(&subs) {
        assert_eq!(entry.status, Some(Status::Created), "{entry:?}");
        assert_eq!(entry.steps, "confirm;group:staff");
        assert!(entry.note.contains("steps were resumed"), "{entry:?}");
        // Not signed up again: the same user, whose sub AdminGetUser gives.
        assert_eq!(&entry.user_sub, sub);
        assert_eq!(entry.attempts, 0, "no SignUp was sent");
        let (user, groups) = user_state(&server, &entry.username).await;
        assert_eq!(user["UserStatus"], "CONFIRMED");
        assert_eq!(groups, ["staff"]);
    }
}

/// The nightly seed: the second run finds every user there, and still
/// gives them their steps (re-confirming and re-adding are successes) and
/// their `sub`.
#[tokio::test]
async fn a_nightly_rerun_gives_existing_users_their_steps_and_sub() {
    let Some(server) = Endpoint::moto(false).await else {
        return;
    };
    create_group(&server, "seed").await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "seed", 3);
    for _night in 0..2 {
        steps_run(&wd, &server, "users.csv")
            .args(["--confirm", "--group", "seed", "--overwrite"])
            .output()
            .await
            .assert_code(0);
    }
    let second = wd.read_report("report.csv");
    for entry in &second {
        assert_eq!(entry.status, Some(Status::Exists), "{entry:?}");
        assert_eq!(entry.steps, "confirm;group:seed", "{entry:?}");
        let (user, _) = user_state(&server, &entry.username).await;
        assert_eq!(Some(entry.user_sub.as_str()), attribute(&user, "sub"));
    }
}

#[tokio::test]
async fn steps_without_a_pool_id_stop_before_the_first_request() {
    let server = Endpoint::recorder(200, "{}").await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "nopool", 2);
    let out = with_credentials(wd.run("users.csv").against(&server).report("report.csv"))
        .args(["--confirm"])
        .output()
        .await
        .assert_code(2);
    assert!(out.stderr.contains("--user-pool-id"), "{}", out.stderr);
    assert!(server.recorded().is_empty(), "nothing was sent");
}
