//! Pre-flight checks of the mapping against the input's columns, made once
//! the first record is read and before any report is created or request
//! sent: data that would be silently lost, or attributes every row would be
//! refused for, stop the run with a message that names the fix.

use crate::checks::attributes::{BOOLEAN, CUSTOM_PREFIX};
use crate::cli::settings::RunConfig;
use crate::input::Columns;
use crate::mapping::rules::{finds_source, Compiled};

/// Checks `compiled` (the mapping resolved against `columns`).
pub(crate) fn check(
    config: &RunConfig,
    compiled: &Compiled,
    columns: &Columns,
) -> anyhow::Result<()> {
    warn_of_absent_keys(config, columns);
    refuse_unmapped_columns(compiled)?;
    refuse_unknown_custom_attributes(config, compiled)?;
    refuse_unwritable_attributes(compiled)?;
    // AdminCreateUser creates users without one (FORCE_CHANGE_PASSWORD).
    if config.admin_create.is_some() {
        return Ok(());
    }
    refuse_a_missing_password(compiled)
}

/// A mapped verification flag would have every row refused
/// (`UnwritableAttribute`): one message now instead of one per row.
fn refuse_unwritable_attributes(compiled: &Compiled) -> anyhow::Result<()> {
    let unwritable: Vec<String> = compiled
        .attribute_sources()
        .filter(|(name, _)| BOOLEAN.contains(name))
        .map(|(name, from)| format!("{name} (from {from})"))
        .collect();
    if unwritable.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "the mapping writes {}, which SignUp cannot write (Cognito refuses the request with NotAuthorizedException), so every row would be refused.\nTo keep each user's verified state, carry the column for the steps after sign-up: --map COLUMN=account.email_verified (or account.phone_number_verified), or `email_verified = \"COLUMN\"` under [account] in a mapping file; it is then reported, not sent. Or leave the column out (--ignore-column NAME, or `ignore` under [options]).",
        unwritable.join(", ")
    )
}

/// Without a password source every row would be refused
/// (`MissingPassword`, or Cognito's InvalidParameterException).
fn refuse_a_missing_password(compiled: &Compiled) -> anyhow::Result<()> {
    if compiled.has_password() {
        return Ok(());
    }
    anyhow::bail!(
        "nothing gives the users a password, so every row would be refused.\nMap the password column (--map COLUMN=password), or generate passwords in a mapping file (password = {{ generate = true }}; such users must reset theirs)."
    )
}

/// JSON and NDJSON: a named key the first record lacks is allowed (it may come
/// later), but a typo would silently map nothing: say so up front.
fn warn_of_absent_keys(config: &RunConfig, columns: &Columns) {
    if !config.mapping.missing_columns_empty {
        return;
    }
    let absent: Vec<String> = config
        .mapping
        .named_columns()
        .into_iter()
        .filter(|name| !finds_source(columns, name))
        .map(|name| format!("{name:?}"))
        .collect();
    if !absent.is_empty() {
        tracing::warn!(
            "the first record has no {}: they read as empty wherever a record lacks them (check the spelling)",
            absent.join(", ")
        );
    }
}

/// An input column nothing maps would lose its data.
fn refuse_unmapped_columns(compiled: &Compiled) -> anyhow::Result<()> {
    let unmapped: Vec<String> = compiled
        .unmapped()
        .map(|u| format!("{:?} ({})", u.column, u.reason))
        .collect();
    if unmapped.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "these input columns map to nothing, so their data would be lost: {}.\nMap them, or leave each out on purpose with --ignore-column NAME (or list it in `ignore` under [options] in a mapping file).",
        unmapped.join(", ")
    )
}

/// With `--pool`: a mapped custom attribute the pool lacks would get every
/// row with a value refused, which is a configuration mistake.
fn refuse_unknown_custom_attributes(config: &RunConfig, compiled: &Compiled) -> anyhow::Result<()> {
    let Some(pool) = &config.pool else {
        return Ok(());
    };
    let unknown: Vec<String> = compiled
        .attribute_sources()
        .filter(|(name, _)| name.starts_with(CUSTOM_PREFIX) && pool.schema(name).is_none())
        .map(|(name, from)| format!("{name} (from {from})"))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "the mapping writes custom attributes the pool's schema does not have: {}.\nAdd them to the pool (and to the --pool file), or stop mapping them (--ignore-column NAME, or `ignore` under [options] in a mapping file).",
        unknown.join(", ")
    )
}
