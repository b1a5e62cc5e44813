//! Validated run settings, built once from the raw flags and the
//! environment. Every mistake found here stops the run before the first
//! request (exit code 2) with a message that says how to fix it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};

use crate::checks::pool_rules::PoolRules;
use crate::cli::api_settings::admin_create_settings;
use crate::cli::destination_flags::DestinationFlags;
use crate::cli::env::Env;
use crate::cli::flags::{Api, RunArgs};
use crate::cli::outputs::refuse_outputs_over_inputs;
use crate::cli::step_settings::{region_of_pool, step_rates, step_settings, StepRates};
use crate::input::{
    delimiter_name, file_format, is_stdin, sniff_delimiter, Format, FormatFound, ReadSettings,
};
use crate::mapping::file as mapping_file;
use crate::mapping::presets;
use crate::mapping::rules::Mapping;
use crate::run::shard::Shard;
use crate::send::admin_create::AdminCreateSettings;
use crate::send::cognito::endpoint::insecure_reason;
use crate::send::cognito::pool::PoolDescription;
use crate::send::cognito::wire::Secret;
use crate::send::rate::RateSettings;
use crate::send::retry::RetryPolicy;
use crate::send::steps::StepSettings;

/// Where requests go.
#[derive(Debug, Clone)]
pub(crate) enum Destination {
    /// A real (or stand-in) Cognito endpoint.
    Remote {
        endpoint: reqwest::Url,
        /// Where the endpoint came from (`--endpoint-url`, a variable, or
        /// `--region NAME`), named before the first request.
        origin: String,
        client_id: String,
        client_secret: Option<Secret>,
    },
    /// The built-in emulator, started in-process with this pool description.
    Emulator { pool: PathBuf },
    /// `--dry-run`: nowhere.
    Nowhere,
}

/// Everything a run needs, checked.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub(crate) input: PathBuf,
    /// The input's format and the cap on one record.
    pub(crate) read: ReadSettings,
    pub(crate) report: PathBuf,
    pub(crate) errors: Option<PathBuf>,
    pub(crate) overwrite: bool,
    pub(crate) destination: Destination,
    pub(crate) concurrency: usize,
    pub(crate) rate: RateSettings,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Duration,
    pub(crate) mapping: Mapping,
    /// Where the mapping came from, for messages: the file, or the header.
    pub(crate) mapping_origin: String,
    /// `--pool` checks, when a pool description was given.
    pub(crate) pool: Option<PoolRules>,
    pub(crate) show_progress: bool,
    /// `--quiet`: only errors and the final summary on stderr.
    pub(crate) quiet: bool,
    pub(crate) resume: bool,
    pub(crate) retry_rejected: bool,
    /// `--summary-json`: where the summary goes as JSON.
    pub(crate) summary_json: Option<PathBuf>,
    /// `--timeline`: where the per-second figures go (CSV, or an SVG chart).
    pub(crate) timeline: Option<PathBuf>,
    pub(crate) shard: Option<Shard>,
    /// How long in-flight requests may finish after an interrupt.
    pub(crate) grace: Duration,
    /// The admin steps after sign-up (none unless asked for).
    pub(crate) steps: StepSettings,
    /// The steps' quota categories' rates (UserCreation's is `rate`).
    pub(crate) step_rates: StepRates,
    /// The region admin calls are signed for (remote runs).
    pub(crate) signing_region: Option<String>,
    /// `--api admin-create-user`: rows are created with AdminCreateUser.
    pub(crate) admin_create: Option<AdminCreateSettings>,
}

