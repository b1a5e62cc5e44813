//! The info line said while Cognito throttles the run: at most one per
//! [`EVERY`], with the current pacing rate and the retry's backoff ceiling.
//! One atomic load on the throttled path when no line is due.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The shortest time between two throttling lines.
pub(crate) const EVERY: Duration = Duration::from_secs(5);

/// Says the pacing state while throttled, rate-limited to one line per [`EVERY`].
#[derive(Debug)]
pub(crate) struct ThrottleLog {
    start: Instant,
    /// Milliseconds after `start` when the next line may be said.
    next_ms: AtomicU64,
}

impl Default for ThrottleLog {
    fn default() -> Self {
        ThrottleLog {
            start: Instant::now(),
            next_ms: AtomicU64::new(0),
        }
    }
}

impl ThrottleLog {
    /// Whether a line is due now; claims it (only one caller wins).
    fn due(&self) -> bool {
        let now = self.start.elapsed().as_millis() as u64;
        let next = self.next_ms.load(Ordering::Relaxed);
        now >= next
            && self
                .next_ms
                .compare_exchange(
                    next,
                    now + EVERY.as_millis() as u64,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
    }

    /// A throttled answer: says the rate and backoff if a line is due.
    pub(crate) fn throttled(&self, rate: f64, backoff: Duration, throttled: u64) {
        if self.due() {
            tracing::info!(
                rate = format_args!("{rate:.1}"),
                backoff_ms = backoff.as_millis() as u64,
                throttled,
                "throttled by Cognito: pacing rate {rate:.1} requests/s, retrying after up to {} ms",
                backoff.as_millis()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval() {
        let log = ThrottleLog::default();
        assert!(log.due());
        assert!(!log.due());
        log.next_ms.store(0, Ordering::Relaxed);
        assert!(log.due());
    }
}
