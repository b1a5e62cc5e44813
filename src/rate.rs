//! Request pacing shared by every in-flight request: requests start no faster
//! than the current rate, evenly spaced (no bursts), on top of the
//! concurrency bound. A rate of 0 means unpaced.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Spaces request starts at least `1 / rate` seconds apart.
#[derive(Debug)]
pub struct Pacer {
    state: Mutex<PacerState>,
}

#[derive(Debug)]
struct PacerState {
    rate: f64,
    next_start: Option<Instant>,
}

impl Pacer {
    pub fn new(rate: f64) -> Self {
        Pacer {
            state: Mutex::new(PacerState {
                rate,
                next_start: None,
            }),
        }
    }

    /// Current requests per second (0 = unpaced).
    pub fn rate(&self) -> f64 {
        self.lock().rate
    }

    /// Changes the rate for requests not yet started.
    pub fn set_rate(&self, rate: f64) {
        self.lock().rate = rate.max(0.0);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PacerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for this request's start slot.
    pub async fn acquire(&self) {
        let slot = {
            let mut state = self.lock();
            if state.rate <= 0.0 {
                return;
            }
            let now = Instant::now();
            let slot = state.next_start.map_or(now, |next| next.max(now));
            state.next_start = Some(slot + Duration::from_secs_f64(1.0 / state.rate));
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn starts_are_spaced_by_the_rate() {
        let pacer = Pacer::new(10.0);
        let start = Instant::now();
        for _ in 0..11 {
            pacer.acquire().await;
        }
        // 11 starts at 10/s: the first at once, the last 1 s later.
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn zero_rate_is_unpaced() {
        let pacer = Pacer::new(0.0);
        let start = Instant::now();
        for _ in 0..100 {
            pacer.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
