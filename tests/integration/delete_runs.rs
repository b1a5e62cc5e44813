//! `delete-users`, the teardown of what a run created, against moto with
//! credentials from the environment: it lists (without `--yes`) and
//! deletes exactly the users the run's report says it created, never an
//! `exists` row's user, one created outside the run, or one someone
//! re-created under the same name since (another sub); `--resume` finishes
//! an interrupted deletion without redoing settled users; an output that
//! is the input, or no pool id, stops it before any request.

use std::collections::BTreeSet;

use serde_json::json;

use crate::steps_runs::with_credentials;
use crate::workdir::*;

/// Signs `username` up directly (not through a run); its sub.
async fn sign_up(server: &Endpoint, username: &str) -> String {
    let (status, body) = server
        .call(
            "SignUp",
            json!({
                "ClientId": server.client_id,
                "Username": username,
                "Password": "Pw-0-Secret9x",
                "UserAttributes": [{"Name": "email", "Value": format!("{username}@example.com")}]
            }),
        )
        .await;
    assert_eq!(status, 200, "SignUp {username}: {body}");
    body["UserSub"].as_str().expect("a sub").to_owned()
}

/// Deletes `username` directly, as someone else would.
async fn delete_directly(server: &Endpoint, username: &str) {
    let body = json!({"UserPoolId": server.pool_id, "Username": username});
    let (status, answer) = server.call("AdminDeleteUser", body).await;
    assert_eq!(status, 200, "AdminDeleteUser {username}: {answer}");
}

/// The pool's usernames.
async fn usernames(server: &Endpoint) -> BTreeSet<String> {
    let users = server.list_users().await;
    users.into_iter().map(|u| u.username).collect()
}

/// The sub of `username` in the pool now.
async fn sub_now(server: &Endpoint, username: &str) -> Option<String> {
    let user = server.admin_get_user(username).await?;
    attribute(&user.user_attributes, "sub").map(str::to_owned)
}

/// `bulk-signup run INPUT` to `run.csv`; with `--confirm`, so that an
/// `exists` row gets its sub too (the strongest case for leaving it alone).
async fn run_signups(wd: &Workdir, server: &Endpoint, input: &str) -> Output {
    with_credentials(wd.run(input).against(server).report("run.csv"))
        .args(["--confirm", "--user-pool-id", &server.pool_id])
        .output()
        .await
}

/// `bulk-signup delete-users INPUT --report REPORT` against `server`.
fn delete_users(wd: &Workdir, server: &Endpoint, input: &str, report: &str) -> Cmd {
    let cmd = wd
        .command(["delete-users"])
        .arg(wd.path(input))
        .report(report);
    with_credentials(cmd).args([
        "--endpoint-url",
        &server.url,
        "--user-pool-id",
        &server.pool_id,
    ])
}

/// The deletion report's (row, username, status, error_code) per line.
fn deletion_lines(wd: &Workdir, report: &str) -> Vec<(String, String, String, String)> {
    wd.csv_rows(report)
        .into_iter()
        .map(|r| {
            let get = |k: &str| r.get(k).cloned().unwrap_or_default();
            (
                get("row"),
                get("username"),
                get("status"),
                get("error_code"),
            )
        })
        .collect()
}

fn line(row: &str, user: &str, status: &str, code: &str) -> (String, String, String, String) {
    (row.into(), user.into(), status.into(), code.into())
}

