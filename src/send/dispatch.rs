//! The dispatcher: sends one row's SignUp (many rows at once, as the
//! [`crate::run::fan_out`] loop asks), paced by the shared
//! [`Pacer`], retried per [`RetryPolicy`], and turns whatever happened into
//! the row's report entry. The first request of a run goes out alone, so a
//! misconfigured pool or client costs one request, not `--concurrency`; after
//! any answer that says the configuration is wrong, nothing more is sent.
//! With `--api admin-create-user` the row goes through
//! [`crate::send::admin_create`] instead of SignUp, under the same probe,
//! stop and interrupt.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::mapping::rules::Prepared;
use crate::report::entry::{ReportEntry, Status, LOST_ANSWER_NOTE};
use crate::send::admin_create::AdminCreate;
use crate::send::cognito::secret_hash::SecretHasher;
use crate::send::cognito::wire::{Secret, SignUpRequest, SignUpResponse, UserContextData};
use crate::send::cognito::{classify, CallError, Class, CognitoClient};
use crate::send::concurrency::{CapWarning, Concurrency};
use crate::send::interrupt::Interrupt;
use crate::send::message_notice::MessageNotice;
use crate::send::rate::Pacer;
use crate::send::retry::{full_jitter, RetryPolicy};
use crate::send::steps::{RowSteps, StepRunner};
use crate::send::throttle_log::ThrottleLog;

/// The in-flight ceiling until [`Dispatcher::with_concurrency_ceiling`] sets
/// `--concurrency` (tests build dispatchers without it).
const DEFAULT_CEILING: usize = 16;

/// Appended to the note of a row left `failed` after a lost answer.
const MAYBE_CREATED_SUFFIX: &str = "; an earlier attempt's answer was lost, so the user may exist";

/// The report's `error_code` when the endpoint's answer was not Cognito's.
pub(crate) const NOT_COGNITO: &str = "NotCognito";

/// The report's `error_code` when no answer came back (timeout, reset, refused).
pub(crate) const NO_ANSWER: &str = "NoAnswer";

/// Why the run stopped sending: the configuration error Cognito reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StopReason {
    pub(crate) code: String,
    pub(crate) message: String,
    /// An admin call's answer (`--api admin-create-user`): the pool id and
    /// the AWS credentials are at fault, not the app client.
    pub(crate) admin: bool,
}

impl StopReason {
    /// What the user should fix, for the summary and each unsent row.
    pub(crate) fn advice(&self) -> &'static str {
        if let Some(advice) = self.admin.then(|| admin_advice(&self.code)).flatten() {
            return advice;
        }
        match self.code.as_str() {
            "ResourceNotFoundException" => "check --client-id and --region: Cognito does not know this app client",
            "NotAuthorizedException" => {
                "check the client secret (COGNITO_CLIENT_SECRET or --client-secret-file), that self sign-up is enabled, and that the app client may write every mapped attribute"
            }
            "ForbiddenException" => "a WAF web ACL on the pool blocked the request",
            NOT_COGNITO => {
                "check --endpoint-url and the AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER and AWS_ENDPOINT_URL variables: that server is not Cognito"
            }
            "EndpointUnreachable" => {
                "no answer from the endpoint to any attempt of the first row (refused, reset or timed out after --timeout-seconds): check --endpoint-url, --region and the network"
            }
            _ => "fix the user pool or app client configuration, then resume",
        }
    }
}

/// What to fix when an admin call (AdminCreateUser, AdminSetUserPassword)
/// stopped the run, where it differs from SignUp's advice.
fn admin_advice(code: &str) -> Option<&'static str> {
    Some(match code {
        "ResourceNotFoundException" => {
            "check --user-pool-id (or COGNITO_USER_POOL_ID, or the Id in --pool) and the region: Cognito does not know this user pool"
        }
        "NotAuthorizedException"
        | "AccessDeniedException"
        | "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "MissingAuthenticationTokenException"
        | "ExpiredTokenException" => {
            "check the AWS credentials: the identity needs cognito-idp:AdminCreateUser, AdminSetUserPassword and AdminGetUser on the pool"
        }
        _ => return None,
    })
}

