//! The emulator's admin operations through the real binary: every
//! operation signed by the tests' signer with the printed credentials and
//! its effect read back (AdminGetUser, AdminListGroupsForUser,
//! InitiateAuth); refusals of unsigned and wrongly signed calls; the same
//! calls made by boto3 (an independent SigV4 implementation); and each
//! quota category throttling on its own.

use std::time::{Duration, SystemTime};

use serde_json::{json, Value};

use crate::inspect::Answer;
use crate::workdir::*;

/// A signed call that must succeed; its body.
async fn ok(server: &Endpoint, operation: &str, body: Value) -> Value {
    let answer = server.call_signed(operation, body).await;
    assert_eq!(answer.status, 200, "{operation}: {answer:?}");
    answer.body
}

/// The error type (`x-amzn-ErrorType` without its colon), checked against
/// the body's `__type` and HTTP 400.
fn error_type(answer: &Answer) -> &str {
    assert_eq!(answer.status, 400, "{answer:?}");
    let header = answer.error_type.as_deref().expect("x-amzn-ErrorType");
    let code = header.strip_suffix(':').expect("Code: form");
    assert_eq!(answer.body["__type"], code, "{answer:?}");
    code
}

fn user(server: &Endpoint, username: &str) -> Value {
    json!({"UserPoolId": server.pool_id, "Username": username})
}

async fn sign_in(server: &Endpoint, username: &str, password: &str) -> Answer {
    let body = json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": server.client_id,
        "AuthParameters": {"USERNAME": username, "PASSWORD": password}});
    server.call_answer("InitiateAuth", body).await
}

async fn status_of(server: &Endpoint, username: &str) -> (String, bool) {
    let user = server.admin_get_user(username).await.expect(username);
    (user.user_status, user.enabled)
}

async fn groups_of(server: &Endpoint, username: &str) -> Vec<String> {
    let body = ok(server, "AdminListGroupsForUser", user(server, username)).await;
    let groups = body["Groups"].as_array().expect("Groups");
    groups
        .iter()
        .map(|g| g["GroupName"].as_str().expect("GroupName").to_owned())
        .collect()
}

#[tokio::test]
async fn a_created_user_signs_in_after_a_permanent_password_and_can_be_deleted() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let create = json!({"UserPoolId": server.pool_id, "Username": "carol",
        "TemporaryPassword": "Temp0rary1",
        "UserAttributes": [{"Name": "email", "Value": "carol@example.com"},
                           {"Name": "email_verified", "Value": "true"}]});
    let created = ok(&server, "AdminCreateUser", create).await;
    assert_eq!(created["User"]["UserStatus"], "FORCE_CHANGE_PASSWORD");
    let challenge = sign_in(&server, "carol", "Temp0rary1").await;
    assert_eq!(
        challenge.body["ChallengeName"], "NEW_PASSWORD_REQUIRED",
        "{challenge:?}"
    );
    let set = json!({"UserPoolId": server.pool_id, "Username": "carol",
        "Password": "Perm4nent1", "Permanent": true});
    ok(&server, "AdminSetUserPassword", set).await;
    assert_eq!(
        status_of(&server, "carol").await,
        ("CONFIRMED".to_owned(), true)
    );
    let tokens = sign_in(&server, "carol", "Perm4nent1").await;
    assert!(
        tokens.body["AuthenticationResult"]["IdToken"].is_string(),
        "{tokens:?}"
    );
    assert_eq!(
        error_type(&sign_in(&server, "carol", "Temp0rary1").await),
        "NotAuthorizedException"
    );
    ok(&server, "AdminDeleteUser", user(&server, "carol")).await;
    let gone = server
        .call_signed("AdminGetUser", user(&server, "carol"))
        .await;
    assert_eq!(error_type(&gone), "UserNotFoundException");
    assert!(server.list_users().await.is_empty());
    assert_eq!(server.stats().await.messages, 1, "carol's invitation");
}

