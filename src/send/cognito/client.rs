//! The Cognito client: JSON 1.1 over one pooled [`Transport`] (HTTPS, or
//! plain HTTP for local endpoints); `SignUp` unsigned as Cognito allows, the
//! admin operations SigV4-signed by a [`Signer`].
//! It reports what happened; deciding what that means is [`super::classify`]'s job.

use std::sync::Arc;
use std::time::Duration;

use hyper::header::{HeaderName, HeaderValue};
use hyper::HeaderMap;
use serde::Deserialize;

use super::error::{printable, ApiError};
use super::sign_up_body::write_sign_up_body;
use super::signer::Signer;
use super::transport::{Answer, Transport};
use super::wire::{
    CodeDeliveryDetails, SignUpRequest, SignUpResponse, CONTENT_TYPE, TARGET_PREFIX,
};
use crate::send::concurrency::CallLatency;

/// Answer headers read on every call, by their lower-case names: looked up
/// as known names, not parsed from text each time.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
const ERROR_TYPE: HeaderName = HeaderName::from_static("x-amzn-errortype");

/// SignUp's `X-Amz-Target`, sent once per row: built once, not per request.
const SIGN_UP_TARGET: HeaderValue =
    HeaderValue::from_static("AWSCognitoIdentityProviderService.SignUp");

/// Why a call produced no `SignUpResponse`.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum CallError {
    /// Cognito answered with an error.
    #[error("{}: {}", .0.code_or_status(), .0.message.as_deref().unwrap_or("no message"))]
    Api(ApiError),
    /// The endpoint answered, but not in Cognito's JSON 1.1 shape (an HTML
    /// page, a redirect, a 404 without Cognito's error header, a 501...): it
    /// is not Cognito, so every row would meet the same answer.
    #[error("{0}")]
    NotCognito(String),
    /// An admin call could not be signed (no credentials, none to find):
    /// nothing was sent, and every later admin call would fail the same way.
    #[error("{0}")]
    Unsigned(String),
    /// No usable answer came back.
    #[error("{message}")]
    Transport {
        /// What went wrong, without any request content.
        message: String,
        /// `false` only when the request certainly never reached the server
        /// (connection refused): then it cannot have created the user.
        maybe_delivered: bool,
    },
}

/// A client bound to one endpoint; it signs admin calls when it has a signer.
#[derive(Clone)]
pub(crate) struct CognitoClient {
    transport: Transport,
    endpoint: reqwest::Url,
    signer: Option<Arc<Signer>>,
    /// Every answered call's round trip, for the adaptive concurrency.
    latency: Arc<CallLatency>,
}

impl CognitoClient {
    /// Builds a client. `timeout` bounds each attempt end to end.
    pub(crate) fn new(
        endpoint: reqwest::Url,
        timeout: Duration,
        pool_size: usize,
    ) -> anyhow::Result<Self> {
        let transport = Transport::new(&endpoint, timeout, pool_size)?;
        Ok(CognitoClient {
            transport,
            endpoint,
            signer: None,
            latency: Arc::default(),
        })
    }

    /// The measured round trip of this client's answered calls.
    pub(crate) fn latency(&self) -> Arc<CallLatency> {
        Arc::clone(&self.latency)
    }

    /// The same client, signing admin calls with `signer`.
    pub(crate) fn with_signer(mut self, signer: Arc<Signer>) -> Self {
        self.signer = Some(signer);
        self
    }

    /// Sends one signed admin operation (`AdminConfirmSignUp`, …); returns
    /// its JSON answer (`{}` for the many that answer nothing), or why there
    /// is none, with the `x-amzn-RequestId` when the server sent one.
    pub(crate) async fn admin(
        &self,
        operation: &str,
        request: &serde_json::Value,
    ) -> Result<(serde_json::Value, Option<String>), CallError> {
        let body = serde_json::to_vec(request).map_err(|e| CallError::Transport {
            message: format!("could not encode request: {e}"),
            maybe_delivered: false,
        })?;
        let answer = self.post(operation, body).await?;
        let request_id = header_str(&answer.headers, &REQUEST_ID).map(str::to_owned);
        if answer.status.is_success() {
            let value = (!answer.oversized)
                .then(|| serde_json::from_slice::<serde_json::Value>(&answer.body).ok())
                .flatten()
                .filter(serde_json::Value::is_object);
            return match value {
                Some(value) => Ok((value, request_id)),
                None => Err(self.not_cognito(
                    &answer,
                    &format!(
                        "with {} instead of an {operation} answer",
                        body_kind(&answer)
                    ),
                )),
            };
        }
        Err(self.api_error(&answer, request_id.as_deref()))
    }