#[tokio::test]
async fn lists_then_deletes_exactly_the_users_the_run_created() {
    let Some(server) = Endpoint::moto(false).await else {
        return;
    };
    let wd = Workdir::new();
    wd.users_csv("users.csv", "del", 4);
    // del2 was someone's before the run: its row is `exists`.
    let theirs = sign_up(&server, "del2").await;
    run_signups(&wd, &server, "users.csv").await.assert_code(0);
    let run = wd.read_report("run.csv");
    assert_eq!(run[1].status, Some(Status::Exists), "{run:?}");
    assert_eq!(run[1].user_sub, theirs, "the exists row has a sub, too");
    sign_up(&server, "extra1").await;
    let everyone = usernames(&server).await;
    assert_eq!(everyone.len(), 5, "{everyone:?}");

    let out = delete_users(&wd, &server, "run.csv", "listed.csv")
        .output()
        .await
        .assert_code(0);
    let listed: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(listed.len(), 4, "{}", out.stdout);
    for (line, user) in listed.iter().zip(["del1", "del3", "del4"]) {
        assert!(line.starts_with(&format!("would delete {user} ")), "{line}");
    }
    assert_eq!(listed[3], "3 users would be deleted");
    assert!(out.stderr.contains("would_delete 3"), "{}", out.stderr);
    assert_eq!(usernames(&server).await, everyone, "nothing was deleted");
    assert_eq!(
        deletion_lines(&wd, "listed.csv"),
        [
            line("1", "del1", "would_delete", ""),
            line("3", "del3", "would_delete", ""),
            line("4", "del4", "would_delete", ""),
        ]
    );

    let out = delete_users(&wd, &server, "run.csv", "deleted.csv")
        .arg("--yes")
        .output()
        .await
        .assert_code(0);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("deleted 3"), "{}", out.stderr);
    let left: Vec<String> = usernames(&server).await.into_iter().collect();
    assert_eq!(left, ["del2", "extra1"]);
    assert_eq!(sub_now(&server, "del2").await, Some(theirs));
    let mode = std::fs::metadata(wd.path("deleted.csv"))
        .expect("report")
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );
    assert_eq!(
        wd.read("deleted.csv"),
        format!(
            "row,username,user_sub,status,error_code,error_message\n1,del1,{},deleted,,\n3,del3,{},deleted,,\n4,del4,{},deleted,,\n",
            run[0].user_sub, run[2].user_sub, run[3].user_sub
        )
    );
    // Refused without --overwrite: a deletion report is never replaced unasked.
    let out = delete_users(&wd, &server, "run.csv", "deleted.csv")
        .arg("--yes")
        .output()
        .await
        .assert_code(2);
    assert!(out.stderr.contains("--overwrite"), "{}", out.stderr);
}

#[tokio::test]
async fn a_user_someone_re_created_is_skipped_and_kept() {
    let Some(server) = Endpoint::moto(false).await else {
        return;
    };
    let wd = Workdir::new();
    wd.users_csv("users.csv", "rc", 3);
    run_signups(&wd, &server, "users.csv").await.assert_code(0);
    // Between the run and the teardown: rc1 deleted and signed up again by
    // someone else (a new sub); rc3 deleted.
    delete_directly(&server, "rc1").await;
    let new_sub = sign_up(&server, "rc1").await;
    delete_directly(&server, "rc3").await;
    let out = delete_users(&wd, &server, "run.csv", "deleted.ndjson")
        .arg("--yes")
        .output()
        .await
        .assert_code(1);
    assert!(out.stderr.contains("skipped 1"), "{}", out.stderr);
    let entries: Vec<serde_json::Value> = wd
        .read("deleted.ndjson")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let statuses: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().expect("a string");
            (text("username"), text("status"))
        })
        .collect();
    assert_eq!(
        statuses,
        [("rc1", "skipped"), ("rc2", "deleted"), ("rc3", "gone")]
    );
    assert_eq!(entries[0]["error_code"], "SubMismatch");
    let why = entries[0]["error_message"].as_str().expect("why");
    assert!(
        why.contains(&new_sub) && why.contains("left alone"),
        "{why}"
    );
    assert_eq!(entries[2]["error_code"], "UserNotFoundException");
    assert_eq!(sub_now(&server, "rc1").await, Some(new_sub));
    let left: Vec<String> = usernames(&server).await.into_iter().collect();
    assert_eq!(left, ["rc1"]);
}

#[tokio::test]
async fn resume_finishes_an_interrupted_deletion_without_redoing_settled_users() {
    let Some(server) = Endpoint::moto(false).await else {
        return;
    };
    let wd = Workdir::new();
    wd.users_csv("users.csv", "res", 4);
    run_signups(&wd, &server, "users.csv").await.assert_code(0);
    delete_directly(&server, "res2").await;
    let new_sub = sign_up(&server, "res2").await;
    sign_up(&server, "extra1").await;
    // An interrupted session: it settled the first two users (the input
    // report's first two rows), then was killed mid-line.
    let run = wd.read("run.csv");
    let first_two: Vec<&str> = run.lines().take(3).collect();
    wd.write("first-two.csv", &format!("{}\n", first_two.join("\n")));
    delete_users(&wd, &server, "first-two.csv", "deleted.csv")
        .arg("--yes")
        .output()
        .await
        .assert_code(1);
    let report = wd.read("deleted.csv");
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 3, "{report}");
    // Only the first line survives, and half of the second.
    let torn = format!("{}\n{}\n{}", lines[0], lines[1], &lines[2][..6]);
    wd.write("deleted.csv", &torn);

    let out = delete_users(&wd, &server, "run.csv", "deleted.csv")
        .args(["--yes", "--resume"])
        .output()
        .await
        .assert_code(1);
    assert!(
        out.stderr
            .contains("1 of them were settled by an earlier session"),
        "{}",
        out.stderr
    );
    // res1 was not checked again: that would have made it `gone`.
    assert_eq!(
        deletion_lines(&wd, "deleted.csv"),
        [
            line("1", "res1", "deleted", ""),
            line("2", "res2", "skipped", "SubMismatch"),
            line("3", "res3", "deleted", ""),
            line("4", "res4", "deleted", ""),
        ]
    );
    let left: Vec<String> = usernames(&server).await.into_iter().collect();
    assert_eq!(left, ["extra1", "res2"]);
    assert_eq!(sub_now(&server, "res2").await, Some(new_sub));
    // Settled users are not considered again, however often it is resumed.
    let out = delete_users(&wd, &server, "run.csv", "deleted.csv")
        .args(["--yes", "--resume"])
        .output()
        .await
        .assert_code(1);
    assert!(out.stderr.contains("0 admin requests"), "{}", out.stderr);
    assert_eq!(deletion_lines(&wd, "deleted.csv").len(), 4);
}

