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

/// Signs as the emulator `server` with `secret` (its own, or a wrong one),
/// through the default chain; names its pool and region.
pub fn signed_by(cmd: Cmd, server: &Endpoint, secret: &str) -> Cmd {
    cmd.env("AWS_ACCESS_KEY_ID", &server.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .args([
            "--user-pool-id",
            &server.pool_id,
            "--region",
            &server.region,
        ])
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

/// `kill -9` mid-run, some rows between their SignUp and their steps:
/// `--resume` finishes every row's steps, and no user is created twice
/// (a row whose SignUp answer was lost comes back `exists`, noted).
#[tokio::test]
async fn a_kill_mid_run_then_resume_finishes_the_steps_without_a_second_user() {
    let Some(server) = Endpoint::moto(false).await else {
        return;
    };
    create_group(&server, "crew").await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "kill", 30);
    let killed = steps_run(&wd, &server, "users.csv")
        .args([
            "--confirm",
            "--group",
            "crew",
            "--rate",
            "20",
            "--concurrency",
            "8",
        ])
        .signal_when_grown("report.csv", 6, libc::SIGKILL)
        .output()
        .await;
    assert_eq!(killed.signal, Some(libc::SIGKILL), "{}", killed.stderr);
    steps_run(&wd, &server, "users.csv")
        .args(["--confirm", "--group", "crew", "--resume"])
        .output()
        .await
        .assert_code(0);
    let entries = wd.read_report("report.csv");
    assert_eq!(entries.len(), 30);
    let (status, listed) = server
        .call("ListUsers", json!({"UserPoolId": server.pool_id}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        listed["Users"].as_array().expect("users").len(),
        30,
        "one user per row"
    );
    for entry in &entries {
        assert!(
            matches!(entry.status, Some(Status::Created | Status::Exists)),
            "{entry:?}"
        );
        assert_eq!(entry.steps, "confirm;group:crew", "{entry:?}");
        let (user, groups) = user_state(&server, &entry.username).await;
        assert_eq!(user["UserStatus"], "CONFIRMED");
        assert_eq!(groups, ["crew"]);
    }
}

/// Against the built-in emulator, which checks every signature as AWS
/// does: with its printed keys the steps go through; with a wrong secret
/// the first step is refused (InvalidSignatureException) and the steps stop.
#[tokio::test]
async fn the_emulator_accepts_the_steps_signatures_and_refuses_a_wrong_secret() {
    let server = Endpoint::emulator(sample("pool.json"), &["--group", "testers"]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "emu", 3);
    let run = |secret: &str, report: &str| {
        let cmd = wd.run("users.csv").against(&server).report(report);
        signed_by(cmd, &server, secret).args([
            "--confirm",
            "--verify",
            "email",
            "--group",
            "testers",
        ])
    };
    run(&server.secret_access_key, "report.csv")
        .output()
        .await
        .assert_code(0);
    for entry in wd.read_report("report.csv") {
        assert_eq!(
            entry.steps, "confirm;verify:email;group:testers",
            "{entry:?}"
        );
        let user = server.admin_get_user(&entry.username).await.expect("user");
        assert_eq!(user.user_status, "CONFIRMED");
        let verified = user
            .user_attributes
            .iter()
            .find(|a| &*a.name == "email_verified")
            .map(|a| a.value.as_str());
        assert_eq!(verified, Some("true"));
        let groups = server
            .call_signed(
                "AdminListGroupsForUser",
                json!({"UserPoolId": server.pool_id, "Username": entry.username}),
            )
            .await;
        assert_eq!(
            groups.body["Groups"][0]["GroupName"], "testers",
            "{:?}",
            groups.body
        );
    }
    wd.users_csv("others.csv", "wrongkey", 2);
    let out = run("not-the-secret", "wrong.csv")
        .arg("--overwrite")
        .output()
        .await;
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("InvalidSignatureException"),
        "{}",
        out.stderr
    );
    let entries = wd.read_report("wrong.csv");
    assert!(
        entries.iter().all(|e| !e.step_error.is_empty()),
        "{entries:?}"
    );
}

/// `run --emulator` rehearses the steps with no AWS account at all: the
/// in-process emulator's own keys sign them, and `--group` exists there.
#[tokio::test]
async fn run_emulator_rehearses_the_steps_without_credentials() {
    let wd = Workdir::new();
    wd.users_csv("users.csv", "rehearse", 4);
    wd.run("users.csv")
        .report("report.csv")
        .arg("--emulator")
        .arg(sample("pool.json"))
        .args(["--confirm", "--verify", "email", "--group", "testers"])
        .output()
        .await
        .assert_code(0);
    let entries = wd.read_report("report.csv");
    assert_eq!(entries.len(), 4);
    for entry in entries {
        assert_eq!(entry.status, Some(Status::Created));
        assert_eq!(
            entry.steps, "confirm;verify:email;group:testers",
            "{entry:?}"
        );
        assert_eq!(entry.step_error, "");
    }
}

/// The README's first command, as written there: 54 users created,
/// confirmed and grouped, 6 refused, exit code 1.
#[tokio::test]
async fn the_readme_main_job_confirms_and_groups_the_sample_users() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let line = readme
        .lines()
        .find(|l| l.starts_with("cargo run --release -- run samples/users.csv"))
        .expect("the README's main job");
    let args: Vec<&str> = line
        .trim_start_matches("cargo run --release -- ")
        .split_whitespace()
        .collect();
    let wd = Workdir::new();
    let args: Vec<String> = args
        .iter()
        .map(|a| match *a {
            "samples/users.csv" | "samples/pool.json" => sample(&a["samples/".len()..])
                .to_string_lossy()
                .into_owned(),
            other => other.to_owned(),
        })
        .collect();
    wd.command(&args).output().await.assert_code(1);
    let entries = wd.read_report("report.csv");
    let grouped = entries
        .iter()
        .filter(|e| e.status == Some(Status::Created) && e.steps == "confirm;group:testers")
        .count();
    assert_eq!(grouped, 54, "{entries:?}");
    assert_eq!(entries.len(), 60);
}

