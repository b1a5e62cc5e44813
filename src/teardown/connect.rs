//! Where `delete-users` sends, and as whom: the endpoint named on stderr
//! before the first request (as `run` does), the client signing with the
//! default AWS credential chain, and one pacer per quota category.

use std::sync::Arc;

use crate::cli::config_error::config_error;
use crate::cli::DeleteConfig;
use crate::send::admin_call::AdminCalls;
use crate::send::cognito::signer::Signer;
use crate::send::cognito::CognitoClient;
use crate::send::rate::Pacer;
use crate::teardown::deleter::Deleter;

/// The deleter for `config`'s endpoint and pool; credentials are fetched
/// here, so that a missing identity stops the command before any request.
pub(crate) async fn connect(config: &DeleteConfig) -> anyhow::Result<Deleter> {
    // Said even with --quiet when a variable chose it: a stale
    // AWS_ENDPOINT_URL would otherwise send the deletions elsewhere unseen.
    if !config.quiet || config.origin.starts_with("AWS_ENDPOINT_URL") {
        crate::cli::logging::say(&format!(
            "bulk-signup: sending to {} (from {})\n",
            config.endpoint, config.origin
        ));
    }
    let signer = Signer::from_environment(&config.signing_region)
        .await
        .map_err(config_error)?;
    // Without credentials every call would fail, each after all its retries.
    signer.credentials().await.map_err(config_error)?;
    let client = CognitoClient::new(config.endpoint.clone(), config.timeout, config.concurrency)?
        .with_signer(Arc::new(signer));
    Ok(Deleter::new(
        AdminCalls::new(client, config.retry),
        Pacer::new(config.read_rate),
        Pacer::new(config.update_rate),
        config.user_pool_id.clone(),
        config.yes,
    ))
}
