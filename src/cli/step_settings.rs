//! The admin steps a run asks for (`--confirm`, `--verify`, `--group`,
//! `[account]` in the mapping), checked before the first request: they need
//! the user pool's id (as `--api admin-create-user` does: its id is resolved
//! here too), and a flag for a verified state the mapping carries must name
//! an attribute the run sends.

use anyhow::bail;

use crate::cli::env::Env;
use crate::cli::flags::{Api, RunArgs};
use crate::mapping::rules::{Mapping, Target, VerifiedFlag};
use crate::send::steps::StepSettings;

/// Initial rates of the quota categories the admin steps add.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StepRates {
    pub(crate) update: f64,
    pub(crate) resource_update: f64,
    pub(crate) read: f64,
    /// UserAccountRecovery (AdminSetUserPassword, `--api admin-create-user`).
    pub(crate) account_recovery: f64,
}

/// The steps, and the pool id they (and AdminCreateUser) name. `pool_id` is `--pool`'s `Id`;
/// `local` runs (the built-in emulator) learn the id when it starts.
pub(crate) fn step_settings(
    args: &RunArgs,
    env: &dyn Env,
    mapping: &Mapping,
    pool_id: Option<&str>,
    local: bool,
) -> anyhow::Result<StepSettings> {
    let carried = |flag: VerifiedFlag| {
        mapping
            .rules
            .iter()
            .any(|rule| rule.target == Target::Verified(flag))
    };
    let mut verify: Vec<&'static str> = Vec::new();
    for attribute in &args.verify {
        let attribute = if attribute == "email" {
            "email"
        } else {
            "phone_number"
        };
        if !verify.contains(&attribute) {
            verify.push(attribute);
        }
    }
    let verify_flagged = [
        (VerifiedFlag::Email, "email"),
        (VerifiedFlag::PhoneNumber, "phone_number"),
    ]
    .into_iter()
    .filter(|(flag, attribute)| carried(*flag) && verify.contains(attribute))
    .map(|(_, attribute)| attribute)
    .collect();
    let mapped_account = mapping
        .rules
        .iter()
        .any(|rule| matches!(rule.target, Target::Groups(_) | Target::Enabled));
    let mut settings = StepSettings {
        user_pool_id: String::new(),
        confirm: args.confirm,
        verify,
        verify_flagged,
        groups: args.groups.clone(),
        mapped_account,
        // An explicit pool id (not --pool's description) says admin
        // credentials are meant to be used; the rehearsal emulator needs none.
        read_subs: args.emulator.is_none()
            && (args.user_pool_id.is_some() || env.var("COGNITO_USER_POOL_ID").is_some()),
    };
    let admin_create = args.api == Api::AdminCreateUser;
    if !(settings.any() || admin_create) || args.dry_run {
        return Ok(settings);
    }
    let id = args
        .user_pool_id
        .clone()
        .or_else(|| env.var("COGNITO_USER_POOL_ID"))
        .or_else(|| pool_id.map(str::to_owned));
    settings.user_pool_id = match id {
        Some(id) => checked_pool_id(&id)?,
        None if local => String::new(),
        None if admin_create => bail!(
            "--api admin-create-user makes admin calls that name the user pool: pass --user-pool-id, set COGNITO_USER_POOL_ID, or give --pool the describe-user-pool JSON (its Id)"
        ),
        None => bail!(
            "the steps after sign-up (--confirm, --verify, --group, [account] groups/enabled) are admin calls that name the user pool: pass --user-pool-id, set COGNITO_USER_POOL_ID, or give --pool the describe-user-pool JSON (its Id)"
        ),
    };
    Ok(settings)
}

/// A user pool id: `<region>_<id>`, as Cognito shapes them.
pub(crate) fn checked_pool_id(id: &str) -> anyhow::Result<String> {
    let shaped = id.split_once('_').is_some_and(|(region, rest)| {
        !region.is_empty()
            && region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !rest.is_empty()
            && rest.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if !shaped || id.len() > 55 {
        bail!("--user-pool-id {id:?} is not a user pool id (e.g. us-east-1_AbCdEf123)");
    }
    Ok(id.to_owned())
}

/// The region a pool id names (`eu-west-1_Ab12` is in eu-west-1).
pub(crate) fn region_of_pool(id: &str) -> Option<&str> {
    id.split_once('_').map(|(region, _)| region)
}

/// The steps' category rates, checked like `--rate`.
pub(crate) fn step_rates(args: &RunArgs) -> anyhow::Result<StepRates> {
    let rates = StepRates {
        update: args.rate_user_update,
        resource_update: args.rate_user_resource_update,
        read: args.rate_user_read,
        account_recovery: args.rate_account_recovery,
    };
    for (flag, rate) in [
        ("--rate-user-update", rates.update),
        ("--rate-user-resource-update", rates.resource_update),
        ("--rate-user-read", rates.read),
        ("--rate-account-recovery", rates.account_recovery),
    ] {
        if !(rate >= 0.0 && rate.is_finite()) {
            bail!("{flag} must be a number of requests per second, 0 or more (0 = unpaced)");
        }
    }
    Ok(rates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_ids_are_checked_and_name_their_region() {
        assert_eq!(
            checked_pool_id("eu-west-1_AbC123").unwrap(),
            "eu-west-1_AbC123"
        );
        for bad in ["", "nounderscore", "EU_x", "eu-west-1_", "eu-west-1_a b"] {
            assert!(checked_pool_id(bad).is_err(), "{bad:?}");
        }
        assert_eq!(region_of_pool("ap-south-2_Zz9"), Some("ap-south-2"));
    }
}
