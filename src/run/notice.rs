//! Whether a run says up front what messages Cognito will send, and when:
//! SignUp runs that print more than errors (not `--quiet`, not dry runs).
//! With `--pool`, the auto-verified attributes the run sends are said
//! before the first request; without it, the first SignUp answer that shows
//! a message went out is the moment ([`crate::send::message_notice`]).

use std::sync::Arc;

use crate::cli::settings::{Destination, RunConfig};
use crate::mapping::rules::Compiled;
use crate::send::dispatch::Dispatcher;
use crate::send::message_notice::MessageNotice;

/// What the run will say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NoticePlan {
    /// The auto-verified attributes (per `--pool`) the run sends; empty
    /// without `--pool`: the first answer tells.
    attributes: Vec<&'static str>,
    /// `--pool`'s email sender is Cognito's default (`None`: no `--pool`).
    default_sender: Option<bool>,
}

/// The plan for this run, or `None` when nothing is to be said (nothing
/// sent, `--quiet`, AdminCreateUser, or a pool that auto-verifies nothing
/// the run sends).
pub(crate) fn plan(config: &RunConfig, compiled: &Compiled) -> Option<NoticePlan> {
    let sends = !matches!(config.destination, Destination::Nowhere);
    if config.quiet || config.admin_create.is_some() || !sends {
        return None;
    }
    let Some(pool) = &config.pool else {
        return Some(NoticePlan {
            attributes: Vec::new(),
            default_sender: None,
        });
    };
    let pool = pool.description();
    let listed = |list: &[String], attribute: &str| list.iter().any(|a| a == attribute);
    // An alias pool's username is the address itself.
    let sent = |attribute: &str| {
        compiled
            .attribute_sources()
            .any(|(name, _)| name == attribute)
            || listed(&pool.username_attributes, attribute)
    };
    let attributes: Vec<&'static str> = ["email", "phone_number"]
        .into_iter()
        .filter(|a| listed(&pool.auto_verified_attributes, a) && sent(a))
        .collect();
    (!attributes.is_empty()).then(|| NoticePlan {
        attributes,
        default_sender: Some(pool.default_email_sender()),
    })
}

impl NoticePlan {
    /// Says the notice now when `--pool` shows it, for a run that signs up
    /// at most `rows` rows (when counted); else gives it to `dispatcher`
    /// to say at the first answer that shows a message.
    pub(crate) fn announce(self, rows: Option<u64>, dispatcher: Dispatcher) -> Dispatcher {
        if rows == Some(0) {
            return dispatcher;
        }
        let notice = MessageNotice::new(rows, self.default_sender);
        if self.attributes.is_empty() {
            return dispatcher.with_notice(Arc::new(notice));
        }
        notice.before_sending(&self.attributes);
        dispatcher
    }
}