impl RunConfig {
    /// Checks the flags and builds the settings.
    pub fn from_args(
        args: RunArgs,
        env: &dyn Env,
        show_progress: bool,
        quiet: bool,
    ) -> anyhow::Result<Self> {
        let format = input_format(&args)?;
        let delimiter = delimiter(&args, format)?;
        let max_rate = check_numbers(&args)?;
        refuse_outputs_over_inputs(&args)?;
        let pool = match &args.pool {
            Some(path) => Some(PoolRules::new(PoolDescription::load(path)?)),
            None => None,
        };
        let mapping = load_mapping(&args, pool.as_ref(), format)?;
        let columns = headerless_columns(&args, &mapping, format)?;
        let pool_id = pool.as_ref().and_then(PoolRules::pool_id);
        let (steps, admin_create, signing_region) = admin_calls(&args, env, &mapping, pool_id)?;
        let step_rates = step_rates(&args)?;
        let destination = if args.dry_run {
            Destination::Nowhere
        } else if let Some(pool) = args.emulator.clone() {
            if !pool.is_file() {
                bail!("--emulator {}: no such file (give describe-user-pool JSON, e.g. samples/pool.json)", pool.display());
            }
            Destination::Emulator { pool }
        } else {
            remote_destination(&args, env)?
        };
        Ok(RunConfig {
            input: args.input,
            read: ReadSettings {
                format,
                max_record_bytes: args.max_record_bytes,
                delimiter,
                columns,
                encoding: args.encoding,
            },
            report: args.report,
            errors: args.errors,
            overwrite: args.overwrite,
            destination,
            concurrency: args.concurrency,
            rate: RateSettings {
                initial: args.rate,
                max: max_rate,
                adaptive: !args.fixed_rate,
            },
            retry: RetryPolicy {
                max_attempts: args.max_attempts,
                base: Duration::from_millis(args.retry_base_ms),
                cap: Duration::from_millis(args.retry_cap_ms),
            },
            timeout: Duration::from_secs_f64(args.timeout_seconds),
            mapping,
            mapping_origin: match &args.mapping {
                Some(path) => format!("mapping file {}", path.display()),
                None => "header mapping".to_owned(),
            },
            pool,
            show_progress,
            quiet,
            resume: args.resume,
            retry_rejected: args.retry_rejected,
            summary_json: args.summary_json,
            timeline: args.timeline,
            shard: args.shard,
            grace: Duration::from_secs_f64(args.grace_seconds),
            steps,
            step_rates,
            signing_region,
            admin_create,
        })
    }
}

/// The signed admin calls' settings: the steps after sign-up, `--api
/// admin-create-user` (both name the pool, whose id is resolved once), and
/// the region they are signed for.
fn admin_calls(
    args: &RunArgs,
    env: &dyn Env,
    mapping: &Mapping,
    pool_id: Option<&str>,
) -> anyhow::Result<(StepSettings, Option<AdminCreateSettings>, Option<String>)> {
    let local = args.emulator.is_some();
    // Before the pool id: a refused combination says so first.
    let mut admin_create = admin_create_settings(args)?;
    let steps = step_settings(args, env, mapping, pool_id, local)?;
    if let Some(admin_create) = &mut admin_create {
        admin_create.user_pool_id = steps.user_pool_id.clone();
    }
    let any = steps.any() || admin_create.is_some();
    // Admin calls are signed for the pool's own region (its id says
    // it), else the run's.
    let signing_region = match region_of_pool(&steps.user_pool_id) {
        Some(region) => Some(region.to_owned()),
        None if any && !local && !args.dry_run => Some(region(args, env)?.1),
        None => None,
    };
    Ok((steps, admin_create, signing_region))
}

/// The input's format: `--format`, else its name's extension, else its
/// first bytes (said on stderr, so a surprise shows); the input must exist.
fn input_format(args: &RunArgs) -> anyhow::Result<Format> {
    if is_stdin(&args.input) {
        // Stdin cannot be read twice: it is not sniffed.
        return args
            .format
            .context("reading stdin needs --format csv, --format ndjson or --format json");
    }
    if !args.input.is_file() {
        bail!(
            "input {} does not exist or is not a file",
            args.input.display()
        );
    }
    if let Some(format) = args.format {
        return Ok(format);
    }
    let (format, found) = file_format(&args.input, args.encoding)?;
    match found {
        FormatFound::Named => {}
        FormatFound::ObjectPerLine => tracing::info!(
            "{} holds one JSON object per line (as Auth0's export does): it is read as NDJSON",
            args.input.display()
        ),
        FormatFound::Sniffed(seen) => tracing::warn!(
            "no --format given and the name of {} does not tell the format: its text {seen}, so it is read as {} (pass --format csv, ndjson or json to choose)",
            args.input.display(),
            format.name()
        ),
    }
    Ok(format)
}