/// Counters the summary reports.
#[derive(Debug, Default)]
struct DispatchStats {
    requests: AtomicU64,
    throttled: AtomicU64,
    retries: AtomicU64,
    /// Answers that were not throttles (what the pacer counts as accepted).
    accepted: AtomicU64,
    /// Requests whose call returned, whatever it returned: with `requests`,
    /// how many are on the wire (for `--timeline`).
    returned: AtomicU64,
}

/// The dispatcher's counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestCounts {
    pub(crate) requests: u64,
    pub(crate) throttled: u64,
    pub(crate) retries: u64,
    pub(crate) accepted: u64,
    pub(crate) returned: u64,
}

/// Sends rows to Cognito.
pub(crate) struct Dispatcher {
    client: CognitoClient,
    client_id: String,
    /// Keyed with the client secret once, when the app client has one.
    secret_hasher: Option<SecretHasher>,
    retry: RetryPolicy,
    pacer: Arc<Pacer>,
    stop: OnceLock<StopReason>,
    interrupt: Interrupt,
    probed: AtomicBool,
    probe: tokio::sync::Mutex<()>,
    stats: DispatchStats,
    /// The admin steps after sign-up, when the run asks for any.
    steps: Option<StepRunner>,
    /// `--api admin-create-user`: rows are created with AdminCreateUser.
    admin_create: Option<AdminCreate>,
    /// What to say of the messages Cognito sends, once it says it sent one.
    notice: Option<Arc<MessageNotice>>,
    /// The info line said every few seconds while throttled.
    throttle_log: ThrottleLog,
    /// How many rows the sending loop keeps in flight.
    concurrency: Concurrency,
}

impl Dispatcher {
    pub(crate) fn new(
        client: CognitoClient,
        client_id: String,
        client_secret: Option<Secret>,
        retry: RetryPolicy,
        pacer: Arc<Pacer>,
    ) -> Self {
        let secret_hasher = client_secret.map(|s| SecretHasher::new(s.expose(), &client_id));
        let concurrency = Concurrency::new(DEFAULT_CEILING, 1, client.latency());
        Dispatcher {
            concurrency,
            client,
            client_id,
            secret_hasher,
            retry,
            pacer,
            stop: OnceLock::new(),
            interrupt: Interrupt::default(),
            probed: AtomicBool::new(false),
            probe: tokio::sync::Mutex::new(()),
            stats: DispatchStats::default(),
            steps: None,
            admin_create: None,
            notice: None,
            throttle_log: ThrottleLog::default(),
        }
    }

    /// The same dispatcher, keeping at most `ceiling` rows in flight
    /// (`--concurrency`); set after the steps and the admin-create path,
    /// whose calls per row it counts.
    pub(crate) fn with_concurrency_ceiling(mut self, ceiling: usize) -> Self {
        let steps = self
            .steps
            .as_ref()
            .map_or(0, |s| s.settings().calls_per_row());
        let creation = if self.admin_create.is_some() { 2 } else { 1 };
        self.concurrency = Concurrency::new(ceiling, creation + steps, self.client.latency());
        self
    }

    /// The rows to keep in flight now, and the warning to give once when
    /// `--concurrency` holds the pacing rate back.
    pub(crate) fn in_flight_limit(&self) -> (usize, Option<CapWarning>) {
        self.concurrency.check(self.pacer.rate())
    }

    // --- `--api admin-create-user` and the message notice (issue 12) ---

    /// The same dispatcher, creating rows with AdminCreateUser instead of SignUp.
    pub(crate) fn with_admin_create(mut self, admin_create: AdminCreate) -> Self {
        self.admin_create = Some(admin_create);
        self
    }

    /// The admin-create path, when the run uses it.
    pub(crate) fn admin_create(&self) -> Option<&AdminCreate> {
        self.admin_create.as_ref()
    }

    /// The same dispatcher, saying what `notice` says at the first SignUp
    /// answer that reports a message sent (unless it was said before).
    pub(crate) fn with_notice(mut self, notice: Arc<MessageNotice>) -> Self {
        self.notice = Some(notice);
        self
    }

