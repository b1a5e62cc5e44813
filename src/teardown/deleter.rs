//! One user's check and deletion: AdminGetUser first, then AdminDeleteUser
//! only when the user's `sub` is still the one the run's report gave it.
//! A name can be reused: a user deleted and signed up again by someone
//! else has a new sub, and is never touched. Without `--yes` only the
//! read-only check runs, so the list of users that would go is exact.

use serde_json::{json, Value};

use crate::send::admin_call::{no_benign_refusal, sub_in, AdminCalls, AdminError};
use crate::send::rate::Pacer;
use crate::teardown::outcome::{DeletionEntry, Outcome};
use crate::teardown::targets::Target;

/// The answer of a call for a user that is not there.
const USER_NOT_FOUND: &str = "UserNotFoundException";

/// Checks and deletes users, each call paced by its quota category.
pub(crate) struct Deleter {
    calls: AdminCalls,
    /// UserRead: AdminGetUser.
    read: Pacer,
    /// UserUpdate: AdminDeleteUser.
    update: Pacer,
    user_pool_id: String,
    /// `--yes`: delete; else only check.
    yes: bool,
}

impl Deleter {
    pub(crate) fn new(
        calls: AdminCalls,
        read: Pacer,
        update: Pacer,
        user_pool_id: String,
        yes: bool,
    ) -> Self {
        Deleter {
            calls,
            read,
            update,
            user_pool_id,
            yes,
        }
    }

    /// Requests sent, and throttled answers among them.
    pub(crate) fn counts(&self) -> (u64, u64) {
        self.calls.counts()
    }

    /// The configuration error that stopped the calls, if one did.
    pub(crate) fn stop_reason(&self) -> Option<&str> {
        self.calls.stop_reason()
    }

    /// Checks `target` and, with `--yes`, deletes it: its report entry.
    pub(crate) async fn settle(&self, target: &Target) -> DeletionEntry {
        let body = json!({"UserPoolId": self.user_pool_id, "Username": target.username});
        let user = self
            .calls
            .call(&self.read, "AdminGetUser", &body, no_benign_refusal)
            .await;
        let user = match user {
            Ok(user) => user,
            Err(error) => return entry(target, error_outcome(&error), &error),
        };
        let Some(sub) = sub_of(&user) else {
            let why = "NoSub: AdminGetUser gave no sub, so the user cannot be shown to be the one this tool created; left alone";
            return entry(target, Outcome::Skipped, why);
        };
        if sub != target.user_sub {
            let why = format!(
                "SubMismatch: {} now has sub {sub}, not {}: someone else signed it up since; left alone",
                target.username, target.user_sub
            );
            return entry(target, Outcome::Skipped, &why);
        }
        if !self.yes {
            return entry(target, Outcome::WouldDelete, "");
        }
        // The name Cognito gave back is the user that was checked (in an
        // email-as-username pool the report's name is an alias).
        let username = user["Username"].as_str().unwrap_or(&target.username);
        let body = json!({"UserPoolId": self.user_pool_id, "Username": username});
        let deleted = self
            .calls
            .call(&self.update, "AdminDeleteUser", &body, no_benign_refusal)
            .await;
        match deleted {
            Ok(_) => entry(target, Outcome::Deleted, ""),
            Err(error) => entry(target, error_outcome(&error), &error),
        }
    }
}

/// A call's error: the user is `gone` when Cognito has no such user,
/// else the call `failed`.
fn error_outcome(error: &AdminError) -> Outcome {
    match error.starts_with(&format!("{USER_NOT_FOUND}:")) {
        true => Outcome::Gone,
        false => Outcome::Failed,
    }
}

/// The `sub` attribute in an AdminGetUser answer.
fn sub_of(user: &Value) -> Option<&str> {
    sub_in(&user["UserAttributes"])
}

/// The entry for `target` with `outcome`; `error` is `Code: message` (a
/// Cognito error, or a local reason) or a message without a code.
fn entry(target: &Target, outcome: Outcome, error: &str) -> DeletionEntry {
    let (code, message) = match error.split_once(": ") {
        Some((code, message)) if is_code(code) => (code, message),
        _ => ("", error),
    };
    DeletionEntry {
        row: target.row,
        username: target.username.clone(),
        user_sub: target.user_sub.clone(),
        status: outcome,
        error_code: code.to_owned(),
        error_message: crate::send::cognito::error::printable(
            message,
            crate::send::cognito::error::MAX_MESSAGE_CHARS,
        ),
    }
}

/// Whether `text` is an error code (`UserNotFoundException`, `HTTP503`),
/// not the start of a sentence (`timed out`).
fn is_code(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_split_into_code_and_message() {
        let target = Target {
            row: 7,
            username: "ann".into(),
            user_sub: "s".into(),
        };
        let gone = "UserNotFoundException: User does not exist.".to_owned();
        assert_eq!(error_outcome(&gone), Outcome::Gone);
        let e = entry(&target, Outcome::Gone, &gone);
        assert_eq!(
            (e.error_code.as_str(), e.error_message.as_str()),
            (USER_NOT_FOUND, "User does not exist.")
        );
        let lost = "timed out: error sending request".to_owned();
        assert_eq!(error_outcome(&lost), Outcome::Failed);
        let e = entry(&target, Outcome::Failed, &lost);
        assert_eq!(
            (e.error_code.as_str(), e.error_message.as_str()),
            ("", lost.as_str())
        );
        let user = json!({"UserAttributes": [{"Name": "email", "Value": "a@b.co"}, {"Name": "sub", "Value": "abc"}]});
        assert_eq!(sub_of(&user), Some("abc"));
        assert_eq!(sub_of(&json!({"UserAttributes": []})), None);
    }
}
