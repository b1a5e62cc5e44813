//! The README cannot rot: every `console` transcript in README.md is run
//! as written (the convention is in `readme_transcript`), the blocks under
//! each heading in a fresh directory holding a copy of `samples/`, with
//! `bulk-signup` on `PATH` being the binary under test. A renamed flag, a
//! command that starts failing or a printed line that changes fails this
//! test and names the README line. The sample CI and Kubernetes files must
//! parse as YAML, and every `samples/` file the README names must exist.
//!
//! The blocks under one heading run in one `sh`, fed one command at a time,
//! so what a command exports holds for the next; after each, a marker line
//! carries its exit code. A background command (`… &`) gets its PID
//! reported the same way, the test waits until its port answers
//! (`--port`/`-p`, else the emulator's 9339), and it is stopped by that PID
//! when the heading's blocks end.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use crate::endpoint::available;
use crate::readme_transcript::{console_blocks, output_matches, Block, Step};
use crate::workdir::{BIN, CLEARED_ENV};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The longest one README command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);
const MARKER: &str = "<<<readme-";

/// Every transcript in the README runs and prints what the README shows.
#[test]
fn every_console_transcript_in_the_readme_runs_as_shown() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README");
    let blocks = console_blocks(&readme);
    assert!(blocks.len() >= 8, "the README's transcripts were not found");
    for session in blocks.chunk_by(|a, b| a.section == b.section) {
        if needs_moto(session) && !moto_installed() {
            continue;
        }
        run_session(session);
    }
}

