//! SecretHash against an independent vector (Python's hmac), for both
//! sides: what the binary sends (captured by a loopback recorder) and what
//! the built-in emulator accepts or refuses.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::workdir::*;

const SECRET: &str = "client-secret-example";
const CLIENT_ID: &str = "1example23456789";

#[test]
fn the_python_vector_matches_the_documented_one() {
    // The documented test vector (docs/PROTOCOL.md), so the Python helper is itself checked.
    assert_eq!(
        python_secret_hash(SECRET, "alice", CLIENT_ID),
        "AlBVu2cvVbbKkIR7i3zS8ZRCF82NM3j32T+LWqw4C5o="
    );
}

#[tokio::test]
async fn the_binary_sends_the_secret_hash_python_computes() {
    let answer = r#"{"UserConfirmed":false,"UserSub":"5a1b2c3d-0000-4000-8000-000000000001"}"#;
    let recorder = Endpoint::recorder(200, answer).await;
    let wd = Workdir::new();
    wd.write(
        "users.csv",
        "username,password,email\nalice,Passw0rd-alice,alice@example.com\njosé.müller,Passw0rd-jose,jose@example.com\n",
    );
    wd.run("users.csv")
        .against(&recorder)
        .client_id(CLIENT_ID)
        .env("COGNITO_CLIENT_SECRET", SECRET)
        .report("report.csv")
        .output()
        .await
        .assert_code(0);
    let requests = recorder.recorded();
    let mut usernames = BTreeSet::new();
    for request in &requests {
        assert_eq!(
            request.headers.get("x-amz-target").map(String::as_str),
            Some("AWSCognitoIdentityProviderService.SignUp"),
            "{request:?}"
        );
        let body: Value = serde_json::from_str(&request.body).expect("JSON body");
        let username = body["Username"].as_str().expect("Username");
        assert_eq!(body["ClientId"], CLIENT_ID);
        assert_eq!(
            body["SecretHash"].as_str(),
            Some(python_secret_hash(SECRET, username, CLIENT_ID).as_str()),
            "SecretHash for {username}"
        );
        usernames.insert(username.to_owned());
    }
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(
        usernames,
        BTreeSet::from(["alice".into(), "josé.müller".into()])
    );
    let entries = wd.read_report("report.csv");
    assert!(entries.iter().all(|e| e.status == Some(Status::Created)
        && e.user_sub == "5a1b2c3d-0000-4000-8000-000000000001"));
}

fn sign_up(username: &str, secret_hash: &str) -> Value {
    json!({
        "ClientId": CLIENT_ID,
        "Username": username,
        "Password": "Passw0rd-raw1",
        "SecretHash": secret_hash,
        "UserAttributes": [{"Name": "email", "Value": format!("{username}@example.com")}],
    })
}

/// `hash` with its first character changed (still Base64).
fn off_by_one(hash: &str) -> String {
    let first = if hash.starts_with('A') { 'B' } else { 'A' };
    format!("{first}{}", &hash[1..])
}

#[tokio::test]
async fn the_emulator_accepts_the_python_secret_hash_and_refuses_one_off_by_a_character() {
    let wd = Workdir::new();
    let client = wd.secret_client(CLIENT_ID, SECRET);
    let client = client.to_str().expect("path");
    let server = Endpoint::emulator(sample("pool.json"), &["--client", client]).await;
    assert_eq!(server.client_id, CLIENT_ID);

    let good = python_secret_hash(SECRET, "raw.alice", CLIENT_ID);
    let (status, body) = server.call("SignUp", sign_up("raw.alice", &good)).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["UserSub"].as_str().is_some_and(|s| !s.is_empty()),
        "{body}"
    );
    assert!(server.admin_get_user("raw.alice").await.is_some());

    let bad = off_by_one(&python_secret_hash(SECRET, "raw.bob", CLIENT_ID));
    let (status, body) = server.call("SignUp", sign_up("raw.bob", &bad)).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["__type"]
            .as_str()
            .is_some_and(|t| t.ends_with("NotAuthorizedException")),
        "{body}"
    );
    assert!(
        server.admin_get_user("raw.bob").await.is_none(),
        "refused: not created"
    );
    assert_eq!(server.stats().await.users, 1);
}
