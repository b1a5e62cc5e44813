//! Runs against moto, a third-party Cognito emulator: pools and clients are
//! made through its API, then ListUsers/AdminGetUser show what was created.

use std::collections::HashMap;

use crate::workdir::*;

#[tokio::test]
async fn moto_gets_every_user_with_its_attributes_and_rerun_is_all_exists() {
    let Some(moto) = Endpoint::moto(false).await else {
        return;
    };
    let wd = Workdir::new();
    wd.users_csv("users.csv", "moto", 150);
    let run = wd
        .run("users.csv")
        .against(&moto)
        .report("report.csv")
        .arg("--overwrite");

    run.clone().output().await.assert_code(0);
    let entries = wd.read_report("report.csv");
    assert_eq!(entries.len(), 150);
    assert!(entries.iter().all(|e| e.status == Some(Status::Created)));

    let users = moto.list_users().await;
    assert_eq!(users.len(), 150);
    let subs: HashMap<&str, &str> = users
        .iter()
        .map(|u| {
            (
                u.username.as_str(),
                attribute(&u.attributes, "sub").expect("sub"),
            )
        })
        .collect();
    for e in &entries {
        assert_eq!(
            subs.get(e.username.as_str()),
            Some(&e.user_sub.as_str()),
            "row {}",
            e.row
        );
    }
    let user = moto.admin_get_user("moto7").await.expect("moto7 exists");
    assert_eq!(
        attribute(&user.user_attributes, "email"),
        Some("moto7@example.com")
    );
    assert_eq!(
        attribute(&user.user_attributes, "custom:tier"),
        Some("silver")
    );

    run.output().await.assert_code(0);
    assert!(wd
        .read_report("report.csv")
        .iter()
        .all(|e| e.status == Some(Status::Exists)));
    assert_eq!(moto.list_users().await.len(), 150);
}

#[tokio::test]
async fn moto_with_a_secret_client_and_ndjson_input() {
    let Some(moto) = Endpoint::moto(true).await else {
        return;
    };
    let secret = moto.secret.clone().expect("moto generated a secret");
    let wd = Workdir::new();
    let lines: Vec<String> = (1..=40)
        .map(|i| {
            serde_json::json!({"username": format!("nd{i}"), "password": format!("Nd-pass-{i}X"), "email": format!("nd{i}@example.org"), "custom:tier": i})
                .to_string()
        })
        .collect();
    wd.write("users.ndjson", &(lines.join("\n") + "\n\n"));
    // against() passes the secret in COGNITO_CLIENT_SECRET.
    let out = wd
        .run("users.ndjson")
        .against(&moto)
        .report("report.csv")
        .arg("--overwrite")
        .output()
        .await
        .assert_code(0);
    assert!(!out.stderr.contains(&secret) && !out.stdout.contains(&secret));
    assert_eq!(wd.read_report("report.csv").len(), 40);
    let users = moto.list_users().await;
    assert_eq!(users.len(), 40);
    let user = moto.admin_get_user("nd12").await.expect("nd12");
    assert_eq!(
        attribute(&user.user_attributes, "custom:tier"),
        Some("12"),
        "numbers become strings"
    );
}

#[tokio::test]
async fn moto_unknown_client_stops_the_run() {
    let Some(moto) = Endpoint::moto(false).await else {
        return;
    };
    assert_an_unknown_client_stops_the_run(&moto).await;
}