/// The mapping carries each user's own state: `--verify email` marks only
/// the rows whose source says verified, `[account] groups` adds each user to
/// its own groups, and `enabled = false` disables the account.
#[tokio::test]
async fn each_users_own_verified_state_groups_and_account_state_are_kept() {
    let server = Endpoint::emulator(
        sample("pool.json"),
        &["--group", "admins", "--group", "staff", "--group", "all"],
    )
    .await;
    let wd = Workdir::new();
    wd.write(
        "users.csv",
        "username,password,email,Verified,Roles,Active\n\
         own1,Pw-1-Secret9x,own1@example.com,TRUE,admins;staff,yes\n\
         own2,Pw-2-Secret9x,own2@example.com,false,staff,no\n\
         own3,Pw-3-Secret9x,own3@example.com,1,,true\n",
    );
    wd.write(
        "mapping.toml",
        "username = \"username\"\npassword = \"password\"\n[attributes]\nemail = \"email\"\n\
         [account]\nemail_verified = \"Verified\"\ngroups = { column = \"Roles\", split = \";\" }\nenabled = \"Active\"\n",
    );
    let cmd = wd.run("users.csv").against(&server).report("report.csv");
    signed_by(cmd, &server, &server.secret_access_key)
        .args([
            "--mapping",
            "mapping.toml",
            "--verify",
            "email",
            "--group",
            "all",
        ])
        .output()
        .await
        .assert_code(0);
    let steps: Vec<(String, String, String)> = wd
        .read_report("report.csv")
        .into_iter()
        .map(|e| (e.username, e.verified, e.steps))
        .collect();
    assert_eq!(
        steps,
        [
            (
                "own1".into(),
                "email".into(),
                "verify:email;group:all;group:admins;group:staff".into()
            ),
            (
                "own2".into(),
                "".into(),
                "group:all;group:staff;disable".into()
            ),
            (
                "own3".into(),
                "email".into(),
                "verify:email;group:all".into()
            ),
        ]
    );
    let own2 = server.admin_get_user("own2").await.expect("own2");
    assert!(!own2.enabled, "own2 was inactive in the source");
    let verified = |user: &str| {
        let server = &server;
        let user = user.to_owned();
        async move {
            let got = server.admin_get_user(&user).await.expect("user");
            got.user_attributes
                .iter()
                .find(|a| &*a.name == "email_verified")
                .map(|a| a.value.clone())
        }
    };
    assert_eq!(verified("own1").await.as_deref(), Some("true"));
    assert_ne!(verified("own2").await.as_deref(), Some("true"));
    assert!(server.admin_get_user("own1").await.expect("own1").enabled);
}

