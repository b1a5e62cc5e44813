//! The servers a run can go to, one start function per kind, all on
//! 127.0.0.1: the built-in emulator, moto and cognito-local as child
//! processes (killed by PID when dropped), and an in-process recorder that
//! answers every request the same way and keeps what it was sent.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

use crate::sigv4::Signer;
use crate::workdir::BIN;

/// A started server; stopped when dropped.
pub struct Endpoint {
    /// Base URL, ending in `/`.
    pub url: String,
    pub pool_id: String,
    pub client_id: String,
    /// The app client's secret, when it has one.
    pub secret: Option<String>,
    /// The credentials admin calls are signed with: the emulator's printed
    /// ones; made-up ones for servers that do not check signatures.
    pub access_key_id: String,
    pub secret_access_key: String,
    /// The region signatures are scoped to (the emulator prints its own).
    pub region: String,
    guard: Guard,
    recorded: Arc<Mutex<Vec<Recorded>>>,
    /// The server's data directory, removed after the server is killed.
    _data: Option<tempfile::TempDir>,
}

enum Guard {
    Child(Child),
    Task(tokio::task::JoinHandle<()>),
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        match &mut self.guard {
            Guard::Child(child) => {
                if let Some(pid) = child.id() {
                    // SAFETY: killing the server process this test started.
                    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                }
            }
            Guard::Task(task) => task.abort(),
        }
    }
}

/// One request the recorder received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The request line, e.g. `POST / HTTP/1.1` or `CONNECT host:443 HTTP/1.1`.
    pub line: String,
    /// Header names lower-cased.
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Endpoint {
    fn new(url: String, guard: Guard) -> Endpoint {
        Endpoint {
            url,
            pool_id: String::new(),
            client_id: String::new(),
            secret: None,
            access_key_id: "testing".to_owned(),
            secret_access_key: "testing".to_owned(),
            region: "us-east-1".to_owned(),
            guard,
            recorded: Arc::default(),
            _data: None,
        }
    }

    /// `bulk-signup emulator --pool POOL --port 0 EXTRA…`, where it listens,
    /// its app client and its admin credentials read from its stdout.
    pub async fn emulator(pool: impl AsRef<Path>, extra: &[&str]) -> Endpoint {
        let mut child = Command::new(BIN)
            .arg("emulator")
            .arg("--pool")
            .arg(pool.as_ref())
            .args(["--port", "0"])
            .args(extra)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("emulator starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut facts = HashMap::new();
        // `stats` is the last start-up line.
        while !facts.contains_key("stats") {
            let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
                .await
                .expect("emulator prints its endpoint within 20 s")
                .expect("read stdout")
                .expect("emulator exited early");
            if let Some((k, v)) = line.split_once(' ') {
                facts.insert(k.to_owned(), v.to_owned());
            }
        }
        let mut endpoint = Endpoint::new(facts["endpoint"].clone(), Guard::Child(child));
        endpoint.pool_id = facts["user_pool_id"].clone();
        endpoint.client_id = facts["client_id"].clone();
        endpoint.access_key_id = facts["access_key_id"].clone();
        endpoint.secret_access_key = facts["secret_access_key"].clone();
        endpoint.region = facts["region"].clone();
        endpoint
    }

    /// Signs with this server's credentials and region.
    pub fn signer(&self) -> Signer {
        Signer {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            region: self.region.clone(),
        }
    }

    /// moto's server with a fresh pool and app client (with a secret if
    /// `with_secret`), or `None` (skip) when moto is not installed and `CI`
    /// is unset. In CI a missing moto fails the suite.
    pub async fn moto(with_secret: bool) -> Option<Endpoint> {
        let installed = std::process::Command::new("python3")
            .args(["-c", "import moto.server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !available("moto", installed, "pip install 'moto[server]'") {
            return None;
        }
        let port = free_port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("moto starts");
        let mut endpoint = Endpoint::new(format!("http://127.0.0.1:{port}/"), Guard::Child(child));
        endpoint.wait_until_answers("moto", "moto-api/").await;
        endpoint.create_pool(with_secret).await;
        Some(endpoint)
    }

    /// cognito-local (npm `cognito-local`, installed in `.ci/node/` by
    /// `.ci/run`) with a fresh data directory, pool and app client, or
    /// `None` (skip) when it is not installed and `CI` is unset. In CI a
    /// missing cognito-local fails the suite.
    pub async fn cognito_local() -> Option<Endpoint> {
        let node_runs = std::process::Command::new("node")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let installed = node_runs && Path::new(COGNITO_LOCAL).is_file();
        if !available("cognito-local", installed, COGNITO_LOCAL_INSTALL) {
            return None;
        }
        let data = tempfile::tempdir().expect("tempdir");
        // Its default pools take emails as usernames (and store the sub as
        // the username); the pools these tests make take plain usernames.
        std::fs::create_dir(data.path().join(".cognito")).expect("mkdir .cognito");
        std::fs::write(
            data.path().join(".cognito/config.json"),
            json!({"UserPoolDefaults": {"UsernameAttributes": []}}).to_string(),
        )
        .expect("write cognito-local config");
        let port = free_port();
        let child = Command::new("node")
            .arg(COGNITO_LOCAL)
            .current_dir(data.path())
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env_remove("DEBUG")
            .env_remove("COGNITO_LOCAL_DEVMODE")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("cognito-local starts");
        let mut endpoint = Endpoint::new(format!("http://127.0.0.1:{port}/"), Guard::Child(child));
        endpoint._data = Some(data);
        endpoint.wait_until_answers("cognito-local", "health").await;
        endpoint.create_pool(false).await;
        Some(endpoint)
    }

    /// Waits (at most 30 s) until a GET of `path` gets any HTTP answer.
    async fn wait_until_answers(&self, name: &str, path: &str) {
        let client = crate::inspect::http();
        for _ in 0..300 {
            if client
                .get(format!("{}{path}", self.url))
                .send()
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{name} did not start listening on {} within 30 s", self.url);
    }

    /// A pool (custom attribute `tier`, a policy the test users meet) and an
    /// app client, through the server's CreateUserPool and CreateUserPoolClient.
    async fn create_pool(&mut self, with_secret: bool) {
        let (status, pool) = self
            .call(
                "CreateUserPool",
                json!({
                    "PoolName": "bulk-signup-test",
                    "Policies": {"PasswordPolicy": {"MinimumLength": 8, "RequireUppercase": true, "RequireLowercase": true, "RequireNumbers": true, "RequireSymbols": false}},
                    "Schema": [{"Name": "tier", "AttributeDataType": "String", "Mutable": true}]
                }),
            )
            .await;
        assert_eq!(status, 200, "CreateUserPool: {pool}");
        self.pool_id = pool["UserPool"]["Id"].as_str().expect("pool id").to_owned();
        let (status, client) = self
            .call(
                "CreateUserPoolClient",
                json!({"UserPoolId": self.pool_id, "ClientName": "bulk", "GenerateSecret": with_secret}),
            )
            .await;
        assert_eq!(status, 200, "CreateUserPoolClient: {client}");
        let client = &client["UserPoolClient"];
        self.client_id = client["ClientId"].as_str().expect("client id").to_owned();
        self.secret = client["ClientSecret"].as_str().map(str::to_owned);
        assert_eq!(self.secret.is_some(), with_secret, "{client}");
    }

    /// An in-process server that answers every request with `status` and
    /// the JSON `body` (as Cognito's JSON 1.1), and records each request.
    /// A `CONNECT` (a proxy request) is recorded and refused with 403.
    pub async fn recorder(status: u16, body: &str) -> Endpoint {
        Endpoint::answering(canned_answer(status, body)).await
    }

    /// Like [`Endpoint::recorder`], with `answer` the whole raw HTTP answer
    /// (status line, headers, body): for servers that are not Cognito.
    /// An empty `answer` means a server that reads requests and never answers.
    pub async fn answering(answer: String) -> Endpoint {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        let recorded: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let log = Arc::clone(&recorded);
        let answer = Arc::new(answer);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, Arc::clone(&log), Arc::clone(&answer)));
            }
        });
        let mut endpoint = Endpoint::new(url, Guard::Task(task));
        endpoint.recorded = recorded;
        endpoint
    }

    /// What the recorder has received so far.
    pub fn recorded(&self) -> Vec<Recorded> {
        self.recorded.lock().expect("log").clone()
    }
}