    /// The run's interrupt, for the admin calls made on a row's behalf.
    pub(crate) fn interruption(&self) -> &Interrupt {
        &self.interrupt
    }

    /// Stops the run for `reason` (the first reason wins).
    pub(crate) fn stop_for(&self, reason: StopReason) {
        let _ = self.stop.set(reason);
    }

    /// Counts requests another path sent for rows (AdminCreateUser).
    pub(crate) fn count_requests(&self, attempts: u32, throttled: u32) {
        let add = |counter: &AtomicU64, n: u32| counter.fetch_add(u64::from(n), Ordering::Relaxed);
        add(&self.stats.requests, attempts);
        add(&self.stats.retries, attempts.saturating_sub(1));
        add(&self.stats.throttled, throttled);
        // AdminCreateUser's tally does not set apart attempts that got no
        // answer: for `--timeline` they count as accepted.
        add(&self.stats.accepted, attempts.saturating_sub(throttled));
        add(&self.stats.returned, attempts);
    }

    // --- end of the admin-create block ---

    /// The same dispatcher, running `steps` after each successful SignUp.
    pub(crate) fn with_steps(mut self, steps: StepRunner) -> Self {
        self.steps = Some(steps);
        self
    }

    /// The admin steps' runner, if the run has steps.
    pub(crate) fn steps(&self) -> Option<&StepRunner> {
        self.steps.as_ref()
    }

    /// Ctrl-C or SIGTERM: start no new attempt. Rows not yet sent come back
    /// as `None` (absent from the report); rows between retries as `failed`.
    pub(crate) fn interrupt(&self) {
        self.interrupt.raise();
    }

    /// Requests sent, throttled answers and retries so far.
    pub(crate) fn counts(&self) -> RequestCounts {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        RequestCounts {
            requests: load(&self.stats.requests),
            throttled: load(&self.stats.throttled),
            retries: load(&self.stats.retries),
            accepted: load(&self.stats.accepted),
            returned: load(&self.stats.returned),
        }
    }

    /// The pacer's current rate (requests per second, 0 = unpaced).
    pub(crate) fn rate(&self) -> f64 {
        self.pacer.rate()
    }

    /// The configuration error that stopped the run, if one did.
    pub(crate) fn stop_reason(&self) -> Option<&StopReason> {
        self.stop.get()
    }

    /// Builds the wire request for one prepared row.
    pub(crate) fn request(&self, prepared: Prepared) -> SignUpRequest {
        let secret_hash = self
            .secret_hasher
            .as_ref()
            .map(|hasher| hasher.hash(&prepared.username));
        SignUpRequest {
            client_id: self.client_id.clone(),
            username: prepared.username,
            password: prepared.password,
            secret_hash,
            user_attributes: prepared.attributes,
            validation_data: prepared.validation_data,
            client_metadata: prepared.client_metadata,
            user_context_data: prepared.user_context_ip.map(|ip| UserContextData {
                ip_address: Some(ip),
                encoded_data: None,
            }),
        }
    }

    /// Sends one row and returns its report entry, or `None` when the run
    /// was interrupted before the row's first attempt. `maybe_sent`: an
    /// earlier run may have created this user already. The entry is boxed
    /// from its first attempt on: it passes through a dozen futures and
    /// stages before it is written, and its 300 bytes copied at each step
    /// came to about 700 of the 4,700 instructions a row spent copying.
    pub(crate) async fn send(
        &self,
        row: u64,
        prepared: Prepared,
        maybe_sent: bool,
    ) -> Option<Box<ReportEntry>> {
        let steps = self.steps.as_ref().map(|s| s.settings().for_row(&prepared));
        let entry = match &self.admin_create {
            Some(create) => {
                // Boxed, as the steps below: rarely used, they would
                // otherwise widen every row's future, copied as it is queued.
                let attempt = create.create(self, row, prepared, maybe_sent);
                Box::pin(self.first_alone(attempt)).await.map(Box::new)
            }
            None => self.sign_up(row, prepared, maybe_sent).await,
        };
        if steps.is_none() {
            // No steps: the entry goes back as it is, not through another
            // future (every row's entry and that future copied on the way).
            return entry;
        }
        self.after_sign_up(entry, steps).await
    }

