//! Pooled HTTP/1.1 connections to one plain-HTTP endpoint on this machine,
//! on hyper's own connection API. hyper-util's general pooled client did
//! the same job at several times the cost per request (a connector service,
//! a keyed pool and a future of kilobytes moved for every request); this
//! pool has one host, one connection per request in flight, and a `Vec`.
//!
//! A request goes again on a new connection only when hyper hands it back
//! unwritten (it had seen the server close the idle connection): a request
//! that may have reached the server is never sent twice. A close that
//! hyper sees only after writing (the server closed the idle connection
//! just as the request went out) leaves that request possibly delivered,
//! as any other broken connection does; servers close idle connections
//! after seconds, so this is rare.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderValue, CONTENT_LENGTH, HOST};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::client::CallError;
use super::transport::TARGET_HEADER;

type Sender = SendRequest<Full<Bytes>>;

/// What each connection reads at a time; an answer head longer than this is
/// refused (one from Cognito or a local emulator is a few hundred bytes).
/// A fixed size spares hyper's adaptive sizing on every read.
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// The connections to one endpoint, and how to open more.
pub(crate) struct DirectPool {
    endpoint: String,
    /// `host:port`, to connect to.
    authority: String,
    /// Host and the headers every request carries: each request starts
    /// with a copy (one allocation, no hashing).
    headers: hyper::HeaderMap,
    /// The request target: the endpoint's path (and query).
    target: hyper::Uri,
    idle: Mutex<Vec<Sender>>,
    max_idle: usize,
    connect_timeout: Duration,
}

/// A connection taken from the pool for one exchange.
pub(crate) struct Lease {
    sender: Sender,
}

/// What one request adds to the pool's own headers: its body, its
/// operation (`X-Amz-Target`) and, for a signed call, the signature.
#[derive(Default)]
pub(crate) struct RequestParts {
    pub(crate) body: Vec<u8>,
    pub(crate) target: Option<HeaderValue>,
    pub(crate) signature_headers: hyper::HeaderMap,
}