    /// The error an unsuccessful `answer` carries, or the stop for one
    /// that shows the endpoint is not Cognito.
    fn api_error(&self, answer: &Answer, request_id: Option<&str>) -> CallError {
        if let Some(what) = not_cognito(answer) {
            return self.not_cognito(answer, &what);
        }
        let mut error = ApiError::parse(
            answer.status.as_u16(),
            header_str(&answer.headers, &ERROR_TYPE),
            request_id,
            &answer.body,
        );
        if answer.oversized && error.message.is_none() {
            error.message = Some("(an answer over 64 KiB; its message was not read)".to_owned());
        }
        CallError::Api(error)
    }

    /// Sends one `SignUp`. Returns the parsed answer, or why there is none,
    /// with the `x-amzn-RequestId` when the server sent one.
    pub(crate) async fn sign_up(
        &self,
        request: &SignUpRequest,
    ) -> Result<(SignUpResponse, Option<String>), CallError> {
        // A SignUp body is a few hundred bytes: one allocation, no regrowth.
        let mut body = Vec::with_capacity(512);
        write_sign_up_body(&mut body, request).map_err(|e| CallError::Transport {
            message: format!("could not encode request: {e}"),
            maybe_delivered: false,
        })?;
        let answer = self.post("SignUp", body).await?;
        let request_id = header_str(&answer.headers, &REQUEST_ID).map(str::to_owned);
        if answer.status.is_success() {
            return match sign_up_answer(&answer) {
                Some(response) => Ok((response, request_id)),
                None => Err(self.not_cognito(
                    &answer,
                    &format!("with {} instead of a SignUp answer", body_kind(&answer)),
                )),
            };
        }
        Err(self.api_error(&answer, request_id.as_deref()))
    }

    /// The stop for an answer that shows the endpoint is not Cognito.
    fn not_cognito(&self, answer: &Answer, what: &str) -> CallError {
        CallError::NotCognito(format!(
            "the endpoint {} answered HTTP {} {what}: it is not Cognito",
            self.endpoint,
            answer.status.as_u16()
        ))
    }

    /// Posts one JSON 1.1 operation; reads at most [`super::transport::MAX_ANSWER_BYTES`] of
    /// the answer (no Cognito answer comes near it, and a hostile endpoint
    /// must not fill memory, reports or the terminal).
    async fn post(&self, operation: &str, body: Vec<u8>) -> Result<Answer, CallError> {
        let target = match operation {
            "SignUp" => SIGN_UP_TARGET,
            _ => HeaderValue::try_from(format!("{TARGET_PREFIX}{operation}")).map_err(|e| {
                CallError::Transport {
                    message: format!("could not name operation {operation}: {e}"),
                    maybe_delivered: false,
                }
            })?,
        };
        // Empty (no allocation) unless the operation is signed.
        let mut signature_headers = HeaderMap::new();
        // SignUp (and the other operations Cognito takes unsigned) go as
        // they are; the admin ones need the caller's AWS identity.
        if operation.starts_with("Admin") || operation == "ListUsers" {
            let signer = self.signer.as_ref().ok_or_else(|| {
                CallError::Unsigned(format!(
                    "{operation} needs AWS credentials, and none were set up"
                ))
            })?;
            let signed = [
                ("content-type", CONTENT_TYPE),
                ("x-amz-target", target.to_str().unwrap_or_default()),
            ];
            // Boxed, as the transport's future below: every row's future
            // would otherwise carry room for both, copied as it is queued.
            let signature = Box::pin(signer.sign(self.endpoint.as_str(), &signed, &body))
                .await
                .map_err(|e| CallError::Unsigned(format!("could not sign {operation}: {e}")))?;
            for (name, value) in signature {
                let name = HeaderName::try_from(name);
                let value = HeaderValue::try_from(value);
                let (Ok(name), Ok(value)) = (name, value) else {
                    return Err(CallError::Unsigned(format!(
                        "could not sign {operation}: a signature header is not valid HTTP"
                    )));
                };
                signature_headers.insert(name, value);
            }
        }
        let sent = std::time::Instant::now();
        let answer = Box::pin(self.transport.post(target, signature_headers, body)).await?;
        let elapsed = sent.elapsed();
        self.latency.record(elapsed);
        // -vv: one line per answer (never its body, which may echo input).
        tracing::trace!(
            operation,
            status = answer.status.as_u16(),
            bytes = answer.body.len(),
            micros = elapsed.as_micros() as u64,
            "answer"
        );
        Ok(answer)
    }
}