    /// The steps of a row an earlier run signed up (its SignUp `status`)
    /// but whose steps did not all succeed: SignUp is not sent again.
    pub(crate) async fn resume_steps(
        &self,
        row: u64,
        prepared: Prepared,
        status: Status,
    ) -> Option<Box<ReportEntry>> {
        let steps = self.steps.as_ref().map(|s| s.settings().for_row(&prepared));
        let mut entry = ReportEntry {
            row,
            username: prepared.username,
            status: Some(status),
            note: "signed up by an earlier run; its steps were resumed".to_owned(),
            ..ReportEntry::default()
        };
        if let Some(create) = &self.admin_create {
            // The password may be what failed: it is set again first.
            entry = create.resume(self, entry, prepared.password).await;
        }
        self.after_sign_up(Some(Box::new(entry)), steps).await
    }

    /// Runs a signed-up row's admin steps (an `exists` row also gets its
    /// `sub`), recording them in its entry.
    async fn after_sign_up(
        &self,
        entry: Option<Box<ReportEntry>>,
        steps: Option<RowSteps>,
    ) -> Option<Box<ReportEntry>> {
        let mut entry = entry?;
        let (Some(runner), Some(steps)) = (&self.steps, steps) else {
            return Some(entry);
        };
        // A row whose password could not be set (admin-create) stops at
        // that step, as a row stops at its first failed step.
        if !matches!(entry.status, Some(Status::Created | Status::Exists))
            || !entry.step_error.is_empty()
        {
            return Some(entry);
        }
        if self.interrupt.is_raised() {
            entry.step_error = "interrupted before the steps: --resume runs them".to_owned();
            return Some(entry);
        }
        if entry.user_sub.is_empty() {
            entry.user_sub = Box::pin(runner.sub_of(&entry.username))
                .await
                .unwrap_or_default();
        }
        if !steps.is_empty() {
            let outcome = Box::pin(runner.run(&entry.username, &steps)).await;
            entry.steps = outcome.done.join(";");
            entry.step_error = outcome.error.unwrap_or_default();
        }
        Some(entry)
    }

    /// Sends one row's SignUp and returns its entry (see [`Dispatcher::send`]).
    async fn sign_up(
        &self,
        row: u64,
        prepared: Prepared,
        maybe_sent: bool,
    ) -> Option<Box<ReportEntry>> {
        let request = &self.request(prepared);
        // Not through `first_alone`: taking the attempt's future as a value
        // would hold it twice in every row's future.
        let alone = self.probe_turn().await;
        let mut reached = false;
        let entry = self
            .attempt_until_done(row, request, maybe_sent, &mut reached)
            .await;
        self.probe_done(alone, entry.as_deref(), reached);
        // The first answer that says Cognito sent a code is the moment to
        // say what the run will send (when --pool did not say it before).
        if let (Some(notice), Some(entry)) = (&self.notice, &entry) {
            if !entry.delivery_medium.is_empty() {
                notice.on_delivery(&entry.delivery_medium);
            }
        }
        entry
    }

    /// Runs `attempt` (a row's whole send: its entry, and whether any
    /// attempt got an HTTP answer) alone if it is the run's first.
    async fn first_alone(
        &self,
        attempt: impl Future<Output = (Option<ReportEntry>, bool)>,
    ) -> Option<ReportEntry> {
        let alone = self.probe_turn().await;
        let (entry, reached) = attempt.await;
        self.probe_done(alone, entry.as_ref(), reached);
        entry
    }

