//! `--api admin-create-user`: a row's user is created with AdminCreateUser
//! instead of SignUp (no message by default: `MessageAction: SUPPRESS`), its
//! `[account]` verified flags written as attributes, then its password set
//! with AdminSetUserPassword (permanent by default), so the user signs in
//! with the old password at once. Every call goes through [`AdminCalls`]
//! on its quota category's pacer (UserCreation shared with SignUp and the
//! steps, UserAccountRecovery its own); the dispatcher runs this path under
//! its probe, stop and interrupt, and turns it into the row's entry here.
//!
//! A password is set only on a user still in `FORCE_CHANGE_PASSWORD`: one
//! just created, or an `exists` user an earlier attempt created without one
//! (a lost answer, a failed password step). A user with a password of their
//! own keeps it, so re-runs and `--resume` are safe.

use serde_json::{json, Value};
use zeroize::Zeroize;

use crate::mapping::rules::Prepared;
use crate::report::entry::{ReportEntry, Status, LOST_ANSWER_NOTE};
use crate::send::admin_call::{no_benign_refusal, sub_in, AdminCalls, Attempted, Refused};
use crate::send::cognito::wire::Secret;
use crate::send::cognito::{Class, CognitoClient};
use crate::send::dispatch::{gave_up, interrupted, stopped, Dispatcher, StopReason, NOT_COGNITO};
use crate::send::retry::RetryPolicy;
use crate::send::steps::CategoryPacers;

/// The status of a user who has no password of their own yet.
const NO_PASSWORD_YET: &str = "FORCE_CHANGE_PASSWORD";

/// What `--api admin-create-user` asks of every row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AdminCreateSettings {
    /// The pool the calls name (resolved like the steps').
    pub(crate) user_pool_id: String,
    /// `--send-invitation`: Cognito's invitation goes out (no SUPPRESS).
    pub(crate) send_invitation: bool,
    /// `--permanent-password` (the default): the row's password is final.
    pub(crate) permanent: bool,
}

/// Creates rows' users with admin calls.
pub(crate) struct AdminCreate {
    settings: AdminCreateSettings,
    /// AdminCreateUser only: its requests are the run's requests.
    creates: AdminCalls,
    /// AdminSetUserPassword and AdminGetUser, counted with the steps.
    follow_ups: AdminCalls,
    pacers: CategoryPacers,
}

impl AdminCreate {
    pub(crate) fn new(
        client: CognitoClient,
        settings: AdminCreateSettings,
        pacers: CategoryPacers,
        retry: RetryPolicy,
    ) -> Self {
        AdminCreate {
            settings,
            creates: AdminCalls::new(client.clone(), retry),
            follow_ups: AdminCalls::new(client, retry),
            pacers,
        }
    }

    /// Requests the password and read-back calls sent, throttled among them.
    pub(crate) fn follow_up_counts(&self) -> (u64, u64) {
        self.follow_ups.counts()
    }

    /// The AdminCreateUser request for one row (no password: that is set
    /// apart, so no temporary password is ever chosen or sent).
    pub(crate) fn body(&self, prepared: &Prepared) -> Value {
        let has = |name: &str| prepared.attributes.iter().any(|a| &*a.name == name);
        let mut attributes = serde_json::to_value(&prepared.attributes).unwrap_or_default();
        let flags = [
            (prepared.email_verified, "email"),
            (prepared.phone_number_verified, "phone_number"),
        ];
        // Unlike SignUp, AdminCreateUser may write the verified flags: the
        // source's verified state is kept without a message or a step.
        for (flag, attribute) in flags {
            if let (Some(verified), true, Some(list)) =
                (flag, has(attribute), attributes.as_array_mut())
            {
                let name = format!("{attribute}_verified");
                list.push(json!({"Name": name, "Value": verified.to_string()}));
            }
        }
        let mut body = json!({
            "UserPoolId": self.settings.user_pool_id,
            "Username": prepared.username,
            "UserAttributes": attributes,
        });
        if self.settings.send_invitation {
            // Cognito's default medium is SMS: name the ones the user has.
            let media: Vec<&str> = [("email", "EMAIL"), ("phone_number", "SMS")]
                .into_iter()
                .filter(|(attribute, _)| has(attribute))
                .map(|(_, medium)| medium)
                .collect();
            if !media.is_empty() {
                body["DesiredDeliveryMediums"] = json!(media);
            }
        } else {
            body["MessageAction"] = json!("SUPPRESS");
        }
        if !prepared.client_metadata.is_empty() {
            body["ClientMetadata"] = json!(prepared.client_metadata);
        }
        if !prepared.validation_data.is_empty() {
            body["ValidationData"] = json!(prepared.validation_data);
        }
        body
    }

