//! `--api admin-create-user` against moto, an independent implementation
//! of AdminCreateUser, AdminSetUserPassword, AdminGetUser and InitiateAuth,
//! signed with credentials from the environment: users sign in at once with
//! their old passwords, a row without one stays FORCE_CHANGE_PASSWORD, a
//! second run finds them `exists`, a failed password is resumed without a
//! second create, and refused combinations stop before any request.

use serde_json::{json, Value};

use crate::steps_runs::with_credentials;
use crate::workdir::*;

/// `run INPUT --api admin-create-user` against `server`, signed; no app
/// client id (AdminCreateUser names the pool).
fn admin_run(wd: &Workdir, server: &Endpoint, input: &str) -> Cmd {
    with_credentials(wd.run(input).report("report.csv")).args([
        "--api",
        "admin-create-user",
        "--endpoint-url",
        &server.url,
        "--user-pool-id",
        &server.pool_id,
    ])
}

/// An app client that may sign in with a password (USER_PASSWORD_AUTH).
async fn password_client(server: &Endpoint) -> String {
    let (status, client) = server
        .call(
            "CreateUserPoolClient",
            json!({"UserPoolId": server.pool_id, "ClientName": "signin",
                   "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
        )
        .await;
    assert_eq!(status, 200, "CreateUserPoolClient: {client}");
    client["UserPoolClient"]["ClientId"]
        .as_str()
        .expect("client id")
        .to_owned()
}

/// InitiateAuth USER_PASSWORD_AUTH: (HTTP status, answer).
async fn sign_in(
    server: &Endpoint,
    client_id: &str,
    username: &str,
    password: &str,
) -> (u16, Value) {
    server
        .call(
            "InitiateAuth",
            json!({"ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                   "AuthParameters": {"USERNAME": username, "PASSWORD": password}}),
        )
        .await
}

async fn user(server: &Endpoint, username: &str) -> AdminGetUserResponse {
    server
        .admin_get_user(username)
        .await
        .unwrap_or_else(|| panic!("{username} exists"))
}

#[tokio::test]
async fn admin_created_users_sign_in_at_once_with_their_old_passwords() {
    let Some(server) = Endpoint::moto(false).await else {
        return;
    };
    let client = password_client(&server).await;
    let wd = Workdir::new();
    wd.write(
        "users.csv",
        "username,password,email,Verified\nann,Pw-1-Secret9x,ann@example.com,yes\nbob,Pw-2-Secret9x,bob@example.com,no\n",
    );
    let out = admin_run(&wd, &server, "users.csv")
        .args(["--map", "Verified=account.email_verified"])
        .output()
        .await
        .assert_code(0);
    assert!(!out.stderr.contains("Secret9x"), "{}", out.stderr);
    assert!(!wd.read("report.csv").contains("Secret9x"));
    let entries = wd.read_report("report.csv");
    assert_eq!(entries.len(), 2);
    for (entry, verified) in entries.iter().zip(["true", "false"]) {
        assert_eq!(entry.status, Some(Status::Created), "{entry:?}");
        assert_eq!(entry.user_confirmed, Some(true), "{entry:?}");
        assert_eq!(entry.note, "password set (permanent)");
        assert_eq!((entry.attempts, entry.step_error.as_str()), (1, ""));
        let got = user(&server, &entry.username).await;
        assert_eq!(got.user_status, "CONFIRMED");
        assert_eq!(
            Some(entry.user_sub.as_str()),
            attribute(&got.user_attributes, "sub")
        );
        // The source's verified state, written by AdminCreateUser itself.
        assert_eq!(
            attribute(&got.user_attributes, "email_verified"),
            Some(verified)
        );
    }
    let (status, answer) = sign_in(&server, &client, "ann", "Pw-1-Secret9x").await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer["AuthenticationResult"]["IdToken"].is_string(),
        "{answer}"
    );
    let (status, _) = sign_in(&server, &client, "bob", "wrong-Password1").await;
    assert_eq!(status, 400, "only the old password signs in");
}

#[tokio::test]
async fn a_row_without_a_password_stays_force_change_password_and_a_rerun_finds_exists() {
    let Some(server) = Endpoint::moto(false).await else {
        return;
    };
    let wd = Workdir::new();
    wd.write(
        "users.csv",
        "username,password,email\ncat,Pw-3-Secret9x,cat@example.com\ndan,,dan@example.com\n",
    );
    admin_run(&wd, &server, "users.csv")
        .output()
        .await
        .assert_code(0);
    let first = wd.read_report("report.csv");
    assert_eq!(first[1].status, Some(Status::Created), "{first:?}");
    assert_eq!(first[1].user_confirmed, Some(false));
    assert!(
        first[1]
            .note
            .starts_with("no password: FORCE_CHANGE_PASSWORD"),
        "{first:?}"
    );
    assert_eq!(
        user(&server, "dan").await.user_status,
        "FORCE_CHANGE_PASSWORD"
    );
    assert_eq!(user(&server, "cat").await.user_status, "CONFIRMED");
    // The nightly re-run: both are there; neither is touched.
    let out = admin_run(&wd, &server, "users.csv")
        .arg("--overwrite")
        .output()
        .await
        .assert_code(0);
    let second = wd.read_report("report.csv");
    for (again, before) in second.iter().zip(&first) {
        assert_eq!(again.status, Some(Status::Exists), "{again:?}");
        assert_eq!(again.error_code, "UsernameExistsException");
        assert_eq!(
            again.user_sub, before.user_sub,
            "read back with AdminGetUser"
        );
    }
    assert!(
        second[0].note.contains("password of their own"),
        "{second:?}"
    );
    assert_eq!(second[1].user_confirmed, Some(false));
    assert!(out.stderr.contains("exists 2"), "{}", out.stderr);
}

/// The password step fails (moto holds the pool's policy); the user is
/// created all the same, and `--resume` sets the fixed password without a
/// second AdminCreateUser.
#[tokio::test]
async fn a_failed_password_is_reported_and_resumed_without_a_second_create() {
    let Some(server) = Endpoint::moto(false).await else {
        return;
    };
    let client = password_client(&server).await;
    let wd = Workdir::new();
    wd.write("users.csv", "username,password\neve,Sh0rt\n");
    let out = admin_run(&wd, &server, "users.csv")
        .output()
        .await
        .assert_code(1);
    let first = wd.read_report("report.csv");
    assert_eq!(first[0].status, Some(Status::Created), "{first:?}");
    assert!(
        first[0]
            .step_error
            .starts_with("password: InvalidPasswordException"),
        "{first:?}"
    );
    assert!(!first[0].step_error.contains("Sh0rt"), "{first:?}");
    assert!(out.stderr.contains("--resume"), "{}", out.stderr);
    assert_eq!(
        user(&server, "eve").await.user_status,
        "FORCE_CHANGE_PASSWORD"
    );
    wd.write("users.csv", "username,password\neve,Long-Enough-9x\n");
    admin_run(&wd, &server, "users.csv")
        .arg("--resume")
        .output()
        .await
        .assert_code(0);
    let resumed = wd.read_report("report.csv");
    assert_eq!(resumed[0].status, Some(Status::Created), "{resumed:?}");
    assert_eq!(resumed[0].attempts, 0, "no second AdminCreateUser");
    assert!(
        resumed[0].note.contains("password set (permanent)"),
        "{resumed:?}"
    );
    assert_eq!(resumed[0].user_sub, first[0].user_sub);
    let (status, answer) = sign_in(&server, &client, "eve", "Long-Enough-9x").await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test]
async fn a_temporary_password_leaves_the_user_to_choose_a_new_one() {
    let Some(server) = Endpoint::moto(false).await else {
        return;
    };
    let wd = Workdir::new();
    wd.users_csv("users.csv", "temp", 1);
    admin_run(&wd, &server, "users.csv")
        .arg("--no-permanent-password")
        .output()
        .await
        .assert_code(0);
    let entries = wd.read_report("report.csv");
    assert_eq!(entries[0].user_confirmed, Some(false), "{entries:?}");
    assert!(entries[0].note.contains("temporary"), "{entries:?}");
    let got = user(&server, "temp1").await;
    assert_eq!(got.user_status, "FORCE_CHANGE_PASSWORD");
    assert_eq!(
        attribute(&got.user_attributes, "custom:tier"),
        Some("silver")
    );
}

#[tokio::test]
async fn refused_combinations_stop_before_any_request() {
    let server = Endpoint::recorder(200, "{}").await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "refused", 2);
    let run = || with_credentials(wd.run("users.csv").against(&server).report("report.csv"));
    let out = run()
        .args([
            "--api",
            "admin-create-user",
            "--user-pool-id",
            "us-east-1_AbC123",
        ])
        .arg("--confirm")
        .output()
        .await
        .assert_code(2);
    assert!(
        out.stderr.contains("--confirm is for SignUp users"),
        "{}",
        out.stderr
    );
    let out = run()
        .args(["--api", "admin-create-user"])
        .output()
        .await
        .assert_code(2);
    assert!(
        out.stderr
            .contains("--api admin-create-user makes admin calls that name the user pool"),
        "{}",
        out.stderr
    );
    let out = run().arg("--send-invitation").output().await.assert_code(2);
    assert!(
        out.stderr.contains("is for --api admin-create-user"),
        "{}",
        out.stderr
    );
    assert!(server.recorded().is_empty(), "nothing was sent");
    assert!(!wd.exists("report.csv"));
}

/// A pool Cognito does not know stops the run after the first row, with
/// advice that names the pool id, not the app client.
#[tokio::test]
async fn an_unknown_pool_stops_the_run_after_the_first_row() {
    let Some(server) = Endpoint::moto(false).await else {
        return;
    };
    let wd = Workdir::new();
    wd.users_csv("users.csv", "nopool", 3);
    let out = with_credentials(wd.run("users.csv").report("report.csv"))
        .args(["--api", "admin-create-user", "--endpoint-url", &server.url])
        .args(["--user-pool-id", "us-east-1_Unknown123"])
        .output()
        .await
        .assert_code(3);
    assert!(
        out.stderr.contains("Cognito does not know this user pool"),
        "{}",
        out.stderr
    );
    let entries = wd.read_report("report.csv");
    assert_eq!(entries[0].error_code, "ResourceNotFoundException");
    assert_eq!(
        entries.iter().map(|e| e.attempts).sum::<u32>(),
        1,
        "{entries:?}"
    );
    assert!(
        entries[1].note.starts_with("not sent: the run stopped"),
        "{entries:?}"
    );
}
