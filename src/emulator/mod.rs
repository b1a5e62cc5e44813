//! The built-in local Cognito endpoint, for rehearsals, demos and tests:
//! SignUp and InitiateAuth (unsigned), ListUsers and the admin operations
//! (SigV4-signed with the emulator's own credentials), stricter than moto
//! (docs/PROTOCOL.md's rules), with per-category quotas and faults.
//!
//! May use: `send::cognito`'s wire types and pool description (the shapes
//! of requests and answers), `cli` (its flags), `run::signals`, and the
//! `aws-sigv4` crate to recompute signatures. Never the client's checks,
//! error parsing, classification, SecretHash or signing setup: an emulator
//! that reused them could only repeat their mistakes.

pub(crate) mod access;
pub(crate) mod admin;
pub(crate) mod admin_wire;
pub(crate) mod answer;
pub(crate) mod auth;
pub(crate) mod checks;
mod chunked;
pub(crate) mod command;
pub(crate) mod ct;
pub(crate) mod faults;
pub(crate) mod groups;
pub(crate) mod ids;
pub(crate) mod listener;
pub(crate) mod names;
pub(crate) mod passwords;
pub(crate) mod quotas;
pub(crate) mod reads;
#[cfg(test)]
mod request_props;
pub(crate) mod routes;
pub(crate) mod server;
mod sharded_index;
pub(crate) mod sign_up;
#[cfg(test)]
mod signer;
pub(crate) mod sigv4;
pub(crate) mod state;
pub(crate) mod stats;
#[cfg(test)]
mod testing;
pub(crate) mod users;

pub use command::serve;
pub(crate) use listener::{new_client_id, AdminSetup, Emulator, EmulatorConfig};
pub use stats::StatsSnapshot;
