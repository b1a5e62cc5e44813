//! A running emulator: binds a loopback port, accepts connections and hands
//! each request to the server; dropping the [`Emulator`] stops it.
//!
//! Each connection must send a request head within
//! [`ConnectionLimits::header_timeout`], and at most
//! [`ConnectionLimits::max_connections`] are served at once; when all slots
//! are taken, new connections wait in the kernel's listen backlog until one
//! frees (rather than being accepted and reset, which a client would take
//! for a lost answer and retry).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use crate::emulator::access::{self, Access};
use crate::emulator::admin_wire::GroupType;
use crate::emulator::faults::{FaultInjector, Faults};
use crate::emulator::server::{self, Shared};
use crate::emulator::state::PoolState;
use crate::send::cognito::pool::{ClientDescription, PoolDescription};
use crate::send::cognito::wire::Secret;

/// What the emulator serves.
#[derive(Debug, Clone)]
pub(crate) struct EmulatorConfig {
    pub(crate) pool: PoolDescription,
    /// App clients; when empty, one without a secret is made up.
    pub(crate) clients: Vec<ClientDescription>,
    pub(crate) faults: Faults,
}

/// What the admin operations need beyond [`EmulatorConfig`]: the
/// credentials signed calls must use, the region, and the pool's groups.
/// The default (random credentials, the region from the pool id, no
/// groups) is what an in-process emulator gets.
#[derive(Debug, Clone, Default)]
pub(crate) struct AdminSetup {
    /// The access key id; random when `None`.
    pub(crate) access_key_id: Option<String>,
    /// The secret access key; random when `None`.
    pub(crate) secret_access_key: Option<Secret>,
    /// The region; from the pool id (else us-east-1) when `None`.
    pub(crate) region: Option<String>,
    pub(crate) groups: Vec<GroupType>,
}

/// Bounds on what one client can hold: without them a connection that sends
/// half a request line and then nothing stays open for good (a slowloris),
/// and enough of them exhaust the process's file descriptors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    /// Longest a connection may take to send a whole request head. hyper
    /// starts this clock whenever it waits for a head, so an idle
    /// keep-alive connection is closed after it too.
    pub(crate) header_timeout: Duration,
    /// Connections served at once.
    pub(crate) max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// A running emulator. Dropping it stops the server.
pub(crate) struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
}

impl Emulator {
    /// [`Emulator::start`] with the admin operations' setup.
    pub(crate) async fn start_with(
        config: EmulatorConfig,
        setup: AdminSetup,
        addr: SocketAddr,
    ) -> anyhow::Result<Emulator> {
        Emulator::start_with_limits(config, setup, addr, ConnectionLimits::default()).await
    }

    /// [`Emulator::start_with`] with other limits (the tests use short ones).
    pub(crate) async fn start_with_limits(
        config: EmulatorConfig,
        setup: AdminSetup,
        addr: SocketAddr,
        limits: ConnectionLimits,
    ) -> anyhow::Result<Emulator> {
        let mut clients = config.clients;
        if clients.is_empty() {
            clients.push(ClientDescription {
                client_id: new_client_id(),
                client_secret: None,
                write_attributes: None,
            });
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("the emulator cannot listen on {addr}: {e}"))?;
        let addr = listener.local_addr()?;
        let mut state = PoolState::new(config.pool, clients);
        state.message_quota = config.faults.message_quota;
        let region = access::region(setup.region.as_deref(), &state.pool_id)?;
        let access = Access::new(setup.access_key_id, setup.secret_access_key, region)?;
        state.groups = setup.groups;
        for group in &mut state.groups {
            group.user_pool_id = Some(state.pool_id.clone());
        }
        let shared = Arc::new(Shared {
            state,
            faults: FaultInjector::new(config.faults),
            access,
        });
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(accept_loop(listener, Arc::clone(&shared), limits, stopped));
        Ok(Emulator { addr, shared, stop })
    }

    /// `http://127.0.0.1:PORT/`.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The pool's state, for in-process inspection.
    pub(crate) fn state(&self) -> &PoolState {
        &self.shared.state
    }