#[tokio::test]
async fn a_signed_up_user_is_confirmed_verified_grouped_and_disabled() {
    let server = Endpoint::emulator(sample("pool.json"), &["--group", "staff"]).await;
    let sign_up = json!({"ClientId": server.client_id, "Username": "dave", "Password": "0ldPassword",
        "UserAttributes": [{"Name": "email", "Value": "dave@example.com"}]});
    assert_eq!(server.call("SignUp", sign_up).await.0, 200);
    assert_eq!(status_of(&server, "dave").await.0, "UNCONFIRMED");
    assert_eq!(
        error_type(&sign_in(&server, "dave", "0ldPassword").await),
        "UserNotConfirmedException"
    );
    for _ in 0..2 {
        // Confirming again succeeds too.
        ok(&server, "AdminConfirmSignUp", user(&server, "dave")).await;
    }
    let tokens = sign_in(&server, "dave", "0ldPassword").await;
    assert_eq!(
        tokens.status, 200,
        "dave signs in with his old password: {tokens:?}"
    );
    let update = json!({"UserPoolId": server.pool_id, "Username": "dave", "UserAttributes": [
        {"Name": "email_verified", "Value": "true"}, {"Name": "given_name", "Value": "Dave"}]});
    ok(&server, "AdminUpdateUserAttributes", update).await;
    let dave = server.admin_get_user("dave").await.expect("dave");
    assert_eq!(
        attribute(&dave.user_attributes, "email_verified"),
        Some("true")
    );
    assert_eq!(attribute(&dave.user_attributes, "given_name"), Some("Dave"));
    for group in ["staff", "staff"] {
        let add = json!({"UserPoolId": server.pool_id, "Username": "dave", "GroupName": group});
        ok(&server, "AdminAddUserToGroup", add).await;
    }
    assert_eq!(groups_of(&server, "dave").await, ["staff"]);
    let unknown = json!({"UserPoolId": server.pool_id, "Username": "dave", "GroupName": "nope"});
    let refused = server.call_signed("AdminAddUserToGroup", unknown).await;
    assert_eq!(error_type(&refused), "ResourceNotFoundException");
    assert_eq!(refused.body["message"], "Group not found.");
    ok(&server, "AdminDisableUser", user(&server, "dave")).await;
    assert_eq!(
        status_of(&server, "dave").await,
        ("CONFIRMED".to_owned(), false)
    );
    let disabled = sign_in(&server, "dave", "0ldPassword").await;
    assert_eq!(disabled.body["message"], "User is disabled.");
    assert_eq!(server.stats().await.messages, 1, "dave's confirmation code");
}

