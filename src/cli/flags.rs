//! Command-line flags as clap parses them: raw values and environment
//! fallbacks only, no I/O and no cross-checks (those live in `settings`).
//! Secrets are deliberately not flags: the client secret comes from
//! `COGNITO_CLIENT_SECRET` or `--client-secret-file`, never a process argument.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::input::Format;

/// Register users in bulk into an Amazon Cognito user pool through SignUp.
#[derive(Debug, Parser)]
#[command(name = "bulk-signup", version, about, long_about = None)]
#[command(after_help = crate::cli::help_text::MAIN)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More log output on stderr (-v: debug, -vv: trace). Also RUST_LOG.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors and the final summary on stderr; no progress bar.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    // --- logs and progress (issue 13) ---
    /// Log lines on stderr as `text` or `json` (one JSON object per line).
    #[arg(long, global = true, value_enum, default_value_t = crate::cli::LogFormat::Text)]
    pub log_format: crate::cli::LogFormat,
    /// Draw the progress bar even when stderr is not a terminal.
    #[arg(long, global = true)]
    pub progress: bool,
    // --- end of logs and progress ---
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign up every user in INPUT and write a per-row report.
    Run(Box<RunArgs>),
    /// Serve a local Cognito-compatible SignUp endpoint (no AWS account needed).
    Emulator(EmulatorArgs),
    /// Combine the final reports of the shards of one input into one, in row order.
    MergeReports(MergeArgs),
    /// List the mapping presets, or print one (to copy and edit).
    Presets(PresetsArgs),
    /// Delete the users a run's REPORT says this tool created (checked by sub; --yes to delete).
    DeleteUsers(Box<crate::cli::delete_flags::DeleteArgs>),
    /// Print the completion script for a shell (bash, zsh, fish, powershell) on stdout.
    Completions(crate::cli::completions::CompletionsArgs),
    /// Print the man page (roff) on stdout, or one command's page.
    Man(crate::cli::completions::ManArgs),
}

/// Flags of `bulk-signup presets`.
#[derive(Debug, Args)]
#[command(after_help = crate::cli::help_text::PRESETS)]
pub struct PresetsArgs {
    /// The preset to print; without it, the list.
    pub name: Option<String>,
}

/// Flags of `bulk-signup merge-reports`.
#[derive(Debug, Args)]
#[command(after_help = crate::cli::help_text::MERGE_REPORTS)]
pub struct MergeArgs {
    /// The combined report (CSV, or NDJSON for .ndjson/.jsonl).
    pub out: PathBuf,
    /// The shard reports.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Replace OUT if it exists.
    #[arg(long)]
    pub overwrite: bool,
}

