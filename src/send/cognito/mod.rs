//! Everything that speaks Cognito's JSON 1.1 wire protocol: the shared wire
//! types, the HTTP client, error parsing, outcome classification and the
//! SecretHash. The emulator reuses only [`wire`]; it never reuses the client's
//! parsing or classification, so that one can catch the other's mistakes.

pub(crate) mod classify;
pub(crate) mod client;
pub(crate) mod error;
pub(crate) mod pool;
pub(crate) mod secret_hash;
pub mod wire;

pub(crate) use classify::{classify, Class};
pub(crate) use client::{CallError, CognitoClient};
