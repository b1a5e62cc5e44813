//! A loopback HTTP/1.1 server for the transport's unit tests: it counts
//! connections and whole requests, and after each request does one of a
//! few things a real server does (answer, close an idle connection, drop a
//! request unanswered, send more than an answer may hold).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the test server does after reading each request.
#[derive(Clone, Copy)]
pub(crate) enum Then {
    /// Answers `{}` and keeps the connection open.
    Answer,
    /// Answers, then closes the connection as an idle one is closed.
    AnswerAndClose,
    /// Closes the connection without an answer.
    Drop,
    /// Answers a connection's first request; drops its second unanswered.
    AnswerOnceThenDrop,
    /// Answers the first request on the server with `bytes` of body, every
    /// later one with `{}`.
    FirstAnswerOf(usize),
    /// Answers `{}` with a head of about `bytes` (one long header).
    AnswerWithHeadOf(usize),
}

/// A running test server; it stops with the test's runtime.
pub(crate) struct Server {
    pub(crate) url: reqwest::Url,
    pub(crate) connections: Arc<AtomicUsize>,
    pub(crate) requests: Arc<AtomicUsize>,
}

impl Server {
    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
    pub(crate) fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Starts a server on 127.0.0.1 that does `then` after each request.
pub(crate) async fn server(then: Then) -> Server {
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

/// Reads whole requests (head, then a Content-Length body) and does `then`
/// after each.
async fn serve(mut stream: TcpStream, then: Then, requests: Arc<AtomicUsize>) {
    let mut buffer = Vec::new();
    let mut on_this_connection = 0;
    while read_request(&mut stream, &mut buffer).await {
        let on_server = requests.fetch_add(1, Ordering::SeqCst);
        on_this_connection += 1;
        let body_bytes = match then {
            Then::Drop => return,
            Then::AnswerOnceThenDrop if on_this_connection > 1 => return,
            Then::FirstAnswerOf(bytes) if on_server == 0 => bytes,
            _ => 2,
        };
        let padding = match then {
            Then::AnswerWithHeadOf(bytes) => format!("x-padding: {}\r\n", "p".repeat(bytes)),
            _ => String::new(),
        };
        let mut answer =
            format!("HTTP/1.1 200 OK\r\n{padding}content-length: {body_bytes}\r\n\r\n{{")
                .into_bytes();
        answer.resize(answer.len() + body_bytes - 2, b' ');
        answer.push(b'}');
        if stream.write_all(&answer).await.is_err() {
            return;
        }
        if let Then::AnswerAndClose = then {
            // Closed only once the client has taken the connection back.
            tokio::time::sleep(Duration::from_millis(50)).await;
            return;
        }
    }
}

/// Reads one whole request into `buffer` and removes it; `false` at the
/// connection's end.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().expect("length"));
    while buffer.len() < end + 4 + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    buffer.drain(..end + 4 + length);
    true
}