    /// Creates one row's user and sets its password; the entry (`None`
    /// when interrupted before the first attempt), and whether any attempt
    /// got an HTTP answer (for the dispatcher's probe).
    pub(crate) async fn create(
        &self,
        dispatcher: &Dispatcher,
        row: u64,
        prepared: Prepared,
        maybe_sent: bool,
    ) -> (Option<ReportEntry>, bool) {
        let mut entry = ReportEntry {
            row,
            username: prepared.username.clone(),
            ..ReportEntry::default()
        };
        if let Some(reason) = dispatcher.stop_reason() {
            return (Some(stopped(entry, reason, maybe_sent)), false);
        }
        let body = self.body(&prepared);
        let told = self
            .creates
            .attempt(
                &self.pacers.creation,
                "AdminCreateUser",
                &body,
                no_benign_refusal,
                Some(dispatcher.interruption()),
            )
            .await;
        dispatcher.count_requests(told.attempts, told.throttled);
        entry.attempts = told.attempts;
        let reached = told.reached;
        let lost = maybe_sent || told.lost_answer;
        let entry = self
            .settle(dispatcher, entry, told, lost, prepared.password)
            .await;
        (entry, reached)
    }

    /// Turns AdminCreateUser's outcome into the row's entry, setting the
    /// password of a user who has none yet.
    async fn settle(
        &self,
        dispatcher: &Dispatcher,
        mut entry: ReportEntry,
        told: Attempted,
        lost: bool,
        password: Option<Secret>,
    ) -> Option<ReportEntry> {
        let (class, code, message, request_id) = match told.answer {
            Ok((answer, request_id)) => {
                entry.request_id = request_id.unwrap_or_default();
                return Some(
                    self.created(dispatcher, entry, &answer, lost, password)
                        .await,
                );
            }
            Err(Refused::Interrupted) => return interrupted(entry),
            Err(Refused::Stopped(reason)) => {
                let reason = dispatcher.stop_reason().cloned().unwrap_or(StopReason {
                    code: "AdminCallsStopped".to_owned(),
                    message: reason,
                    admin: true,
                });
                return Some(stopped(entry, &reason, lost));
            }
            Err(Refused::Error {
                class,
                code,
                message,
                request_id,
            }) => (class, code, message, request_id),
        };
        entry.request_id = request_id.unwrap_or_default();
        entry.error_code = code;
        entry.error_message = message;
        match class {
            Class::Exists => {
                entry.status = Some(Status::Exists);
                if lost {
                    entry.note = LOST_ANSWER_NOTE.to_owned();
                }
                let status = self.read_back(&mut entry).await;
                self.settle_password(dispatcher, &mut entry, password.as_ref(), status)
                    .await;
            }
            Class::RowError => entry.status = Some(Status::Rejected),
            Class::Config => {
                self.stop(dispatcher, &entry.error_code, &entry.error_message);
                let advice = dispatcher.stop_reason().map_or("", StopReason::advice);
                entry.status = Some(Status::Failed);
                entry.note = format!("the run stopped: {advice}");
            }
            // Not a message quota here (nothing is sent): whether the user
            // was created is unknown, so --resume sends the row again.
            Class::CreatedButNotified => {
                entry.status = Some(Status::Failed);
                entry.note =
                    "Cognito refused to create more now; --resume sends it again".to_owned();
            }
            Class::Throttled | Class::Transient | Class::LambdaFault => {
                return Some(gave_up(entry, lost));
            }
        }
        Some(entry)
    }