/// With the pool id given (admin credentials meant to be used), `exists`
/// rows get their `sub` even without steps; without credentials the run
/// is not failed for it: a warning, and the subs stay empty.
#[tokio::test]
async fn exists_rows_get_their_sub_when_the_pool_id_is_given() {
    let Some(server) = Endpoint::moto(false).await else {
        return;
    };
    let wd = Workdir::new();
    wd.users_csv("users.csv", "subs", 3);
    let base = |report: &str| {
        wd.run("users.csv").against(&server).report(report).args([
            "--user-pool-id",
            &server.pool_id,
            "--region",
            "us-east-1",
        ])
    };
    with_credentials(base("first.csv"))
        .output()
        .await
        .assert_code(0);
    with_credentials(base("second.csv"))
        .output()
        .await
        .assert_code(0);
    let first = wd.read_report("first.csv");
    let second = wd.read_report("second.csv");
    for (created, exists) in first.iter().zip(&second) {
        assert_eq!(exists.status, Some(Status::Exists));
        assert!(!created.user_sub.is_empty());
        assert_eq!(
            exists.user_sub, created.user_sub,
            "read back with AdminGetUser"
        );
    }
    let out = base("third.csv")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .output()
        .await
        .assert_code(0);
    assert!(
        out.stderr.contains("could not read back the sub"),
        "{}",
        out.stderr
    );
    assert!(wd
        .read_report("third.csv")
        .iter()
        .all(|e| e.user_sub.is_empty()));
}

/// The same `kill -9` and `--resume` against the built-in emulator, which
/// checks every signature and counts its users exactly.
#[tokio::test]
async fn a_kill_mid_run_then_resume_finishes_the_steps_on_the_emulator_too() {
    let server = Endpoint::emulator(sample("pool.json"), &["--group", "crew"]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "emukill", 30);
    let run = || {
        let cmd = wd.run("users.csv").against(&server).report("report.csv");
        signed_by(cmd, &server, &server.secret_access_key).args(["--confirm", "--group", "crew"])
    };
    let killed = run()
        .args(["--rate", "20", "--concurrency", "8"])
        .signal_when_grown("report.csv", 6, libc::SIGKILL)
        .output()
        .await;
    assert_eq!(killed.signal, Some(libc::SIGKILL), "{}", killed.stderr);
    run().arg("--resume").output().await.assert_code(0);
    let entries = wd.read_report("report.csv");
    assert_eq!(entries.len(), 30);
    assert_eq!(server.list_users().await.len(), 30, "one user per row");
    assert_eq!(server.stats().await.created, 30, "no user created twice");
    for entry in &entries {
        assert_eq!(entry.steps, "confirm;group:crew", "{entry:?}");
        let user = server.admin_get_user(&entry.username).await.expect("user");
        assert_eq!(user.user_status, "CONFIRMED");
        let groups = server
            .call_signed(
                "AdminListGroupsForUser",
                json!({"UserPoolId": server.pool_id, "Username": entry.username}),
            )
            .await;
        assert_eq!(groups.body["Groups"][0]["GroupName"], "crew");
    }
}