/// The workflow and manifest samples are well-formed YAML.
#[test]
fn the_sample_workflow_and_manifest_parse_as_yaml() {
    let installed = python_succeeds(&["-c", "import yaml"]);
    if !available("PyYAML", installed, "pip install pyyaml") {
        return;
    }
    for file in [
        "github-actions/nightly-seed.yml",
        "k8s/indexed-job.yaml",
        "k8s/merge-job.yaml",
    ] {
        let path = Path::new(ROOT).join("samples").join(file);
        let script = "import sys, yaml; docs = list(yaml.safe_load_all(open(sys.argv[1]))); \
                      assert docs and all(isinstance(d, dict) for d in docs)";
        let out = python(&["-c", script, &path.to_string_lossy()]);
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The Indexed Job's shard count is its completion count: a manifest whose
/// `--shard K/N` and `completions` disagree would leave rows unsent.
#[test]
fn the_indexed_job_runs_one_shard_per_completion() {
    let installed = python_succeeds(&["-c", "import yaml"]);
    if !available("PyYAML", installed, "pip install pyyaml") {
        return;
    }
    let path = Path::new(ROOT).join("samples/k8s/indexed-job.yaml");
    let script = r#"
import sys, yaml
job = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d["kind"] == "Job")
spec = job["spec"]
assert spec["completionMode"] == "Indexed", spec
n = spec["completions"]
assert spec["parallelism"] == n, spec
args = " ".join(job["spec"]["template"]["spec"]["containers"][0]["args"])
assert "JOB_COMPLETION_INDEX + 1" in args and f'--shard "$k/{n}"' in args, args
"#;
    let out = python(&["-c", script, &path.to_string_lossy()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every `samples/…` file the README names is in the repository.
#[test]
fn every_sample_the_readme_names_exists() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README");
    let named = regex::Regex::new(r"samples/[A-Za-z0-9_./-]*[A-Za-z0-9]").expect("pattern");
    let mut seen = 0;
    for path in named.find_iter(&readme).map(|m| m.as_str()) {
        assert!(Path::new(ROOT).join(path).exists(), "README names {path}");
        seen += 1;
    }
    assert!(seen > 10, "the README's samples were not found");
}

fn python(args: &[&str]) -> std::process::Output {
    Command::new("python3")
        .args(args)
        .output()
        .expect("python3 runs")
}

/// Whether python3 runs and `args` succeed (no python3 is "not installed").
fn python_succeeds(args: &[&str]) -> bool {
    Command::new("python3")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn needs_moto(session: &[Block]) -> bool {
    let mut steps = session.iter().flat_map(|b| &b.steps);
    steps.any(|s| s.command.contains("moto.server"))
}

fn moto_installed() -> bool {
    let installed = python_succeeds(&["-c", "import moto.server, boto3"]);
    available("moto", installed, "pip install 'moto[server]'")
}

/// Runs the commands of the blocks under one heading in order, in a fresh
/// directory, and checks each one.
fn run_session(session: &[Block]) {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(
        &Path::new(ROOT).join("samples"),
        &dir.path().join("samples"),
    );
    let mut shell = Shell::start(dir.path());
    for step in session.iter().flat_map(|b| &b.steps) {
        if let Some(command) = step.background() {
            shell.start_background(command, step);
            continue;
        }
        let (code, output) = shell.run(step);
        assert_eq!(
            code,
            0,
            "README line {}: `{}` exited {code}:\n{}",
            step.line,
            step.command,
            output.join("\n")
        );
        assert!(
            output_matches(&step.expected, &output),
            "README line {}: `{}` printed\n{}\n\nbut the README shows\n{}",
            step.line,
            step.command,
            output.join("\n"),
            step.expected.join("\n")
        );
    }
    shell.stop_background();
}

/// One `sh` fed commands through its stdin, its stdout and stderr read
/// line by line on a thread of their own.
struct Shell {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    /// The PIDs of the background commands still running.
    background: Vec<u32>,
}

impl Shell {
    fn start(dir: &Path) -> Shell {
        let bin_dir = Path::new(BIN).parent().expect("the binary's folder");
        let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
        ))
        .expect("PATH");
        let mut command = Command::new("sh");
        command
            .current_dir(dir)
            .env("PATH", path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        for key in CLEARED_ENV {
            command.env_remove(key);
        }
        let mut child = command.spawn().expect("sh starts");
        let mut stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        // The commands' stderr goes where a terminal would show it: with stdout.
        writeln!(stdin, "exec 2>&1").expect("write to sh");
        Shell {
            child,
            stdin,
            lines,
            background: Vec::new(),
        }
    }

    /// Runs a foreground command: its exit code and its output lines.
    fn run(&mut self, step: &Step) -> (i32, Vec<String>) {
        // The group's own redirections win over the outer </dev/null.
        self.send(&format!(
            "{{ {}\n}} </dev/null; printf '{MARKER}exit %s>>>\\n' \"$?\"",
            step.command
        ));
        let (value, output) = self.until_marker(step);
        (value.parse().expect("exit code"), output)
    }

    /// Starts `command` in the background and waits until its port answers.
    fn start_background(&mut self, command: &str, step: &Step) {
        let port = port_of(command);
        if let Some(port) = port {
            assert!(
                TcpStream::connect(("127.0.0.1", port)).is_err(),
                "README line {}: port {port} is already in use on this machine, and the \
                 transcript needs it: stop what listens there",
                step.line
            );
        }
        // Leading redirections come first, so the command's own win.
        self.send(&format!(
            "</dev/null >/dev/null 2>&1 {command} &\nprintf '{MARKER}pid %s>>>\\n' \"$!\""
        ));
        let (pid, _) = self.until_marker(step);
        self.background.push(pid.parse().expect("pid"));
        if let Some(port) = port {
            wait_for_port(port, step);
        }
    }

    /// Stops the background commands by their PIDs (SIGTERM, as a service
    /// manager would) and reaps them.
    fn stop_background(&mut self) {
        for pid in std::mem::take(&mut self.background) {
            signal(pid, libc::SIGTERM);
            self.send(&format!(
                "wait {pid}; printf '{MARKER}stopped %s>>>\\n' \"$?\""
            ));
            if self.lines_until_marker(Duration::from_secs(10)).is_none() {
                signal(pid, libc::SIGKILL);
            }
        }
    }

    fn send(&mut self, text: &str) {
        writeln!(self.stdin, "{text}").expect("write to sh");
        self.stdin.flush().expect("flush to sh");
    }

    fn until_marker(&mut self, step: &Step) -> (String, Vec<String>) {
        self.lines_until_marker(COMMAND_TIMEOUT).unwrap_or_else(|| {
            panic!(
                "README line {}: `{}` did not finish",
                step.line, step.command
            )
        })
    }

    /// The lines up to the next marker and the marker's value, or `None` on
    /// timeout.
    fn lines_until_marker(&mut self, timeout: Duration) -> Option<(String, Vec<String>)> {
        let mut output = Vec::new();
        loop {
            let line = match self.lines.recv_timeout(timeout) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => return None,
                Err(RecvTimeoutError::Disconnected) => panic!("sh ended: {output:?}"),
            };
            let Some(at) = line.find(MARKER) else {
                output.push(line);
                continue;
            };
            if at > 0 {
                output.push(line[..at].to_owned());
            }
            let value = line[at..].trim_end_matches(">>>");
            let value = value.rsplit(' ').next().unwrap_or_default();
            return Some((value.to_owned(), output));
        }
    }
}

impl Drop for Shell {
    /// A failed block leaves no server behind.
    fn drop(&mut self) {
        for pid in self.background.drain(..) {
            signal(pid, libc::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `signal` to `pid`, a background command this test's shell started
/// and has not reaped (so the PID is still its).
fn signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) has no memory effects; the PID is ours (above).
    unsafe { libc::kill(pid as libc::pid_t, signal) };
}

/// The loopback port a background server listens on.
fn port_of(command: &str) -> Option<u16> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let given = words
        .windows(2)
        .find(|w| w[0] == "--port" || w[0] == "-p")
        .and_then(|w| w[1].parse().ok());
    given.or_else(|| command.contains("bulk-signup emulator").then_some(9339))
}

/// Waits (at most 30 s) until something accepts connections on `port`.
fn wait_for_port(port: u16, step: &Step) {
    for _ in 0..300 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "README line {}: nothing listens on port {port} after 30 s",
        step.line
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read samples") {
        let entry = entry.expect("entry");
        let target: PathBuf = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a sample");
        }
    }
}