/// What about an error `answer` shows the endpoint is not Cognito, if
/// anything: Cognito names every error in `x-amzn-ErrorType` (404 and 403
/// included) with a JSON body, never redirects and implements POST. Typed
/// errors (throttles among them, the common case) need no look at the body.
fn not_cognito(answer: &Answer) -> Option<String> {
    let status = answer.status.as_u16();
    if answer.status.is_redirection() {
        let to = header_str(&answer.headers, &hyper::header::LOCATION).unwrap_or("nowhere named");
        return Some(format!(
            "(a redirect to {}, which bulk-signup never follows)",
            printable(to, 200)
        ));
    }
    if status == 501 {
        return Some("(Not Implemented: it does not take this POST)".to_owned());
    }
    if header_str(&answer.headers, &ERROR_TYPE).is_some() {
        return None;
    }
    if matches!(status, 403 | 404) {
        let body = body_kind(answer);
        return Some(format!("with {body} and no x-amzn-ErrorType header"));
    }
    // Untyped errors: Cognito-compatible servers send JSON. A 5xx page from
    // a proxy in front of the real thing is retried instead.
    let json = serde_json::from_slice::<serde_json::Value>(&answer.body).is_ok();
    (answer.status.is_client_error() && !json).then(|| format!("with {}", body_kind(answer)))
}

/// A SignUp answer as sent, before its required members are checked.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SignUpAnswer {
    user_confirmed: Option<bool>,
    user_sub: Option<String>,
    code_delivery_details: Option<DeliveryAnswer>,
    session: Option<String>,
}

/// The members of `CodeDeliveryDetails` the report keeps. `AttributeName`
/// is skipped unread: a string less to allocate and free on every row.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeliveryAnswer {
    destination: Option<String>,
    delivery_medium: Option<String>,
}

/// The SignUp answer in a 2xx `answer`: a JSON object with a non-empty
/// `UserSub` and a boolean `UserConfirmed`. The body is parsed once,
/// straight into its fields (no intermediate JSON tree).
fn sign_up_answer(answer: &Answer) -> Option<SignUpResponse> {
    if answer.oversized {
        return None;
    }
    // Checked as UTF-8 once, whole: from bytes, serde_json would check
    // each string on its own, at several times the cost.
    let text = std::str::from_utf8(&answer.body).ok()?;
    let parsed: SignUpAnswer = serde_json::from_str(text).ok()?;
    let user_sub = parsed.user_sub.filter(|s| !s.is_empty())?;
    Some(SignUpResponse {
        user_confirmed: parsed.user_confirmed?,
        user_sub,
        code_delivery_details: parsed.code_delivery_details.map(|d| CodeDeliveryDetails {
            destination: d.destination,
            delivery_medium: d.delivery_medium,
            attribute_name: None,
        }),
        session: parsed.session,
    })
}

/// A few words on what a body is, for messages.
fn body_kind(answer: &Answer) -> &'static str {
    let content_type = header_str(&answer.headers, &hyper::header::CONTENT_TYPE).unwrap_or("");
    let start = answer.body.iter().find(|b| !b.is_ascii_whitespace());
    if answer.oversized {
        "a body over 64 KiB"
    } else if content_type.contains("html") || start == Some(&b'<') {
        "an HTML page"
    } else if answer.body.is_empty() {
        "an empty body"
    } else if serde_json::from_slice::<serde_json::Value>(&answer.body).is_err() {
        "a body that is not JSON"
    } else {
        "JSON"
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> Answer {
        Answer {
            status: hyper::StatusCode::OK,
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
            oversized: false,
        }
    }

    #[test]
    fn the_prebuilt_sign_up_target_is_the_prefix_and_the_operation() {
        assert_eq!(
            SIGN_UP_TARGET.to_str().expect("ascii"),
            format!("{TARGET_PREFIX}SignUp")
        );
    }

    #[test]
    fn a_sign_up_answer_needs_a_non_empty_sub_and_a_boolean_confirmed() {
        let full = r#"{"UserConfirmed":false,"UserSub":"abc","CodeDeliveryDetails":{"Destination":"a***@e.com","DeliveryMedium":"EMAIL","AttributeName":"email"},"Other":1}"#;
        let parsed = sign_up_answer(&answer(full)).expect("a SignUp answer");
        assert_eq!(parsed.user_sub, "abc");
        assert!(!parsed.user_confirmed);
        let delivery = parsed.code_delivery_details.expect("delivery details");
        assert_eq!(delivery.delivery_medium.as_deref(), Some("EMAIL"));
        assert_eq!(delivery.destination.as_deref(), Some("a***@e.com"));
        for shapeless in [
            r#"{"UserConfirmed":true,"UserSub":""}"#,
            r#"{"UserConfirmed":true}"#,
            r#"{"UserConfirmed":null,"UserSub":"abc"}"#,
            r#"{"UserConfirmed":"yes","UserSub":"abc"}"#,
            r#"{"UserSub":"abc"}"#,
            r#"[1]"#,
            "<html></html>",
        ] {
            assert!(sign_up_answer(&answer(shapeless)).is_none(), "{shapeless}");
        }
    }
}
