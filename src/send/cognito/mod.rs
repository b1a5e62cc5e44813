//! Everything that speaks Cognito's JSON 1.1 wire protocol: the shared wire
//! types, the HTTP client, error parsing, outcome classification and the
//! SecretHash, and the pool description (`describe-user-pool` JSON). The
//! emulator reuses only [`wire`] and [`pool`], the shapes of requests, answers
//! and pools; never the client's parsing, classification or SecretHash, so
//! that one can catch the other's mistakes.
//!
//! May use: nothing else in the crate.

pub(crate) mod attr_name;
pub(crate) mod classify;
pub(crate) mod client;
mod direct_pool;
pub(crate) mod endpoint;
pub(crate) mod error;
pub(crate) mod pool;
pub(crate) mod secret_hash;
mod sign_up_body;
pub(crate) mod signer;
#[cfg(test)]
mod test_server;
pub(crate) mod transport;
pub(crate) mod wire;

pub(crate) use classify::{classify, Class};
pub(crate) use client::{CallError, CognitoClient};
