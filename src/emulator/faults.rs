//! Throttling and fault injection for the emulator, all off by default: a
//! token-bucket quota answered with `TooManyRequestsException` (HTTP 400, as
//! real Cognito does), random `InternalErrorException`s, dropped connections
//! (the user is created, then no answer), added latency and Lambda faults.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;

/// Fault settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    /// Requests per second the quota admits; `None` means no quota.
    pub(crate) quota: Option<f64>,
    /// Bucket size: how many requests may arrive at once after a quiet spell.
    pub(crate) burst: Option<f64>,
    /// Probability of an `InternalErrorException` (HTTP 500).
    pub(crate) fault_rate: f64,
    /// Probability that the user is created and the connection is then closed unanswered.
    pub(crate) drop_rate: f64,
    /// Added delay before each answer.
    pub(crate) latency: Duration,
    /// Probability of an `UnexpectedLambdaException`.
    pub(crate) lambda_fault_rate: f64,
    /// Confirmation messages sent before `LimitExceededException` (which
    /// still creates the user); `None` = unlimited.
    pub(crate) message_quota: Option<u64>,
}

/// What the emulator should do with one request before the normal handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultChoice {
    Throttle,
    InternalError,
    LambdaFault,
    /// Handle normally, then drop the connection.
    Drop,
    Proceed,
}

/// A token bucket refilled continuously at `rate` up to `capacity`.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    rate: f64,
    capacity: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    pub(crate) fn new(rate: f64, capacity: f64) -> Self {
        let capacity = capacity.max(1.0);
        TokenBucket {
            rate,
            capacity,
            state: Mutex::new((capacity, Instant::now())),
        }
    }

    /// Takes one token if there is one.
    pub(crate) fn try_take(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let (tokens, last) = *state;
        let tokens =
            (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.capacity);
        if tokens >= 1.0 {
            *state = (tokens - 1.0, now);
            true
        } else {
            *state = (tokens, now);
            false
        }
    }
}

/// Faults plus the quota bucket they need.
#[derive(Debug)]
pub(crate) struct FaultInjector {
    pub(crate) faults: Faults,
    bucket: Option<TokenBucket>,
}

impl FaultInjector {
    pub(crate) fn new(faults: Faults) -> Self {
        let bucket = faults
            .quota
            .map(|rate| TokenBucket::new(rate, faults.burst.unwrap_or((rate / 5.0).max(1.0))));
        FaultInjector { faults, bucket }
    }

    /// Decides one SignUp request's fate. The quota is checked first: a
    /// throttled request never reaches the other faults, as in Cognito.
    pub(crate) fn choose(&self) -> FaultChoice {
        if let Some(bucket) = &self.bucket {
            if !bucket.try_take() {
                return FaultChoice::Throttle;
            }
        }
        let mut rng = rand::thread_rng();
        let f = &self.faults;
        if f.fault_rate > 0.0 && rng.gen_bool(f.fault_rate.min(1.0)) {
            FaultChoice::InternalError
        } else if f.lambda_fault_rate > 0.0 && rng.gen_bool(f.lambda_fault_rate.min(1.0)) {
            FaultChoice::LambdaFault
        } else if f.drop_rate > 0.0 && rng.gen_bool(f.drop_rate.min(1.0)) {
            FaultChoice::Drop
        } else {
            FaultChoice::Proceed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_admits_its_burst_then_refuses() {
        let bucket = TokenBucket::new(1.0, 3.0);
        assert!(bucket.try_take());
        assert!(bucket.try_take());
        assert!(bucket.try_take());
        assert!(!bucket.try_take());
    }

    #[test]
    fn no_faults_by_default() {
        let injector = FaultInjector::new(Faults::default());
        assert!((0..1000).all(|_| injector.choose() == FaultChoice::Proceed));
    }

    #[test]
    fn fault_rate_one_always_faults() {
        let injector = FaultInjector::new(Faults {
            fault_rate: 1.0,
            ..Faults::default()
        });
        assert_eq!(injector.choose(), FaultChoice::InternalError);
    }
}
