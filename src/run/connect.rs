//! Where a run's requests go: builds the dispatcher for the configured
//! destination, first starting the built-in emulator when `--emulator`
//! asks for a local rehearsal, with the signed admin calls the run needs
//! (the steps after sign-up, `--api admin-create-user`) on one set of
//! quota-category pacers. A dry run gets no dispatcher at all.

use std::sync::Arc;

use crate::cli::config_error::config_error;
use crate::cli::settings::{Destination, RunConfig};
use crate::emulator::{AdminSetup, Emulator, EmulatorConfig};
use crate::send::admin_create::{AdminCreate, AdminCreateSettings};
use crate::send::cognito::pool::{ClientDescription, PoolDescription};
use crate::send::cognito::signer::Signer;
use crate::send::cognito::wire::Secret;
use crate::send::cognito::CognitoClient;
use crate::send::dispatch::Dispatcher;
use crate::send::rate::{Pacer, RateSettings};
use crate::send::steps::{CategoryPacers, StepRunner, StepSettings};

/// Builds the dispatcher for the run's destination, starting the emulator if asked.
pub(crate) async fn connect(
    config: &RunConfig,
) -> anyhow::Result<(Option<Emulator>, Option<Dispatcher>)> {
    let (emulator, endpoint, client_id, client_secret) = match &config.destination {
        Destination::Nowhere => return Ok((None, None)),
        Destination::Remote {
            endpoint,
            origin,
            client_id,
            client_secret,
        } => {
            // Named before the first request: a stale AWS_ENDPOINT_URL (left
            // from a LocalStack session, say) would otherwise redirect a
            // real run without a word.
            // Said even with --quiet when a variable chose it: that is the
            // case a cron job would never notice.
            if !config.quiet || origin.starts_with("AWS_ENDPOINT_URL") {
                crate::cli::logging::say(&format!(
                    "bulk-signup: sending to {endpoint} (from {origin})\n"
                ));
            }
            let (endpoint, secret) = (endpoint.clone(), client_secret.clone());
            (None, endpoint, client_id.clone(), secret)
        }
        Destination::Emulator { pool } => {
            let (emulator, endpoint, client_id, secret) = start_emulator(config, pool).await?;
            (Some(emulator), endpoint, client_id, Some(secret))
        }
    };
    let mut client = CognitoClient::new(endpoint, config.timeout, config.concurrency)?;
    let pacer = Arc::new(Pacer::new(config.rate));
    let admin_calls = config.steps.any() || config.admin_create.is_some();
    let mut steps = config.steps.clone();
    let mut admin_create = config.admin_create.clone();
    let signer = match (&emulator, &config.signing_region) {
        _ if !admin_calls => None,
        // The in-process emulator's own keys and pool: nothing to configure.
        (Some(emulator), _) => {
            let pool_id = &emulator.state().pool_id;
            if steps.user_pool_id.is_empty() {
                steps.user_pool_id = pool_id.clone();
            }
            if let Some(create) = admin_create.as_mut().filter(|c| c.user_pool_id.is_empty()) {
                create.user_pool_id = pool_id.clone();
            }
            let access = emulator.access();
            let (key, secret) = (&access.access_key_id, access.secret_access_key.expose());
            Some(Signer::with_keys(key, secret, &access.region))
        }
        (None, Some(region)) => Some(Signer::from_environment(region).await?),
        (None, None) => None,
    };
    let pacers = signer.map(|signer| {
        client = client.clone().with_signer(Arc::new(signer));
        category_pacers(config, Arc::clone(&pacer))
    });
    let dispatcher = Dispatcher::new(
        client.clone(),
        client_id,
        client_secret,
        config.retry,
        pacer,
    );
    let dispatcher = with_admin_calls(config, (steps, admin_create), client, dispatcher, pacers)?
        .with_concurrency_ceiling(config.concurrency);
    Ok((emulator, Some(dispatcher)))
}

/// Starts the built-in emulator for a rehearsal: a client with a secret
/// (so SecretHash is exercised too), and the groups `--group` names, so a
/// run with steps works against it as it would against a prepared pool.
async fn start_emulator(
    config: &RunConfig,
    pool: &std::path::Path,
) -> anyhow::Result<(Emulator, reqwest::Url, String, Secret)> {
    let pool = PoolDescription::load(pool).map_err(config_error)?;
    let secret = Secret::new(uuid::Uuid::new_v4().simple().to_string());
    let client = ClientDescription {
        client_id: crate::emulator::new_client_id(),
        client_secret: Some(secret.expose().to_owned()),
        write_attributes: None,
    };
    let setup = AdminSetup {
        groups: crate::emulator::groups::load(None, &config.steps.groups)?,
        ..AdminSetup::default()
    };
    let emulator_config = EmulatorConfig {
        pool,
        clients: vec![client.clone()],
        faults: Default::default(),
    };
    let emulator = Emulator::start_with(emulator_config, setup, ([127, 0, 0, 1], 0).into()).await?;
    let endpoint = reqwest::Url::parse(&emulator.endpoint())?;
    tracing::info!(endpoint = %endpoint, "started the built-in emulator");
    Ok((emulator, endpoint, client.client_id, secret))
}

/// `dispatcher` with the admin calls the run asks for (the steps after
/// sign-up, `--api admin-create-user`), all on `pacers`.
fn with_admin_calls(
    config: &RunConfig,
    (steps, admin_create): (StepSettings, Option<AdminCreateSettings>),
    client: CognitoClient,
    mut dispatcher: Dispatcher,
    pacers: Option<CategoryPacers>,
) -> anyhow::Result<Dispatcher> {
    if let (Some(pacers), true) = (&pacers, steps.any()) {
        let runner = StepRunner::new(client.clone(), steps, pacers.clone(), config.retry);
        dispatcher = dispatcher.with_steps(runner);
    }
    // --- `--api admin-create-user` (issue 12, part 3) ---
    if let Some(settings) = admin_create {
        let Some(pacers) = pacers else {
            anyhow::bail!("--api admin-create-user signs its calls, and this run has no region to sign for: pass --region or --user-pool-id");
        };
        let create = AdminCreate::new(client, settings, pacers, config.retry);
        dispatcher = dispatcher.with_admin_create(create);
    }
    Ok(dispatcher)
}

/// The admin calls' pacers: UserCreation's is SignUp's (confirming or
/// admin-creating a user costs a token of the same quota); the other
/// categories get their own, adaptive like SignUp's unless `--fixed-rate`.
fn category_pacers(config: &RunConfig, creation: Arc<Pacer>) -> CategoryPacers {
    let pacer = |rate: f64| {
        Arc::new(Pacer::new(RateSettings {
            initial: rate,
            max: rate * 2.0,
            adaptive: config.rate.adaptive,
        }))
    };
    let rates = config.step_rates;
    CategoryPacers {
        creation,
        update: pacer(rates.update),
        resource_update: pacer(rates.resource_update),
        read: pacer(rates.read),
        account_recovery: pacer(rates.account_recovery),
    }
}