    /// The credentials and region signed calls must use.
    pub(crate) fn access(&self) -> &Access {
        &self.shared.access
    }

    /// The first app client (the made-up one when none was given).
    pub(crate) fn client(&self) -> &ClientDescription {
        &self.shared.state.clients[0]
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A client id in Cognito's shape: 26 lower-case letters and digits.
pub(crate) fn new_client_id() -> String {
    super::ids::random_uuid().simple().to_string()[..26].to_owned()
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    limits: ConnectionLimits,
    mut stopped: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        // A slot first, then accept: while every slot is taken, new
        // connections wait in the listen backlog instead of being starved.
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => permit,
            _ = stopped.changed() => return,
        };
        let Ok(permit) = permit else { return };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => return,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors or similar: pause rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(
            stream,
            Arc::clone(&shared),
            limits.header_timeout,
            permit,
            stopped.clone(),
        ));
    }
}

/// Serves one connection until it closes, the header timeout ends it or the
/// emulator stops; its slot is given back when this returns.
async fn serve_connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    header_timeout: Duration,
    _slot: OwnedSemaphorePermit,
    mut stopped: watch::Receiver<bool>,
) {
    let service = service_fn(move |request| server::handle(Arc::clone(&shared), request));
    let mut builder = hyper::server::conn::http1::Builder::new();
    // hyper's header timeout does nothing without a timer.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        _ = stopped.changed() => {}
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::emulator::faults::Faults;

    async fn start(header_timeout: Duration, max_connections: usize) -> Emulator {
        let config = EmulatorConfig {
            pool: serde_json::from_value(serde_json::json!({})).expect("pool json"),
            clients: Vec::new(),
            faults: Faults::default(),
        };
        let limits = ConnectionLimits {
            header_timeout,
            max_connections,
        };
        let addr = ([127, 0, 0, 1], 0).into();
        Emulator::start_with_limits(config, AdminSetup::default(), addr, limits)
            .await
            .expect("emulator starts")
    }

    /// How long until the server closed `stream` (a read gives 0 or an
    /// error), or `None` if it was still open after `within`.
    async fn until_closed(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
        let started = Instant::now();
        let mut buf = [0u8; 1024];
        let closed = async {
            while let Ok(n) = stream.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
        };
        tokio::time::timeout(within, closed)
            .await
            .ok()
            .map(|()| started.elapsed())
    }

    #[tokio::test]
    async fn a_slowloris_connection_is_closed_after_the_header_timeout() {
        let emulator = start(Duration::from_secs(1), 8).await;
        let mut stream = TcpStream::connect(emulator.addr).await.expect("connect");
        // Half a request line, then nothing.
        stream.write_all(b"POST / HT").await.expect("write");
        let elapsed = until_closed(&mut stream, Duration::from_secs(3))
            .await
            .expect("the connection is closed within 3 s");
        assert!(
            elapsed >= Duration::from_millis(800),
            "closed after {elapsed:?}, before the 1 s timeout"
        );
    }

    #[tokio::test]
    async fn connections_past_the_cap_wait_for_a_free_slot() {
        let emulator = start(Duration::from_secs(30), 1).await;
        let mut holder = TcpStream::connect(emulator.addr).await.expect("connect");
        holder.write_all(b"GET /__emu").await.expect("write");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut waiting = TcpStream::connect(emulator.addr).await.expect("connect");
        waiting
            .write_all(b"GET /__emulator/stats HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .expect("write");
        let mut buf = [0u8; 4096];
        let early = tokio::time::timeout(Duration::from_millis(500), waiting.read(&mut buf)).await;
        assert!(early.is_err(), "answered while the only slot was taken");
        drop(holder);
        let n = tokio::time::timeout(Duration::from_secs(3), waiting.read(&mut buf))
            .await
            .expect("answered once the slot was free")
            .expect("read");
        assert!(
            buf[..n].starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&buf[..n])
        );
    }
}
