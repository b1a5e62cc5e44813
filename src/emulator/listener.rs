//! A running emulator: binds a loopback port, accepts connections and hands
//! each request to the server; dropping the [`Emulator`] stops it.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::emulator::faults::{FaultInjector, Faults};
use crate::emulator::server::{self, Shared};
use crate::emulator::state::PoolState;
use crate::send::cognito::pool::{ClientDescription, PoolDescription};

/// What the emulator serves.
#[derive(Debug, Clone)]
pub(crate) struct EmulatorConfig {
    pub(crate) pool: PoolDescription,
    /// App clients; when empty, one without a secret is made up.
    pub(crate) clients: Vec<ClientDescription>,
    pub(crate) faults: Faults,
}

/// A running emulator. Dropping it stops the server.
pub(crate) struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
}

impl Emulator {
    /// Binds `addr` (port 0 for an ephemeral port) and starts serving.
    pub(crate) async fn start(
        config: EmulatorConfig,
        addr: SocketAddr,
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
        let shared = Arc::new(Shared {
            state,
            faults: FaultInjector::new(config.faults),
        });
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(accept_loop(listener, Arc::clone(&shared), stopped));
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
    uuid::Uuid::new_v4().simple().to_string()[..26].to_owned()
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => return,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors or similar: pause rather than spin.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| server::handle(Arc::clone(&shared), request));
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = stopped.changed() => {}
            }
        });
    }
}
