//! The admin paths against the built-in emulator, which checks every
//! signature and counts the messages Cognito would send: `--api
//! admin-create-user` makes users who sign in at once with their old
//! passwords and sends nothing, and `delete-users` removes exactly the users
//! a run created.

use serde_json::json;

use crate::steps_runs::signed_by;
use crate::workdir::*;

#[tokio::test]
async fn admin_created_users_sign_in_with_their_old_passwords_and_no_message_goes_out() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "adm", 3);
    signed_by(
        wd.run("users.csv").report("report.csv"),
        &server,
        &server.secret_access_key,
    )
    .args(["--api", "admin-create-user", "--endpoint-url", &server.url])
    .output()
    .await
    .assert_code(0);
    for i in 1..=3 {
        let (status, answer) = server
            .call(
                "InitiateAuth",
                json!({"ClientId": server.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                       "AuthParameters": {"USERNAME": format!("adm{i}"), "PASSWORD": format!("Pw-{i}-Secret9x")}}),
            )
            .await;
        assert_eq!(status, 200, "adm{i}: {answer}");
        assert!(
            answer["AuthenticationResult"]["AccessToken"].is_string(),
            "{answer}"
        );
        let user = server
            .admin_get_user(&format!("adm{i}"))
            .await
            .expect("user");
        assert_eq!(user.user_status, "CONFIRMED");
    }
    // The pool auto-verifies email, yet AdminCreateUser with SUPPRESS and
    // AdminSetUserPassword send nothing.
    assert_eq!(server.stats().await.messages, 0);
}

#[tokio::test]
async fn delete_users_removes_exactly_the_users_the_run_created() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "del", 3);
    wd.run("users.csv")
        .against(&server)
        .report("report.csv")
        .output()
        .await
        .assert_code(0);
    // Someone else's user, not in the report.
    let (status, answer) = server
        .call(
            "SignUp",
            json!({"ClientId": server.client_id, "Username": "bystander",
                   "Password": "Pw-9-Secret9x",
                   "UserAttributes": [{"Name": "email", "Value": "b@example.com"}]}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let delete = |yes: bool| {
        let cmd = wd
            .command([
                "delete-users",
                "report.csv",
                "--report",
                "deleted.csv",
                "--overwrite",
            ])
            .args(["--endpoint-url", &server.url]);
        let cmd = if yes { cmd.arg("--yes") } else { cmd };
        signed_by(cmd, &server, &server.secret_access_key)
    };
    let listed = delete(false).output().await.assert_code(0);
    assert!(
        listed.stdout.contains("3 users would be deleted"),
        "{}",
        listed.stdout
    );
    assert_eq!(
        server.list_users().await.len(),
        4,
        "a listing deletes nothing"
    );
    delete(true).output().await.assert_code(0);
    let left: Vec<String> = server
        .list_users()
        .await
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(left, ["bystander"]);
}