/// Flags of `bulk-signup run`.
#[derive(Debug, Args)]
#[command(after_help = crate::cli::help_text::RUN)]
pub struct RunArgs {
    /// CSV, NDJSON or JSON file of users (gzip or zstd compressed too), or `-` for stdin.
    pub(crate) input: PathBuf,
    /// Input format. By default from the extension (.csv, .ndjson, .jsonl,
    /// .json, also before .gz or .zst), else from the first bytes (said on
    /// stderr). Required for stdin.
    #[arg(long, value_enum)]
    pub(crate) format: Option<Format>,
    /// CSV field separator: `,` `;` `tab` or `|`. By default it is found
    /// from the header line (and said when it is not a comma).
    #[arg(long, value_name = "SEP", value_parser = parse_delimiter)]
    pub(crate) delimiter: Option<u8>,
    /// The input's text encoding: utf-8 (the default), utf-16 (le/be),
    /// windows-1252, latin1, or any WHATWG label. A UTF-16 byte-order mark
    /// is recognised without it.
    #[arg(long, value_name = "NAME", value_parser = parse_encoding)]
    pub(crate) encoding: Option<&'static encoding_rs::Encoding>,
    /// The CSV has no header row: its first line is a user. Needs --columns
    /// (or `[input] has_header = false` and `columns` in a mapping file).
    #[arg(long, requires = "columns")]
    pub(crate) no_header: bool,
    /// The column names of a CSV without a header row, in order: "a,b,c".
    #[arg(long, value_name = "NAMES", requires = "no_header")]
    pub(crate) columns: Option<String>,
    /// Results report: one entry per input row (CSV, or NDJSON for .ndjson/.jsonl).
    #[arg(long)]
    pub(crate) report: PathBuf,
    /// Error report: rows not created or existing, with their input columns (never passwords).
    #[arg(long)]
    pub(crate) errors: Option<PathBuf>,
    /// Replace existing report files.
    #[arg(long, conflicts_with = "resume")]
    pub(crate) overwrite: bool,
    /// Continue the run recorded in --report: settled rows are skipped, `failed` ones sent again.
    #[arg(long)]
    pub(crate) resume: bool,
    /// With --resume, also re-check and re-send `invalid` and `rejected` rows.
    #[arg(long, requires = "resume")]
    pub(crate) retry_rejected: bool,
    /// Write the end-of-run summary as JSON to this file (owner-only).
    #[arg(long, value_name = "FILE")]
    pub(crate) summary_json: Option<PathBuf>,
    /// Record the run second by second to this file (owner-only): requests
    /// sent, accepted, throttled, retries, in flight, the pacing rate and rows
    /// per status. CSV, written as the run goes; a name ending in .svg gets a
    /// chart of the rates over time instead, drawn when the run ends.
    #[arg(long, value_name = "FILE")]
    pub(crate) timeline: Option<PathBuf>,
    /// Process only shard K of N (rows whose username hashes to K), e.g. 2/3.
    #[arg(long, value_name = "K/N")]
    pub(crate) shard: Option<crate::run::shard::Shard>,
    /// Seconds in-flight requests may take to finish after Ctrl-C or SIGTERM.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    pub(crate) grace_seconds: f64,
    /// The app client id [env: COGNITO_CLIENT_ID].
    #[arg(long)]
    pub(crate) client_id: Option<String>,
    /// AWS region of the user pool [env: AWS_REGION, then AWS_DEFAULT_REGION].
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// Endpoint override [env: AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, then AWS_ENDPOINT_URL].
    #[arg(long)]
    pub(crate) endpoint_url: Option<String>,
    /// The most bytes one input record (CSV record, NDJSON line, JSON array element) may take:
    /// a longer one is reported as an unreadable row and skipped as it is
    /// read, never held in memory whole.
    #[arg(long, value_name = "BYTES", default_value_t = crate::input::MAX_RECORD_BYTES)]
    pub(crate) max_record_bytes: usize,
    /// Allow a plain http:// endpoint on another host (passwords would cross
    /// the network unencrypted). http:// to this machine needs no override.
    #[arg(long)]
    pub(crate) allow_insecure_http: bool,
    /// File holding the app client secret (else env COGNITO_CLIENT_SECRET, if set).
    #[arg(long)]
    pub(crate) client_secret_file: Option<PathBuf>,
    /// Most rows in flight at once: a ceiling. Below it, the run keeps about
    /// rate × latency in flight, and says when this caps the rate; unpaced,
    /// as many as the server answers without queueing.
    #[arg(long, default_value_t = 256)]
    pub(crate) concurrency: usize,
    /// Requests per second across all in-flight requests (Cognito's default quota is 50; 0 = unpaced).
    #[arg(long, default_value_t = 50.0)]
    pub(crate) rate: f64,
    /// Highest rate adaptive pacing may probe up to [default: 2 × --rate].
    #[arg(long, value_name = "RPS")]
    pub(crate) max_rate: Option<f64>,
    /// Keep --rate whatever Cognito says (no adaptive slow-down or probing).
    #[arg(long)]
    pub(crate) fixed_rate: bool,
    /// After sign-up, confirm each user (AdminConfirmSignUp), so they can
    /// sign in without a code. Shares the UserCreation quota with SignUp.
    #[arg(long, help_heading = "Steps after sign-up (signed admin calls)")]
    pub(crate) confirm: bool,
    /// After sign-up, mark the address verified (AdminUpdateUserAttributes):
    /// every row, or only the rows whose `[account]` flag says so.
    #[arg(long, value_name = "ATTRIBUTE", value_parser = ["email", "phone_number"],
          help_heading = "Steps after sign-up (signed admin calls)")]
    pub(crate) verify: Vec<String>,
    /// After sign-up, add each user to this group (repeatable; AdminAddUserToGroup).
    #[arg(
        long = "group",
        value_name = "NAME",
        help_heading = "Steps after sign-up (signed admin calls)"
    )]
    pub(crate) groups: Vec<String>,
    /// The user pool the admin steps name [env: COGNITO_USER_POOL_ID; else the Id in --pool].
    #[arg(
        long,
        value_name = "ID",
        help_heading = "Steps after sign-up (signed admin calls)"
    )]
    pub(crate) user_pool_id: Option<String>,
    /// Requests per second for the UserUpdate category (AdminUpdateUserAttributes, AdminDisableUser).
    #[arg(
        long,
        value_name = "RPS",
        default_value_t = 25.0,
        help_heading = "Steps after sign-up (signed admin calls)"
    )]
    pub(crate) rate_user_update: f64,
    /// Requests per second for the UserResourceUpdate category (AdminAddUserToGroup).
    #[arg(
        long,
        value_name = "RPS",
        default_value_t = 25.0,
        help_heading = "Steps after sign-up (signed admin calls)"
    )]
    pub(crate) rate_user_resource_update: f64,
    /// Requests per second for the UserRead category (AdminGetUser, for `exists` rows' sub).
    #[arg(
        long,
        value_name = "RPS",
        default_value_t = 120.0,
        help_heading = "Steps after sign-up (signed admin calls)"
    )]
    pub(crate) rate_user_read: f64,
    // --- Which API creates the users (issue 12, part 3) ---
    /// How users are created: sign-up (SignUp, unsigned, as a user would;
    /// Cognito may send each a code) or admin-create-user (AdminCreateUser,
    /// signed: no message by default, passwords set with AdminSetUserPassword).
    #[arg(
        long,
        value_enum,
        default_value_t = Api::SignUp,
        help_heading = "Creating users with AdminCreateUser (--api admin-create-user)"
    )]
    pub(crate) api: Api,
    /// Let Cognito send its invitation (with a temporary password) instead of
    /// MessageAction SUPPRESS.
    #[arg(
        long,
        help_heading = "Creating users with AdminCreateUser (--api admin-create-user)"
    )]
    pub(crate) send_invitation: bool,
    /// Set each row's password as permanent (the default): the user is
    /// CONFIRMED and signs in with it at once.
    #[arg(
        long,
        overrides_with = "no_permanent_password",
        help_heading = "Creating users with AdminCreateUser (--api admin-create-user)"
    )]
    pub(crate) permanent_password: bool,
    /// Set each row's password as temporary: the user must choose a new one
    /// at first sign-in (FORCE_CHANGE_PASSWORD).
    #[arg(
        long,
        overrides_with = "permanent_password",
        help_heading = "Creating users with AdminCreateUser (--api admin-create-user)"
    )]
    pub(crate) no_permanent_password: bool,
    /// Requests per second for the UserAccountRecovery category (AdminSetUserPassword).
    #[arg(
        long,
        value_name = "RPS",
        default_value_t = 30.0,
        help_heading = "Creating users with AdminCreateUser (--api admin-create-user)"
    )]
    pub(crate) rate_account_recovery: f64,
    // --- end of the API block ---
    /// First backoff step; the n-th retry waits random[0, min(base × 2^(n-1), cap)).
    #[arg(long, value_name = "MS", default_value_t = crate::send::retry::DEFAULT_BASE.as_millis() as u64)]
    pub(crate) retry_base_ms: u64,
    /// Longest backoff step.
    #[arg(long, value_name = "MS", default_value_t = crate::send::retry::DEFAULT_CAP.as_millis() as u64)]
    pub(crate) retry_cap_ms: u64,
    /// Attempts per row, the first included, before it is reported `failed`.
    #[arg(long, default_value_t = crate::send::retry::DEFAULT_MAX_ATTEMPTS)]
    pub(crate) max_attempts: u32,
    /// Seconds one attempt may take before it counts as lost.
    #[arg(long, default_value_t = 10.0)]
    pub(crate) timeout_seconds: f64,
    /// Mapping file (TOML) from input columns to Cognito fields; see README "Mapping files".
    #[arg(long, value_name = "FILE")]
    pub(crate) mapping: Option<PathBuf>,
    /// A shipped mapping for a common export: auth0, firebase, firebase-csv,
    /// cognito-csv (`bulk-signup presets` lists them). --map applies on top.
    #[arg(long, value_name = "NAME", conflicts_with = "mapping",
          value_parser = clap::builder::PossibleValuesParser::new(crate::mapping::presets::names()))]
    pub(crate) preset: Option<String>,
    /// Map one column: `COLUMN=FIELD` (FIELD: username, password, an attribute); repeatable, overrides the mapping.
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub(crate) map: Vec<String>,
    /// describe-user-pool JSON: enables the pool's checks (schema, constraints, password policy, case rule).
    #[arg(long, value_name = "POOL.json")]
    pub(crate) pool: Option<PathBuf>,
    /// An input column to leave unmapped on purpose (repeatable).
    #[arg(long = "ignore-column", value_name = "NAME")]
    pub(crate) ignore_columns: Vec<String>,
    /// Start the built-in emulator with this describe-user-pool JSON and run against it
    /// (with its own app client: --client-id and COGNITO_CLIENT_ID are not used).
    #[arg(long, value_name = "POOL.json", conflicts_with_all = ["endpoint_url", "region"])]
    pub(crate) emulator: Option<PathBuf>,
    /// Read, map and validate every row without sending anything.
    #[arg(long, conflicts_with = "resume")]
    pub(crate) dry_run: bool,
}

