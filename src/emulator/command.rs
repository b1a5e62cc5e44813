//! `bulk-signup emulator`: serve the emulator until Ctrl-C, printing where
//! it listens and which app client to use.

use std::net::IpAddr;
use std::time::Duration;

use crate::cli::flags::EmulatorArgs;
use crate::emulator::faults::Faults;
use crate::emulator::listener::{Emulator, EmulatorConfig};
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
    if let Some(quota) = args.quota {
        if !(quota > 0.0 && quota.is_finite()) {
            anyhow::bail!("--quota must be a positive number of requests per second");
        }
    }
    let faults = Faults {
        quota: args.quota,
        burst: args.burst,
        fault_rate: probability("fault-rate", args.fault_rate)?,
        drop_rate: probability("drop-rate", args.drop_rate)?,
        latency: Duration::from_millis(args.latency_ms),
        lambda_fault_rate: probability("lambda-fault-rate", args.lambda_fault_rate)?,
        message_quota: args.message_quota,
    };
    Ok(EmulatorConfig {
        pool,
        clients,
        faults,
    })
}

/// The start-up warning for a `--host` other machines may reach, if it is
/// one. The emulator keeps the users and attributes it is sent in memory,
/// and answers ListUsers and AdminGetUser without any credentials, so on a
/// shared address anyone who can reach the port can read them.
pub(crate) fn exposure_warning(host: IpAddr) -> Option<String> {
    // `to_canonical` so that ::ffff:127.0.0.1 counts as loopback too.
    if host.to_canonical().is_loopback() {
        return None;
    }
    Some(format!(
        "warning: --host {host} is not a loopback address: other machines may reach this emulator, \
         which holds personal data in memory (the users and attributes it stores), takes passwords \
         over plain HTTP and serves ListUsers and AdminGetUser without credentials. Use \
         --host 127.0.0.1 unless you mean to share it, and then only with made-up data."
    ))
}

/// Runs the emulator in the foreground until Ctrl-C or SIGTERM.
pub async fn serve(args: EmulatorArgs) -> anyhow::Result<()> {
    let config = config(&args)?;
    if let Some(warning) = exposure_warning(args.host) {
        eprintln!("{warning}");
    }
    let emulator = Emulator::start(config, (args.host, args.port).into()).await?;
    let client = emulator.client();
    // stdout carries the facts scripts need, one per line.
    println!("endpoint {}", emulator.endpoint());
    println!("user_pool_id {}", emulator.state().pool_id);
    println!("client_id {}", client.client_id);
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
