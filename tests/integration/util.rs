//! Test helpers: temp dirs, the real binary, servers on 127.0.0.1 (the
//! built-in emulator as a child process, and moto), and JSON 1.1 calls to
//! inspect what a server holds.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use bulk_signup::report::ReportEntry;
use bulk_signup::wire::{AdminGetUserResponse, ListUsersResponse, UserType};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_bulk-signup");
pub const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");

pub fn sample(name: &str) -> PathBuf {
    Path::new(SAMPLES).join(name)
}

/// A finished run of the binary.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `bulk-signup ARGS` with extra env vars; stdin from `stdin` if given.
pub async fn bulk_signup(args: &[&str], env: &[(&str, &str)], stdin: Option<&Path>) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("COGNITO_CLIENT_SECRET")
        .env_remove("COGNITO_CLIENT_ID")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    match stdin {
        Some(path) => command.stdin(std::fs::File::open(path).expect("stdin file")),
        None => command.stdin(Stdio::null()),
    };
    let output = tokio::time::timeout(Duration::from_secs(300), command.output())
        .await
        .expect("bulk-signup finished within 300 s")
        .expect("bulk-signup ran");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Reads a CSV results report.
pub fn read_report(path: &Path) -> Vec<ReportEntry> {
    let mut reader = csv::Reader::from_path(path).expect("report exists");
    reader
        .deserialize()
        .map(|r| r.expect("report row"))
        .collect()
}