    /// The probe's lock when this row is the run's first, to go alone:
    /// `None` once the first row is done.
    async fn probe_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        if self.probed.load(Ordering::Acquire) {
            return None;
        }
        let alone = self.probe.lock().await;
        (!self.probed.load(Ordering::Acquire)).then_some(alone)
    }

    /// A row is done; if it held the probe's turn (`alone`), it was the
    /// run's first, and if it used up its attempts and not one reached the
    /// endpoint, the endpoint is wrong or unreachable, and every other row
    /// would wait just as long for nothing: the run stops. The turn is
    /// given up here.
    fn probe_done(
        &self,
        alone: Option<tokio::sync::MutexGuard<'_, ()>>,
        entry: Option<&ReportEntry>,
        reached: bool,
    ) {
        if alone.is_none() {
            return;
        }
        let gave_up =
            entry.is_some_and(|e| e.status == Some(Status::Failed)) && !self.interrupt.is_raised();
        if gave_up && !reached {
            let _ = self.stop.set(StopReason {
                code: "EndpointUnreachable".to_owned(),
                message: entry.map_or_else(String::new, |e| e.error_message.clone()),
                admin: false,
            });
        }
        self.probed.store(true, Ordering::Release);
    }

    /// Sends `request` until its outcome is settled (or retries run out);
    /// `None` when the run was interrupted before the row was ever sent.
    async fn attempt_until_done(
        &self,
        row: u64,
        request: &SignUpRequest,
        maybe_sent: bool,
        reached: &mut bool,
    ) -> Option<Box<ReportEntry>> {
        let mut entry = Box::new(ReportEntry {
            row,
            username: request.username.clone(),
            ..ReportEntry::default()
        });
        let mut ceilings = self.retry.ceilings();
        let mut lost_answer = maybe_sent;
        let mut lambda_faults = 0;
        loop {
            if let Turn::End(entry) = self.wait_for_turn(&mut entry, lost_answer).await {
                return entry;
            }
            let class = match self.send_once(&mut entry, request, reached).await {
                Ok((response, request_id)) => {
                    created(&mut entry, response, request_id, lost_answer);
                    return Some(entry);
                }
                Err(error) => record_error(&mut entry, error, &mut lost_answer),
            };
            if self.settle(&mut entry, class, lost_answer) {
                return Some(entry);
            }
            lambda_faults += u32::from(class == Class::LambdaFault);
            let retry = ceilings.next().filter(|_| {
                self.retry
                    .should_retry(class, entry.attempts, lambda_faults)
            });
            let Some(ceiling) = retry else {
                mark_gave_up(&mut entry, lost_answer);
                return Some(entry);
            };
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            if class == Class::Throttled {
                let throttled = self.stats.throttled.load(Ordering::Relaxed);
                self.throttle_log
                    .throttled(self.pacer.rate(), ceiling, throttled);
            }
            // An interrupt cuts the backoff short: the row is then
            // reported `failed` instead of outliving the grace period.
            let backoff = tokio::time::sleep(full_jitter(ceiling));
            let _holds_no_request = self.concurrency.backing_off();
            if self.unless_interrupted(backoff).await.is_none() {
                return mark_interrupted(&mut entry).then_some(entry);
            }
        }
    }

    /// Waits for the pacer's slot, unless the run was stopped or
    /// interrupted. Checked before the wait (so a stopped run reports its
    /// remaining rows at once, not at the pace) and again after it, right
    /// before sending.
    async fn wait_for_turn(&self, entry: &mut ReportEntry, lost_answer: bool) -> Turn {
        for wait_for_slot in [true, false] {
            if let Some(reason) = self.stop.get() {
                let entry = stopped(std::mem::take(entry), reason, lost_answer);
                return Turn::End(Some(Box::new(entry)));
            }
            if self.interrupt.is_raised() {
                return Turn::End(interrupted(std::mem::take(entry)).map(Box::new));
            }
            if wait_for_slot
                && self
                    .unless_interrupted(self.pacer.acquire())
                    .await
                    .is_none()
            {
                return Turn::End(interrupted(std::mem::take(entry)).map(Box::new));
            }
        }
        Turn::Send
    }

    /// One request, counted, with its answer fed to the adaptive rate.
    async fn send_once(
        &self,
        entry: &mut ReportEntry,
        request: &SignUpRequest,
        reached: &mut bool,
    ) -> Result<(SignUpResponse, Option<String>), CallError> {
        entry.attempts += 1;
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let answer = self.client.sign_up(request).await;
        self.stats.returned.fetch_add(1, Ordering::Relaxed);
        // Only an HTTP answer shows the endpoint is there: a server that
        // accepts connections and never answers is as useless as none.
        *reached |= !matches!(answer, Err(CallError::Transport { .. }));
        // Throttles cut the rate; other answers show the quota admits the
        // current pace.
        match &answer {
            Err(CallError::Api(error)) if classify(error) == Class::Throttled => {
                self.pacer.on_throttled()
            }
            Err(CallError::Api(_)) | Ok(_) => {
                self.stats.accepted.fetch_add(1, Ordering::Relaxed);
                self.pacer.on_accepted()
            }
            Err(
                CallError::Transport { .. } | CallError::NotCognito(_) | CallError::Unsigned(_),
            ) => {}
        }
        answer
    }

    /// Whether `class` settles the row (its entry then final); `false`
    /// when it may be retried (throttles counted on the way).
    fn settle(&self, entry: &mut ReportEntry, class: Class, lost_answer: bool) -> bool {
        match class {
            Class::Exists => {
                entry.status = Some(Status::Exists);
                if lost_answer {
                    entry.note = LOST_ANSWER_NOTE.to_owned();
                }
            }
            Class::CreatedButNotified => {
                entry.status = Some(Status::Created);
                entry.note = "created UNCONFIRMED, but the email/SMS sending quota was hit (LimitExceededException): no confirmation message was sent".to_owned();
            }
            Class::RowError => entry.status = Some(Status::Rejected),
            Class::Config => {
                let reason = StopReason {
                    code: entry.error_code.clone(),
                    message: entry.error_message.clone(),
                    admin: false,
                };
                let _ = self.stop.set(reason);
                entry.status = Some(Status::Failed);
                entry.note = format!(
                    "the run stopped: {}",
                    self.stop.get().map_or("", StopReason::advice)
                );
            }
            Class::Throttled => {
                self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                return false;
            }
            Class::LambdaFault | Class::Transient => return false,
        }
        true
    }
}