impl DirectPool {
    /// A pool for `endpoint` (`http://` on this machine) keeping up to
    /// `max_idle` idle connections; every request carries `headers` and Host.
    pub(crate) fn new(
        endpoint: &reqwest::Url,
        max_idle: usize,
        connect_timeout: Duration,
        mut headers: hyper::HeaderMap,
    ) -> anyhow::Result<Self> {
        let host = endpoint
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("the endpoint {endpoint} names no host"))?;
        let port = endpoint
            .port_or_known_default()
            .ok_or_else(|| anyhow::anyhow!("the endpoint {endpoint} names no port"))?;
        let authority = format!("{host}:{port}");
        // The Host header names the port only when the URL does, as the
        // signer signs it (`http://localhost/` is `Host: localhost`).
        let host_header = match endpoint.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let target = match endpoint.query() {
            Some(query) => format!("{}?{query}", endpoint.path()),
            None => endpoint.path().to_owned(),
        };
        headers.insert(HOST, HeaderValue::from_str(&host_header)?);
        // Set per request to its body's length (hyper keeps a length it is
        // given); present already so that setting it does not grow the map.
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        Ok(DirectPool {
            endpoint: endpoint.to_string(),
            headers,
            authority,
            target: target.parse()?,
            idle: Mutex::new(Vec::with_capacity(max_idle)),
            max_idle,
            connect_timeout,
        })
    }

    /// The endpoint, for messages.
    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// A POST to the endpoint carrying `body`, its headers still to be set.
    pub(crate) fn request(&self, body: Vec<u8>) -> Request<Full<Bytes>> {
        let length = HeaderValue::from(body.len());
        let mut request = Request::new(Full::new(Bytes::from(body)));
        *request.method_mut() = hyper::Method::POST;
        *request.uri_mut() = self.target.clone();
        *request.headers_mut() = self.headers.clone();
        request.headers_mut().insert(CONTENT_LENGTH, length);
        request
    }

    /// The request of `parts`: its body, with its own headers added to the
    /// pool's.
    fn request_of(&self, parts: RequestParts) -> Request<Full<Bytes>> {
        let mut request = self.request(parts.body);
        let headers = request.headers_mut();
        if let Some(target) = parts.target {
            headers.insert(TARGET_HEADER, target);
        }
        if !parts.signature_headers.is_empty() {
            headers.extend(parts.signature_headers);
        }
        request
    }

    /// Sends the request of `parts` on an idle connection, or a new one;
    /// the lease is to be given back with [`DirectPool::give_back`] once
    /// the answer's body has been read to its end. `handed` is set once the
    /// request is given to a connection: from then on it may reach the
    /// server, so a caller that gives up waiting must count it as maybe
    /// delivered.
    ///
    /// The request is made only once a connection is ready, and the rare
    /// resend is boxed: this future is part of every row's, copied on the
    /// way into it, and hyper's request is 256 bytes (it was held three
    /// times over, 1.7 KB).
    pub(crate) async fn send(
        &self,
        parts: RequestParts,
        handed: &AtomicBool,
    ) -> Result<(Response<Incoming>, Lease), CallError> {
        let (mut sender, reused) = match self.take_idle().await {
            Some(sender) => (sender, true),
            None => (self.connect_boxed().await?, false),
        };
        handed.store(true, Ordering::Relaxed);
        match sender.try_send_request(self.request_of(parts)).await {
            Ok(response) => Ok((response, Lease { sender })),
            Err(failed) => {
                drop(sender);
                Box::pin(self.after_failure(failed, reused)).await
            }
        }
    }

    /// A request that failed on a reused connection before hyper wrote it
    /// (the server had closed the idle connection) goes again on a new one;
    /// any other failure is the request's.
    async fn after_failure(
        &self,
        mut failed: Failed,
        reused: bool,
    ) -> Result<(Response<Incoming>, Lease), CallError> {
        if reused {
            if let Some(request) = failed.take_message() {
                let mut sender = self.connect_boxed().await?;
                failed = match sender.try_send_request(request).await {
                    Ok(response) => return Ok((response, Lease { sender })),
                    Err(failed) => failed,
                };
            }
        }
        Err(send_error(failed))
    }

    /// Keeps a connection whose answer was read to its end, for the next
    /// request (unless enough are idle already).
    pub(crate) fn give_back(&self, lease: Lease) {
        if lease.sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.max_idle {
            idle.push(lease.sender);
        }
    }

    /// An idle connection ready for a request, if there is one; closed
    /// ones are dropped on the way.
    async fn take_idle(&self) -> Option<Sender> {
        loop {
            let mut sender = {
                let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
                idle.pop()?
            };
            // Ready once hyper has finished the last exchange on it.
            if sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    /// A new connection. Boxed: connecting (resolving, the handshake) takes
    /// a future several times a request's, and every request's future would
    /// otherwise carry room for it, copied as the request is queued.
    async fn connect_boxed(&self) -> Result<Sender, CallError> {
        Box::pin(self.connect()).await
    }

    async fn connect(&self) -> Result<Sender, CallError> {
        let connecting = TcpStream::connect(&self.authority);
        let stream = match tokio::time::timeout(self.connect_timeout, connecting).await {
            Ok(connected) => connected.map_err(|e| self.not_connected(e))?,
            Err(_) => {
                let waited = self.connect_timeout;
                return Err(self.not_connected(format!("timed out after {waited:?}")));
            }
        };
        // One small request per write: no waiting for an ACK to fill a segment.
        let _ = stream.set_nodelay(true);
        // `writev(false)`: the head and the few hundred bytes of body are
        // copied into one buffer and written with one `write`, cheaper on
        // both sides of the system call than a two-part `writev`.
        let (sender, connection) = http1::Builder::new()
            .writev(false)
            .read_buf_exact_size(Some(READ_BUFFER_BYTES))
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|e| self.not_connected(e))?;
        tokio::spawn(async move {
            // Its errors reach the request that was on it.
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// No connection was made: the request was never carried.
    fn not_connected(&self, why: impl std::fmt::Display) -> CallError {
        CallError::Transport {
            message: format!("could not connect to {}: {why}", self.authority),
            maybe_delivered: false,
        }
    }
}

type Failed = hyper::client::conn::TrySendError<Request<Full<Bytes>>>;

/// A request that failed on its connection may have reached the server
/// unless hyper handed it back unwritten.
fn send_error(mut failed: Failed) -> CallError {
    let unwritten = failed.take_message().is_some();
    super::transport::transport_error("connection failed", &failed.into_error(), !unwritten)
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::send::cognito::test_server::{server, Server, Then};

    /// One exchange through `pool`, its body read to the end; whether the
    /// request was handed to a connection.
    async fn exchange_handed(pool: &DirectPool) -> (Result<Vec<u8>, CallError>, bool) {
        let handed = AtomicBool::new(false);
        let result = async {
            let parts = RequestParts {
                body: b"{}".to_vec(),
                ..RequestParts::default()
            };
            let (response, lease) = pool.send(parts, &handed).await?;
            let body = response.into_body().collect().await.expect("body");
            pool.give_back(lease);
            Ok(body.to_bytes().to_vec())
        }
        .await;
        (result, handed.load(Ordering::Relaxed))
    }

    async fn exchange(pool: &DirectPool) -> Result<Vec<u8>, CallError> {
        exchange_handed(pool).await.0
    }

    fn pool(server: &Server) -> DirectPool {
        pool_for(&server.url)
    }

    /// A pool for `url` keeping up to 4 idle connections, no extra headers.
    fn pool_for(url: &reqwest::Url) -> DirectPool {
        DirectPool::new(url, 4, Duration::from_secs(5), hyper::HeaderMap::new()).expect("pool")
    }

    fn maybe_delivered(result: Result<Vec<u8>, CallError>) -> bool {
        match result {
            Err(CallError::Transport {
                maybe_delivered, ..
            }) => maybe_delivered,
            other => panic!("expected a transport error, got {:?}", other.is_ok()),
        }
    }

    #[tokio::test]
    async fn one_connection_carries_request_after_request() {
        let server = server(Then::Answer).await;
        let pool = pool(&server);
        for _ in 0..5 {
            assert_eq!(exchange(&pool).await.ok().as_deref(), Some(&b"{}"[..]));
        }
        assert_eq!(server.requests(), 5);
        assert_eq!(server.connections(), 1);
    }

    #[tokio::test]
    async fn an_answer_head_of_kilobytes_is_read_whole() {
        // Twelve kilobytes: three times what one read of 4 KiB would hold.
        let server = server(Then::AnswerWithHeadOf(12 * 1024)).await;
        let pool = pool(&server);
        for _ in 0..2 {
            assert_eq!(exchange(&pool).await.expect("answer"), b"{}");
        }
        assert_eq!(server.connections(), 1);
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_while_idle_is_replaced() {
        let server = server(Then::AnswerAndClose).await;
        let pool = pool(&server);
        for _ in 0..3 {
            assert!(exchange(&pool).await.is_ok());
            // Past the server's close of the idle connection.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(server.requests(), 3);
        assert_eq!(server.connections(), 3);
    }

    /// The idle connection's peer has closed, but nothing has polled the
    /// connection since: the request is queued on it, hyper finds the close
    /// before writing and hands the request back, and only then is it sent
    /// on a new connection (to the counting server). Without the resend the
    /// exchange would fail; with a resend of written requests the server
    /// would count two.
    #[tokio::test]
    async fn a_request_handed_back_unwritten_goes_once_on_a_new_connection() {
        let server = server(Then::Answer).await;
        let pool = pool(&server);
        let (client_end, mut server_end) = tokio::io::duplex(4096);
        let (mut sender, connection) = http1::handshake(TokioIo::new(client_end))
            .await
            .expect("handshake");
        tokio::spawn(connection);
        let answered = async {
            let mut request = [0u8; 4096];
            let _ = server_end.read(&mut request).await.expect("request");
            let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
            server_end.write_all(answer).await.expect("answer");
        };
        let (response, ()) = tokio::join!(sender.send_request(pool.request(Vec::new())), answered);
        response
            .expect("first answer")
            .into_body()
            .collect()
            .await
            .expect("body");
        sender.ready().await.expect("idle");
        pool.idle.lock().expect("idle").push(sender);
        drop(server_end);
        // No await between the close and the send.
        assert_eq!(exchange(&pool).await.ok().as_deref(), Some(&b"{}"[..]));
        assert_eq!(server.requests(), 1);
        assert_eq!(server.connections(), 1);
    }

    #[tokio::test]
    async fn a_request_that_may_have_arrived_on_a_reused_connection_is_not_sent_again() {
        let server = server(Then::AnswerOnceThenDrop).await;
        let pool = pool(&server);
        assert!(exchange(&pool).await.is_ok());
        assert!(maybe_delivered(exchange(&pool).await));
        assert_eq!(server.requests(), 2);
        assert_eq!(server.connections(), 1);
    }

    #[tokio::test]
    async fn a_request_that_may_have_arrived_on_a_new_connection_is_not_sent_again() {
        let server = server(Then::Drop).await;
        let pool = pool(&server);
        let (result, handed) = exchange_handed(&pool).await;
        assert!(maybe_delivered(result));
        assert!(handed);
        assert_eq!(server.requests(), 1);
    }

    #[tokio::test]
    async fn a_refused_connection_never_carried_the_request() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        drop(listener);
        let pool = pool_for(&url.parse().expect("url"));
        let (result, handed) = exchange_handed(&pool).await;
        match result {
            Err(CallError::Transport {
                maybe_delivered,
                message,
            }) => {
                assert!(!maybe_delivered);
                assert!(message.contains("could not connect"), "{message}");
            }
            other => panic!("expected a transport error, got {:?}", other.is_ok()),
        }
        assert!(!handed);
    }

    #[test]
    fn the_request_names_the_host_as_the_url_does_and_only_the_path() {
        let request_to =
            |url: &str, body: &[u8]| pool_for(&url.parse().expect("url")).request(body.to_vec());
        let request = request_to("http://localhost:5000/moto/?a=1", b"");
        assert_eq!(request.uri(), "/moto/?a=1");
        assert_eq!(request.headers()[HOST], "localhost:5000");
        assert_eq!(request.headers()[CONTENT_LENGTH], "0");
        let request = request_to("http://[::1]:1/", b"{\"a\":1}");
        assert_eq!(request.headers()[CONTENT_LENGTH], "7");
        assert_eq!(request.method(), hyper::Method::POST);
        // The default port is not named, as the signer does not name it.
        for (url, host) in [
            ("http://localhost/x", "localhost"),
            ("http://127.0.0.1:80/", "127.0.0.1"),
            ("http://[::1]:9229/", "[::1]:9229"),
        ] {
            assert_eq!(request_to(url, b"").headers()[HOST], host, "{url}");
        }
    }
}