/// `--api`: which Cognito operation creates the users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Api {
    /// SignUp, as a user signing up would (unsigned).
    SignUp,
    /// AdminCreateUser, signed with AWS credentials.
    AdminCreateUser,
}

/// Flags of `bulk-signup emulator`.
#[derive(Debug, Args)]
#[command(after_help = crate::cli::help_text::EMULATOR)]
pub struct EmulatorArgs {
    /// describe-user-pool JSON of the pool to emulate.
    #[arg(long, value_name = "POOL.json")]
    pub(crate) pool: PathBuf,
    /// describe-user-pool-client JSON of an app client (repeatable); one without a secret is made when none is given.
    #[arg(long = "client", value_name = "CLIENT.json")]
    pub(crate) clients: Vec<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 9339)]
    pub(crate) port: u16,
    /// UserCreation requests (SignUp, AdminCreateUser, AdminConfirmSignUp) per second
    /// admitted; more get TooManyRequestsException (HTTP 400).
    #[arg(long, value_name = "RPS")]
    pub(crate) quota: Option<f64>,
    /// Requests the --quota admits at once after a quiet spell [default: quota / 5].
    #[arg(long, value_name = "N", requires = "quota")]
    pub(crate) burst: Option<f64>,
    /// Probability of answering InternalErrorException (HTTP 500).
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub(crate) fault_rate: f64,
    /// Probability of creating the user and then closing the connection unanswered.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub(crate) drop_rate: f64,
    /// Delay added to every SignUp answer.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub(crate) latency_ms: u64,
    /// SignUp requests served at once; more wait in line, so the latency
    /// grows with the load, as at a saturated server [default: no limit].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) capacity: Option<u32>,
    /// Probability of answering UnexpectedLambdaException.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub(crate) lambda_fault_rate: f64,
    /// Confirmation emails/SMS the pool sends before answering LimitExceededException
    /// (the user is still created), like Cognito's default sender (~50 a day).
    #[arg(long, value_name = "N")]
    pub(crate) message_quota: Option<u64>,
    /// The admin operations' flags (boxed: they would make every `Command` large).
    #[command(flatten)]
    pub(crate) admin: Box<EmulatorAdminArgs>,
}

