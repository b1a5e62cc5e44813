//! The one place that decides whether an attempt is retried and how long to
//! wait first.
//!
//! Schedule: exponential backoff with full jitter, per request. The n-th
//! retry waits `random[0, min(base × 2^(n-1), cap))`, with backon building
//! the exponential part. Defaults: `base` = 250 ms, `cap` = 20 s,
//! `max_attempts` = 8 (so at most 7 retries, about 16 s of expected waiting
//! in all). Full jitter (as in the AWS SDKs' standard mode) spreads the
//! retries of many in-flight requests instead of bunching them.
//!
//! Which classes retry follows docs/PROTOCOL.md: throttling and transient faults
//! (including timeouts and reset connections) up to `max_attempts`; the two
//! Lambda faults at most [`LAMBDA_RETRIES`] times; nothing else.

use std::time::Duration;

use backon::BackoffBuilder;
use rand::Rng;

use crate::send::cognito::Class;

/// Default first backoff step.
pub(crate) const DEFAULT_BASE: Duration = Duration::from_millis(250);
/// Default longest backoff step.
pub(crate) const DEFAULT_CAP: Duration = Duration::from_secs(20);
/// Default attempts per row, the first included.
pub(crate) const DEFAULT_MAX_ATTEMPTS: u32 = 8;
/// Retries allowed for a failing trigger Lambda, which may not be transient.
pub(crate) const LAMBDA_RETRIES: u32 = 2;

/// Retry settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) base: Duration,
    pub(crate) cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base: DEFAULT_BASE,
            cap: DEFAULT_CAP,
        }
    }
}

impl RetryPolicy {
    /// The un-jittered ceilings of successive waits: `base × 2^(n-1)`, capped.
    pub(crate) fn ceilings(&self) -> impl Iterator<Item = Duration> {
        backon::ExponentialBuilder::default()
            .with_min_delay(self.base)
            .with_max_delay(self.cap)
            .with_factor(2.0)
            .with_max_times(self.max_attempts.saturating_sub(1) as usize)
            .build()
    }

    /// Whether attempt number `attempts` (1-based, just failed with `class`)
    /// may be followed by another. `lambda_faults` counts the Lambda faults so far.
    pub(crate) fn should_retry(&self, class: Class, attempts: u32, lambda_faults: u32) -> bool {
        class.is_retryable()
            && attempts < self.max_attempts
            && (class != Class::LambdaFault || lambda_faults <= LAMBDA_RETRIES)
    }
}

/// Full jitter: a uniformly random wait below the ceiling.
pub(crate) fn full_jitter(ceiling: Duration) -> Duration {
    if ceiling.is_zero() {
        return ceiling;
    }
    rand::thread_rng().gen_range(Duration::ZERO..ceiling)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_then_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(4),
        };
        let ms: Vec<u128> = policy.ceilings().map(|d| d.as_millis()).collect();
        assert_eq!(ms, [250, 500, 1000, 2000, 4000, 4000, 4000, 4000, 4000]);
    }

    #[test]
    fn default_schedule_has_seven_retries() {
        assert_eq!(RetryPolicy::default().ceilings().count(), 7);
    }

    #[test]
    fn jitter_stays_below_the_ceiling() {
        let ceiling = Duration::from_millis(100);
        for _ in 0..1000 {
            assert!(full_jitter(ceiling) < ceiling);
        }
        assert_eq!(full_jitter(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn retry_by_class_and_budget() {
        let policy = RetryPolicy::default();
        assert!(policy.should_retry(Class::Throttled, 1, 0));
        assert!(policy.should_retry(Class::Transient, 7, 0));
        assert!(!policy.should_retry(Class::Transient, 8, 0));
        assert!(policy.should_retry(Class::LambdaFault, 2, 2));
        assert!(!policy.should_retry(Class::LambdaFault, 3, 3));
        assert!(!policy.should_retry(Class::RowError, 1, 0));
        assert!(!policy.should_retry(Class::CreatedButNotified, 1, 0));
        assert!(!policy.should_retry(Class::Config, 1, 0));
    }
}
