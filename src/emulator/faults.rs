//! Throttling and fault injection for the emulator, all off by default:
//! per-category quotas (see `quotas`), and for SignUp random
//! `InternalErrorException`s, dropped connections (the user is created, then
//! no answer), added latency, a limited capacity and Lambda faults.

use std::time::Duration;

use rand::Rng;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::quotas::{Category, QuotaSettings, Quotas};

/// Fault settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    /// Requests per second each quota category admits.
    pub(crate) quotas: QuotaSettings,
    /// Probability of an `InternalErrorException` (HTTP 500).
    pub(crate) fault_rate: f64,
    /// Probability that the user is created and the connection is then closed unanswered.
    pub(crate) drop_rate: f64,
    /// Added delay before each answer.
    pub(crate) latency: Duration,
    /// SignUp requests served at once (`None`: any number); the rest wait
    /// in line, their latency included.
    pub(crate) capacity: Option<u32>,
    /// Probability of an `UnexpectedLambdaException`.
    pub(crate) lambda_fault_rate: f64,
    /// Confirmation messages sent before `LimitExceededException` (which
    /// still creates the user); `None` = unlimited.
    pub(crate) message_quota: Option<u64>,
}

/// What the emulator should do with one SignUp before the normal handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultChoice {
    InternalError,
    LambdaFault,
    /// Handle normally, then drop the connection.
    Drop,
    Proceed,
}

/// Faults plus the quota buckets they need.
#[derive(Debug)]
pub(crate) struct FaultInjector {
    pub(crate) faults: Faults,
    quotas: Quotas,
    /// The `capacity`'s places, when it is limited.
    places: Option<Semaphore>,
}

impl FaultInjector {
    pub(crate) fn new(faults: Faults) -> Self {
        let quotas = Quotas::new(&faults.quotas);
        let places = faults.capacity.map(|n| Semaphore::new(n as usize));
        FaultInjector {
            faults,
            quotas,
            places,
        }
    }

    /// Waits for a place among the SignUps served at once; the place is
    /// held until the permit drops. `None` when the capacity is unlimited.
    pub(crate) async fn serving_place(&self) -> Option<SemaphorePermit<'_>> {
        match &self.places {
            // The semaphore is never closed.
            Some(places) => places.acquire().await.ok(),
            None => None,
        }
    }

    /// Whether `category`'s quota admits one more request. Checked before
    /// the random faults: a throttled request never reaches them, as in Cognito.
    pub(crate) fn admits(&self, category: Category) -> bool {
        self.quotas.admits(category)
    }

    /// Decides the fate of one SignUp the quota admitted.
    pub(crate) fn choose(&self) -> FaultChoice {
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

    #[tokio::test]
    async fn a_limited_capacity_makes_the_next_request_wait_for_a_place() {
        let injector = FaultInjector::new(Faults {
            capacity: Some(2),
            ..Faults::default()
        });
        let first = injector.serving_place().await;
        let _second = injector.serving_place().await;
        assert!(first.is_some());
        let third = injector.serving_place();
        tokio::pin!(third);
        assert!(futures::poll!(&mut third).is_pending(), "no place left");
        drop(first);
        assert!(futures::poll!(&mut third).is_ready(), "a place came free");
        let unlimited = FaultInjector::new(Faults::default());
        assert!(unlimited.serving_place().await.is_none());
    }
}