/// Flags of `bulk-signup emulator` for its admin operations: their quota
/// categories, the pool's groups and the credentials calls are signed with.
#[derive(Debug, Args)]
pub struct EmulatorAdminArgs {
    /// UserUpdate quota (AdminUpdateUserAttributes, AdminDisableUser, AdminDeleteUser), per second.
    #[arg(long, value_name = "RPS")]
    pub(crate) quota_update: Option<f64>,
    /// UserResourceUpdate quota (AdminAddUserToGroup), per second.
    #[arg(long, value_name = "RPS")]
    pub(crate) quota_resource_update: Option<f64>,
    /// UserAccountRecovery quota (AdminSetUserPassword), per second.
    #[arg(long, value_name = "RPS")]
    pub(crate) quota_account_recovery: Option<f64>,
    /// UserRead quota (AdminGetUser), per second.
    #[arg(long, value_name = "RPS")]
    pub(crate) quota_read: Option<f64>,
    /// UserList quota (ListUsers), per second.
    #[arg(long, value_name = "RPS")]
    pub(crate) quota_list: Option<f64>,
    /// UserResourceRead quota (AdminListGroupsForUser), per second.
    #[arg(long, value_name = "RPS")]
    pub(crate) quota_resource_read: Option<f64>,
    /// UserAuthentication quota (InitiateAuth), per second.
    #[arg(long, value_name = "RPS")]
    pub(crate) quota_authentication: Option<f64>,
    /// A group of the pool, for AdminAddUserToGroup (repeatable).
    #[arg(long = "group", value_name = "NAME")]
    pub(crate) groups: Vec<String>,
    /// The pool's groups as `aws cognito-idp list-groups` prints them.
    #[arg(long = "groups", value_name = "FILE")]
    pub(crate) groups_file: Option<PathBuf>,
    /// Access key id admin calls must be signed with [default: a random one, printed].
    #[arg(long, value_name = "ID")]
    pub(crate) access_key_id: Option<String>,
    /// File holding the secret access key [default: a random one, printed].
    #[arg(long, value_name = "FILE")]
    pub(crate) secret_access_key_file: Option<PathBuf>,
    /// Region SigV4 scopes must name [default: the pool id's prefix, else us-east-1].
    #[arg(long)]
    pub(crate) region: Option<String>,
}

/// `--delimiter`'s value: one of the separators CSV exports use.
fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "tab" | "\t" | "\\t" => Ok(b'\t'),
        "|" | "pipe" => Ok(b'|'),
        _ => Err(format!("{text:?} is not a separator: use , ; tab or |")),
    }
}

/// `--encoding`'s value, by its WHATWG label (`latin1` reads as
/// windows-1252, as browsers do; `utf-16` as UTF-16LE unless a BOM says).
fn parse_encoding(text: &str) -> Result<&'static encoding_rs::Encoding, String> {
    encoding_rs::Encoding::for_label(text.trim().as_bytes()).ok_or_else(|| {
        format!("{text:?} is not an encoding name: use utf-8, utf-16, windows-1252 or latin1")
    })
}
