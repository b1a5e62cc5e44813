//! Everything that speaks Cognito's JSON 1.1 wire protocol: the shared wire
//! types, the HTTP client, error parsing, outcome classification and the
//! SecretHash. The emulator reuses only [`wire`]; it never reuses the client's
//! parsing or classification, so that one can catch the other's mistakes.

pub mod classify;
pub mod client;
pub mod error;
pub mod pool;
pub mod secret_hash;
pub mod wire;

pub use classify::{classify, Class};
pub use client::{CallError, CognitoClient};
pub use error::ApiError;
