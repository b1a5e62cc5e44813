//! The emulator's HTTP side: a hyper HTTP/1.1 server that routes on
//! `X-Amz-Target`. SignUp goes through the fault injector; every other
//! operation is checked for its SigV4 signature (when Cognito wants one),
//! then against its quota category, then served by `routes`. Answers are in
//! Cognito's exact wire form (`answer`). `GET /__emulator/stats` serves the
//! counters.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::SystemTime;

use http_body_util::{BodyExt, Limited};
use hyper::body::Body;
use hyper::{Method, Request, StatusCode};

use super::access::Access;
use super::answer::{error, json, refused, throttled, unreadable, Answer};
use super::faults::{FaultChoice, FaultInjector};
use super::quotas::Category;
use super::state::PoolState;
use super::{routes, sigv4};
use crate::send::cognito::wire::{SignUpRequest, TARGET_PREFIX};

/// Largest request body accepted.
const MAX_BODY: usize = 1 << 20;

/// Everything a connection needs.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) state: PoolState,
    pub(crate) faults: FaultInjector,
    /// The credentials and region signed calls must use.
    pub(crate) access: Access,
}

/// Returned by the service to make hyper close the connection unanswered.
#[derive(Debug)]
pub(crate) struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose (--drop-rate)")
    }
}

impl std::error::Error for DropConnection {}

/// Serves one request (its body is [`hyper::body::Incoming`] when served, any
/// body when a test calls this directly).
pub(crate) async fn handle<B>(
    shared: Arc<Shared>,
    request: Request<B>,
) -> Result<Answer, DropConnection>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if request.method() == Method::GET && request.uri().path() == "/__emulator/stats" {
        return Ok(json(StatusCode::OK, &shared.state.snapshot()));
    }
    let (parts, body) = request.into_parts();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(unreadable("Request body too large or unreadable")),
    };
    let operation = target.strip_prefix(TARGET_PREFIX).unwrap_or("");
    if operation == "SignUp" {
        let stats = &shared.state.stats;
        stats.requests.fetch_add(1, Ordering::SeqCst);
        stats.enter();
        let answer = sign_up(&shared, &body).await;
        stats.leave();
        return answer;
    }
    let unknown = || {
        error(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            &format!("Unknown operation {target:?}"),
        )
    };
    let Some(category) = Category::of(operation) else {
        return Ok(unknown());
    };
    // As in AWS: who is calling is settled before any quota is spent.
    if routes::is_signed(operation) {
        if let Err(refusal) = sigv4::verify(&shared.access, &parts, &body, SystemTime::now()) {
            return Ok(refused(refusal));
        }
    }
    if !shared.faults.admits(category) {
        shared.state.stats.throttle(category);
        return Ok(throttled());
    }
    Ok(routes::serve(&shared.state, operation, &body).unwrap_or_else(unknown))
}

