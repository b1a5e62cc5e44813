//! How a request reaches its endpoint. A plain-HTTP endpoint on this
//! machine (the emulator, moto, LocalStack) is spoken to over HTTP/1.1 on
//! hyper's connection API ([`DirectPool`]); anything else goes through reqwest,
//! which brings TLS and HTTP(S)_PROXY. The direct path exists for speed:
//! reqwest re-parses every answer's URL (IDNA included) and arms two timers
//! per request, a fifth of the client's CPU at tens of thousands of local
//! requests a second. Both paths follow the same rules: no redirect is
//! followed, no proxy is used for this machine, one timeout bounds each
//! attempt end to end, and at most [`MAX_ANSWER_BYTES`] of an answer is read.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE as CONTENT_TYPE_HEADER, USER_AGENT};
use hyper::{HeaderMap, StatusCode};

use super::client::CallError;
use super::direct_pool::{DirectPool, RequestParts};
use super::endpoint::is_loopback;
use super::error::{printable, MAX_MESSAGE_CHARS};
use super::wire::CONTENT_TYPE;

/// The most of an answer that is read: Cognito's are a few hundred bytes.
pub(crate) const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The operation header, by its lower-case name: a mixed-case name would
/// be parsed and copied for every request.
pub(crate) const TARGET_HEADER: HeaderName = HeaderName::from_static("x-amz-target");

/// Connecting may take this long at most (or the attempt's timeout, if shorter).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

const AGENT: &str = concat!("bulk-signup/", env!("CARGO_PKG_VERSION"));

/// An HTTP answer, its body read up to [`MAX_ANSWER_BYTES`].
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
    /// The body went on past the cap (and was not read further).
    pub(crate) oversized: bool,
}

/// The HTTP client of one endpoint.
#[derive(Clone)]
pub(crate) enum Transport {
    /// Plain HTTP to this machine: hyper directly, no proxy.
    Direct {
        pool: Arc<DirectPool>,
        timeout: Duration,
    },
    /// HTTPS (or `--allow-insecure-http` to another host): reqwest.
    Reqwest {
        client: reqwest::Client,
        url: reqwest::Url,
    },
}

impl Transport {
    /// The client for `endpoint`, keeping up to `pool_size` idle connections;
    /// `timeout` bounds each attempt end to end.
    pub(crate) fn new(
        endpoint: &reqwest::Url,
        timeout: Duration,
        pool_size: usize,
    ) -> anyhow::Result<Self> {
        let connect_timeout = timeout.min(CONNECT_TIMEOUT);
        if endpoint.scheme() == "http" && is_loopback(endpoint) {
            let pool = DirectPool::new(endpoint, pool_size, connect_timeout, common_headers())?;
            return Ok(Transport::Direct {
                pool: Arc::new(pool),
                timeout,
            });
        }
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(CONTENT_TYPE_HEADER, HeaderValue::from_static(CONTENT_TYPE));
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(AGENT)
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .read_timeout(timeout)
            .pool_max_idle_per_host(pool_size)
            // A redirect would re-send the password to wherever it points
            // (307/308 keep the body): a 3xx is an answer, not a hop.
            .redirect(reqwest::redirect::Policy::none());
        if is_loopback(endpoint) {
            // HTTP(S)_PROXY is for reaching Cognito; a local endpoint's
            // traffic (passwords included) must not leave the machine.
            builder = builder.no_proxy();
        }
        Ok(Transport::Reqwest {
            client: builder.build()?,
            url: endpoint.clone(),
        })
    }

    /// Posts `body` for the operation `target` (its `X-Amz-Target`) with
    /// `signature_headers` (empty for an unsigned call) besides the content
    /// type and user agent.
    pub(crate) async fn post(
        &self,
        target: HeaderValue,
        signature_headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<Answer, CallError> {
        match self {
            Transport::Direct { pool, timeout } => {
                let handed = AtomicBool::new(false);
                let attempt = post_direct(pool, target, signature_headers, body, &handed);
                match tokio::time::timeout(*timeout, attempt).await {
                    Ok(answer) => answer,
                    Err(_) => Err(timed_out(pool, *timeout, handed.load(Ordering::Relaxed))),
                }
            }
            Transport::Reqwest { client, url } => {
                let request = client
                    .post(url.clone())
                    .header(TARGET_HEADER, target)
                    .headers(signature_headers)
                    .body(body);
                let mut response = request.send().await.map_err(reqwest_error)?;
                let status = response.status();
                // The headers are moved out, not cloned; the body's buffer
                // is sized by its Content-Length (capped) when one is sent.
                let headers = std::mem::take(response.headers_mut());
                let mut body = answer_buffer(response.content_length());
                let mut oversized = false;
                while let Some(chunk) = response.chunk().await.map_err(reqwest_error)? {
                    if !append_capped(&mut body, &chunk) {
                        oversized = true;
                        break;
                    }
                }
                Ok(Answer {
                    status,
                    headers,
                    body,
                    oversized,
                })
            }
        }
    }
}

/// The error of an attempt that ran out of time: a request never handed to
/// a connection (still connecting, or waiting for one) cannot have arrived.
fn timed_out(pool: &DirectPool, timeout: Duration, handed: bool) -> CallError {
    let missing = if handed {
        "no whole answer from"
    } else {
        "no connection to"
    };
    CallError::Transport {
        message: format!("timed out: {missing} {} in {timeout:?}", pool.endpoint()),
        maybe_delivered: handed,
    }
}

/// The headers every direct request carries besides Host: built once, each
/// request's map a copy of them.
fn common_headers() -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(8);
    headers.insert(CONTENT_TYPE_HEADER, HeaderValue::from_static(CONTENT_TYPE));
    headers.insert(USER_AGENT, HeaderValue::from_static(AGENT));
    // Replaced by each request's own operation: present already, so that
    // replacing it does not grow a copied map (a reallocation per request).
    headers.insert(TARGET_HEADER, HeaderValue::from_static(""));
    headers
}

