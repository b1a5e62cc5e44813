//! Fixtures for the emulator's unit tests: pools from JSON, app clients,
//! and the SecretHash the client would send (the client's own computation,
//! as in a real run; each side is pinned to the documented vector on its own).

use serde_json::Value;

use super::state::PoolState;
use crate::send::cognito::pool::{ClientDescription, PoolDescription};
pub(crate) use crate::send::cognito::secret_hash::secret_hash;
use crate::send::cognito::wire::{AttributeType, Secret, SignUpRequest};

pub(crate) fn pool(json: Value) -> PoolDescription {
    serde_json::from_value(json).expect("pool json")
}

/// App client `client1`, with `secret` if given.
pub(crate) fn client(secret: Option<&str>) -> ClientDescription {
    ClientDescription {
        client_id: "client1".into(),
        client_secret: secret.map(str::to_owned),
        write_attributes: None,
    }
}

/// A pool described by `json` with a client without a secret; its id is
/// `local_emulator` unless the JSON names one.
pub(crate) fn state(json: Value) -> PoolState {
    PoolState::new(pool(json), vec![client(None)])
}

/// The pool id of [`state`]'s pools.
pub(crate) const POOL_ID: &str = "local_emulator";

/// A SignUp by `client1` (no secret) with password `Passw0rd!`; the
/// error code or "ok".
pub(crate) fn sign_up(
    state: &PoolState,
    username: &str,
    attributes: &[(&str, &str)],
) -> &'static str {
    code(state.sign_up(&sign_up_request(username, attributes)))
}

/// A SignUp of `username` with `attributes` for `client1`, password `Passw0rd!`.
pub(crate) fn sign_up_request(username: &str, attributes: &[(&str, &str)]) -> SignUpRequest {
    SignUpRequest {
        client_id: "client1".into(),
        username: username.into(),
        password: Some(Secret::new("Passw0rd!")),
        user_attributes: attributes
            .iter()
            .map(|(n, v)| AttributeType::new(*n, *v))
            .collect(),
        ..SignUpRequest::default()
    }
}

/// "ok" or the refusal's error code.
pub(crate) fn code<T>(result: Result<T, super::checks::Refusal>) -> &'static str {
    result.map_or_else(|e| e.0, |_| "ok")
}

/// An admin request body as JSON, read into its shape.
pub(crate) fn body<T: serde::de::DeserializeOwned>(json: Value) -> T {
    serde_json::from_value(json).expect("request shape")
}