/// The column names of a CSV without a header row: `--no-header
/// --columns`, else the mapping file's `[input]`.
fn headerless_columns(
    args: &RunArgs,
    mapping: &Mapping,
    format: Format,
) -> anyhow::Result<Option<Arc<[String]>>> {
    // Comma-separated, as the flag's help shows, whatever the file's own
    // separator.
    let from_flag = args.columns.as_deref().map(|names| {
        names
            .split(',')
            .map(|name| name.trim().to_owned())
            .collect::<Vec<_>>()
    });
    let Some(columns) = from_flag.or_else(|| mapping.input_columns.clone()) else {
        return Ok(None);
    };
    if format != Format::Csv {
        bail!("--no-header (or [input] has_header = false) is for CSV input: JSON and NDJSON records name their keys");
    }
    if columns.iter().any(String::is_empty) {
        bail!("--columns has an empty name: give every column a name, e.g. --columns \"uid,email,name\"");
    }
    Ok(Some(columns.into()))
}

/// CSV's field separator: `--delimiter`, else the one the header line
/// uses (said when it is not a comma, so a surprise shows).
fn delimiter(args: &RunArgs, format: Format) -> anyhow::Result<Option<u8>> {
    if args.delimiter.is_some() || format != Format::Csv {
        return Ok(args.delimiter);
    }
    let found = sniff_delimiter(&args.input, args.encoding)?;
    if let Some(separator) = found.filter(|d| *d != b',') {
        tracing::warn!(
            "no --delimiter given: {} separates its header's fields with {}, so that is the separator",
            args.input.display(),
            delimiter_name(separator)
        );
    }
    Ok(found)
}

/// Checks the numeric flags; returns `--max-rate` (default 2 × `--rate`).
fn check_numbers(args: &RunArgs) -> anyhow::Result<f64> {
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    if !(args.rate >= 0.0 && args.rate.is_finite()) {
        bail!("--rate must be a number of requests per second, 0 or more (0 = unpaced)");
    }
    let max_rate = args.max_rate.unwrap_or(args.rate * 2.0);
    if !(max_rate >= args.rate && max_rate.is_finite()) {
        bail!("--max-rate must be at least --rate ({})", args.rate);
    }
    if args.max_attempts == 0 {
        bail!("--max-attempts must be at least 1");
    }
    if !(args.grace_seconds >= 0.0 && args.grace_seconds.is_finite()) {
        bail!("--grace-seconds must be 0 or more");
    }
    if args.retry_base_ms == 0 || args.retry_cap_ms < args.retry_base_ms {
        bail!("--retry-base-ms must be at least 1 and --retry-cap-ms at least --retry-base-ms");
    }
    if !(args.timeout_seconds > 0.0 && args.timeout_seconds.is_finite()) {
        bail!("--timeout-seconds must be more than 0");
    }
    Ok(max_rate)
}

/// The mapping: `--mapping FILE` or by header, then `--ignore-column` and
/// `--map` on top.
fn load_mapping(
    args: &RunArgs,
    pool: Option<&PoolRules>,
    format: Format,
) -> anyhow::Result<Mapping> {
    let policy = pool.map(PoolRules::password_policy);
    let mut mapping = match (&args.mapping, &args.preset) {
        (Some(path), _) => mapping_file::load(path, policy)?,
        (None, Some(name)) => {
            let preset = presets::find(name).with_context(|| format!("no preset {name:?}"))?;
            mapping_file::parse(preset.text, &format!("preset {name}"), policy)
                .map_err(|e| anyhow::anyhow!(e))?
        }
        (None, None) => Mapping::by_header([]),
    };
    mapping.ignored.extend(args.ignore_columns.iter().cloned());
    // JSON records' keys (NDJSON lines, array elements) come and go from
    // record to record: a mapped key the first record lacks is empty
    // there, not a mistake.
    mapping.missing_columns_empty = matches!(format, Format::Ndjson | Format::Json);
    mapping_file::apply_map_flags(&mut mapping, &args.map).map_err(|e| anyhow::anyhow!(e))?;
    Ok(mapping)
}

