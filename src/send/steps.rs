//! The admin steps after a successful SignUp (or for a user who already
//! exists, the nightly seed's case): confirm (`--confirm`), mark addresses
//! verified (`--verify`), add to groups (`--group`, `[account] groups`) and
//! disable (`[account] enabled = false`). Each is a signed admin call, paced
//! by its quota category's own pacer and retried by the same policy and
//! classification as SignUp. Every step is idempotent in Cognito (confirming
//! a confirmed user, re-adding a member), so a resumed row simply runs its
//! steps again.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::mapping::rules::Prepared;
use crate::send::admin_call::{no_benign_refusal, sub_in, AdminCalls};
use crate::send::cognito::CognitoClient;
use crate::send::rate::Pacer;
use crate::send::retry::RetryPolicy;

/// What `run` asks of every row, besides SignUp.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StepSettings {
    /// The pool the admin calls name (`--user-pool-id`).
    pub(crate) user_pool_id: String,
    /// `--confirm`: AdminConfirmSignUp.
    pub(crate) confirm: bool,
    /// `--verify email` / `--verify phone_number`.
    pub(crate) verify: Vec<&'static str>,
    /// Which of `verify` the mapping carries a per-row flag for
    /// (`[account] email_verified`): those rows only are verified.
    pub(crate) verify_flagged: Vec<&'static str>,
    /// `--group NAME`, for every row.
    pub(crate) groups: Vec<String>,
    /// The mapping has `[account] groups` or `[account] enabled`: rows
    /// may have steps even without a flag.
    pub(crate) mapped_account: bool,
    /// The pool id was given (`--user-pool-id`, `COGNITO_USER_POOL_ID`):
    /// admin credentials are at hand, so an `exists` row's `sub` is read
    /// back even without steps; a failure to read it stops nothing.
    pub(crate) read_subs: bool,
}

/// The steps of one row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RowSteps {
    pub(crate) confirm: bool,
    /// Attributes to mark verified (`email`, `phone_number`).
    pub(crate) verify: Vec<&'static str>,
    pub(crate) groups: Vec<String>,
    pub(crate) disable: bool,
}

impl RowSteps {
    pub(crate) fn is_empty(&self) -> bool {
        !self.confirm && self.verify.is_empty() && self.groups.is_empty() && !self.disable
    }
}

impl StepSettings {
    /// Whether any row can have a step.
    pub(crate) fn any(&self) -> bool {
        self.has_steps() || self.read_subs
    }

    /// Whether any row can have a step (not only a `sub` read back).
    pub(crate) fn has_steps(&self) -> bool {
        self.confirm || !self.verify.is_empty() || !self.groups.is_empty() || self.mapped_account
    }

    /// The admin calls a row makes after its creation at most: one per
    /// step, and one to read its `sub` or its mapped account settings.
    pub(crate) fn calls_per_row(&self) -> usize {
        usize::from(self.confirm)
            + self.verify.len()
            + self.groups.len()
            + usize::from(self.mapped_account || self.read_subs)
    }

    /// The steps for the row `prepared` came from.
    pub(crate) fn for_row(&self, prepared: &Prepared) -> RowSteps {
        let has = |attribute: &str| prepared.attributes.iter().any(|a| &*a.name == attribute);
        let flagged = |attribute: &str| match attribute {
            "email" => prepared.email_verified == Some(true),
            _ => prepared.phone_number_verified == Some(true),
        };
        let verify = self
            .verify
            .iter()
            .copied()
            // Only an address the user has can be verified; with a carried
            // flag, only the rows whose source says it was.
            .filter(|a| has(a) && (!self.verify_flagged.contains(a) || flagged(a)))
            .collect();
        let mut groups = self.groups.clone();
        for group in &prepared.groups {
            if !groups.contains(group) {
                groups.push(group.clone());
            }
        }
        RowSteps {
            confirm: self.confirm,
            verify,
            groups,
            disable: prepared.enabled == Some(false),
        }
    }
}

