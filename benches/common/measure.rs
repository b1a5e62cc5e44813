//! Runs a child and measures it alone: wall time, user and system CPU and
//! peak RSS from its own `wait4` rusage (not the sum over every child the
//! bench has waited for).

use std::process::Command;
use std::time::{Duration, Instant};

/// What one finished child cost.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub wall: Duration,
    /// Exit code; -1 when a signal ended it.
    pub code: i32,
    pub user_secs: f64,
    pub sys_secs: f64,
    pub max_rss_kib: u64,
}

impl Measured {
    /// User plus system CPU, in seconds.
    pub fn cpu_secs(&self) -> f64 {
        self.user_secs + self.sys_secs
    }
}

/// Spawns `cmd` and waits for it with `wait4`, which returns its rusage.
pub fn run_measured(cmd: &mut Command) -> Measured {
    let start = Instant::now();
    let child = cmd.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: wait4 only writes into the status and rusage we pass.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let waited = libc::wait4(pid, &mut status, 0, &mut usage);
        assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
        usage
    };
    // The child is reaped: `Child` must not wait for it again.
    drop(child);
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Measured {
        wall: start.elapsed(),
        code: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
        user_secs: secs(usage.ru_utime),
        sys_secs: secs(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss as u64,
    }
}

/// User plus system CPU a running process has used so far, in seconds
/// (`/proc/PID/stat`; 0 where that cannot be read).
pub fn process_cpu_secs(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The command name may hold spaces: fields are counted after its ')'.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime: fields 14 and 15 of stat, 11 and 12 after the name.
    // SAFETY: sysconf has no side effects.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    (ticks(11) + ticks(12)) / hz
}
