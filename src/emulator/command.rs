//! `bulk-signup emulator`: serve the emulator until Ctrl-C, printing where
//! it listens and which app client to use.

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

/// Runs the emulator in the foreground until Ctrl-C or SIGTERM.
pub async fn serve(args: EmulatorArgs) -> anyhow::Result<()> {
    let config = config(&args)?;
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
