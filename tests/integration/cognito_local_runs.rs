//! Runs against cognito-local (npm `cognito-local`, jagregory), a third-party
//! Cognito emulator: the README's main job, checked through its ListUsers and
//! AdminGetUser, then re-run as a nightly seed would.

use std::collections::HashMap;

use crate::workdir::*;

#[tokio::test]
async fn cognito_local_gets_every_user_and_rerun_is_all_exists() {
    let Some(server) = Endpoint::cognito_local().await else {
        return;
    };
    let wd = Workdir::new();
    wd.users_csv("users.csv", "local", 150);
    let run = wd
        .run("users.csv")
        .against(&server)
        .report("report.csv")
        .errors("errors.csv")
        .arg("--overwrite");

    run.clone().output().await.assert_code(0);
    let entries = wd.read_report("report.csv");
    assert_eq!(entries.len(), 150);
    assert!(
        entries.iter().all(|e| e.status == Some(Status::Created)),
        "{entries:?}"
    );
    assert_server_holds(&server, &entries).await;
    let user = server
        .admin_get_user("local7")
        .await
        .expect("local7 exists");
    assert_eq!(
        attribute(&user.user_attributes, "email"),
        Some("local7@example.com")
    );
    assert_eq!(
        attribute(&user.user_attributes, "custom:tier"),
        Some("silver")
    );

    run.output().await.assert_code(0);
    let again = wd.read_report("report.csv");
    assert_eq!(again.len(), 150);
    assert!(
        again.iter().all(|e| e.status == Some(Status::Exists)),
        "{again:?}"
    );
    assert_eq!(server.list_users().await.len(), 150);
}

/// The README's main job on samples/users.csv. cognito-local checks neither
/// the password policy nor custom attribute constraints, so the three rows
/// Cognito and the emulator reject (9, 17, 53) are created here; the three
/// caught locally (26, 35, 44) stay `invalid`, and the run exits 1.
#[tokio::test]
async fn cognito_local_takes_the_sample_file_and_rerun_gives_exists() {
    let Some(server) = Endpoint::cognito_local().await else {
        return;
    };
    let wd = Workdir::new();
    let run = wd
        .run(sample("users.csv"))
        .against(&server)
        .report("report.csv")
        .errors("errors.csv")
        .arg("--overwrite");
    let invalid = [26, 35, 44];
    for expected in [Status::Created, Status::Exists] {
        run.clone().output().await.assert_code(1);
        let entries = wd.read_report("report.csv");
        assert_eq!(entries.len(), 60);
        for e in &entries {
            let want = if invalid.contains(&e.row) {
                Status::Invalid
            } else {
                expected
            };
            assert_eq!(e.status, Some(want), "row {} {}", e.row, e.username);
        }
        assert_eq!(wd.csv_rows("errors.csv").len(), 3);
    }
    assert_eq!(server.list_users().await.len(), 57);
    let user = server.admin_get_user("jose.garcia").await.expect("jose");
    let attrs = &user.user_attributes;
    assert_eq!(attribute(attrs, "given_name"), Some("José"));
    assert_eq!(attribute(attrs, "custom:loyalty_points"), Some("12450"));
}

#[tokio::test]
async fn cognito_local_unknown_client_stops_the_run() {
    let Some(server) = Endpoint::cognito_local().await else {
        return;
    };
    // Its error answers carry the code only in the body's `__type`.
    assert_an_unknown_client_stops_the_run(&server).await;
}

/// The server holds exactly the report's users, each with its reported sub.
async fn assert_server_holds(server: &Endpoint, entries: &[ReportEntry]) {
    let users = server.list_users().await;
    assert_eq!(users.len(), entries.len());
    let subs: HashMap<&str, &str> = users
        .iter()
        .map(|u| {
            (
                u.username.as_str(),
                attribute(&u.attributes, "sub").expect("sub"),
            )
        })
        .collect();
    for e in entries {
        assert_eq!(
            subs.get(e.username.as_str()),
            Some(&e.user_sub.as_str()),
            "row {}",
            e.row
        );
    }
}