#[tokio::test]
async fn unsigned_and_wrongly_signed_admin_calls_are_refused() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let body = user(&server, "anyone");
    let unsigned = server.call_answer("AdminGetUser", body.clone()).await;
    assert_eq!(error_type(&unsigned), "MissingAuthenticationTokenException");
    let mut wrong_secret = server.signer();
    wrong_secret.secret_access_key = "not-the-secret".to_owned();
    let now = SystemTime::now();
    let answer = server
        .call_signed_by(&wrong_secret, "AdminDeleteUser", body.clone(), now)
        .await;
    assert_eq!(error_type(&answer), "InvalidSignatureException");
    let mut unknown_key = server.signer();
    unknown_key.access_key_id = "AKIAUNKNOWNKEY000000".to_owned();
    let answer = server
        .call_signed_by(
            &unknown_key,
            "ListUsers",
            json!({"UserPoolId": server.pool_id}),
            now,
        )
        .await;
    assert_eq!(error_type(&answer), "UnrecognizedClientException");
    assert_eq!(
        answer.body["message"],
        "The security token included in the request is invalid."
    );
    let stale = now - Duration::from_secs(600);
    let answer = server
        .call_signed_by(&server.signer(), "AdminGetUser", body.clone(), stale)
        .await;
    assert_eq!(error_type(&answer), "InvalidSignatureException");
    assert!(answer.body["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("Signature expired")));
    // Signed properly, the same call reaches the pool.
    let answer = server.call_signed("AdminGetUser", body).await;
    assert_eq!(error_type(&answer), "UserNotFoundException");
}

#[tokio::test]
async fn given_credentials_region_and_group_file_are_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "my-emulator-secret\n").expect("write secret");
    let groups = dir.path().join("groups.json");
    std::fs::write(
        &groups,
        r#"{"Groups": [{"GroupName": "admins", "Precedence": 1}]}"#,
    )
    .expect("write groups");
    let (secret, groups) = (
        secret.to_str().expect("utf-8"),
        groups.to_str().expect("utf-8"),
    );
    let args = [
        "--access-key-id",
        "AKIDGIVEN",
        "--secret-access-key-file",
        secret,
        "--region",
        "eu-central-1",
        "--groups",
        groups,
    ];
    let server = Endpoint::emulator(sample("pool.json"), &args).await;
    assert_eq!(
        (
            server.access_key_id.as_str(),
            server.secret_access_key.as_str(),
            server.region.as_str()
        ),
        ("AKIDGIVEN", "my-emulator-secret", "eu-central-1")
    );
    let sign_up = json!({"ClientId": server.client_id, "Username": "erin", "Password": "Passw0rdX",
        "UserAttributes": [{"Name": "email", "Value": "erin@example.com"}]});
    assert_eq!(server.call("SignUp", sign_up).await.0, 200);
    let add = json!({"UserPoolId": server.pool_id, "Username": "erin", "GroupName": "admins"});
    ok(&server, "AdminAddUserToGroup", add).await;
    let listed = ok(&server, "AdminListGroupsForUser", user(&server, "erin")).await;
    assert_eq!(listed["Groups"][0]["Precedence"], 1);
    assert_eq!(listed["Groups"][0]["UserPoolId"], json!(server.pool_id));
}

/// Calls `operation` (signed) until it is throttled, at most 10 times.
async fn throttled_within_ten(server: &Endpoint, operation: &str, body: Value) -> bool {
    for _ in 0..10 {
        let answer = server.call_signed(operation, body.clone()).await;
        if answer.status == 400 && error_type(&answer) == "TooManyRequestsException" {
            return true;
        }
        assert_eq!(answer.status, 200, "{operation}: {answer:?}");
    }
    false
}

#[tokio::test]
async fn each_quota_category_throttles_on_its_own() {
    let quotas = [
        "--quota-update",
        "1",
        "--quota-resource-update",
        "1",
        "--quota-account-recovery",
        "1",
        "--quota-read",
        "1",
        "--group",
        "staff",
    ];
    let server = Endpoint::emulator(sample("pool.json"), &quotas).await;
    let sign_up = json!({"ClientId": server.client_id, "Username": "finn", "Password": "Passw0rdX",
        "UserAttributes": [{"Name": "email", "Value": "finn@example.com"}]});
    assert_eq!(server.call("SignUp", sign_up).await.0, 200);
    let pool = server.pool_id.clone();
    let calls = [
        ("AdminDisableUser", user(&server, "finn"), "UserUpdate"),
        (
            "AdminAddUserToGroup",
            json!({"UserPoolId": pool, "Username": "finn", "GroupName": "staff"}),
            "UserResourceUpdate",
        ),
        (
            "AdminSetUserPassword",
            json!({"UserPoolId": pool, "Username": "finn", "Password": "N3wPassword"}),
            "UserAccountRecovery",
        ),
        ("AdminGetUser", user(&server, "finn"), "UserRead"),
    ];
    for (operation, body, _) in &calls {
        assert!(
            throttled_within_ten(&server, operation, body.clone()).await,
            "{operation}"
        );
    }
    // ListUsers (UserList) and AdminConfirmSignUp (UserCreation) have no quota here.
    for _ in 0..5 {
        assert_eq!(
            server
                .call_signed("ListUsers", json!({"UserPoolId": pool}))
                .await
                .status,
            200
        );
    }
    let stats = server.stats().await;
    for (_, _, category) in &calls {
        assert!(
            stats
                .throttled_by_category
                .get(*category)
                .is_some_and(|n| *n >= 1),
            "{category}: {stats:?}"
        );
    }
    assert!(
        !stats.throttled_by_category.contains_key("UserList"),
        "{stats:?}"
    );
}