fn remote_destination(args: &RunArgs, env: &dyn Env) -> anyhow::Result<Destination> {
    // AdminCreateUser names the pool, not an app client: none is needed.
    let client_id = match args.api {
        Api::AdminCreateUser
            if args.client_id.is_none() && env.var("COGNITO_CLIENT_ID").is_none() =>
        {
            String::new()
        }
        _ => client_id(args, env)?,
    };
    let (endpoint, origin) = endpoint(args, env)?;
    if let Some(reason) = insecure_reason(&endpoint, args.allow_insecure_http) {
        bail!("{reason} (the endpoint came from {origin})");
    }
    let client_secret = client_secret(args, env)?;
    Ok(Destination::Remote {
        endpoint,
        origin,
        client_id,
        client_secret,
    })
}

/// `--client-id`, else `COGNITO_CLIENT_ID` (read here rather than by clap,
/// so every variable comes through `env`).
fn client_id(args: &RunArgs, env: &dyn Env) -> anyhow::Result<String> {
    let client_id = args
        .client_id
        .clone()
        .filter(|c| !c.is_empty())
        .or_else(|| env.var("COGNITO_CLIENT_ID"))
        .context(
        "no app client id: pass --client-id or set COGNITO_CLIENT_ID (or use --emulator POOL.json to rehearse locally)",
    )?;
    if client_id.len() > 128
        || !client_id
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '+')
    {
        bail!("--client-id {client_id:?} is not an app client id (1 to 128 letters, digits, `_` or `+`)");
    }
    Ok(client_id)
}

/// The endpoint, and where it came from (for messages): `--endpoint-url`,
/// then the AWS SDKs' two variables, then the region's Cognito endpoint.
pub(crate) fn endpoint(
    args: &dyn DestinationFlags,
    env: &dyn Env,
) -> anyhow::Result<(reqwest::Url, String)> {
    let overrides = [
        ("--endpoint-url", args.endpoint_url()),
        (
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
            env.var("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"),
        ),
        ("AWS_ENDPOINT_URL", env.var("AWS_ENDPOINT_URL")),
    ];
    let (origin, text) = match overrides.into_iter().find_map(|(o, v)| Some((o, v?))) {
        Some((origin, url)) => (origin.to_owned(), url),
        None => {
            let (origin, region) = region(args, env)?;
            let url = format!("https://cognito-idp.{region}.amazonaws.com/");
            (format!("{origin} {region}"), url)
        }
    };
    let endpoint = reqwest::Url::parse(&text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        .with_context(|| format!("endpoint {text:?} (from {origin}) is not an http(s) URL such as https://cognito-idp.us-east-1.amazonaws.com/"))?;
    if !endpoint.username().is_empty() || endpoint.password().is_some() {
        // Shown without them: the URL would otherwise carry a password into
        // messages and reports, and Cognito takes no credentials in a URL.
        let mut shown = endpoint.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        bail!("endpoint {shown} (from {origin}) carries a user name or password before its host (user:password@): Cognito takes none there, and it would show in messages and reports; remove it (AWS credentials come from the usual AWS variables and profiles)");
    }
    Ok((endpoint, origin))
}

/// `--region`, then `AWS_REGION`, then `AWS_DEFAULT_REGION`, with its origin.
pub(crate) fn region(
    args: &dyn DestinationFlags,
    env: &dyn Env,
) -> anyhow::Result<(&'static str, String)> {
    let (origin, region) = [
        ("--region", args.region()),
        ("AWS_REGION", env.var("AWS_REGION")),
        ("AWS_DEFAULT_REGION", env.var("AWS_DEFAULT_REGION")),
    ]
    .into_iter()
    .find_map(|(o, v)| Some((o, v?)))
    .context("no region: pass --region or set AWS_REGION (or give --endpoint-url)")?;
    if region.is_empty()
        || !region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        bail!("{origin} {region:?} is not an AWS region name such as us-east-1");
    }
    Ok((origin, region))
}

