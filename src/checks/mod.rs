//! Local verdicts before any request: the formats and limits Cognito
//! documents ([`validate`], planned per attribute name by [`plan`]), what a
//! `--pool` description adds, the attribute vocabulary ([`attributes`]), and
//! repeated usernames ([`duplicates`], over [`hash_rows`]). A refused row
//! gets a [`row_error::RowError`] and the status `invalid`.
//!
//! May use: `mapping` (the prepared request it checks), `send::cognito`
//! (wire types and the pool description). Pure: no I/O.

pub mod attributes;
pub mod duplicates;
pub mod hash_rows;
pub mod plan;
pub mod row_error;
pub mod validate;