async fn sign_up(shared: &Shared, body: &[u8]) -> Result<Answer, DropConnection> {
    let stats = &shared.state.stats;
    // Held to the answer: with `--capacity`, the rest wait their turn.
    let _place = shared.faults.serving_place().await;
    if !shared.faults.faults.latency.is_zero() {
        tokio::time::sleep(shared.faults.faults.latency).await;
    }
    if !shared.faults.admits(Category::UserCreation) {
        stats.throttled.fetch_add(1, Ordering::SeqCst);
        stats.throttle(Category::UserCreation);
        return Ok(throttled());
    }
    let choice = shared.faults.choose();
    match choice {
        FaultChoice::InternalError => {
            stats.faults.fetch_add(1, Ordering::SeqCst);
            return Ok(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalErrorException",
                "Internal error",
            ));
        }
        FaultChoice::LambdaFault => {
            stats.lambda_faults.fetch_add(1, Ordering::SeqCst);
            return Ok(error(
                StatusCode::BAD_REQUEST,
                "UnexpectedLambdaException",
                "PreSignUp invocation failed due to error AccessDeniedException.",
            ));
        }
        FaultChoice::Drop | FaultChoice::Proceed => {}
    }
    let request: SignUpRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return Ok(unreadable(&e.to_string())),
    };
    let answer = match shared.state.sign_up(&request) {
        Ok(response) => {
            stats.created.fetch_add(1, Ordering::SeqCst);
            json(StatusCode::OK, &response)
        }
        Err((code, message)) => {
            let counter = match code {
                "UsernameExistsException" => &stats.exists,
                // The user was created; only the confirmation message was not sent.
                "LimitExceededException" => &stats.created,
                _ => &stats.rejected,
            };
            counter.fetch_add(1, Ordering::SeqCst);
            error(StatusCode::BAD_REQUEST, code, &message)
        }
    };
    if choice == FaultChoice::Drop {
        stats.drops.fetch_add(1, Ordering::SeqCst);
        return Err(DropConnection);
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use http_body_util::Full;
    use hyper::body::Bytes;
    use serde_json::{json, Value};

    use super::*;
    use crate::emulator::faults::Faults;
    use crate::emulator::signer::{self, Signing};
    use crate::emulator::testing::{self, POOL_ID};
    use crate::send::cognito::wire::Secret;

    const KEY_ID: &str = "AKIDSERVERTEST";
    const SECRET: &str = "server-test-secret";

    fn shared(faults: Faults) -> Arc<Shared> {
        let mut state = testing::state(json!({"AutoVerifiedAttributes": ["email"]}));
        state.message_quota = faults.message_quota;
        let access = Access::new(
            Some(KEY_ID.into()),
            Some(Secret::new(SECRET)),
            "us-east-1".into(),
        );
        Arc::new(Shared {
            state,
            faults: FaultInjector::new(faults),
            access: access.expect("access"),
        })
    }

    async fn call(shared: &Arc<Shared>, request: Request<Full<Bytes>>) -> (StatusCode, Value) {
        let answer = handle(Arc::clone(shared), request).await.expect("answered");
        let status = answer.status();
        let bytes = answer.into_body().collect().await.expect("body").to_bytes();
        (status, serde_json::from_slice(&bytes).expect("json"))
    }

    async fn signed(shared: &Arc<Shared>, operation: &str, body: Value) -> (StatusCode, Value) {
        let signing = Signing {
            key_id: KEY_ID,
            secret: SECRET,
            region: "us-east-1",
            time: SystemTime::now(),
        };
        let body = body.to_string();
        call(
            shared,
            signer::request(operation, body.as_bytes(), Some(&signing)),
        )
        .await
    }

    async fn unsigned(shared: &Arc<Shared>, operation: &str, body: Value) -> (StatusCode, Value) {
        call(
            shared,
            signer::request(operation, body.to_string().as_bytes(), None),
        )
        .await
    }

    fn user(name: &str) -> Value {
        json!({"UserPoolId": POOL_ID, "Username": name})
    }

    #[tokio::test]
    async fn admin_calls_need_a_signature_and_sign_up_does_not() {
        let shared = shared(Faults::default());
        let sign_up = json!({"ClientId": "client1", "Username": "ann", "Password": "Passw0rd!",
            "UserAttributes": [{"Name": "email", "Value": "ann@example.com"}]});
        assert_eq!(unsigned(&shared, "SignUp", sign_up).await.0, StatusCode::OK);
        let (status, refused) = unsigned(&shared, "AdminGetUser", user("ann")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(refused["__type"], "MissingAuthenticationTokenException");
        let (status, got) = signed(&shared, "AdminGetUser", user("ann")).await;
        assert_eq!(
            (status, &got["UserStatus"]),
            (StatusCode::OK, &json!("UNCONFIRMED"))
        );
        let (status, _) = signed(&shared, "AdminConfirmSignUp", user("ann")).await;
        assert_eq!(status, StatusCode::OK);
        let auth = json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "client1",
            "AuthParameters": {"USERNAME": "ann", "PASSWORD": "Passw0rd!"}});
        let (status, tokens) = unsigned(&shared, "InitiateAuth", auth).await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        assert!(tokens["AuthenticationResult"]["AccessToken"].is_string());
        assert_eq!(shared.state.snapshot().messages, 1, "the confirmation code");
    }

    #[tokio::test]
    async fn each_quota_category_throttles_on_its_own() {
        let mut faults = Faults::default();
        faults.quotas.set(Category::UserUpdate, Some(0.001));
        let shared = shared(faults);
        for name in ["ann", "bo"] {
            let created = signed(&shared, "AdminCreateUser", user(name)).await;
            assert_eq!(created.0, StatusCode::OK, "{}", created.1);
        }
        assert_eq!(
            signed(&shared, "AdminDisableUser", user("ann")).await.0,
            StatusCode::OK
        );
        let (status, throttled) = signed(&shared, "AdminDeleteUser", user("bo")).await;
        assert_eq!(
            (status, &throttled["__type"]),
            (StatusCode::BAD_REQUEST, &json!("TooManyRequestsException"))
        );
        for _ in 0..5 {
            assert_eq!(
                signed(&shared, "AdminGetUser", user("bo")).await.0,
                StatusCode::OK,
                "UserRead has no quota"
            );
        }
        let stats = shared.state.snapshot();
        assert_eq!(stats.throttled_by_category.get("UserUpdate"), Some(&1));
        assert_eq!(
            (stats.throttled, stats.users),
            (0, 2),
            "no SignUp was throttled; bo stays"
        );
    }

    #[tokio::test]
    async fn an_unsigned_unknown_operation_is_unknown_not_unauthenticated() {
        let shared = shared(Faults::default());
        let (status, answer) = unsigned(&shared, "DeleteUserPool", json!({})).await;
        assert_eq!(
            (status, &answer["__type"]),
            (StatusCode::BAD_REQUEST, &json!("UnknownOperationException"))
        );
    }
}
