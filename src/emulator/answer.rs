//! Answers in Cognito's exact wire form: JSON 1.1 bodies, errors as HTTP
//! 400/500 with `{"__type", "message"}`, `x-amzn-ErrorType: Code:` and
//! `x-amzn-RequestId` on every answer.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};
use serde::Serialize;

use super::checks::Refusal;
use crate::send::cognito::wire::{ErrorBody, CONTENT_TYPE};

/// One answer.
pub(crate) type Answer = Response<Full<Bytes>>;

/// A 200 with `body`, or the refusal as a 400.
pub(crate) fn respond<T: Serialize>(result: Result<T, Refusal>) -> Answer {
    match result {
        Ok(body) => json(StatusCode::OK, &body),
        Err(refusal) => refused(refusal),
    }
}

/// A refusal as Cognito sends it: HTTP 400.
pub(crate) fn refused((code, message): Refusal) -> Answer {
    error(StatusCode::BAD_REQUEST, code, &message)
}

pub(crate) fn json<T: Serialize>(status: StatusCode, body: &T) -> Answer {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    base(status)
        .body(Full::new(Bytes::from(bytes)))
        .unwrap_or_else(|_| fallback())
}

/// An error answer exactly as Cognito sends it.
pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Answer {
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

/// The answer for a request over its quota category's rate.
pub(crate) fn throttled() -> Answer {
    error(
        StatusCode::BAD_REQUEST,
        "TooManyRequestsException",
        "Rate exceeded",
    )
}

/// The answer for a body that is not the operation's JSON.
pub(crate) fn unreadable(reason: &str) -> Answer {
    error(StatusCode::BAD_REQUEST, "SerializationException", reason)
}

fn base(status: StatusCode) -> hyper::http::response::Builder {
    Response::builder()
        .status(status)
        .header("content-type", CONTENT_TYPE)
        .header("x-amzn-RequestId", super::ids::random_uuid().to_string())
}

fn fallback() -> Answer {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}
