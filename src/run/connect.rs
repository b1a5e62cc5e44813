//! Where a run's requests go: builds the dispatcher for the configured
//! destination, first starting the built-in emulator when `--emulator`
//! asks for a local rehearsal, with the signed admin calls the run needs
//! (the steps after sign-up, `--api admin-create-user`) on one set of
//! quota-category pacers. A dry run gets no dispatcher at all.

use std::sync::Arc;

use crate::cli::config_error::config_error;
use crate::cli::settings::{Destination, RunConfig};
use crate::emulator::{Emulator, EmulatorConfig};
use crate::send::admin_create::AdminCreate;
use crate::send::cognito::pool::PoolDescription;
use crate::send::cognito::signer::Signer;
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
                eprintln!("bulk-signup: sending to {endpoint} (from {origin})");
            }
            let (endpoint, secret) = (endpoint.clone(), client_secret.clone());
            (None, endpoint, client_id.clone(), secret)
        }
        Destination::Emulator { pool } => {
            let pool = PoolDescription::load(pool).map_err(config_error)?;
            // A client with a secret, so rehearsals exercise SecretHash too.
            let secret =
                crate::send::cognito::wire::Secret::new(uuid::Uuid::new_v4().simple().to_string());
            let client = crate::send::cognito::pool::ClientDescription {
                client_id: crate::emulator::new_client_id(),
                client_secret: Some(secret.expose().to_owned()),
                write_attributes: None,
            };
            let emulator = Emulator::start(
                EmulatorConfig {
                    pool,
                    clients: vec![client.clone()],
                    faults: Default::default(),
                },
                ([127, 0, 0, 1], 0).into(),
            )
            .await?;
            let endpoint = reqwest::Url::parse(&emulator.endpoint())?;
            tracing::info!(endpoint = %endpoint, "started the built-in emulator");
            (Some(emulator), endpoint, client.client_id, Some(secret))
        }
    };
    let mut client = CognitoClient::new(endpoint, config.timeout, config.concurrency)?;
    let pacer = Arc::new(Pacer::new(config.rate));
    let admin_calls = config.steps.any() || config.admin_create.is_some();
    let pacers = match (admin_calls, &config.signing_region) {
        (true, Some(region)) => {
            let signer = Arc::new(Signer::from_environment(region).await?);
            client = client.with_signer(signer);
            Some(category_pacers(config, Arc::clone(&pacer)))
        }
        _ => None,
    };
    let dispatcher = Dispatcher::new(
        client.clone(),
        client_id,
        client_secret,
        config.retry,
        pacer,
    );
    let dispatcher = with_admin_calls(config, client, dispatcher, pacers)?;
    Ok((emulator, Some(dispatcher)))
}

/// `dispatcher` with the admin calls the run asks for (the steps after
/// sign-up, `--api admin-create-user`), all on `pacers`.
fn with_admin_calls(
    config: &RunConfig,
    client: CognitoClient,
    mut dispatcher: Dispatcher,
    pacers: Option<CategoryPacers>,
) -> anyhow::Result<Dispatcher> {
    if let (Some(pacers), true) = (&pacers, config.steps.any()) {
        let settings: StepSettings = config.steps.clone();
        let steps = StepRunner::new(client.clone(), settings, pacers.clone(), config.retry);
        dispatcher = dispatcher.with_steps(steps);
    }
    // --- `--api admin-create-user` (issue 12, part 3) ---
    if let Some(settings) = &config.admin_create {
        let Some(pacers) = pacers else {
            anyhow::bail!("--api admin-create-user signs its calls, and this run has no region to sign for: pass --region or --user-pool-id");
        };
        let create = AdminCreate::new(client, settings.clone(), pacers, config.retry);
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