    /// A created user's entry: its `sub` and status from the answer, then
    /// its password. An answer without `User` is not Cognito's.
    async fn created(
        &self,
        dispatcher: &Dispatcher,
        mut entry: ReportEntry,
        answer: &Value,
        lost: bool,
        password: Option<Secret>,
    ) -> ReportEntry {
        let user = &answer["User"];
        if !user["Username"].is_string() {
            let message = "the endpoint answered AdminCreateUser with JSON that is not its answer (no User): it is not Cognito";
            self.stop(dispatcher, NOT_COGNITO, message);
            entry.status = Some(Status::Failed);
            entry.error_code = NOT_COGNITO.to_owned();
            entry.error_message = message.to_owned();
            entry.note = "the run stopped; the user may exist".to_owned();
            return entry;
        }
        entry.status = Some(Status::Created);
        entry.user_sub = sub_in(&user["Attributes"]).unwrap_or_default().to_owned();
        let status = user["UserStatus"].as_str().map(str::to_owned);
        entry.user_confirmed = status.as_deref().map(|s| s == "CONFIRMED");
        if lost {
            entry.note = "created after an attempt whose answer was lost".to_owned();
        }
        self.settle_password(dispatcher, &mut entry, password.as_ref(), status)
            .await;
        entry
    }

    /// The steps of a row an earlier run created whose password or steps
    /// failed: its password is set again if the user still has none.
    pub(crate) async fn resume(
        &self,
        dispatcher: &Dispatcher,
        mut entry: ReportEntry,
        password: Option<Secret>,
    ) -> ReportEntry {
        entry.note = "created by an earlier run; its password and steps were resumed".to_owned();
        let status = self.read_back(&mut entry).await;
        self.settle_password(dispatcher, &mut entry, password.as_ref(), status)
            .await;
        entry
    }

    /// Sets the row's password when the user (in `status`) has none yet,
    /// and says in the entry what the user can do now.
    async fn settle_password(
        &self,
        dispatcher: &Dispatcher,
        entry: &mut ReportEntry,
        password: Option<&Secret>,
        status: Option<String>,
    ) {
        let waiting = status.as_deref() == Some(NO_PASSWORD_YET);
        let note = match (password, waiting) {
            (Some(password), true) => match self.set_password(dispatcher, entry, password).await {
                Ok(()) => self.password_note(),
                Err(error) => {
                    entry.step_error = format!("password: {error}");
                    "created without its password: --resume sets it"
                }
            },
            (Some(_), false) if status.is_none() => {
                entry.step_error =
                    "password: the user's status could not be read: --resume sets it".to_owned();
                ""
            }
            (Some(_), false) => "the user has a password of their own: it was left as it is",
            (None, true) if self.settings.send_invitation => {
                "no password: FORCE_CHANGE_PASSWORD; Cognito's invitation carries a temporary one"
            }
            (None, true) => {
                "no password: FORCE_CHANGE_PASSWORD, and no one got a temporary one; set one with AdminSetUserPassword or AdminResetUserPassword"
            }
            (None, false) => "",
        };
        append_note(entry, note);
    }

