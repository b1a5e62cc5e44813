//! One signed admin call, paced by its quota category's pacer and retried
//! by the same policy and error classification as SignUp: throttles slow
//! that pacer, transient errors are retried with full-jitter backoff, and a
//! configuration error (credentials, an unknown pool or group) stops every
//! later call, since each would fail the same way. Used by the steps after
//! sign-up, by `--api admin-create-user` (which needs the whole story of a
//! call: its class, attempts, lost answers; [`AdminCalls::attempt`]) and by
//! `delete-users`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use serde_json::Value;

use crate::send::cognito::{classify, CallError, Class, CognitoClient};
use crate::send::interrupt::Interrupt;
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

/// How one call ended, in full.
#[derive(Debug)]
pub(crate) struct Attempted {
    /// The answer and its `x-amzn-RequestId`, or why there is none.
    pub(crate) answer: Result<(Value, Option<String>), Refused>,
    /// Requests sent, the first included.
    pub(crate) attempts: u32,
    /// Throttled answers among them.
    pub(crate) throttled: u32,
    /// An attempt may have reached Cognito without its answer coming back
    /// (timeout or reset once connected): a create may have happened.
    pub(crate) lost_answer: bool,
    /// An attempt got an HTTP answer: the endpoint is there.
    pub(crate) reached: bool,
}

/// Why a call has no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The last attempt's error (a refusal, or retries ran out).
    Error {
        class: Class,
        /// Cognito's code, `HTTP<status>`, `NoAnswer` or `NotCognito`.
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// Not (or no longer) tried: an earlier call's configuration error
    /// stopped the calls; its `Operation Code: message`.
    Stopped(String),
    /// Ctrl-C or SIGTERM came before or between attempts.
    Interrupted,
}

impl Refused {
    /// `Code: message`, as the steps report it.
    pub(crate) fn text(&self) -> String {
        match self {
            Refused::Error { code, message, .. } => format!("{code}: {message}"),
            Refused::Stopped(reason) => format!("not tried, the admin calls stopped: {reason}"),
            Refused::Interrupted => "interrupted: --resume runs it".to_owned(),
        }
    }
}

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
        let attempted = self.attempt(pacer, operation, body, benign, None).await;
        attempted
            .answer
            .map(|(answer, _)| answer)
            .map_err(|refused| refused.text())
    }

    /// [`AdminCalls::call`], telling the whole story; with `interrupt`, an
    /// interrupt ends the call before its next attempt or during a wait.
    pub(crate) async fn attempt(
        &self,
        pacer: &Pacer,
        operation: &str,
        body: &Value,
        benign: fn(&str) -> bool,
        interrupt: Option<&Interrupt>,
    ) -> Attempted {
        let mut ceilings = self.retry.ceilings();
        let mut lambda_faults = 0;
        let mut told = Attempted {
            answer: Err(Refused::Interrupted),
            attempts: 0,
            throttled: 0,
            lost_answer: false,
            reached: false,
        };
        loop {
            if let Err(refused) = self.wait_for_turn(pacer, interrupt).await {
                told.answer = Err(refused);
                return told;
            }
            told.attempts += 1;
            let (class, refused) = match self.send_once(pacer, operation, body, &mut told).await {
                Ok(answer) => {
                    told.answer = Ok(answer);
                    return told;
                }
                Err(refused) => refused,
            };
            let benign_refusal = benign(&refused.text());
            if class == Class::Config && !benign_refusal {
                let _ = self.stop.set(format!("{operation} {}", refused.text()));
            }
            lambda_faults += u32::from(class == Class::LambdaFault);
            let retry = ceilings.next().filter(|_| {
                !benign_refusal && self.retry.should_retry(class, told.attempts, lambda_faults)
            });
            told.answer = Err(refused);
            let Some(ceiling) = retry else {
                return told;
            };
            let backoff = tokio::time::sleep(full_jitter(ceiling));
            if unless(interrupt, backoff).await.is_none() {
                // The last error stays the row's story; the interrupt ends it.
                return told;
            }
        }
    }

    /// Waits for the pacer's slot; checked before the wait and after it, so
    /// a stop or an interrupt meanwhile sends nothing more.
    async fn wait_for_turn(
        &self,
        pacer: &Pacer,
        interrupt: Option<&Interrupt>,
    ) -> Result<(), Refused> {
        for wait_for_slot in [true, false] {
            if let Some(reason) = self.stop.get() {
                return Err(Refused::Stopped(reason.clone()));
            }
            if interrupt.is_some_and(Interrupt::is_raised) {
                return Err(Refused::Interrupted);
            }
            if wait_for_slot && unless(interrupt, pacer.acquire()).await.is_none() {
                return Err(Refused::Interrupted);
            }
        }
        Ok(())
    }

    /// One request, counted, its answer fed to the pacer and classified.
    async fn send_once(
        &self,
        pacer: &Pacer,
        operation: &str,
        body: &Value,
        told: &mut Attempted,
    ) -> Result<(Value, Option<String>), (Class, Refused)> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let answer = self.client.admin(operation, body).await;
        told.reached |= !matches!(answer, Err(CallError::Transport { .. }));
        let (class, code, message, request_id) = match answer {
            Ok(answer) => {
                pacer.on_accepted();
                return Ok(answer);
            }
            Err(CallError::Api(error)) => {
                let class = classify(&error);
                if class == Class::Throttled {
                    pacer.on_throttled();
                    self.throttled.fetch_add(1, Ordering::Relaxed);
                    told.throttled += 1;
                } else {
                    pacer.on_accepted();
                }
                let message = error.message.as_deref().unwrap_or("no message").to_owned();
                (class, error.code_or_status(), message, error.request_id)
            }
            Err(CallError::NotCognito(message)) => {
                (Class::Config, "NotCognito".to_owned(), message, None)
            }
            // Nothing was sent, and no later call can be signed either.
            Err(CallError::Unsigned(message)) => {
                (Class::Config, "NoCredentials".to_owned(), message, None)
            }
            Err(CallError::Transport {
                message,
                maybe_delivered,
            }) => {
                told.lost_answer |= maybe_delivered;
                (Class::Transient, "NoAnswer".to_owned(), message, None)
            }
        };
        let refused = Refused::Error {
            class,
            code,
            message,
            request_id,
        };
        Err((class, refused))
    }
}

/// `wait`, unless `interrupt` is raised first (then `None`).
async fn unless<F: std::future::Future>(
    interrupt: Option<&Interrupt>,
    wait: F,
) -> Option<F::Output> {
    match interrupt {
        Some(interrupt) => interrupt.unless(wait).await,
        None => Some(wait.await),
    }
}

/// The non-empty `sub` among `[{Name, Value}]` attributes (an
/// AdminGetUser answer's `UserAttributes`, AdminCreateUser's
/// `User.Attributes`).
pub(crate) fn sub_in(attributes: &Value) -> Option<&str> {
    attributes.as_array()?.iter().find(|a| a["Name"] == "sub")?["Value"]
        .as_str()
        .filter(|sub| !sub.is_empty())
}

/// No refusal is the wanted state already.
pub(crate) fn no_benign_refusal(_: &str) -> bool {
    false
}
