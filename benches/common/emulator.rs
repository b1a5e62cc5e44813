//! A `bulk-signup emulator` child for the benches: started on 127.0.0.1
//! with a free port, its endpoint and credentials read from its first
//! lines, its counters read over HTTP, killed by its own PID when dropped.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::BIN;

/// The pool every bench emulates.
pub const POOL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/pool.json");

/// Environment variables that could point a child elsewhere or add a secret.
pub const SCRUB: &[&str] = &[
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "COGNITO_CLIENT_ID",
    "COGNITO_CLIENT_SECRET",
    "AWS_PROFILE",
    "AWS_RETRY_MODE",
    "AWS_MAX_ATTEMPTS",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
];

/// A running `bulk-signup emulator`, killed (by its own PID) when dropped.
pub struct Emulator {
    pub child: Child,
    pub endpoint: String,
    pub client_id: String,
    /// What admin calls (the steps after sign-up) name and sign with.
    pub user_pool_id: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub addr: SocketAddr,
}

impl Emulator {
    pub fn start(quota: Option<f64>, burst: Option<f64>, latency_ms: u64) -> Emulator {
        let mut args: Vec<String> = vec![
            "emulator".into(),
            "--pool".into(),
            POOL.into(),
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            "0".into(),
            "-q".into(),
        ];
        if let Some(q) = quota {
            args.extend(["--quota".into(), q.to_string()]);
        }
        if let Some(b) = burst {
            args.extend(["--burst".into(), b.to_string()]);
        }
        if latency_ms > 0 {
            args.extend(["--latency-ms".into(), latency_ms.to_string()]);
        }
        let mut cmd = Command::new(BIN);
        cmd.args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for var in SCRUB {
            cmd.env_remove(var);
        }
        let mut child = cmd.spawn().expect("start emulator");
        let stdout = child.stdout.take().expect("emulator stdout");
        // Read the start-up lines on a thread so a stuck emulator cannot hang
        // the bench; the thread ends at EOF, when the emulator is killed.
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut facts = BTreeMap::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !facts.contains_key("secret_access_key") {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some((key, value)) = line.split_once(' ') {
                        facts.insert(key.to_owned(), value.trim().to_owned());
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("emulator did not print its endpoint (got {facts:?})");
                }
            }
        }
        let endpoint = facts["endpoint"].clone();
        let client_id = facts["client_id"].clone();
        let host_port = endpoint
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
            .expect("endpoint shape");
        let addr: SocketAddr = host_port.parse().expect("endpoint address");
        assert!(
            addr.ip().is_loopback(),
            "emulator not on loopback: {endpoint}"
        );
        Emulator {
            child,
            endpoint,
            client_id,
            user_pool_id: facts["user_pool_id"].clone(),
            access_key_id: facts["access_key_id"].clone(),
            secret_access_key: facts["secret_access_key"].clone(),
            addr,
        }
    }

    /// `GET /__emulator/stats`, over plain HTTP/1.0 to the loopback port.
    pub fn stats(&self) -> BTreeMap<String, u64> {
        let mut stream =
            TcpStream::connect_timeout(&self.addr, Duration::from_secs(5)).expect("connect stats");
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
        stream.set_write_timeout(Some(Duration::from_secs(5))).ok();
        stream
            .write_all(b"GET /__emulator/stats HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .expect("send stats request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read stats");
        let (head, body) = response.split_once("\r\n\r\n").expect("stats response");
        assert!(head.contains(" 200 "), "stats answered: {head}");
        let value: serde_json::Value = serde_json::from_str(body.trim()).expect("stats JSON");
        let object = value.as_object().expect("stats object");
        let mut stats: BTreeMap<String, u64> = object
            .iter()
            .filter_map(|(k, v)| v.as_u64().map(|n| (k.clone(), n)))
            .collect();
        // Throttles per quota category, as `throttled_<Category>`.
        if let Some(categories) = object
            .get("throttled_by_category")
            .and_then(|v| v.as_object())
        {
            for (category, n) in categories {
                if let Some(n) = n.as_u64() {
                    stats.insert(format!("throttled_{category}"), n);
                }
            }
        }
        stats
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