    /// What a set password means for the user.
    fn password_note(&self) -> &'static str {
        if self.settings.permanent {
            "password set (permanent)"
        } else {
            "password set (temporary: a new one is chosen at first sign-in)"
        }
    }

    /// AdminSetUserPassword; a configuration error stops the run (every
    /// later user would be created without a password).
    async fn set_password(
        &self,
        dispatcher: &Dispatcher,
        entry: &mut ReportEntry,
        password: &Secret,
    ) -> Result<(), String> {
        let mut body = json!({
            "UserPoolId": self.settings.user_pool_id,
            "Username": entry.username,
            "Password": password.expose(),
            "Permanent": self.settings.permanent,
        });
        let told = self
            .follow_ups
            .attempt(
                &self.pacers.account_recovery,
                "AdminSetUserPassword",
                &body,
                no_benign_refusal,
                Some(dispatcher.interruption()),
            )
            .await;
        // The request's copy of the password goes now, as `Secret`'s would.
        if let Some(Value::String(copy)) = body.get_mut("Password") {
            copy.zeroize();
        }
        match told.answer {
            Ok(_) => {
                entry.user_confirmed = Some(self.settings.permanent);
                Ok(())
            }
            Err(refused) => {
                if let Refused::Error {
                    class: Class::Config,
                    code,
                    message,
                    ..
                } = &refused
                {
                    self.stop(dispatcher, code, message);
                }
                Err(refused.text())
            }
        }
    }

    /// AdminGetUser: fills in the entry's `sub` and `user_confirmed`;
    /// returns the user's status, `None` when it cannot be read.
    async fn read_back(&self, entry: &mut ReportEntry) -> Option<String> {
        let body = json!({"UserPoolId": self.settings.user_pool_id, "Username": entry.username});
        let answer = self
            .follow_ups
            .call(&self.pacers.read, "AdminGetUser", &body, no_benign_refusal)
            .await
            .ok()?;
        if entry.user_sub.is_empty() {
            entry.user_sub = sub_in(&answer["UserAttributes"])
                .unwrap_or_default()
                .to_owned();
        }
        let status = answer["UserStatus"].as_str()?.to_owned();
        entry.user_confirmed = Some(status == "CONFIRMED");
        Some(status)
    }

    /// Stops the run for an admin call's configuration error.
    fn stop(&self, dispatcher: &Dispatcher, code: &str, message: &str) {
        dispatcher.stop_for(StopReason {
            code: code.to_owned(),
            message: message.to_owned(),
            admin: true,
        });
    }
}

/// Adds `note` to the entry's note, `; `-separated.
fn append_note(entry: &mut ReportEntry, note: &str) {
    if note.is_empty() {
        return;
    }
    if !entry.note.is_empty() {
        entry.note.push_str("; ");
    }
    entry.note.push_str(note);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::cognito::wire::AttributeType;
    use crate::send::rate::Pacer;
    use std::sync::Arc;

    fn admin_create(send_invitation: bool) -> AdminCreate {
        let client = CognitoClient::new(
            reqwest::Url::parse("http://127.0.0.1:9/").expect("url"),
            std::time::Duration::from_secs(1),
            1,
        )
        .expect("client");
        let pacer = || Arc::new(Pacer::fixed(0.0));
        let pacers = CategoryPacers {
            creation: pacer(),
            update: pacer(),
            resource_update: pacer(),
            read: pacer(),
            account_recovery: pacer(),
        };
        let settings = AdminCreateSettings {
            user_pool_id: "us-east-1_AbC123".to_owned(),
            send_invitation,
            permanent: true,
        };
        AdminCreate::new(client, settings, pacers, RetryPolicy::default())
    }

    fn prepared() -> Prepared {
        Prepared {
            username: "alice".into(),
            password: Some(Secret::new("Passw0rd!")),
            attributes: vec![AttributeType::new("email", "alice@example.com")],
            validation_data: vec![],
            client_metadata: [("source".to_owned(), "legacy".to_owned())].into(),
            user_context_ip: None,
            email_verified: Some(true),
            // No phone number: its flag has nothing to mark.
            phone_number_verified: Some(true),
            groups: vec!["testers".to_owned()],
            enabled: None,
        }
    }

    #[test]
    fn the_request_suppresses_the_message_carries_the_flags_and_never_the_password() {
        let body = admin_create(false).body(&prepared());
        assert_eq!(body["UserPoolId"], "us-east-1_AbC123");
        assert_eq!(body["Username"], "alice");
        assert_eq!(body["MessageAction"], "SUPPRESS");
        assert_eq!(
            body["UserAttributes"],
            json!([
                {"Name": "email", "Value": "alice@example.com"},
                {"Name": "email_verified", "Value": "true"},
            ])
        );
        assert_eq!(body["ClientMetadata"]["source"], "legacy");
        let text = body.to_string();
        for absent in [
            "Passw0rd!",
            "TemporaryPassword",
            "testers",
            "ValidationData",
        ] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
    }

    #[test]
    fn an_invitation_goes_to_the_media_the_user_has() {
        let body = admin_create(true).body(&prepared());
        assert!(body.get("MessageAction").is_none(), "{body}");
        assert_eq!(body["DesiredDeliveryMediums"], json!(["EMAIL"]));
    }
}
