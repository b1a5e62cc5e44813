//! Throttling and fault injection for the emulator, all off by default:
//! per-category quotas (see `quotas`), and for SignUp random
//! `InternalErrorException`s, dropped connections (the user is created, then
//! no answer), added latency and Lambda faults.

use std::time::Duration;

use rand::Rng;

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
}

impl FaultInjector {
    pub(crate) fn new(faults: Faults) -> Self {
        let quotas = Quotas::new(&faults.quotas);
        FaultInjector { faults, quotas }
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
}
