//! Talking to Cognito, the only part of the tool that sends requests:
//! the [`dispatch`]er sends one row's request (SignUp, or AdminCreateUser
//! through [`admin_create`]), paced by the shared [`rate`]
//! and retried per the [`retry`] policy, speaking [`cognito`]'s JSON 1.1
//! wire protocol, and turns what happened into the row's report entry.
//! After a successful SignUp it runs the row's [`steps`] (confirm, verify,
//! groups, disable), each a signed call through [`admin_call`], paced by
//! its quota category's own pacer. The [`concurrency`] limit keeps as many
//! rows in flight as the pacing rate needs at the measured latency.
//!
//! May use: `mapping` (the prepared request), `report` (the entry it
//! produces). The protocol facts it follows are in docs/PROTOCOL.md.

pub(crate) mod admin_call;
pub(crate) mod admin_create;
pub(crate) mod cognito;
pub(crate) mod concurrency;
pub(crate) mod dispatch;
pub(crate) mod interrupt;
pub(crate) mod message_notice;
pub(crate) mod rate;
pub(crate) mod retry;
pub(crate) mod steps;
pub(crate) mod throttle_log;