/// One pacer per quota category the admin calls use (docs/PROTOCOL.md),
/// shared by the steps and `--api admin-create-user`.
#[derive(Clone)]
pub(crate) struct CategoryPacers {
    /// UserCreation: shared with SignUp (AdminConfirmSignUp is in it).
    pub(crate) creation: Arc<Pacer>,
    /// UserUpdate: AdminUpdateUserAttributes, AdminDisableUser.
    pub(crate) update: Arc<Pacer>,
    /// UserResourceUpdate: AdminAddUserToGroup.
    pub(crate) resource_update: Arc<Pacer>,
    /// UserRead: AdminGetUser.
    pub(crate) read: Arc<Pacer>,
    /// UserAccountRecovery: AdminSetUserPassword (`--api admin-create-user`).
    pub(crate) account_recovery: Arc<Pacer>,
}

/// How one row's steps went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StepsOutcome {
    /// The steps that succeeded, `;`-separated: `confirm`,
    /// `verify:email`, `group:NAME`, `disable`.
    pub(crate) done: Vec<String>,
    /// The step that failed and why, `step: Code: message`.
    pub(crate) error: Option<String>,
}

/// Runs rows' steps.
pub(crate) struct StepRunner {
    calls: AdminCalls,
    settings: StepSettings,
    pacers: CategoryPacers,
}

impl StepRunner {
    pub(crate) fn new(
        client: CognitoClient,
        settings: StepSettings,
        pacers: CategoryPacers,
        retry: RetryPolicy,
    ) -> Self {
        StepRunner {
            calls: AdminCalls::new(client, retry),
            settings,
            pacers,
        }
    }

    pub(crate) fn settings(&self) -> &StepSettings {
        &self.settings
    }

    /// Requests the steps sent, and throttled answers among them.
    pub(crate) fn counts(&self) -> (u64, u64) {
        self.calls.counts()
    }

    /// The configuration error that stopped the steps, if one did.
    pub(crate) fn stop_reason(&self) -> Option<&str> {
        self.calls.stop_reason()
    }

    /// Runs `steps` for `username` in order, stopping at the first failure.
    pub(crate) async fn run(&self, username: &str, steps: &RowSteps) -> StepsOutcome {
        let mut outcome = StepsOutcome::default();
        let user = |extra: Value| {
            let mut body = json!({"UserPoolId": self.settings.user_pool_id, "Username": username});
            if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
                body.extend(extra);
            }
            body
        };
        let mut planned: Vec<(String, &Pacer, &'static str, Value)> = Vec::new();
        if steps.confirm {
            let call = (
                "confirm".to_owned(),
                &*self.pacers.creation,
                "AdminConfirmSignUp",
                user(json!({})),
            );
            planned.push(call);
        }
        for attribute in &steps.verify {
            let name = format!("{attribute}_verified");
            let body = user(json!({"UserAttributes": [{"Name": name, "Value": "true"}]}));
            planned.push((
                format!("verify:{attribute}"),
                &self.pacers.update,
                "AdminUpdateUserAttributes",
                body,
            ));
        }
        for group in &steps.groups {
            let body = user(json!({"GroupName": group}));
            planned.push((
                format!("group:{group}"),
                &self.pacers.resource_update,
                "AdminAddUserToGroup",
                body,
            ));
        }
        if steps.disable {
            planned.push((
                "disable".to_owned(),
                &self.pacers.update,
                "AdminDisableUser",
                user(json!({})),
            ));
        }
        for (step, pacer, operation, body) in planned {
            let benign = if operation == "AdminConfirmSignUp" {
                already_confirmed
            } else {
                no_benign_refusal
            };
            match self.calls.call(pacer, operation, &body, benign).await {
                Ok(_) => outcome.done.push(step),
                Err(error) if benign(&error) => outcome.done.push(step),
                Err(error) => {
                    outcome.error = Some(format!("{step}: {error}"));
                    break;
                }
            }
        }
        outcome
    }

    /// The user's `sub`, through AdminGetUser (for `exists` rows, whose
    /// SignUp answer carried none); `None` when it cannot be read.
    pub(crate) async fn sub_of(&self, username: &str) -> Option<String> {
        let body = json!({"UserPoolId": self.settings.user_pool_id, "Username": username});
        let answer = self
            .calls
            .call(&self.pacers.read, "AdminGetUser", &body, no_benign_refusal)
            .await
            .ok()?;
        sub_in(&answer["UserAttributes"]).map(str::to_owned)
    }
}

/// Cognito refuses to confirm a confirmed user ("User cannot be confirmed.
/// Current status is CONFIRMED"): for a re-run, that is the step done.
fn already_confirmed(error: &str) -> bool {
    error.starts_with("NotAuthorizedException") && error.contains("CONFIRMED")
}
