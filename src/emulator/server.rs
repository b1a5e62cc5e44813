//! The emulator's HTTP side: a hyper HTTP/1.1 server that routes on
//! `X-Amz-Target`, applies the fault injector to `SignUp`, and answers in
//! Cognito's exact wire form (status, `__type`, `x-amzn-ErrorType: Code:`,
//! `x-amzn-RequestId`). `GET /__emulator/stats` serves the counters.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body, Bytes};
use hyper::{Method, Request, Response, StatusCode};
use serde::Serialize;

use super::faults::{FaultChoice, FaultInjector};
use super::state::PoolState;
use crate::send::cognito::wire::{
    AdminGetUserRequest, ErrorBody, ListUsersRequest, SignUpRequest, CONTENT_TYPE, TARGET_PREFIX,
};

/// Largest request body accepted.
const MAX_BODY: usize = 1 << 20;

/// Everything a connection needs.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) state: PoolState,
    pub(crate) faults: FaultInjector,
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

type Answer = Response<Full<Bytes>>;

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
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(error(
                StatusCode::BAD_REQUEST,
                "SerializationException",
                "Request body too large or unreadable",
            ))
        }
    };
    let operation = target.strip_prefix(TARGET_PREFIX).unwrap_or("");
    match operation {
        "SignUp" => {
            let stats = &shared.state.stats;
            stats.requests.fetch_add(1, Ordering::SeqCst);
            stats.enter();
            let answer = sign_up(&shared, &body).await;
            stats.leave();
            answer
        }
        "ListUsers" => Ok(match serde_json::from_slice::<ListUsersRequest>(&body) {
            Ok(r) => respond(shared.state.list_users(
                &r.user_pool_id,
                r.limit,
                r.pagination_token.as_deref(),
            )),
            Err(e) => error(
                StatusCode::BAD_REQUEST,
                "SerializationException",
                &e.to_string(),
            ),
        }),
        "AdminGetUser" => Ok(match serde_json::from_slice::<AdminGetUserRequest>(&body) {
            Ok(r) => respond(shared.state.admin_get_user(&r.user_pool_id, &r.username)),
            Err(e) => error(
                StatusCode::BAD_REQUEST,
                "SerializationException",
                &e.to_string(),
            ),
        }),
        _ => Ok(error(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            &format!("Unknown operation {target:?}"),
        )),
    }
}

async fn sign_up(shared: &Shared, body: &[u8]) -> Result<Answer, DropConnection> {
    let stats = &shared.state.stats;
    if !shared.faults.faults.latency.is_zero() {
        tokio::time::sleep(shared.faults.faults.latency).await;
    }
    let choice = shared.faults.choose();
    match choice {
        FaultChoice::Throttle => {
            stats.throttled.fetch_add(1, Ordering::SeqCst);
            return Ok(error(
                StatusCode::BAD_REQUEST,
                "TooManyRequestsException",
                "Rate exceeded",
            ));
        }
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
        Err(e) => {
            return Ok(error(
                StatusCode::BAD_REQUEST,
                "SerializationException",
                &e.to_string(),
            ))
        }
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

fn respond<T: Serialize>(result: Result<T, (&'static str, String)>) -> Answer {
    match result {
        Ok(body) => json(StatusCode::OK, &body),
        Err((code, message)) => error(StatusCode::BAD_REQUEST, code, &message),
    }
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Answer {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    base(status)
        .body(Full::new(Bytes::from(bytes)))
        .unwrap_or_else(|_| fallback())
}

/// An error answer exactly as Cognito sends it.
fn error(status: StatusCode, code: &str, message: &str) -> Answer {
    let body = ErrorBody {
        error_type: code.to_owned(),
        message: message.to_owned(),
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    base(status)
        .header("x-amzn-ErrorType", format!("{code}:"))
        .body(Full::new(Bytes::from(bytes)))
        .unwrap_or_else(|_| fallback())
}

fn base(status: StatusCode) -> hyper::http::response::Builder {
    Response::builder()
        .status(status)
        .header("content-type", CONTENT_TYPE)
        .header("x-amzn-RequestId", uuid::Uuid::new_v4().to_string())
}

fn fallback() -> Answer {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}
