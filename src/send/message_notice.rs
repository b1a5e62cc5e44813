//! A side effect said up front: in a pool that auto-verifies email or phone
//! numbers, every SignUp makes Cognito send the new user a code, and its
//! default email sender stops at 50 emails a day. Said once on stderr:
//! before the first request when `--pool` shows it, else at the first
//! SignUp answer whose `CodeDeliveryDetails` shows a message went out.

use std::sync::atomic::{AtomicBool, Ordering};

/// What to say, and whether it was said.
#[derive(Debug, Default)]
pub(crate) struct MessageNotice {
    /// The rows this run may sign up, when the input could be counted.
    rows: Option<u64>,
    /// The pool's email sender: `Some(true)` for Cognito's default,
    /// `Some(false)` for SES; `None` when no `--pool` says.
    default_sender: Option<bool>,
    said: AtomicBool,
}

impl MessageNotice {
    pub(crate) fn new(rows: Option<u64>, default_sender: Option<bool>) -> Self {
        MessageNotice {
            rows,
            default_sender,
            said: AtomicBool::new(false),
        }
    }

    /// `--pool` auto-verifies these attributes, which the run sends: said
    /// now, before the first request.
    pub(crate) fn before_sending(&self, attributes: &[&str]) {
        let media: Vec<&str> = attributes.iter().map(|a| medium_word(a)).collect();
        let why = format!(
            "the pool auto-verifies {} (AutoVerifiedAttributes in --pool)",
            attributes.join(" and ")
        );
        self.say(&why, &media);
    }

    /// Cognito answered a SignUp saying it sent a code by `medium` (`EMAIL`,
    /// `SMS`): said now, unless said before.
    pub(crate) fn on_delivery(&self, medium: &str) {
        let why = format!(
            "Cognito answered the first SignUp saying it sent a verification code by {medium} (CodeDeliveryDetails): the pool auto-verifies {}",
            if medium == "SMS" { "phone numbers" } else { "email" }
        );
        self.say(&why, &[medium_word(medium)]);
    }

    fn say(&self, why: &str, media: &[&str]) {
        if !self.said.swap(true, Ordering::SeqCst) {
            crate::cli::logging::say(&format!("bulk-signup: {}\n", self.text(why, media)));
        }
    }

    /// The whole notice: why, how many messages, the email limit, and the
    /// silent alternatives.
    pub(crate) fn text(&self, why: &str, media: &[&str]) -> String {
        let kind = media.join(" or ");
        let who = match self.rows {
            Some(rows) => format!("up to {rows} users will each get a verification {kind}"),
            None => format!("every user this run creates will get a verification {kind}"),
        };
        let mut text = format!("{why}, so {who}.");
        if media.contains(&"email") {
            text.push_str(match self.default_sender {
                Some(true) => " Cognito's default email sender (EmailSendingAccount COGNITO_DEFAULT) stops at 50 emails a day: past that, users are still created but get no code (LimitExceededException).",
                None => " If the pool uses Cognito's default email sender (EmailSendingAccount COGNITO_DEFAULT), it stops at 50 emails a day: past that, users are still created but get no code (LimitExceededException).",
                Some(false) => " The pool sends email through Amazon SES (EmailSendingAccount DEVELOPER): its sending quota applies.",
            });
        }
        if media.contains(&"SMS") {
            text.push_str(" Each SMS is billed through Amazon SNS.");
        }
        text.push_str(" To import without messages: --api admin-create-user (AdminCreateUser sends none, and sets the passwords), or a pre sign-up Lambda trigger that auto-confirms and auto-verifies (autoConfirmUser, autoVerifyEmail, autoVerifyPhone).");
        text
    }
}

/// `email` for email, `SMS` for phone numbers (Cognito's own words).
fn medium_word(attribute_or_medium: &str) -> &'static str {
    match attribute_or_medium {
        "phone_number" | "SMS" => "SMS",
        _ => "email",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_counts_the_users_names_the_limit_and_the_silent_ways() {
        let notice = MessageNotice::new(Some(1200), Some(true));
        let text = notice.text("the pool auto-verifies email", &["email"]);
        assert!(
            text.contains("up to 1200 users will each get a verification email"),
            "{text}"
        );
        assert!(text.contains("stops at 50 emails a day"), "{text}");
        assert!(text.contains("--api admin-create-user"), "{text}");
        assert!(text.contains("pre sign-up Lambda"), "{text}");
        let unknown = MessageNotice::new(None, None).text("why", &["email", "SMS"]);
        assert!(
            unknown.contains("every user this run creates will get a verification email or SMS"),
            "{unknown}"
        );
        assert!(unknown.contains("If the pool uses"), "{unknown}");
        assert!(unknown.contains("SNS"), "{unknown}");
        let ses = MessageNotice::new(Some(3), Some(false)).text("why", &["email"]);
        assert!(!ses.contains("50 emails"), "{ses}");
    }
}