/// The Python script: every admin operation through boto3 (signed by
/// botocore, not by this crate), then a call with a wrong secret; prints
/// what the tests check as JSON.
const BOTO3_SCRIPT: &str = r#"
import json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
url, region, key, secret, pool, client_id = sys.argv[1:7]
def client(secret):
    return boto3.client("cognito-idp", endpoint_url=url, region_name=region,
        aws_access_key_id=key, aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}))
c = client(secret)
user = dict(UserPoolId=pool, Username="py-user")
c.admin_create_user(TemporaryPassword="Temp0rary1", MessageAction="SUPPRESS",
    UserAttributes=[{"Name": "email", "Value": "py@example.com"}], **user)
c.admin_set_user_password(Password="Perm4nent1", Permanent=True, **user)
c.admin_update_user_attributes(UserAttributes=[{"Name": "email_verified", "Value": "true"}], **user)
c.admin_add_user_to_group(GroupName="staff", **user)
c.sign_up(ClientId=client_id, Username="py-other", Password="0ldPassword",
    UserAttributes=[{"Name": "email", "Value": "other@example.com"}])
c.admin_confirm_sign_up(UserPoolId=pool, Username="py-other")
c.admin_disable_user(UserPoolId=pool, Username="py-other")
c.admin_delete_user(UserPoolId=pool, Username="py-other")
got = c.admin_get_user(**user)
out = {
    "status": got["UserStatus"],
    "attributes": {a["Name"]: a["Value"] for a in got["UserAttributes"]},
    "groups": [g["GroupName"] for g in c.admin_list_groups_for_user(**user)["Groups"]],
    "listed": [u["Username"] for u in c.list_users(UserPoolId=pool)["Users"]],
    "signed_in": "AuthenticationResult" in c.initiate_auth(ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "py-user", "PASSWORD": "Perm4nent1"}),
}
try:
    client("wrong-secret").admin_get_user(**user)
    out["wrong_secret"] = "accepted"
except ClientError as e:
    out["wrong_secret"] = e.response["Error"]["Code"]
print(json.dumps(out))
"#;

#[tokio::test]
async fn boto3_signs_calls_the_emulator_accepts() {
    let installed = std::process::Command::new("python3")
        .args(["-c", "import boto3"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !crate::endpoint::available("boto3", installed, "pip install boto3") {
        return;
    }
    let server = Endpoint::emulator(sample("pool.json"), &["--group", "staff"]).await;
    let output = tokio::process::Command::new("python3")
        .args([
            "-c",
            BOTO3_SCRIPT,
            &server.url,
            &server.region,
            &server.access_key_id,
        ])
        .args([
            &server.secret_access_key,
            &server.pool_id,
            &server.client_id,
        ])
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_CONFIG_FILE")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "boto3 script failed: {stderr}");
    let out: Value = serde_json::from_slice(&output.stdout).expect("script prints JSON");
    assert_eq!(out["status"], "CONFIRMED", "{out}");
    assert_eq!(out["attributes"]["email_verified"], "true", "{out}");
    assert_eq!(out["groups"], json!(["staff"]), "{out}");
    assert_eq!(out["listed"], json!(["py-user"]), "{out}");
    assert_eq!(out["signed_in"], true, "{out}");
    assert_eq!(out["wrong_secret"], "InvalidSignatureException", "{out}");
}
