//! bulk-signup: register users in bulk into an Amazon Cognito user pool
//! through the `SignUp` API, with a per-row report.

pub mod checks;
pub mod cli;
pub mod emulator;
pub mod input;
pub mod mapping;
pub mod report;
pub mod run;
pub mod send;

pub use send::cognito::wire;
