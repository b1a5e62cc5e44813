//! Adaptive concurrency: how many rows the sending loop keeps in flight.
//!
//! `--concurrency` is a ceiling, not a setting to tune. Below it, the number
//! of rows in flight follows what the pacing rate needs, by Little's law:
//! requests in flight = rate × latency. A row spends about `row_calls` ×
//! the measured latency in HTTP calls (SignUp, then its admin steps), so
//!
//! ```text
//! limit = ceil(rate × latency × row_calls × MARGIN) + HEADROOM + rows in backoff
//! ```
//!
//! capped at the ceiling. [`MARGIN`] absorbs latency spread; [`HEADROOM`]
//! rows wait for their pacing slot, so the pacer never runs dry; rows
//! sleeping in a backoff hold no request and are added on top, so a throttle
//! storm does not starve the rows behind it. Keeping the limit this low (not
//! the ceiling) matters: a row waiting in the pacer holds a start slot at the
//! old rate, and after a throttle those slots would overshoot the quota.
//!
//! An unpaced run (`--rate 0`) has no rate to follow: it keeps as many in
//! flight as the server takes without queueing ([`saturation`]), up to the
//! ceiling. When the ceiling is what holds the rate back, the run says so
//! once, with the `--concurrency` that would reach it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use saturation::Saturation;

mod saturation;

/// Share above the Little's-law estimate, for latency spread.
pub(crate) const MARGIN: f64 = 1.5;
/// Rows kept waiting for a pacing slot beyond the estimate.
pub(crate) const HEADROOM: usize = 4;
/// How often the sending loop checks the limit: often enough that the
/// first answers' latency opens it within a fraction of a round trip.
pub(crate) const CHECK_INTERVAL: Duration = Duration::from_millis(20);
/// Weight of each new call in the latency average (about the last 16 calls).
const SMOOTHING: f64 = 1.0 / 16.0;
/// The ceiling must hold the rate back this many checks in a row (2 s)
/// before the run says so: one slow answer is not a pattern.
const CAPPED_CHECKS_BEFORE_WARNING: u32 = 100;

/// The round-trip time of answered calls, averaged; shared by the HTTP
/// client (which measures) and the [`Concurrency`] (which reads).
#[derive(Debug, Default)]
pub(crate) struct CallLatency {
    /// The average in seconds, as `f64` bits; 0 until the first answer.
    average_bits: AtomicU64,
}

impl CallLatency {
    /// One answered call took `took`.
    pub(crate) fn record(&self, took: Duration) {
        let sample = took.as_secs_f64();
        let _ = self
            .average_bits
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                let average = f64::from_bits(bits);
                let next = if average == 0.0 {
                    sample
                } else {
                    average + SMOOTHING * (sample - average)
                };
                Some(next.to_bits())
            });
    }

    /// The average round trip in seconds (0 before the first answer).
    pub(crate) fn seconds(&self) -> f64 {
        f64::from_bits(self.average_bits.load(Ordering::Relaxed))
    }
}

/// The in-flight limit of a run's sending loop.
#[derive(Debug)]
pub(crate) struct Concurrency {
    ceiling: usize,
    /// HTTP calls one row makes when all goes well (SignUp and its steps).
    row_calls: f64,
    latency: Arc<CallLatency>,
    backing_off: AtomicUsize,
    capped: Mutex<CapWatch>,
    /// The limit when unpaced.
    unpaced: Mutex<Saturation>,
}

/// Whether the ceiling has been holding the rate back, and whether the
/// run said so.
#[derive(Debug, Default)]
struct CapWatch {
    checks: u32,
    warned: bool,
}

/// What the run says when the ceiling caps the rate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CapWarning {
    pub(crate) ceiling: usize,
    pub(crate) rate: f64,
    pub(crate) latency_ms: f64,
    /// Requests in flight the rate needs (Little's law, no margin).
    pub(crate) needed: usize,
    /// The `--concurrency` that would reach the rate.
    pub(crate) suggested: usize,
}

