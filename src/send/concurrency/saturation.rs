//! The in-flight limit of an unpaced run (`--rate 0`): enough requests to
//! keep the server busy, and no more.
//!
//! With no rate to follow, more rows in flight help only while the server
//! has capacity to spare. Past that point each extra request just waits in
//! the server's queue: the rows per second stay the same, and the latency,
//! the client's memory and its CPU per row grow (against the local
//! emulator, 1 M rows at 256 in flight cost a third more CPU per row than
//! at 16–32, at no more rows/s). So the limit grows while the calls' latency stays
//! near the latency of an idle server, and shrinks once queueing has
//! doubled it: the Gradient rule of concurrency limiters (Netflix's
//! concurrency-limits), with the no-load latency measured as BBR measures
//! its minimum round trip. When the latency has not come back near that
//! baseline for [`PROBE_EVERY`], the limit drops to the floor for a few
//! round trips and the lowest latency seen then is the new baseline, so a
//! server that became slower (or faster) is followed. A slow server that is
//! not saturated (a real endpoint 100 ms away) keeps its latency whatever
//! the load: the limit grows to the ceiling, as before this rule.

use std::time::{Duration, Instant};

/// The limit never drops below this (nor above the ceiling): the fixed
/// `--concurrency` default before the limit adapted.
pub(crate) const FLOOR: usize = 16;
/// Grow while the latency is below this multiple of the baseline.
const GROW_BELOW: f64 = 1.5;
/// Shrink while the latency is above this multiple of the baseline: half
/// of each call's time is then spent queueing at the server.
const SHRINK_ABOVE: f64 = 2.0;
/// A latency within this multiple of the baseline confirms the baseline.
const CONFIRMS_BASELINE: f64 = 1.1;
/// How long the baseline may go unconfirmed before it is measured again.
pub(crate) const PROBE_EVERY: Duration = Duration::from_secs(10);
/// A probe holds the floor for this many round trips (the first drains the
/// requests sent at the old limit), within [`PROBE_LEAST`] and
/// [`PROBE_MOST`] (seconds).
const PROBE_ROUND_TRIPS: f64 = 4.0;
const PROBE_LEAST: f64 = 0.06;
const PROBE_MOST: f64 = 5.0;

/// The limit's state between checks.
#[derive(Debug)]
pub(crate) struct Saturation {
    ceiling: usize,
    limit: usize,
    /// The latency of calls to a server that is not queueing, in seconds;
    /// 0 until the first answer.
    baseline: f64,
    /// When a latency last came within [`CONFIRMS_BASELINE`] of it.
    confirmed: Option<Instant>,
    probe: Option<Probe>,
}

/// A baseline measurement in progress.
#[derive(Debug)]
struct Probe {
    until: Instant,
    lowest: f64,
}

impl Saturation {
    /// Starts at the floor (or the ceiling, if lower).
    pub(crate) fn new(ceiling: usize) -> Self {
        let ceiling = ceiling.max(1);
        Saturation {
            ceiling,
            limit: FLOOR.min(ceiling),
            baseline: 0.0,
            confirmed: None,
            probe: None,
        }
    }

    /// The limit of the last check: the floor while a probe measures the
    /// no-load latency.
    pub(crate) fn limit(&self) -> usize {
        if self.probe.is_some() {
            self.floor()
        } else {
            self.limit
        }
    }

    fn floor(&self) -> usize {
        FLOOR.min(self.ceiling)
    }

