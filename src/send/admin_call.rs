//! One signed admin call, paced by its quota category's pacer and retried
//! by the same policy and error classification as SignUp: throttles slow
//! that pacer, transient errors are retried with full-jitter backoff, and a
//! configuration error (credentials, an unknown pool or group) stops every
//! later call, since each would fail the same way. Used by the steps after
//! sign-up and by `delete-users`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use serde_json::Value;

use crate::send::cognito::{classify, CallError, Class, CognitoClient};
use crate::send::rate::Pacer;
use crate::send::retry::{full_jitter, RetryPolicy};

/// Makes admin calls for a run.
pub(crate) struct AdminCalls {
    client: CognitoClient,
    retry: RetryPolicy,
    stop: OnceLock<String>,
    requests: AtomicU64,
    throttled: AtomicU64,
}

/// Why a call gave no answer: `Code: message`, or what stopped it.
pub(crate) type AdminError = String;

impl AdminCalls {
    pub(crate) fn new(client: CognitoClient, retry: RetryPolicy) -> Self {
        AdminCalls {
            client,
            retry,
            stop: OnceLock::new(),
            requests: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
        }
    }

    /// Requests sent, and throttled answers among them.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.requests.load(Ordering::Relaxed),
            self.throttled.load(Ordering::Relaxed),
        )
    }

    /// The configuration error that stopped the calls, if one did.
    pub(crate) fn stop_reason(&self) -> Option<&str> {
        self.stop.get().map(String::as_str)
    }

    /// Calls `operation` with `body` until it is answered for good; `benign`
    /// says which refusals are the wanted state already (confirming a
    /// confirmed user): those neither stop the run nor are retried.
    pub(crate) async fn call(
        &self,
        pacer: &Pacer,
        operation: &str,
        body: &Value,
        benign: fn(&str) -> bool,
    ) -> Result<Value, AdminError> {
        let mut ceilings = self.retry.ceilings();
        let (mut attempts, mut lambda_faults) = (0, 0);
        loop {
            if let Some(reason) = self.stop.get() {
                return Err(format!("not tried, the admin calls stopped: {reason}"));
            }
            pacer.acquire().await;
            attempts += 1;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let (class, error) = match self.client.admin(operation, body).await {
                Ok((answer, _)) => {
                    pacer.on_accepted();
                    return Ok(answer);
                }
                Err(CallError::Api(error)) => {
                    let class = classify(&error);
                    if class == Class::Throttled {
                        pacer.on_throttled();
                        self.throttled.fetch_add(1, Ordering::Relaxed);
                    } else {
                        pacer.on_accepted();
                    }
                    let text = format!(
                        "{}: {}",
                        error.code_or_status(),
                        error.message.as_deref().unwrap_or("no message")
                    );
                    (class, text)
                }
                Err(CallError::NotCognito(message)) => (Class::Config, message),
                Err(CallError::Transport { message, .. }) => (Class::Transient, message),
            };
            if benign(&error) {
                return Err(error);
            }
            if class == Class::Config {
                let _ = self.stop.set(format!("{operation} {error}"));
            }
            lambda_faults += u32::from(class == Class::LambdaFault);
            let retry = ceilings
                .next()
                .filter(|_| self.retry.should_retry(class, attempts, lambda_faults));
            let Some(ceiling) = retry else {
                return Err(error);
            };
            tokio::time::sleep(full_jitter(ceiling)).await;
        }
    }
}

/// No refusal is the wanted state already.
pub(crate) fn no_benign_refusal(_: &str) -> bool {
    false
}