/// A results report of one created user, written by hand.
fn one_user_report(wd: &Workdir) -> String {
    let header = "row,username,status,user_sub,user_confirmed,delivery_medium,delivery_destination,error_code,error_message,attempts,request_id,note,source_row,verified,steps,step_error";
    let text = format!("{header}\n1,ann,created,0b5e-ann,false,,,,,1,,,,,,\n");
    wd.write("run.csv", &text);
    text
}

#[tokio::test]
async fn an_output_over_the_input_or_no_pool_id_stops_before_any_request() {
    let server = Endpoint::recorder(200, "{}").await;
    let wd = Workdir::new();
    let text = one_user_report(&wd);
    let to_recorder = |report: &str| {
        let cmd = wd
            .command(["delete-users"])
            .arg(wd.path("run.csv"))
            .report(report);
        with_credentials(cmd).args(["--endpoint-url", &server.url, "--yes"])
    };
    // Another spelling of the same file is caught too.
    let out = to_recorder("./run.csv")
        .args(["--user-pool-id", "us-east-1_Abc123"])
        .output()
        .await
        .assert_code(2);
    assert!(
        out.stderr.contains("is the input report (the same file)"),
        "{}",
        out.stderr
    );
    assert_eq!(wd.read("run.csv"), text, "the input is untouched");

    let out = to_recorder("deleted.csv").output().await.assert_code(2);
    assert!(out.stderr.contains("--user-pool-id"), "{}", out.stderr);
    assert!(!wd.exists("deleted.csv"), "no report is created");

    // No credentials anywhere the chain looks: refused before any request
    // (not one failed call per user, each after all its retries).
    let out = wd
        .command(["delete-users"])
        .arg(wd.path("run.csv"))
        .report("deleted.csv")
        .args(["--endpoint-url", &server.url, "--yes"])
        .args(["--user-pool-id", "us-east-1_Abc123"])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .output()
        .await
        .assert_code(2);
    assert!(out.stderr.contains("no AWS credentials"), "{}", out.stderr);
    assert!(!wd.exists("deleted.csv"), "no report is created");
    assert!(server.recorded().is_empty(), "nothing was sent");
}

/// A pool that does not exist is a configuration error: the calls stop
/// (exit 3, as for `run`), every user is `failed`, and no one is deleted.
#[tokio::test]
async fn an_unknown_pool_stops_the_calls_and_deletes_nothing() {
    let Some(server) = Endpoint::moto(false).await else {
        return;
    };
    let wd = Workdir::new();
    wd.users_csv("users.csv", "stop", 3);
    run_signups(&wd, &server, "users.csv").await.assert_code(0);
    let cmd = wd
        .command(["delete-users"])
        .arg(wd.path("run.csv"))
        .report("deleted.csv");
    let out = with_credentials(cmd)
        .args(["--endpoint-url", &server.url, "--yes"])
        .args(["--user-pool-id", "us-east-1_NoSuchPool1"])
        .output()
        .await
        .assert_code(3);
    assert!(
        out.stderr
            .contains("stopped early: AdminGetUser ResourceNotFoundException"),
        "{}",
        out.stderr
    );
    let lines = deletion_lines(&wd, "deleted.csv");
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l.2 == "failed"), "{lines:?}");
    assert_eq!(usernames(&server).await.len(), 3, "no one was deleted");
}