/// Whether a row's next attempt may go out.
enum Turn {
    Send,
    /// The row ends without sending: its entry (the run stopped), or none
    /// (interrupted before its first attempt: the report leaves it out).
    /// Boxed: rare, and a small `Turn` is what most attempts return.
    End(Option<Box<ReportEntry>>),
}

/// Records an error answer (or its absence) in `entry` and classifies it.
fn record_error(entry: &mut ReportEntry, error: CallError, lost_answer: &mut bool) -> Class {
    let (class, code, message) = match error {
        CallError::Api(error) => {
            entry.request_id = error.request_id.clone().unwrap_or_default();
            let message = error.message.clone().unwrap_or_default();
            (classify(&error), error.code_or_status(), message)
        }
        CallError::Transport {
            message,
            maybe_delivered,
        } => {
            *lost_answer |= maybe_delivered;
            entry.request_id.clear();
            (Class::Transient, NO_ANSWER.to_owned(), message)
        }
        // Not Cognito: no user was created there, and every row would get
        // the same answer, so the run stops as for a bad client id.
        CallError::NotCognito(message) => {
            entry.request_id.clear();
            (Class::Config, NOT_COGNITO.to_owned(), message)
        }
        // SignUp is never signed; kept for completeness of the match.
        CallError::Unsigned(message) => {
            entry.request_id.clear();
            (Class::Config, "NoCredentials".to_owned(), message)
        }
    };
    entry.error_code = code;
    entry.error_message = message;
    class
}

/// A row whose attempts ran out (or whose class is never retried again).
pub(crate) fn gave_up(mut entry: ReportEntry, lost_answer: bool) -> ReportEntry {
    mark_gave_up(&mut entry, lost_answer);
    entry
}

/// [`gave_up`], in place.
fn mark_gave_up(entry: &mut ReportEntry, lost_answer: bool) {
    entry.status = Some(Status::Failed);
    entry.note = format!("gave up after {} attempts", entry.attempts);
    if lost_answer {
        entry.note.push_str(MAYBE_CREATED_SUFFIX);
    }
}

impl Dispatcher {
    /// Runs `wait` unless the run is interrupted first (then `None`).
    async fn unless_interrupted<F: Future>(&self, wait: F) -> Option<F::Output> {
        self.interrupt.unless(wait).await
    }
}

