//! Request pacing shared by every in-flight request, and the adaptive rate
//! that drives it.
//!
//! The [`Pacer`] spaces request starts evenly at `1 / rate` (no bursts), on
//! top of the concurrency bound. With adaptive rate on (the default), the rate
//! follows the account's real SignUp quota, which other jobs may share:
//!
//! - **On throttling** (`TooManyRequestsException`), at most once per
//!   [`COOLDOWN`]: the accepted rate over the last [`WINDOW`] is taken as the
//!   quota's current estimate (the *ceiling*), and the rate drops to
//!   [`CUT`] × min(rate, ceiling). The AWS SDKs' adaptive mode cuts ×0.7 of
//!   the send rate and regrows along a cubic curve; pacing on the measured
//!   quota instead wastes less goodput after each cut.
//! - **Without throttling**, the rate grows linearly: quickly back to the
//!   ceiling ([`RECOVERY`] of it per second), then slowly past it
//!   ([`PROBE`] of the rate per second), so a quota that rose, or one above
//!   `--rate`, is found. It never exceeds `--max-rate`, and it grows only
//!   while the run actually sends at that rate (a run bound by concurrency
//!   or latency does not build up a rate it would burst at later).
//!
//! `--fixed-rate` turns all this off: requests start at `--rate`, whatever
//! Cognito says. A rate of 0 means unpaced.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Window over which accepted and sent requests are counted.
pub(crate) const WINDOW: Duration = Duration::from_secs(1);
/// Throttles within this time of a cut are echoes of the same overshoot.
pub(crate) const COOLDOWN: Duration = Duration::from_secs(1);
/// Factor applied on throttling.
pub(crate) const CUT: f64 = 0.9;
/// Growth per second below the ceiling, as a share of the ceiling.
pub(crate) const RECOVERY: f64 = 0.04;
/// Growth per second at or above the ceiling (or with none yet), as a share of the rate.
pub(crate) const PROBE: f64 = 0.015;
/// The rate never drops below this many requests per second.
pub(crate) const MIN_RATE: f64 = 0.5;

/// Rate settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RateSettings {
    /// Starting rate (`--rate`); 0 = unpaced.
    pub(crate) initial: f64,
    /// Highest rate adaptive probing may reach (`--max-rate`).
    pub(crate) max: f64,
    /// Adapt to throttling (default) or keep `initial` (`--fixed-rate`).
    pub(crate) adaptive: bool,
}

/// The adaptive rate's state. Pure: every method takes the current time.
#[derive(Debug)]
pub(crate) struct AdaptiveRate {
    settings: RateSettings,
    rate: f64,
    ceiling: Option<f64>,
    last_update: Instant,
    last_cut: Option<Instant>,
    started: Instant,
    accepted: VecDeque<Instant>,
    sent: VecDeque<Instant>,
}

impl AdaptiveRate {
    pub(crate) fn new(settings: RateSettings, now: Instant) -> Self {
        AdaptiveRate {
            settings,
            rate: settings.initial,
            ceiling: None,
            last_update: now,
            last_cut: None,
            started: now,
            accepted: VecDeque::new(),
            sent: VecDeque::new(),
        }
    }

    /// The current rate (0 = unpaced).
    pub(crate) fn rate(&self) -> f64 {
        self.rate
    }

    /// The quota estimate from the last throttle, if there was one.
    #[cfg(test)]
    pub(crate) fn ceiling(&self) -> Option<f64> {
        self.ceiling
    }

    fn trim(queue: &mut VecDeque<Instant>, now: Instant) {
        while queue
            .front()
            .is_some_and(|t| now.duration_since(*t) > WINDOW)
        {
            queue.pop_front();
        }
    }

    fn per_second(queue: &VecDeque<Instant>) -> f64 {
        queue.len() as f64 / WINDOW.as_secs_f64()
    }

