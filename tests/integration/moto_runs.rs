//! Runs against moto, a third-party Cognito emulator: pools and clients are
//! made through its API, then ListUsers/AdminGetUser show what was created.

use std::collections::HashMap;

use bulk_signup::report::Status;

use crate::util::*;

async fn run_against(
    moto: &Server,
    client_id: &str,
    input: &std::path::Path,
    report: &std::path::Path,
    env: &[(&str, &str)],
) -> Output {
    bulk_signup(
        &[
            "run",
            input.to_str().expect("path"),
            "--endpoint-url",
            &moto.endpoint,
            "--client-id",
            client_id,
            "--report",
            report.to_str().expect("path"),
            "--overwrite",
        ],
        env,
        None,
    )
    .await
}

#[tokio::test]
async fn moto_gets_every_user_with_its_attributes_and_rerun_is_all_exists() {
    let Some(moto) = moto().await else { return };
    let (pool_id, client_id, _) = moto_pool(&moto.endpoint, false).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("users.csv");
    users_csv(&input, "moto", 150);
    let report = dir.path().join("report.csv");

    let out = run_against(&moto, &client_id, &input, &report, &[]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let entries = read_report(&report);
    assert_eq!(entries.len(), 150);
    assert!(entries.iter().all(|e| e.status == Some(Status::Created)));

    let users = list_users(&moto.endpoint, &pool_id).await;
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
    let user = admin_get_user(&moto.endpoint, &pool_id, "moto7")
        .await
        .expect("moto7 exists");
    assert_eq!(
        attribute(&user.user_attributes, "email"),
        Some("moto7@example.com")
    );
    assert_eq!(
        attribute(&user.user_attributes, "custom:tier"),
        Some("silver")
    );

    let out = run_against(&moto, &client_id, &input, &report, &[]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(read_report(&report)
        .iter()
        .all(|e| e.status == Some(Status::Exists)));
    assert_eq!(list_users(&moto.endpoint, &pool_id).await.len(), 150);
}

#[tokio::test]
async fn moto_with_a_secret_client_and_ndjson_input() {
    let Some(moto) = moto().await else { return };
    let (pool_id, client_id, secret) = moto_pool(&moto.endpoint, true).await;
    let secret = secret.expect("moto generated a secret");
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("users.ndjson");
    let lines: Vec<String> = (1..=40)
        .map(|i| {
            serde_json::json!({"username": format!("nd{i}"), "password": format!("Nd-pass-{i}X"), "email": format!("nd{i}@example.org"), "custom:tier": i})
                .to_string()
        })
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n\n").expect("input");
    let report = dir.path().join("report.csv");
    let out = run_against(
        &moto,
        &client_id,
        &input,
        &report,
        &[("COGNITO_CLIENT_SECRET", &secret)],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains(&secret) && !out.stdout.contains(&secret));
    assert_eq!(read_report(&report).len(), 40);
    let users = list_users(&moto.endpoint, &pool_id).await;
    assert_eq!(users.len(), 40);
    let user = admin_get_user(&moto.endpoint, &pool_id, "nd12")
        .await
        .expect("nd12");
    assert_eq!(
        attribute(&user.user_attributes, "custom:tier"),
        Some("12"),
        "numbers become strings"
    );
}

#[tokio::test]
async fn moto_unknown_client_stops_the_run() {
    let Some(moto) = moto().await else { return };
    let (pool_id, _, _) = moto_pool(&moto.endpoint, false).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("users.csv");
    users_csv(&input, "nobody", 50);
    let report = dir.path().join("report.csv");
    let out = run_against(&moto, "unknownclient42", &input, &report, &[]).await;
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("ResourceNotFoundException"),
        "{}",
        out.stderr
    );
    let entries = read_report(&report);
    assert_eq!(entries.len(), 50);
    assert_eq!(
        entries.iter().filter(|e| e.attempts > 0).count(),
        1,
        "one request only"
    );
    assert!(list_users(&moto.endpoint, &pool_id).await.is_empty());
}