async fn post_direct(
    pool: &DirectPool,
    target: HeaderValue,
    signature_headers: HeaderMap,
    body: Vec<u8>,
    handed: &AtomicBool,
) -> Result<Answer, CallError> {
    let parts = RequestParts {
        body,
        target: Some(target),
        signature_headers,
    };
    let (response, lease) = pool.send(parts, handed).await?;
    let (head, mut incoming) = response.into_parts();
    let expected = hyper::body::Body::size_hint(&incoming).exact();
    let mut body = answer_buffer(expected);
    let mut oversized = false;
    while let Some(frame) = incoming.frame().await {
        let frame = frame.map_err(|e| transport_error("connection failed", &e, true))?;
        if let Ok(chunk) = frame.into_data() {
            if !append_capped(&mut body, &chunk) {
                oversized = true;
                break;
            }
        }
    }
    if !oversized {
        // Read to its end: the connection is free for the next request.
        pool.give_back(lease);
    }
    Ok(Answer {
        status: head.status,
        headers: head.headers,
        body,
        oversized,
    })
}

/// A buffer for an answer of `expected` bytes (capped), when that is known.
fn answer_buffer(expected: Option<u64>) -> Vec<u8> {
    Vec::with_capacity(expected.unwrap_or(0).min(MAX_ANSWER_BYTES as u64) as usize)
}

/// Appends `chunk` unless that would pass the cap; whether it did.
fn append_capped(body: &mut Vec<u8>, chunk: &[u8]) -> bool {
    if body.len() + chunk.len() > MAX_ANSWER_BYTES {
        return false;
    }
    body.extend_from_slice(chunk);
    true
}

fn reqwest_error(e: reqwest::Error) -> CallError {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "connection failed"
    };
    transport_error(kind, &e, !e.is_connect())
}

/// A transport error's message: `kind`, then the error and its causes.
/// HTTP clients' errors name the URL, never the body, so they are safe to
/// report. `maybe_delivered` is `false` only for a connection that was
/// never made (refused, or timed out while connecting): it never carried
/// the request, so it cannot have created the user.
pub(crate) fn transport_error(
    kind: &str,
    e: &(dyn std::error::Error + 'static),
    maybe_delivered: bool,
) -> CallError {
    let mut message = format!("{kind}: {e}");
    let mut source = e.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    CallError::Transport {
        message: printable(&message, MAX_MESSAGE_CHARS),
        maybe_delivered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::cognito::test_server::{server, Then};

    fn is_direct(endpoint: &str) -> bool {
        let url = reqwest::Url::parse(endpoint).expect("url");
        let transport = Transport::new(&url, Duration::from_secs(5), 4).expect("client");
        matches!(transport, Transport::Direct { .. })
    }

    #[test]
    fn only_plain_http_to_this_machine_goes_direct() {
        for local in [
            "http://127.0.0.1:9339/",
            "http://localhost:5000/",
            "http://[::1]:9/",
        ] {
            assert!(is_direct(local), "{local}");
        }
        // TLS, and plain HTTP elsewhere (--allow-insecure-http), need
        // reqwest: its TLS, and the proxies the environment names.
        for other in [
            "https://cognito-idp.eu-west-1.amazonaws.com/",
            "https://localhost:8443/",
            "http://10.0.0.5:9339/",
        ] {
            assert!(!is_direct(other), "{other}");
        }
    }

    /// An answer past the cap is cut off, so its connection is left mid-body:
    /// it is closed, not given to the next request (which would read the
    /// rest of this answer as its own).
    #[tokio::test]
    async fn the_connection_of_an_oversized_answer_is_not_used_again() {
        let server = server(Then::FirstAnswerOf(MAX_ANSWER_BYTES + 4096)).await;
        let transport = Transport::new(&server.url, Duration::from_secs(5), 4).expect("client");
        let post = || {
            transport.post(
                HeaderValue::from_static("T"),
                HeaderMap::new(),
                b"{}".to_vec(),
            )
        };
        let first = post().await.expect("first answer");
        assert!(first.oversized);
        assert!(first.body.len() <= MAX_ANSWER_BYTES);
        let second = post().await.expect("second answer");
        assert!(!second.oversized);
        assert_eq!(second.body, b"{}");
        assert_eq!(server.requests(), 2);
        assert_eq!(server.connections(), 2);
    }

    #[test]
    fn an_answer_is_read_up_to_the_cap_and_no_further() {
        let mut body = answer_buffer(Some(10 * MAX_ANSWER_BYTES as u64));
        assert_eq!(body.capacity(), MAX_ANSWER_BYTES);
        assert!(append_capped(&mut body, &vec![b'x'; MAX_ANSWER_BYTES - 1]));
        assert!(append_capped(&mut body, b"y"));
        assert!(!append_capped(&mut body, b"z"));
        assert_eq!(body.len(), MAX_ANSWER_BYTES);
    }
}