/// cognito-local's entry point, run with `node`.
const COGNITO_LOCAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/.ci/node/node_modules/cognito-local/lib/bin/start.js"
);
const COGNITO_LOCAL_INSTALL: &str = "npm install --prefix .ci/node cognito-local@5.3.0";

/// Whether a third-party server or library the tests need is `installed`;
/// when it is not, the test is skipped with a message, unless `CI` is set:
/// then it fails, since CI must run every test.
pub fn available(name: &str, installed: bool, install: &str) -> bool {
    if !installed {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is not installed ({install}); CI must run the {name} tests"
        );
        eprintln!("skipping: {name} is not installed ({install})");
    }
    installed
}

fn canned_answer(status: u16, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} Canned\r\ncontent-type: application/x-amz-json-1.1\r\nx-amzn-requestid: recorded-1\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Serves one connection: every request is recorded and answered.
async fn serve(stream: TcpStream, log: Arc<Mutex<Vec<Recorded>>>, answer: Arc<String>) {
    let mut stream = BufReader::new(stream);
    while let Some(request) = read_request(&mut stream).await {
        let connect = request.line.starts_with("CONNECT ");
        log.lock().expect("log").push(request);
        let reply: &[u8] = if connect {
            b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        } else if answer.is_empty() {
            // Never answers: hold the connection until the client gives up.
            std::future::pending::<()>().await;
            return;
        } else {
            answer.as_bytes()
        };
        if stream.get_mut().write_all(reply).await.is_err() || connect {
            return;
        }
    }
}

/// Reads one HTTP/1.1 request (head, then a `content-length` body).
async fn read_request(stream: &mut BufReader<TcpStream>) -> Option<Recorded> {
    let mut line = String::new();
    stream.read_line(&mut line).await.ok().filter(|n| *n > 0)?;
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        stream
            .read_line(&mut header)
            .await
            .ok()
            .filter(|n| *n > 0)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.ok()?;
    Some(Recorded {
        line: line.trim_end().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