impl std::fmt::Display for CapWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--concurrency {} caps the rate: {:.0} requests/s at {:.0} ms per request need about {} in flight; run with --concurrency {} to reach it",
            self.ceiling, self.rate, self.latency_ms, self.needed, self.suggested
        )
    }
}

impl Concurrency {
    /// `ceiling`: `--concurrency`; `row_calls`: the calls a row makes.
    pub(crate) fn new(ceiling: usize, row_calls: usize, latency: Arc<CallLatency>) -> Self {
        Concurrency {
            ceiling: ceiling.max(1),
            row_calls: row_calls.max(1) as f64,
            latency,
            backing_off: AtomicUsize::new(0),
            capped: Mutex::new(CapWatch::default()),
            unpaced: Mutex::new(Saturation::new(ceiling)),
        }
    }

    /// Rows the loop may have in flight at pacing rate `rate` (0 = unpaced:
    /// the limit of the last [`Concurrency::check`]).
    pub(crate) fn limit(&self, rate: f64) -> usize {
        match self.wanted(rate) {
            None => self.with_backoff(self.lock_unpaced().limit()),
            Some(wanted) => wanted.min(self.ceiling).max(1),
        }
    }

    /// `limit` plus the rows sleeping in a backoff, within the ceiling.
    fn with_backoff(&self, limit: usize) -> usize {
        let backing_off = self.backing_off.load(Ordering::Relaxed);
        limit.saturating_add(backing_off).min(self.ceiling)
    }

    fn lock_unpaced(&self) -> std::sync::MutexGuard<'_, Saturation> {
        self.unpaced.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The limit without the ceiling; `None` when unpaced.
    fn wanted(&self, rate: f64) -> Option<usize> {
        if rate <= 0.0 {
            return None;
        }
        let in_calls = rate * self.latency.seconds() * self.row_calls * MARGIN;
        let backing_off = self.backing_off.load(Ordering::Relaxed);
        Some(saturating_ceil(in_calls) + HEADROOM + backing_off)
    }

    /// The limit, checked again (the loop calls this every few tens of
    /// milliseconds); with the warning to give when the ceiling has held
    /// the rate back for a while, once per run.
    pub(crate) fn check(&self, rate: f64) -> (usize, Option<CapWarning>) {
        if rate <= 0.0 {
            let latency = self.latency.seconds();
            let limit = self.lock_unpaced().check(latency, Instant::now());
            return (self.with_backoff(limit), None);
        }
        let limit = self.limit(rate);
        let capped = self.wanted(rate).is_some_and(|w| w > self.ceiling);
        let mut watch = self.capped.lock().unwrap_or_else(|p| p.into_inner());
        watch.checks = if capped { watch.checks + 1 } else { 0 };
        if watch.warned || watch.checks < CAPPED_CHECKS_BEFORE_WARNING {
            return (limit, None);
        }
        watch.warned = true;
        let latency = self.latency.seconds();
        let needed = rate * latency * self.row_calls;
        let warning = CapWarning {
            ceiling: self.ceiling,
            rate,
            latency_ms: latency * 1000.0,
            needed: saturating_ceil(needed),
            suggested: round_up(saturating_ceil(needed * MARGIN) + HEADROOM, 16),
        };
        (limit, Some(warning))
    }

    /// A row starts a backoff; it holds no request until the guard drops.
    pub(crate) fn backing_off(&self) -> BackingOff<'_> {
        self.backing_off.fetch_add(1, Ordering::Relaxed);
        BackingOff(self)
    }
}

/// A row in backoff: counted by [`Concurrency`] until dropped.
pub(crate) struct BackingOff<'a>(&'a Concurrency);

impl Drop for BackingOff<'_> {
    fn drop(&mut self) {
        self.0.backing_off.fetch_sub(1, Ordering::Relaxed);
    }
}

fn saturating_ceil(x: f64) -> usize {
    if x.is_finite() && x > 0.0 {
        x.ceil().min(usize::MAX as f64 / 2.0) as usize
    } else {
        0
    }
}

fn round_up(n: usize, step: usize) -> usize {
    n.div_ceil(step) * step
}

#[cfg(test)]
mod tests;
