//! Columns → request pieces: the [`rules`] that turn an input row into a
//! SignUp request's username, password, attributes and metadata, the
//! `--mapping FILE` and `--map` flags that build them ([`file`]), value
//! [`transform`]s, generated passwords ([`password`]), and the one way to
//! open an input with its mapping compiled ([`mapped_input`]).
//!
//! May use: `input` (rows and columns), `checks` (the attribute vocabulary
//! and the row error type), `send::cognito` (wire types, password policy).
//! No I/O besides reading the mapping file and opening the input.

pub(crate) mod file;
mod json_path;
pub(crate) mod mapped_input;
pub(crate) mod password;
pub(crate) mod presets;
pub(crate) mod rules;
pub(crate) mod transform;
#[cfg(test)]
mod transform_props;
