//! Local verdicts before any request: the formats and limits Cognito
//! documents ([`validate`], planned per attribute name by [`plan`]), what a
//! `--pool` description adds, the attribute vocabulary ([`attributes`]), and
//! repeated usernames ([`duplicates`], over [`hash_rows`]). A refused row
//! gets a [`row_error::RowError`] and the status `invalid`.
//!
//! May use: `mapping` (the prepared request it checks), `send::cognito`
//! (wire types and the pool description). Pure: no I/O.

pub(crate) mod attributes;
pub(crate) mod duplicates;
pub(crate) mod formats;
pub(crate) mod hash_rows;
pub(crate) mod limits;
pub(crate) mod plan;
pub(crate) mod pool_rules;
pub(crate) mod row_error;
pub(crate) mod validate;
