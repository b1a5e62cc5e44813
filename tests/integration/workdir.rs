//! The one test harness, after xsv's `Workdir`: a temp dir that holds a
//! test's files, one command builder for the real `bulk-signup` binary, one
//! way to run it (`Cmd::output`) and one way to check its exit code
//! (`Output::assert_code`). Test modules `use crate::workdir::*`.

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, Command};

pub use crate::endpoint::Endpoint;
pub use crate::inspect::{assert_an_unknown_client_stops_the_run, attribute, python_secret_hash};

// The library paths tests use, in one place: the src restructure moves them.
pub use bulk_signup::emulator::StatsSnapshot;
pub use bulk_signup::report::LOST_ANSWER_NOTE;
pub use bulk_signup::report::{ReportEntry, Status};
pub use bulk_signup::wire::{AdminGetUserResponse, AttributeType, ListUsersResponse, UserType};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_bulk-signup");
const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
/// The longest any single run of the binary may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

/// A file from `samples/`.
pub fn sample(name: &str) -> PathBuf {
    Path::new(SAMPLES).join(name)
}

/// A temp dir holding one test's files; removed when dropped.
pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Default for Workdir {
    fn default() -> Self {
        Self::new()
    }
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// `name` inside the dir (an absolute path is kept as it is).
    pub fn path(&self, name: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `text` to `name` and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write a test file");
        path
    }

    /// The text of `name`.
    pub fn read(&self, name: impl AsRef<Path>) -> String {
        let path = self.path(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    pub fn exists(&self, name: impl AsRef<Path>) -> bool {
        self.path(name).exists()
    }

    /// Writes `n` clean users (`{prefix}{i}`) as CSV with a custom attribute.
    pub fn users_csv(&self, name: &str, prefix: &str, n: usize) -> PathBuf {
        let path = self.path(name);
        let mut writer = csv::Writer::from_path(&path).expect("create csv");
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
        path
    }

    /// A `describe-user-pool-client` JSON for an app client with a secret.
    pub fn secret_client(&self, client_id: &str, secret: &str) -> PathBuf {
        let json = serde_json::json!({"UserPoolClient": {
            "ClientId": client_id, "ClientSecret": secret, "UserPoolId": "us-east-1_SAMPLE1"}});
        self.write(&format!("{client_id}.json"), &json.to_string())
    }

    /// A CSV results report.
    pub fn read_report(&self, name: impl AsRef<Path>) -> Vec<ReportEntry> {
        let mut reader = csv::Reader::from_path(self.path(name)).expect("report exists");
        reader
            .deserialize()
            .map(|r| r.expect("report row"))
            .collect()
    }

    /// Any CSV file, as one map per record.
    pub fn csv_rows(&self, name: impl AsRef<Path>) -> Vec<HashMap<String, String>> {
        let mut reader = csv::Reader::from_path(self.path(name)).expect("csv");
        let headers = reader.headers().expect("headers").clone();
        reader
            .records()
            .map(|r| {
                let r = r.expect("record");
                headers
                    .iter()
                    .zip(r.iter())
                    .map(|(h, v)| (h.to_owned(), v.to_owned()))
                    .collect()
            })
            .collect()
    }

    /// `bulk-signup run INPUT` (a name in the dir, an absolute path, or `-`).
    pub fn run(&self, input: impl AsRef<Path>) -> Cmd {
        let input = input.as_ref();
        let input = if input == Path::new("-") {
            input.to_path_buf()
        } else {
            self.path(input)
        };
        self.command(["run"]).arg(input)
    }

    /// `bulk-signup ARGS…`, run in this dir.
    pub fn command<I, S>(&self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Cmd {
            dir: self.dir.path().to_path_buf(),
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            target: None,
            stdin: Input::Null,
            during: During::Nothing,
            memory_limit: None,
            program: None,
        }
    }
}

/// What the running process gets on stdin.
#[derive(Clone, Debug)]
enum Input {
    Null,
    File(PathBuf),
    /// These bytes through a pipe that stays open until the process exits.
    HeldOpen(Vec<u8>),
}

/// Something done to the process while it runs.
#[derive(Clone, Debug)]
enum During {
    Nothing,
    /// Once `file` has more than `lines` lines, send `signal`.
    SignalWhenGrown {
        file: PathBuf,
        lines: usize,
        signal: i32,
    },
    /// SIGKILL after this long, unless it finished first.
    KillAfter(Duration),
    /// Called with the process's PID and the workdir as soon as it started.
    AtStart(fn(u32, &Path)),
}

/// The server a `run` goes to: `--endpoint-url`, `--client-id` and the secret.
#[derive(Clone, Debug)]
struct Target {
    url: String,
    client_id: String,
    secret: Option<String>,
}

/// One invocation of the binary, built up and then run by [`Cmd::output`].
#[derive(Clone, Debug)]
pub struct Cmd {
    dir: PathBuf,
    args: Vec<OsString>,
    env: Vec<(String, String)>,
    target: Option<Target>,
    stdin: Input,
    during: During,
    /// The process's address-space limit in bytes (`RLIMIT_AS`).
    memory_limit: Option<u64>,
    /// Runs this file instead of [`BIN`] (a copy or link of it).
    program: Option<PathBuf>,
}

/// Settings the binary reads from the environment: every run starts without
/// them (and without proxies), so only what a test sets reaches it.
pub const CLEARED_ENV: [&str; 22] = [
    "NO_COLOR",
    "CLICOLOR_FORCE",
    "COGNITO_CLIENT_SECRET",
    "COGNITO_CLIENT_ID",
    "COGNITO_USER_POOL_ID",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "RUST_LOG",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

impl Cmd {
    pub fn arg(mut self, arg: impl Into<OsString>) -> Cmd {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// `--report NAME` in the workdir.
    pub fn report(self, name: &str) -> Cmd {
        let path = self.dir.join(name);
        self.arg("--report").arg(path)
    }

    /// `--errors NAME` in the workdir.
    pub fn errors(self, name: &str) -> Cmd {
        let path = self.dir.join(name);
        self.arg("--errors").arg(path)
    }

    pub fn env(mut self, key: &str, value: &str) -> Cmd {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Sends to `endpoint`: its `--endpoint-url`, `--client-id` and, when it
    /// has one, its secret in `COGNITO_CLIENT_SECRET`.
    pub fn against(mut self, endpoint: &Endpoint) -> Cmd {
        self.target = Some(Target {
            url: endpoint.url.clone(),
            client_id: endpoint.client_id.clone(),
            secret: endpoint.secret.clone(),
        });
        self
    }

    /// Overrides the `--client-id` that [`Cmd::against`] gives.
    pub fn client_id(mut self, client_id: &str) -> Cmd {
        let target = self.target.as_mut().expect("client_id() after against()");
        target.client_id = client_id.to_owned();
        self
    }

    /// Standard input from a file (a name in the workdir or an absolute path).
    pub fn stdin_file(mut self, path: impl AsRef<Path>) -> Cmd {
        self.stdin = Input::File(self.dir.join(path));
        self
    }

    /// Standard input from a pipe fed `bytes` and then held open until the
    /// process exits: the input never ends, so the run cannot finish by itself.
    pub fn stdin_held_open(mut self, bytes: Vec<u8>) -> Cmd {
        self.stdin = Input::HeldOpen(bytes);
        self
    }

    /// Sends `signal` once `file` has more than `lines` lines (fails the test
    /// if it never does, or the process ends first).
    pub fn signal_when_grown(mut self, file: impl AsRef<Path>, lines: usize, signal: i32) -> Cmd {
        let file = self.dir.join(file);
        self.during = During::SignalWhenGrown {
            file,
            lines,
            signal,
        };
        self
    }

    /// Runs `program` (a copy or link of the binary) instead of [`BIN`].
    pub fn program(mut self, program: impl Into<PathBuf>) -> Cmd {
        self.program = Some(program.into());
        self
    }

    /// SIGKILLs the process after `delay` unless it finished first.
    pub fn kill_after(mut self, delay: Duration) -> Cmd {
        self.during = During::KillAfter(delay);
        self
    }

    /// Calls `act` with the process's PID and the workdir right after the
    /// process started (to prepare files whose names hold its PID).
    pub fn when_started(mut self, act: fn(u32, &Path)) -> Cmd {
        self.during = During::AtStart(act);
        self
    }

    /// Limits the process's address space to `bytes`, so a runaway
    /// allocation fails at once instead of swapping the machine.
    pub fn memory_limit(mut self, bytes: u64) -> Cmd {
        self.memory_limit = Some(bytes);
        self
    }

    /// The full argument list, target included.
    fn full_args(&self) -> Vec<OsString> {
        let mut args = self.args.clone();
        if let Some(t) = &self.target {
            args.extend(
                ["--endpoint-url", &t.url, "--client-id", &t.client_id].map(OsString::from),
            );
        }
        args
    }

    fn command(&self) -> Command {
        let mut command = Command::new(self.program.as_deref().unwrap_or(Path::new(BIN)));
        command
            .args(self.full_args())
            .current_dir(&self.dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for key in CLEARED_ENV {
            command.env_remove(key);
        }
        if let Some(secret) = self.target.as_ref().and_then(|t| t.secret.as_ref()) {
            command.env("COGNITO_CLIENT_SECRET", secret);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(bytes) = self.memory_limit {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            // SAFETY: setrlimit is async-signal-safe and touches only the child.
            unsafe {
                command.pre_exec(move || match libc::setrlimit(libc::RLIMIT_AS, &limit) {
                    0 => Ok(()),
                    _ => Err(std::io::Error::last_os_error()),
                });
            }
        }
        match &self.stdin {
            Input::Null => command.stdin(Stdio::null()),
            Input::File(path) => command.stdin(std::fs::File::open(path).expect("stdin file")),
            Input::HeldOpen(_) => command.stdin(Stdio::piped()),
        };
        command
    }

    /// Runs the binary to its end (bounded) and collects what it printed.
    pub async fn output(self) -> Output {
        let mut child = self.command().spawn().expect("bulk-signup starts");
        let held = self.feed_stdin(&mut child);
        let stdout = collect(child.stdout.take());
        let stderr = collect(child.stderr.take());
        self.act_during(&mut child).await;
        let status = tokio::time::timeout(RUN_TIMEOUT, child.wait())
            .await
            .unwrap_or_else(|_| panic!("bulk-signup finished within {RUN_TIMEOUT:?}"))
            .expect("wait for bulk-signup");
        if let Some(held) = held {
            held.abort();
        }
        Output {
            args: self.full_args(),
            code: status.code().unwrap_or(-1),
            signal: status.signal(),
            stdout: stdout.await.expect("stdout"),
            stderr: stderr.await.expect("stderr"),
        }
    }

    /// Starts feeding a held-open stdin; the task keeps the pipe until aborted.
    fn feed_stdin(&self, child: &mut Child) -> Option<tokio::task::JoinHandle<()>> {
        let Input::HeldOpen(bytes) = &self.stdin else {
            return None;
        };
        let mut pipe: ChildStdin = child.stdin.take().expect("stdin pipe");
        let bytes = bytes.clone();
        Some(tokio::spawn(async move {
            let _ = pipe.write_all(&bytes).await;
            let _ = pipe.flush().await;
            std::future::pending::<()>().await;
            drop(pipe);
        }))
    }

    async fn act_during(&self, child: &mut Child) {
        match &self.during {
            During::Nothing => {}
            During::AtStart(act) => act(child.id().expect("a running child"), &self.dir),
            During::KillAfter(delay) => {
                if tokio::time::timeout(*delay, child.wait()).await.is_err() {
                    signal(child, libc::SIGKILL);
                }
            }
            During::SignalWhenGrown {
                file,
                lines,
                signal: sig,
            } => {
                wait_until_grown(child, file, *lines).await;
                signal(child, *sig);
            }
        }
    }
}

/// Waits (at most 30 s) until `file` has more than `lines` lines; fails the
/// test if the process ends first or the file never grows.
async fn wait_until_grown(child: &mut Child, file: &Path, lines: usize) {
    for _ in 0..1200 {
        if std::fs::read_to_string(file).map_or(0, |t| t.lines().count()) > lines {
            return;
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!(
                "bulk-signup ended ({status}) before {} had {lines} lines",
                file.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{} did not reach {lines} lines within 30 s", file.display());
}

/// Sends `sig` to our own child by its PID.
fn signal(child: &Child, sig: i32) {
    if let Some(pid) = child.id() {
        // SAFETY: signalling a child process this test started.
        assert_eq!(
            unsafe { libc::kill(pid as i32, sig) },
            0,
            "kill({pid}, {sig})"
        );
    }
}

fn collect<R>(pipe: Option<R>) -> tokio::task::JoinHandle<String>
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes).await;
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// A finished run of the binary.
#[derive(Debug)]
pub struct Output {
    args: Vec<OsString>,
    /// The exit code; -1 when a signal ended the process.
    pub code: i32,
    /// The signal that ended the process, if one did.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Fails with the command and its stderr unless it exited with `code`.
    #[track_caller]
    pub fn assert_code(self, code: i32) -> Output {
        assert_eq!(
            self.code, code,
            "exit code of bulk-signup {:?} (signal {:?}); stderr:\n{}",
            self.args, self.signal, self.stderr
        );
        self
    }

    /// The summary's final pacing rate (`pacing at R requests/s`).
    pub fn final_rate(&self) -> f64 {
        self.stderr
            .split("pacing at ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("the summary gives the final pacing rate:\n{}", self.stderr))
    }

    /// The `bulk-signup run …` command an interrupted run printed, as arguments.
    pub fn printed_command(&self) -> Vec<String> {
        self.printed_command_line().split_off(1)
    }

    /// The first command printed to run next (`PROGRAM run …`), program
    /// included, as words.
    pub fn printed_command_line(&self) -> Vec<String> {
        self.stderr
            .lines()
            .map(|l| {
                l.split_whitespace()
                    .map(|w| w.trim_matches('\'').to_owned())
                    .collect::<Vec<_>>()
            })
            .find(|words| {
                words.len() > 1
                    && words[1] == "run"
                    && (words[0].contains('/') || words[0] == "bulk-signup")
            })
            .unwrap_or_else(|| panic!("a command to run next is printed:\n{}", self.stderr))
    }
}