/// The entry of a row the run was interrupted on: absent when no attempt
/// was made, else `failed` (resume sends it again).
pub(crate) fn interrupted(mut entry: ReportEntry) -> Option<ReportEntry> {
    mark_interrupted(&mut entry).then_some(entry)
}

/// [`interrupted`], in place: whether the row keeps its entry.
fn mark_interrupted(entry: &mut ReportEntry) -> bool {
    if entry.attempts == 0 {
        return false;
    }
    entry.status = Some(Status::Failed);
    entry.note = format!(
        "interrupted after {} attempts; --resume sends it again",
        entry.attempts
    );
    true
}

/// Records a SignUp that created the user in its entry.
fn created(
    entry: &mut ReportEntry,
    response: SignUpResponse,
    request_id: Option<String>,
    lost_answer: bool,
) {
    entry.status = Some(Status::Created);
    entry.user_sub = response.user_sub;
    entry.user_confirmed = Some(response.user_confirmed);
    if let Some(delivery) = response.code_delivery_details {
        entry.delivery_medium = delivery.delivery_medium.unwrap_or_default();
        entry.delivery_destination = delivery.destination.unwrap_or_default();
    }
    entry.request_id = request_id.unwrap_or_default();
    entry.error_code.clear();
    entry.error_message.clear();
    if lost_answer {
        entry.note = "created after an attempt whose answer was lost".to_owned();
    }
}

/// The entry of a row not (or no longer) sent because the run stopped.
pub(crate) fn stopped(
    mut entry: ReportEntry,
    reason: &StopReason,
    lost_answer: bool,
) -> ReportEntry {
    entry.status = Some(Status::Failed);
    entry.error_code = reason.code.clone();
    entry.error_message = reason.message.clone();
    entry.note = format!("not sent: the run stopped ({})", reason.advice());
    if lost_answer {
        entry.note.push_str(MAYBE_CREATED_SUFFIX);
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::cognito::wire::AttributeType;
    use crate::send::rate::Pacer;

    #[test]
    fn the_wire_request_carries_every_mapped_part_and_the_secret_hash() {
        let client = CognitoClient::new(
            reqwest::Url::parse("http://127.0.0.1:9/").expect("url"),
            std::time::Duration::from_secs(1),
            1,
        )
        .expect("client");
        let dispatcher = Dispatcher::new(
            client,
            "1example23456789".into(),
            Some(Secret::new("client-secret-example")),
            RetryPolicy::default(),
            Arc::new(Pacer::fixed(0.0)),
        );
        let prepared = Prepared {
            username: "alice".into(),
            password: Some(Secret::new("Passw0rd!")),
            attributes: vec![AttributeType::new("email", "alice@example.com")],
            validation_data: vec![AttributeType::new("invite_code", "X1")],
            client_metadata: [("source".to_owned(), "legacy-import".to_owned())].into(),
            user_context_ip: Some("203.0.113.7".into()),
            // Carried for the report, never sent.
            email_verified: Some(true),
            phone_number_verified: None,
            groups: vec!["testers".to_owned()],
            enabled: Some(false),
        };
        let wire = serde_json::to_value(dispatcher.request(prepared)).expect("json");
        // Nor are the groups and account state, which admin steps apply.
        for carried in ["verified", "testers", "enabled"] {
            assert!(!wire.to_string().contains(carried), "{wire}");
        }
        assert_eq!(wire["ClientId"], "1example23456789");
        assert_eq!(
            wire["SecretHash"],
            "AlBVu2cvVbbKkIR7i3zS8ZRCF82NM3j32T+LWqw4C5o="
        );
        assert_eq!(wire["Password"], "Passw0rd!");
        assert_eq!(wire["UserAttributes"][0]["Name"], "email");
        assert_eq!(wire["ValidationData"][0]["Value"], "X1");
        assert_eq!(wire["ClientMetadata"]["source"], "legacy-import");
        assert_eq!(wire["UserContextData"]["IpAddress"], "203.0.113.7");
    }
}