    /// The limit after one more check, `latency` being the calls' recent
    /// average in seconds (0 before the first answer) and `now` the time.
    pub(crate) fn check(&mut self, latency: f64, now: Instant) -> usize {
        if latency <= 0.0 || !latency.is_finite() {
            return self.limit;
        }
        if let Some(probe) = &mut self.probe {
            probe.lowest = probe.lowest.min(latency);
            if now < probe.until {
                return self.floor();
            }
            tracing::debug!(
                "unpaced: {} in flight; no-load latency {:.2} ms, was {:.2} ms",
                self.limit,
                probe.lowest * 1e3,
                self.baseline * 1e3
            );
            self.baseline = probe.lowest;
            self.confirmed = Some(now);
            self.probe = None;
        }
        if self.baseline == 0.0 || latency < self.baseline {
            self.baseline = latency;
        }
        // The first answer sets the baseline, and so confirms it.
        if latency <= self.baseline * CONFIRMS_BASELINE {
            self.confirmed = Some(now);
        }
        if self
            .confirmed
            .is_some_and(|at| now.duration_since(at) >= PROBE_EVERY)
        {
            let length = (latency * PROBE_ROUND_TRIPS).clamp(PROBE_LEAST, PROBE_MOST);
            self.probe = Some(Probe {
                until: now + Duration::from_secs_f64(length),
                lowest: f64::INFINITY,
            });
            return self.floor();
        }
        let ratio = latency / self.baseline;
        if ratio < GROW_BELOW {
            self.limit += (self.limit / 8).max(1);
        } else if ratio > SHRINK_ABOVE {
            self.limit -= (self.limit / 16).max(1).min(self.limit);
        }
        self.limit = self.limit.clamp(self.floor(), self.ceiling);
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK: Duration = Duration::from_millis(20);

    /// Runs `checks` checks 20 ms apart against a server whose latency is
    /// `latency(limit)`; returns the limits.
    fn drive(
        s: &mut Saturation,
        start: Instant,
        checks: u32,
        latency: impl Fn(usize) -> f64,
    ) -> Vec<usize> {
        let mut limit = s.limit;
        (0..checks)
            .map(|i| {
                limit = s.check(latency(limit), start + TICK * i);
                limit
            })
            .collect()
    }

    #[test]
    fn a_server_that_does_not_queue_gets_the_ceiling() {
        let mut s = Saturation::new(256);
        let limits = drive(&mut s, Instant::now(), 100, |_| 0.1);
        assert_eq!(limits[0], 18, "grows from the floor at once");
        assert_eq!(*limits.last().unwrap(), 256);
        let at_ceiling = limits.iter().position(|&l| l == 256).unwrap();
        assert!(at_ceiling < 30, "within 30 checks: {at_ceiling}");
    }

    #[test]
    fn a_saturated_server_is_not_sent_more_than_it_can_take() {
        // A server busy with 8 calls at once: past that, each call waits
        // for the others (latency proportional to the calls in flight).
        let saturated = |limit: usize| 0.001 * (limit.max(8) as f64 / 8.0);
        let mut s = Saturation::new(256);
        let limits = drive(&mut s, Instant::now(), 400, saturated);
        let settled = &limits[100..];
        let (low, high) = (settled.iter().min(), settled.iter().max());
        // The floor's latency is the baseline (2 × that of 8 in flight);
        // the limit stays where latency is 1.5–2 × that: 24–32 in flight,
        // a little more while a step overshoots.
        assert!(*low.unwrap() >= FLOOR, "{limits:?}");
        assert!(*high.unwrap() <= 40, "{limits:?}");
    }

    #[test]
    fn a_server_that_becomes_slower_is_measured_again_and_followed() {
        let start = Instant::now();
        let mut s = Saturation::new(256);
        drive(&mut s, start, 50, |_| 0.01);
        assert_eq!(s.limit, 256);
        // From now on every call takes three times as long, whatever the
        // load: against the old baseline that looks like queueing, so the
        // limit falls to the floor...
        let slower = start + TICK * 50;
        let before_probe = drive(&mut s, slower, 480, |_| 0.03);
        assert_eq!(*before_probe.last().unwrap(), FLOOR);
        assert_eq!(s.baseline, 0.01, "no probe before {PROBE_EVERY:?}");
        // ...until a probe measures the new latency, and it grows back.
        let limits = drive(&mut s, slower + TICK * 480, 100, |_| 0.03);
        assert_eq!(s.baseline, 0.03);
        assert_eq!(*limits.last().unwrap(), 256);
    }

    #[test]
    fn a_baseline_confirmed_now_and_then_needs_no_probe() {
        // Latency at the baseline every tenth check, twice it otherwise:
        // the limit holds or grows, and never drops to the floor to probe.
        let mut s = Saturation::new(256);
        let start = Instant::now();
        let limits: Vec<usize> = (0..1000u32)
            .map(|i| s.check(if i % 10 == 0 { 0.01 } else { 0.02 }, start + TICK * i))
            .collect();
        assert!(limits.iter().all(|&l| l > FLOOR), "{limits:?}");
        assert_eq!(*limits.last().unwrap(), 256);
    }

    #[test]
    fn the_limit_stays_between_the_floor_and_the_ceiling() {
        let mut s = Saturation::new(8);
        assert_eq!(s.check(0.0, Instant::now()), 8, "no answer yet");
        let limits = drive(&mut s, Instant::now(), 50, |_| 0.001);
        assert!(limits.iter().all(|&l| l == 8), "{limits:?}");
        let mut s = Saturation::new(256);
        let limits = drive(&mut s, Instant::now(), 50, |l| 0.001 * l as f64);
        assert!(limits.iter().all(|&l| l >= FLOOR), "{limits:?}");
    }
}