    /// Grows the rate for the time since the last update.
    fn grow(&mut self, now: Instant) {
        let dt = now.duration_since(self.last_update).as_secs_f64();
        self.last_update = now;
        if !self.settings.adaptive || self.rate <= 0.0 || dt <= 0.0 {
            return;
        }
        Self::trim(&mut self.sent, now);
        // Grow only while the run sends at (nearly) the current rate.
        let warmed_up = now.duration_since(self.started) >= WINDOW;
        if warmed_up && Self::per_second(&self.sent) < 0.8 * self.rate {
            return;
        }
        let step = match self.ceiling {
            Some(ceiling) if self.rate < ceiling => {
                (RECOVERY * ceiling * dt).min(ceiling - self.rate)
            }
            _ => PROBE * self.rate * dt,
        };
        self.rate = (self.rate + step).min(self.settings.max);
    }

    /// The rate a request starting now must respect, grown for the time since
    /// the last call.
    pub(crate) fn current(&mut self, now: Instant) -> f64 {
        self.grow(now);
        self.rate
    }

    /// A request was given the start time `at`.
    pub(crate) fn on_send(&mut self, at: Instant) {
        if self.settings.adaptive {
            self.sent.push_back(at);
        }
    }

    /// An answer that was not a throttle.
    pub(crate) fn on_accepted(&mut self, now: Instant) {
        if self.settings.adaptive {
            self.accepted.push_back(now);
            Self::trim(&mut self.accepted, now);
        }
    }

    /// A `TooManyRequestsException`.
    pub(crate) fn on_throttled(&mut self, now: Instant) {
        if !self.settings.adaptive || self.rate <= 0.0 {
            return;
        }
        if self
            .last_cut
            .is_some_and(|t| now.duration_since(t) < COOLDOWN)
        {
            return;
        }
        self.grow(now);
        Self::trim(&mut self.accepted, now);
        let measured = if now.duration_since(self.started) >= WINDOW {
            Self::per_second(&self.accepted)
        } else {
            // Too early to measure: assume the quota is well below the rate.
            self.rate * 0.7
        };
        let ceiling = measured.max(MIN_RATE);
        self.ceiling = Some(ceiling);
        self.rate = (CUT * self.rate.min(ceiling)).max(MIN_RATE);
        self.last_cut = Some(now);
    }
}

/// Spaces request starts at least `1 / rate` seconds apart, the rate coming
/// from the [`AdaptiveRate`].
#[derive(Debug)]
pub(crate) struct Pacer {
    state: Mutex<PacerState>,
}

#[derive(Debug)]
struct PacerState {
    control: AdaptiveRate,
    next_start: Option<Instant>,
}

impl Pacer {
    pub(crate) fn new(settings: RateSettings) -> Self {
        Pacer {
            state: Mutex::new(PacerState {
                control: AdaptiveRate::new(settings, Instant::now()),
                next_start: None,
            }),
        }
    }

    /// A fixed-rate pacer (`rate` 0 = unpaced).
    #[cfg(test)]
    pub(crate) fn fixed(rate: f64) -> Self {
        Pacer::new(RateSettings {
            initial: rate,
            max: rate,
            adaptive: false,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PacerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Current requests per second (0 = unpaced).
    pub(crate) fn rate(&self) -> f64 {
        self.lock().control.rate()
    }

    /// Waits for this request's start slot.
    pub(crate) async fn acquire(&self) {
        let slot = {
            let mut state = self.lock();
            let now = Instant::now();
            let rate = state.control.current(now);
            if rate <= 0.0 {
                return;
            }
            let slot = state.next_start.map_or(now, |next| next.max(now));
            state.next_start = Some(slot + Duration::from_secs_f64(1.0 / rate));
            state.control.on_send(slot);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    pub(crate) fn on_accepted(&self) {
        self.lock().control.on_accepted(Instant::now());
    }

    pub(crate) fn on_throttled(&self) {
        let mut state = self.lock();
        state.control.on_throttled(Instant::now());
        // Slots already handed out at the old rate are not taken back, but
        // the next one is spaced at the new rate from now on.
        let now = Instant::now();
        if let Some(next) = state.next_start {
            let rate = state.control.rate();
            if rate > 0.0 {
                state.next_start = Some(next.max(now + Duration::from_secs_f64(1.0 / rate)));
            }
        }
    }
}

#[cfg(test)]
mod tests;
