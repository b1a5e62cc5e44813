//! Flags of `bulk-signup delete-users` as clap parses them: raw values
//! only, checked in `delete_settings`. Where requests go is set as for
//! `run` (the same flags and variables, resolved by the same functions).

use std::path::PathBuf;

use clap::Args;

/// Flags of `bulk-signup delete-users`.
#[derive(Debug, Args)]
#[command(after_help = crate::cli::help_text::DELETE_USERS)]
pub struct DeleteArgs {
    /// The results report of a `bulk-signup run` (CSV, or NDJSON for .ndjson/.jsonl).
    #[arg(value_name = "REPORT")]
    pub(crate) input: PathBuf,
    /// Deletion report: one entry per user considered (CSV, or NDJSON for .ndjson/.jsonl).
    #[arg(long, value_name = "FILE")]
    pub(crate) report: PathBuf,
    /// Delete. Without it, only the read-only checks run and the users that
    /// would be deleted are listed.
    #[arg(long)]
    pub(crate) yes: bool,
    /// Replace an existing deletion report.
    #[arg(long, conflicts_with = "resume")]
    pub(crate) overwrite: bool,
    /// Continue the deletion recorded in --report: users already `deleted`,
    /// `gone` or `skipped` there are not considered again.
    #[arg(long)]
    pub(crate) resume: bool,
    /// The user pool the users are in [env: COGNITO_USER_POOL_ID].
    #[arg(long, value_name = "ID")]
    pub(crate) user_pool_id: Option<String>,
    /// AWS region of the user pool [env: AWS_REGION, then AWS_DEFAULT_REGION].
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// Endpoint override [env: AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, then AWS_ENDPOINT_URL].
    #[arg(long)]
    pub(crate) endpoint_url: Option<String>,
    /// Allow a plain http:// endpoint on another host (users' attributes
    /// would cross the network unencrypted). http:// to this machine needs no override.
    #[arg(long)]
    pub(crate) allow_insecure_http: bool,
    /// Most users being checked or deleted at once.
    #[arg(long, default_value_t = 16)]
    pub(crate) concurrency: usize,
    /// Requests per second for the UserRead category (AdminGetUser; 0 = unpaced).
    #[arg(long, value_name = "RPS", default_value_t = 120.0)]
    pub(crate) rate_user_read: f64,
    /// Requests per second for the UserUpdate category (AdminDeleteUser; 0 = unpaced).
    #[arg(long, value_name = "RPS", default_value_t = 25.0)]
    pub(crate) rate_user_update: f64,
    /// Keep the rates whatever Cognito says (no adaptive slow-down or probing).
    #[arg(long)]
    pub(crate) fixed_rate: bool,
    /// Attempts per call, the first included, before the user is reported `failed`.
    #[arg(long, default_value_t = crate::send::retry::DEFAULT_MAX_ATTEMPTS)]
    pub(crate) max_attempts: u32,
    /// Seconds one attempt may take before it counts as lost.
    #[arg(long, default_value_t = 10.0)]
    pub(crate) timeout_seconds: f64,
}
