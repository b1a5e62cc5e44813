//! Looking into a server after a run: raw JSON 1.1 calls, unsigned or
//! SigV4-signed (with the error type header when a test needs it),
//! ListUsers, AdminGetUser and the emulator's stats, plus the independent
//! SecretHash vector (Python's hmac) the SecretHash tests compare with.

use std::process::Stdio;
use std::time::SystemTime;

use serde_json::{json, Value};

use crate::sigv4::Signer;
use crate::workdir::{
    AdminGetUserResponse, AttributeType, Endpoint, ListUsersResponse, StatsSnapshot, UserType,
};

/// An HTTP client for loopback servers (never through a proxy).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http client")
}

/// A server's whole answer to one call.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// The `x-amzn-ErrorType` header, when there is one.
    pub error_type: Option<String>,
    /// The body as JSON (a JSON string when it is not JSON).
    pub body: Value,
}

impl Endpoint {
    /// Calls any Cognito JSON 1.1 operation, unsigned; (HTTP status, body).
    pub async fn call(&self, operation: &str, body: Value) -> (u16, Value) {
        let answer = self.call_answer(operation, body).await;
        (answer.status, answer.body)
    }

    /// [`Endpoint::call`], with the error-type header as well.
    pub async fn call_answer(&self, operation: &str, body: Value) -> Answer {
        let request = http()
            .post(&self.url)
            .header("Content-Type", "application/x-amz-json-1.1")
            .header(
                "X-Amz-Target",
                format!("AWSCognitoIdentityProviderService.{operation}"),
            )
            .body(body.to_string());
        answer(request).await
    }

    /// Calls an operation SigV4-signed with this server's credentials.
    pub async fn call_signed(&self, operation: &str, body: Value) -> Answer {
        self.call_signed_by(&self.signer(), operation, body, SystemTime::now())
            .await
    }

    /// Calls an operation signed by `signer` at `time` (a test of refusals
    /// signs with the wrong key or at the wrong time).
    pub async fn call_signed_by(
        &self,
        signer: &Signer,
        operation: &str,
        body: Value,
        time: SystemTime,
    ) -> Answer {
        let target = format!("AWSCognitoIdentityProviderService.{operation}");
        let body = body.to_string();
        let mut request = http().post(&self.url).body(body.clone());
        for (name, value) in signer.headers(&self.url, &target, &body, time) {
            if name != "host" {
                request = request.header(name, value);
            }
        }
        answer(request).await
    }

    /// The emulator's counters.
    pub async fn stats(&self) -> StatsSnapshot {
        let text = http()
            .get(format!("{}__emulator/stats", self.url))
            .send()
            .await
            .expect("stats answer")
            .text()
            .await
            .expect("stats body");
        serde_json::from_str(&text).expect("stats json")
    }

    /// Every user in the pool, through ListUsers pagination.
    pub async fn list_users(&self) -> Vec<UserType> {
        let mut users = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..100_000 {
            let mut body = json!({"UserPoolId": self.pool_id, "Limit": 60});
            if let Some(t) = &token {
                body["PaginationToken"] = json!(t);
            }
            let Answer { status, body, .. } = self.call_signed("ListUsers", body).await;
            assert_eq!(status, 200, "ListUsers: {body}");
            let page: ListUsersResponse = serde_json::from_value(body).expect("ListUsers shape");
            users.extend(page.users);
            token = page.pagination_token;
            if token.is_none() {
                break;
            }
        }
        users
    }

    /// One user through AdminGetUser, `None` when the pool has no such user.
    pub async fn admin_get_user(&self, username: &str) -> Option<AdminGetUserResponse> {
        let answer = self
            .call_signed(
                "AdminGetUser",
                json!({"UserPoolId": self.pool_id, "Username": username}),
            )
            .await;
        (answer.status == 200)
            .then(|| serde_json::from_value(answer.body).expect("AdminGetUser shape"))
    }
}

/// Sends `request`; the server's whole answer.
async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("server answers");
    let status = response.status().as_u16();
    let error_type = response
        .headers()
        .get("x-amzn-ErrorType")
        .map(|v| v.to_str().expect("ascii header").to_owned());
    let text = response.text().await.expect("body");
    Answer {
        status,
        error_type,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

/// An attribute's value.
pub fn attribute<'a>(attributes: &'a [AttributeType], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|a| &*a.name == name)
        .map(|a| a.value.as_str())
}

/// `Base64(HMAC_SHA256(key = secret, msg = username + client_id))` computed
/// by Python's standard library, independently of the crate's code.
pub fn python_secret_hash(secret: &str, username: &str, client_id: &str) -> String {
    const SCRIPT: &str = "import base64, hashlib, hmac, sys\n\
        key, user, client = sys.argv[1:4]\n\
        mac = hmac.new(key.encode('utf-8'), (user + client).encode('utf-8'), hashlib.sha256)\n\
        print(base64.b64encode(mac.digest()).decode('ascii'))";
    let output = std::process::Command::new("python3")
        .args(["-c", SCRIPT, secret, username, client_id])
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "python3: {output:?}");
    String::from_utf8(output.stdout)
        .expect("ascii")
        .trim()
        .to_owned()
}

/// A run against `server` with a client id it does not know stops after
/// one request (exit 3, ResourceNotFoundException), every row reported and
/// no user created.
pub async fn assert_an_unknown_client_stops_the_run(server: &Endpoint) {
    let wd = crate::workdir::Workdir::new();
    wd.users_csv("users.csv", "nobody", 50);
    let out = wd
        .run("users.csv")
        .against(server)
        .client_id("unknownclient42")
        .report("report.csv")
        .output()
        .await
        .assert_code(3);
    assert!(
        out.stderr.contains("ResourceNotFoundException"),
        "{}",
        out.stderr
    );
    let entries = wd.read_report("report.csv");
    assert_eq!(entries.len(), 50);
    let sent = entries.iter().filter(|e| e.attempts > 0).count();
    assert_eq!(sent, 1, "one request only");
    assert!(server.list_users().await.is_empty());
}
