//! `bulk-signup emulator`: serve the emulator until Ctrl-C, printing where
//! it listens, which app client to use and the credentials admin calls
//! must be signed with.

use std::net::IpAddr;
use std::time::Duration;

use crate::cli::flags::EmulatorArgs;
use crate::emulator::access;
use crate::emulator::faults::Faults;
use crate::emulator::groups;
use crate::emulator::listener::{AdminSetup, Emulator, EmulatorConfig};
use crate::emulator::quotas::{Category, QuotaSettings};
use crate::send::cognito::pool::{ClientDescription, PoolDescription};

fn probability(name: &str, value: f64) -> anyhow::Result<f64> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        anyhow::bail!("--{name} is a probability between 0 and 1, got {value}")
    }
}

/// Checks the flags into an emulator configuration.
pub(crate) fn config(args: &EmulatorArgs) -> anyhow::Result<EmulatorConfig> {
    let pool = PoolDescription::load(&args.pool)?;
    let clients = args
        .clients
        .iter()
        .map(|path| ClientDescription::load(path))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let faults = Faults {
        quotas: quotas(args)?,
        fault_rate: probability("fault-rate", args.fault_rate)?,
        drop_rate: probability("drop-rate", args.drop_rate)?,
        latency: Duration::from_millis(args.latency_ms),
        capacity: args.capacity,
        lambda_fault_rate: probability("lambda-fault-rate", args.lambda_fault_rate)?,
        message_quota: args.message_quota,
    };
    Ok(EmulatorConfig {
        pool,
        clients,
        faults,
    })
}

/// The quota flags, one per category, each a positive rate when given.
fn quotas(args: &EmulatorArgs) -> anyhow::Result<QuotaSettings> {
    let admin = &args.admin;
    let flags = [
        ("quota", Category::UserCreation, args.quota),
        ("quota-update", Category::UserUpdate, admin.quota_update),
        (
            "quota-resource-update",
            Category::UserResourceUpdate,
            admin.quota_resource_update,
        ),
        (
            "quota-account-recovery",
            Category::UserAccountRecovery,
            admin.quota_account_recovery,
        ),
        ("quota-read", Category::UserRead, admin.quota_read),
        ("quota-list", Category::UserList, admin.quota_list),
        (
            "quota-resource-read",
            Category::UserResourceRead,
            admin.quota_resource_read,
        ),
        (
            "quota-authentication",
            Category::UserAuthentication,
            admin.quota_authentication,
        ),
    ];
    let mut settings = QuotaSettings::default();
    for (name, category, rate) in flags {
        if rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
            anyhow::bail!("--{name} must be a positive number of requests per second");
        }
        settings.set(category, rate);
    }
    settings.creation_burst = args.burst;
    Ok(settings)
}

/// The admin operations' setup from the flags: credentials (the secret
/// from a file only), region and groups.
pub(crate) fn setup(args: &EmulatorArgs) -> anyhow::Result<AdminSetup> {
    let admin = &args.admin;
    let secret_access_key = match &admin.secret_access_key_file {
        Some(path) => Some(access::read_secret(path)?),
        None => None,
    };
    Ok(AdminSetup {
        access_key_id: admin.access_key_id.clone(),
        secret_access_key,
        region: admin.region.clone(),
        groups: groups::load(admin.groups_file.as_deref(), &admin.groups)?,
    })
}

/// The start-up warning for a `--host` other machines may reach, if it is
/// one. The emulator keeps the users and attributes it is sent in memory,
/// takes passwords over plain HTTP and prints its admin credentials, so on
/// a shared address anyone who can reach the port may see what it holds.
pub(crate) fn exposure_warning(host: IpAddr) -> Option<String> {
    // `to_canonical` so that ::ffff:127.0.0.1 counts as loopback too.
    if host.to_canonical().is_loopback() {
        return None;
    }
    Some(format!(
        "warning: --host {host} is not a loopback address: other machines may reach this emulator, \
         which holds personal data in memory (the users and attributes it stores) and takes \
         passwords and signed admin calls over plain HTTP. Use --host 127.0.0.1 unless you \
         mean to share it, and then only with made-up data."
    ))
}

/// Runs the emulator in the foreground until Ctrl-C or SIGTERM.
pub async fn serve(args: EmulatorArgs) -> anyhow::Result<()> {
    let config = config(&args)?;
    let setup = setup(&args)?;
    if let Some(warning) = exposure_warning(args.host) {
        eprintln!("{warning}");
    }
    let emulator = Emulator::start_with(config, setup, (args.host, args.port).into()).await?;
    let client = emulator.client();
    let access = emulator.access();
    // stdout carries the facts scripts need, one per line; the credentials
    // are made for this emulator only, so printing them gives nothing away.
    println!("endpoint {}", emulator.endpoint());
    println!("user_pool_id {}", emulator.state().pool_id);
    println!("client_id {}", client.client_id);
    println!("region {}", access.region);
    println!("access_key_id {}", access.access_key_id);
    println!("secret_access_key {}", access.secret_access_key.expose());
    println!("stats {}__emulator/stats", emulator.endpoint());
    eprintln!(
        "bulk-signup emulator listening on {} (Ctrl-C to stop). Try:\n  bulk-signup run samples/users.csv --endpoint-url {} --client-id {} --report report.csv",
        emulator.endpoint(),
        emulator.endpoint(),
        client.client_id
    );
    crate::run::signals::terminated().await;
    let stats = emulator.state().snapshot();
    eprintln!("emulator stopped: {}", serde_json::to_string(&stats)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_non_loopback_hosts_are_warned_about() {
        for quiet in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            assert_eq!(
                exposure_warning(quiet.parse().expect("ip")),
                None,
                "{quiet}"
            );
        }
        for loud in ["0.0.0.0", "::", "192.168.1.20", "::ffff:10.0.0.1"] {
            assert!(
                exposure_warning(loud.parse().expect("ip")).is_some_and(|w| w.contains(loud)),
                "{loud}"
            );
        }
    }
}
