//! The built-in local Cognito endpoint: a SignUp/ListUsers/AdminGetUser
//! server for rehearsals, demos and tests, stricter than moto (docs/PROTOCOL.md's
//! rules), with optional throttling and faults.
//!
//! May use: `send::cognito`'s wire types and pool description (the shapes
//! of requests and answers), `cli` (its flags), `run::signals`. Never the
//! client's checks, error parsing, classification or SecretHash: an
//! emulator that reused them could only repeat their mistakes.

pub(crate) mod checks;
pub(crate) mod command;
pub(crate) mod faults;
pub(crate) mod listener;
#[cfg(test)]
mod request_props;
pub(crate) mod server;
pub(crate) mod state;

pub use command::serve;
pub(crate) use listener::{new_client_id, Emulator, EmulatorConfig};
pub use state::StatsSnapshot;