/// Writes `n` clean users (`{prefix}{i}`) as CSV with a custom attribute.
pub fn users_csv(path: &Path, prefix: &str, n: usize) {
    let mut writer = csv::Writer::from_path(path).expect("create csv");
    writer
        .write_record(["username", "password", "email", "given_name", "custom:tier"])
        .expect("header");
    for i in 1..=n {
        writer
            .write_record([
                format!("{prefix}{i}"),
                format!("Pw-{i}-Secret9x"),
                format!("{prefix}{i}@example.com"),
                format!("Given{i}"),
                ["gold", "silver", "bronze"][i % 3].to_owned(),
            ])
            .expect("row");
    }
    writer.flush().expect("flush");
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A server child process, killed when dropped.
pub struct Server {
    child: Child,
    pub endpoint: String,
    pub pool_id: String,
    pub client_id: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Starts `bulk-signup emulator --pool POOL --port 0 EXTRA...` and reads
/// where it listens from its stdout.
pub async fn emulator(pool: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(BIN)
        .arg("emulator")
        .arg("--pool")
        .arg(pool)
        .args(["--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("emulator starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut facts = HashMap::new();
    while facts.len() < 4 {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("emulator prints its endpoint within 20 s")
            .expect("read stdout")
            .expect("emulator exited early");
        if let Some((k, v)) = line.split_once(' ') {
            facts.insert(k.to_owned(), v.to_owned());
        }
    }
    Server {
        child,
        endpoint: facts["endpoint"].clone(),
        pool_id: facts["user_pool_id"].clone(),
        client_id: facts["client_id"].clone(),
    }
}

/// The emulator's counters.
pub async fn emulator_stats(server: &Server) -> bulk_signup::emulator::StatsSnapshot {
    let text = reqwest::get(format!("{}__emulator/stats", server.endpoint))
        .await
        .expect("stats answer")
        .text()
        .await
        .expect("stats body");
    serde_json::from_str(&text).expect("stats json")
}

/// Calls any Cognito JSON 1.1 operation, unsigned.
pub async fn call(endpoint: &str, operation: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(endpoint)
        .header("Content-Type", "application/x-amz-json-1.1")
        .header(
            "X-Amz-Target",
            format!("AWSCognitoIdentityProviderService.{operation}"),
        )
        .body(body.to_string())
        .send()
        .await
        .expect("server answers");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Every user in the pool, through ListUsers pagination.
pub async fn list_users(endpoint: &str, pool_id: &str) -> Vec<UserType> {
    let mut users = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..100_000 {
        let mut body = json!({"UserPoolId": pool_id, "Limit": 60});
        if let Some(t) = &token {
            body["PaginationToken"] = json!(t);
        }
        let (status, value) = call(endpoint, "ListUsers", body).await;
        assert_eq!(status, 200, "ListUsers: {value}");
        let page: ListUsersResponse = serde_json::from_value(value).expect("ListUsers shape");
        users.extend(page.users);
        token = page.pagination_token;
        if token.is_none() {
            break;
        }
    }
    users
}

/// One user through AdminGetUser.
pub async fn admin_get_user(
    endpoint: &str,
    pool_id: &str,
    username: &str,
) -> Option<AdminGetUserResponse> {
    let (status, value) = call(
        endpoint,
        "AdminGetUser",
        json!({"UserPoolId": pool_id, "Username": username}),
    )
    .await;
    (status == 200).then(|| serde_json::from_value(value).expect("AdminGetUser shape"))
}

/// An attribute's value.
pub fn attribute<'a>(
    attributes: &'a [bulk_signup::wire::AttributeType],
    name: &str,
) -> Option<&'a str> {
    attributes
        .iter()
        .find(|a| &*a.name == name)
        .map(|a| a.value.as_str())
}

/// moto's server on a free port, or `None` (skip) when moto is not
/// installed and `CI` is unset. In CI a missing moto fails the suite.
pub async fn moto() -> Option<Server> {
    let installed = std::process::Command::new("python3")
        .args(["-c", "import moto.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        assert!(
            std::env::var_os("CI").is_none(),
            "moto is not installed (pip install 'moto[server]'); CI must run the moto tests"
        );
        eprintln!("skipping: moto is not installed (pip install 'moto[server]')");
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
    let endpoint = format!("http://127.0.0.1:{port}/");
    for _ in 0..200 {
        if reqwest::get(format!("{endpoint}moto-api/")).await.is_ok() {
            return Some(Server {
                child,
                endpoint,
                pool_id: String::new(),
                client_id: String::new(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto did not start listening on {endpoint} within 20 s");
}

/// Creates a pool (custom attribute `tier`, a policy the test users meet)
/// and an app client in moto; returns (pool id, client id, client secret).
pub async fn moto_pool(endpoint: &str, with_secret: bool) -> (String, String, Option<String>) {
    let (status, pool) = call(
        endpoint,
        "CreateUserPool",
        json!({
            "PoolName": "bulk-signup-test",
            "Policies": {"PasswordPolicy": {"MinimumLength": 8, "RequireUppercase": true, "RequireLowercase": true, "RequireNumbers": true, "RequireSymbols": false}},
            "Schema": [{"Name": "tier", "AttributeDataType": "String", "Mutable": true}]
        }),
    )
    .await;
    assert_eq!(status, 200, "CreateUserPool: {pool}");
    let pool_id = pool["UserPool"]["Id"].as_str().expect("pool id").to_owned();
    let (status, client) = call(
        endpoint,
        "CreateUserPoolClient",
        json!({"UserPoolId": pool_id, "ClientName": "bulk", "GenerateSecret": with_secret}),
    )
    .await;
    assert_eq!(status, 200, "CreateUserPoolClient: {client}");
    let client = &client["UserPoolClient"];
    (
        pool_id,
        client["ClientId"].as_str().expect("client id").to_owned(),
        client["ClientSecret"].as_str().map(str::to_owned),
    )
}

/// `run INPUT --endpoint-url … --client-id … --report REPORT EXTRA…` against `server`.
pub fn run_args(input: &Path, server: &Server, report: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "run",
        input.to_str().expect("path"),
        "--endpoint-url",
        &server.endpoint,
        "--client-id",
        &server.client_id,
        "--report",
        report.to_str().expect("path"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Runs the binary with owned arguments.
pub async fn run_to_end(args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    bulk_signup(&args, &[], None).await
}

/// `run samples/users.csv --emulator samples/pool.json --report REPORT`
/// (the README's main job) with extra env vars.
pub async fn run_sample_on_built_in_emulator(report: &Path, env: &[(&str, &str)]) -> Output {
    let (users, pool) = (sample("users.csv"), sample("pool.json"));
    let args = [
        "run",
        users.to_str().expect("path"),
        "--emulator",
        pool.to_str().expect("path"),
        "--report",
        report.to_str().expect("path"),
    ];
    bulk_signup(&args, env, None).await
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a test file");
    path
}

/// [`run_to_end`] with `stdin` as standard input.
pub async fn run_to_end_with_stdin(args: &[String], stdin: &Path) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    bulk_signup(&args, &[], Some(stdin)).await
}

/// Waits (bounded) until `report` has more than `lines` lines, then sends
/// `signal` to `child` and collects its exit status and stderr.
pub async fn signal_when_report_grows(
    mut child: tokio::process::Child,
    report: &Path,
    lines: usize,
    signal: i32,
) -> (std::process::ExitStatus, String) {
    for _ in 0..400 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        if std::fs::read_to_string(report).map_or(0, |t| t.lines().count()) > lines {
            break;
        }
    }
    let pid = child.id().expect("pid") as i32;
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    tokio::time::timeout(Duration::from_secs(30), async {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            use tokio::io::AsyncReadExt;
            let _ = pipe.read_to_string(&mut stderr).await;
        }
        (child.wait().await.expect("wait"), stderr)
    })
    .await
    .expect("stopped within the grace period")
}

/// The `bulk-signup run …` command an interrupted run printed, as arguments.
pub fn printed_command(stderr: &str) -> Vec<String> {
    let line = stderr
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("bulk-signup run "))
        .expect("a command to run next is printed");
    line.split_whitespace()
        .skip(1)
        .map(|w| w.trim_matches('\'').to_owned())
        .collect()
}

/// The usual test set-up: an emulator with `flags`, `rows` clean users in a
/// CSV (usernames `{prefix}1`…), and a report path, in a temp dir.
pub struct Job {
    pub server: Server,
    /// Holds the files; removed when the job is dropped.
    _dir: tempfile::TempDir,
    pub input: PathBuf,
    pub report: PathBuf,
}

impl Job {
    pub async fn new(flags: &[&str], prefix: &str, rows: usize) -> Job {
        let server = emulator(&sample("pool.json"), flags).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("users.csv");
        users_csv(&input, prefix, rows);
        let report = dir.path().join("report.csv");
        Job {
            server,
            _dir: dir,
            input,
            report,
        }
    }

    /// Runs `bulk-signup run` against this job's emulator, input and report.
    pub async fn run(&self, extra: &[&str]) -> Output {
        run_to_end(&run_args(&self.input, &self.server, &self.report, extra)).await
    }
}
