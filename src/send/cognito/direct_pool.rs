//! Pooled HTTP/1.1 connections to one plain-HTTP endpoint on this machine,
//! on hyper's own connection API. hyper-util's general pooled client did
//! the same job at several times the cost per request (a connector service,
//! a keyed pool and a future of kilobytes moved for every request); this
//! pool has one host, one connection per request in flight, and a `Vec`.
//!
//! A request goes again on a new connection only when hyper hands it back
//! unwritten (the server closed an idle connection first): a request that
//! may have reached the server is never sent twice.

use std::sync::Mutex;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderValue, HOST};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::client::CallError;

type Sender = SendRequest<Full<Bytes>>;

/// The connections to one endpoint, and how to open more.
pub(crate) struct DirectPool {
    endpoint: String,
    /// `host:port`, to connect to and to name in the Host header.
    authority: String,
    host: HeaderValue,
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

impl DirectPool {
    /// A pool for `endpoint` (`http://` on this machine) keeping up to
    /// `max_idle` idle connections.
    pub(crate) fn new(
        endpoint: &reqwest::Url,
        max_idle: usize,
        connect_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let host = endpoint
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("the endpoint {endpoint} names no host"))?;
        let port = endpoint
            .port_or_known_default()
            .ok_or_else(|| anyhow::anyhow!("the endpoint {endpoint} names no port"))?;
        let authority = format!("{host}:{port}");
        let target = match endpoint.query() {
            Some(query) => format!("{}?{query}", endpoint.path()),
            None => endpoint.path().to_owned(),
        };
        Ok(DirectPool {
            endpoint: endpoint.to_string(),
            host: HeaderValue::from_str(&authority)?,
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
        let mut request = Request::new(Full::new(Bytes::from(body)));
        *request.method_mut() = hyper::Method::POST;
        *request.uri_mut() = self.target.clone();
        request.headers_mut().insert(HOST, self.host.clone());
        request
    }

    /// Sends `request` on an idle connection, or a new one; the lease is to
    /// be given back with [`DirectPool::give_back`] once the answer's body
    /// has been read to its end.
    pub(crate) async fn send(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<(Response<Incoming>, Lease), CallError> {
        let (sender, reused) = match self.take_idle().await {
            Some(sender) => (sender, true),
            None => (self.connect_boxed().await?, false),
        };
        let mut failed = match send_on(sender, request).await {
            Ok(sent) => return Ok(sent),
            Err(failed) => failed,
        };
        if reused {
            if let Some(request) = failed.take_message() {
                // Never written: the server had closed the idle connection.
                let sender = self.connect_boxed().await?;
                failed = match send_on(sender, request).await {
                    Ok(sent) => return Ok(sent),
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
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
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

/// Sends `request` on `sender`; the connection goes with the answer.
async fn send_on(
    mut sender: Sender,
    request: Request<Full<Bytes>>,
) -> Result<(Response<Incoming>, Lease), Failed> {
    let response = sender.try_send_request(request).await?;
    Ok((response, Lease { sender }))
}

/// A request that failed on its connection may have reached the server
/// unless hyper handed it back unwritten.
fn send_error(mut failed: Failed) -> CallError {
    let unwritten = failed.take_message().is_some();
    super::transport::transport_error("connection failed", &failed.into_error(), !unwritten)
}
#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use http_body_util::BodyExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// What the test server does after reading each request.
    #[derive(Clone, Copy)]
    enum Then {
        /// Answers and keeps the connection open.
        Answer,
        /// Answers, then closes the connection as an idle one is closed.
        AnswerAndClose,
        /// Closes the connection without an answer.
        Drop,
    }

    /// A loopback HTTP/1.1 server counting connections and requests.
    struct Server {
        url: reqwest::Url,
        connections: Arc<AtomicUsize>,
        requests: Arc<AtomicUsize>,
    }

    async fn server(then: Then) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (c, r) = (Arc::clone(&connections), Arc::clone(&requests));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, then, Arc::clone(&r)));
            }
        });
        Server {
            url: url.parse().expect("url"),
            connections,
            requests,
        }
    }

    /// Reads whole requests (head, then a Content-Length body) and does
    /// `then` after each.
    async fn serve(mut stream: TcpStream, then: Then, requests: Arc<AtomicUsize>) {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
                continue;
            };
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().expect("length"));
            while buffer.len() < end + 4 + length {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
            buffer.drain(..end + 4 + length);
            requests.fetch_add(1, Ordering::SeqCst);
            if let Then::Drop = then {
                return;
            }
            let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
            if stream.write_all(answer).await.is_err() {
                return;
            }
            if let Then::AnswerAndClose = then {
                // Closed only once the client has taken the connection back.
                tokio::time::sleep(Duration::from_millis(50)).await;
                return;
            }
        }
    }

    /// One exchange through `pool`, its body read to the end.
    async fn exchange(pool: &DirectPool) -> Result<Vec<u8>, CallError> {
        let (response, lease) = pool.send(pool.request(b"{}".to_vec())).await?;
        let body = response.into_body().collect().await.expect("body");
        pool.give_back(lease);
        Ok(body.to_bytes().to_vec())
    }

    fn pool(server: &Server) -> DirectPool {
        DirectPool::new(&server.url, 4, Duration::from_secs(5)).expect("pool")
    }

    #[tokio::test]
    async fn one_connection_carries_request_after_request() {
        let server = server(Then::Answer).await;
        let pool = pool(&server);
        for _ in 0..5 {
            assert_eq!(exchange(&pool).await.ok().as_deref(), Some(&b"{}"[..]));
        }
        assert_eq!(server.requests.load(Ordering::SeqCst), 5);
        assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_is_replaced_and_nothing_is_sent_twice() {
        let server = server(Then::AnswerAndClose).await;
        let pool = pool(&server);
        for _ in 0..3 {
            assert!(exchange(&pool).await.is_ok());
            // Past the server's close of the idle connection.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(server.requests.load(Ordering::SeqCst), 3);
        assert_eq!(server.connections.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_request_that_may_have_arrived_is_not_sent_again() {
        let server = server(Then::Drop).await;
        let pool = pool(&server);
        match exchange(&pool).await {
            Err(CallError::Transport {
                maybe_delivered, ..
            }) => assert!(maybe_delivered),
            other => panic!("expected a transport error, got {:?}", other.is_ok()),
        }
        assert_eq!(server.requests.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_refused_connection_never_carried_the_request() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        drop(listener);
        let pool =
            DirectPool::new(&url.parse().expect("url"), 4, Duration::from_secs(5)).expect("pool");
        match exchange(&pool).await {
            Err(CallError::Transport {
                maybe_delivered,
                message,
            }) => {
                assert!(!maybe_delivered);
                assert!(message.contains("could not connect"), "{message}");
            }
            other => panic!("expected a transport error, got {:?}", other.is_ok()),
        }
    }

    #[test]
    fn the_request_names_the_host_and_only_the_path() {
        let url = "http://localhost:5000/moto/?a=1".parse().expect("url");
        let pool = DirectPool::new(&url, 1, Duration::from_secs(1)).expect("pool");
        let request = pool.request(Vec::new());
        assert_eq!(request.uri(), "/moto/?a=1");
        assert_eq!(request.headers()[HOST], "localhost:5000");
        assert_eq!(request.method(), hyper::Method::POST);
    }
}
