//! The Cognito `SignUp` client: one reqwest connection pool, JSON 1.1 over
//! HTTPS (or plain HTTP for local endpoints), unsigned as SignUp allows.
//! It reports what happened; deciding what that means is [`super::classify`]'s job.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE as CONTENT_TYPE_HEADER};

use super::error::ApiError;
use super::wire::{SignUpRequest, SignUpResponse, CONTENT_TYPE, TARGET_PREFIX};

/// Why a call produced no `SignUpResponse`.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum CallError {
    /// Cognito answered with an error.
    #[error("{}: {}", .0.code_or_status(), .0.message.as_deref().unwrap_or("no message"))]
    Api(ApiError),
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

/// A `SignUp` client bound to one endpoint and app client id.
#[derive(Clone)]
pub(crate) struct CognitoClient {
    http: reqwest::Client,
    endpoint: reqwest::Url,
}

impl CognitoClient {
    /// Builds a client. `timeout` bounds each attempt end to end.
    pub(crate) fn new(
        endpoint: reqwest::Url,
        timeout: Duration,
        pool_size: usize,
    ) -> anyhow::Result<Self> {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE_HEADER, HeaderValue::from_static(CONTENT_TYPE));
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("bulk-signup/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(pool_size)
            .build()?;
        Ok(CognitoClient { http, endpoint })
    }

    /// Sends one `SignUp`. Returns the parsed answer, or why there is none,
    /// with the `x-amzn-RequestId` when the server sent one.
    pub(crate) async fn sign_up(
        &self,
        request: &SignUpRequest,
    ) -> Result<(SignUpResponse, Option<String>), CallError> {
        let body = serde_json::to_vec(request).map_err(|e| CallError::Transport {
            message: format!("could not encode request: {e}"),
            maybe_delivered: false,
        })?;
        let (status, headers, bytes) = self.post("SignUp", body).await?;
        let request_id = header_str(&headers, "x-amzn-requestid").map(str::to_owned);
        if status.is_success() {
            match serde_json::from_slice::<SignUpResponse>(&bytes) {
                Ok(response) => Ok((response, request_id)),
                // The server said yes but we cannot read it: the user may exist.
                Err(e) => Err(CallError::Transport {
                    message: format!("unreadable SignUp answer (HTTP {}): {e}", status.as_u16()),
                    maybe_delivered: true,
                }),
            }
        } else {
            Err(CallError::Api(ApiError::parse(
                status.as_u16(),
                header_str(&headers, "x-amzn-errortype"),
                request_id.as_deref(),
                &bytes,
            )))
        }
    }

    /// Posts one JSON 1.1 operation.
    async fn post(
        &self,
        operation: &str,
        body: Vec<u8>,
    ) -> Result<(reqwest::StatusCode, HeaderMap, Vec<u8>), CallError> {
        let response = self
            .http
            .post(self.endpoint.clone())
            .header("X-Amz-Target", format!("{TARGET_PREFIX}{operation}"))
            .body(body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(transport_error)?;
        Ok((status, headers, bytes.to_vec()))
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn transport_error(e: reqwest::Error) -> CallError {
    // reqwest errors name the URL, never the body, so they are safe to report.
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "connection failed"
    };
    let mut message = format!("{kind}: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    CallError::Transport {
        message,
        // A connection that was never made (refused, or timed out while
        // connecting) never carried the request, so it cannot have created the user.
        maybe_delivered: !e.is_connect(),
    }
}