/// `--client-secret-file`, else `COGNITO_CLIENT_SECRET`; never a flag value.
fn client_secret(args: &RunArgs, env: &dyn Env) -> anyhow::Result<Option<Secret>> {
    let Some(path) = &args.client_secret_file else {
        return Ok(env
            .var("COGNITO_CLIENT_SECRET")
            .map(|s| Secret::new(s.trim())));
    };
    warn_if_readable_by_others(path);
    let mut text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --client-secret-file {}", path.display()))?;
    let secret = Secret::new(text.trim());
    // The file's copy goes now; the secret lives on only in `Secret`.
    zeroize::Zeroize::zeroize(&mut text);
    if secret.expose().is_empty() {
        bail!("--client-secret-file {} is empty", path.display());
    }
    Ok(Some(secret))
}

/// A secret file other users can read is a leak waiting to happen: say so
/// (the run goes on: the file is the user's to fix, and may be on purpose).
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(metadata) = std::fs::metadata(path) else {
        return;
    };
    let mode = metadata.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(
            "--client-secret-file {} can be read by other users (mode {:o}): make it owner-only with chmod 600",
            path.display(),
            mode & 0o777
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    use crate::cli::env::FakeEnv;

    fn config(args: &[&str], env: &[(&'static str, &'static str)]) -> anyhow::Result<RunConfig> {
        let mut argv = vec!["bulk-signup", "run"];
        argv.extend_from_slice(args);
        let cli = crate::cli::flags::Cli::try_parse_from(argv)?;
        let crate::cli::flags::Command::Run(run) = cli.command else {
            unreachable!("run subcommand")
        };
        RunConfig::from_args(*run, &FakeEnv(env.iter().copied().collect()), false, true)
    }

    const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/users.csv");

    #[test]
    fn endpoint_precedence_follows_the_sdk_convention() {
        let env = [
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1/"),
            (
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                "http://127.0.0.1:2/",
            ),
            ("AWS_REGION", "eu-west-1"),
        ];
        let c = config(&[SAMPLE, "--report", "r.csv", "--client-id", "abc"], &env).expect("config");
        let Destination::Remote { endpoint, .. } = c.destination else {
            panic!("remote")
        };
        assert_eq!(endpoint.as_str(), "http://127.0.0.1:2/");

        let c = config(
            &[SAMPLE, "--report", "r.csv", "--client-id", "abc"],
            &[("AWS_DEFAULT_REGION", "ap-south-1")],
        )
        .expect("config");
        let Destination::Remote {
            endpoint,
            client_secret,
            ..
        } = c.destination
        else {
            panic!("remote")
        };
        assert_eq!(
            endpoint.as_str(),
            "https://cognito-idp.ap-south-1.amazonaws.com/"
        );
        assert!(client_secret.is_none());
    }

    #[test]
    fn an_endpoint_with_credentials_in_it_is_refused_without_showing_them() {
        let err = config(
            &[
                SAMPLE,
                "--report",
                "r.csv",
                "--client-id",
                "abc",
                "--endpoint-url",
                "http://admin:hunter2@127.0.0.1:9229/",
            ],
            &[],
        )
        .expect_err("credentials in the URL");
        let text = err.to_string();
        assert!(text.contains("user:password@"), "{text}");
        assert!(text.contains("http://127.0.0.1:9229/"), "{text}");
        assert!(
            !text.contains("hunter2") && !text.contains("admin"),
            "{text}"
        );
    }

    #[test]
    fn the_client_id_comes_from_the_flag_then_the_environment() {
        let env = [
            ("COGNITO_CLIENT_ID", "fromenv"),
            ("AWS_REGION", "us-east-1"),
        ];
        let id = |c: RunConfig| match c.destination {
            Destination::Remote { client_id, .. } => client_id,
            other => panic!("remote, not {other:?}"),
        };
        let c = config(&[SAMPLE, "--report", "r.csv"], &env).expect("config");
        assert_eq!(id(c), "fromenv");
        let c =
            config(&[SAMPLE, "--report", "r.csv", "--client-id", "flag"], &env).expect("config");
        assert_eq!(id(c), "flag");
    }

    #[test]
    fn configuration_mistakes_say_how_to_fix_them() {
        let err = config(
            &[SAMPLE, "--report", "r.csv"],
            &[("AWS_REGION", "us-east-1")],
        )
        .expect_err("no client id");
        assert!(err.to_string().contains("--client-id"), "{err}");
        let err = config(&[SAMPLE, "--report", "r.csv", "--client-id", "abc"], &[])
            .expect_err("no region");
        assert!(err.to_string().contains("--region"), "{err}");
        let err = config(&["-", "--report", "r.csv", "--dry-run"], &[]).expect_err("stdin format");
        assert!(
            err.to_string()
                .contains("needs --format csv, --format ndjson or --format json"),
            "{err}"
        );
        let err =
            config(&["users.txt", "--report", "r.csv", "--dry-run"], &[]).expect_err("missing");
        assert!(err.to_string().contains("does not exist"), "{err}");
        let err = config(
            &[
                SAMPLE,
                "--report",
                "r.csv",
                "--dry-run",
                "--concurrency",
                "0",
            ],
            &[],
        )
        .expect_err("zero");
        assert!(err.to_string().contains("--concurrency"), "{err}");
    }

    #[test]
    fn a_name_that_does_not_tell_the_format_is_sniffed_and_json_reads_like_ndjson() {
        let dir = tempfile::tempdir().expect("tempdir");
        let read = |name: &str, text: &str, extra: &[&str]| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            let path = path.to_str().expect("utf-8 path").to_owned();
            let args = [
                &[path.as_str(), "--report", "r.csv", "--dry-run"][..],
                extra,
            ]
            .concat();
            config(&args, &[])
        };
        let json =
            read("export.txt", "{\"users\": [\n{\"username\":\"ann\"}]}", &[]).expect("config");
        assert_eq!(json.read.format, Format::Json);
        assert!(json.mapping.missing_columns_empty, "keys come and go");
        assert_eq!(json.read.delimiter, None, "no separator sniffed");
        let ndjson = read("users", "{\"username\":\"ann\"}\n", &[]).expect("config");
        assert_eq!(ndjson.read.format, Format::Ndjson);
        let csv = read("users.gz.txt", "username;email\nann;a@b.co\n", &[]).expect("config");
        assert_eq!(
            (csv.read.format, csv.read.delimiter),
            (Format::Csv, Some(b';'))
        );
        assert!(!csv.mapping.missing_columns_empty);
        let forced = read("users.json", "username\nann\n", &["--format", "csv"]).expect("config");
        assert_eq!(forced.read.format, Format::Csv);
        let err = read("x.json", "[]", &["--no-header", "--columns", "a"]).expect_err("json");
        assert!(err.to_string().contains("JSON and NDJSON records"), "{err}");
    }

    #[test]
    fn the_secret_comes_from_env_or_file_never_a_flag() {
        let c = config(
            &[
                SAMPLE,
                "--report",
                "r.csv",
                "--client-id",
                "abc",
                "--region",
                "us-east-1",
            ],
            &[("COGNITO_CLIENT_SECRET", "s3cret\n")],
        )
        .expect("config");
        let Destination::Remote { client_secret, .. } = c.destination else {
            panic!("remote")
        };
        assert_eq!(client_secret.as_ref().map(Secret::expose), Some("s3cret"));
        assert!(format!("{client_secret:?}").contains("***"));
        // Refused for the flag itself: everything else this run needs is given.
        let args = [SAMPLE, "--report", "r.csv", "--client-id", "abc"];
        let env = [("AWS_REGION", "us-east-1")];
        config(&args, &env).expect("valid without the secret flag");
        let err = config(&[&args[..], &["--client-secret", "x"]].concat(), &env)
            .expect_err("no secret flag");
        assert!(
            err.to_string()
                .contains("unexpected argument '--client-secret'"),
            "{err}"
        );
    }
}
