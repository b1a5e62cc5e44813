//! Validated `delete-users` settings, built once from its flags and the
//! environment. Where requests go is resolved by `run`'s own functions
//! (`settings::endpoint`, the `http://` refusal), the pool id checked as
//! `run`'s steps check it; every mistake stops the command before the
//! first request (exit code 2).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};

use crate::cli::delete_flags::DeleteArgs;
use crate::cli::env::Env;
use crate::cli::outputs::refuse_output_over_inputs;
use crate::cli::settings::endpoint;
use crate::cli::step_settings::{checked_pool_id, region_of_pool};
use crate::send::cognito::endpoint::insecure_reason;
use crate::send::rate::RateSettings;
use crate::send::retry::RetryPolicy;

/// Everything `delete-users` needs, checked.
#[derive(Debug, Clone)]
pub struct DeleteConfig {
    /// The results report of the run whose users go.
    pub(crate) input: PathBuf,
    /// The deletion report.
    pub(crate) report: PathBuf,
    /// `--yes`: delete; without it, check and list only.
    pub(crate) yes: bool,
    pub(crate) overwrite: bool,
    pub(crate) resume: bool,
    pub(crate) user_pool_id: String,
    pub(crate) endpoint: reqwest::Url,
    /// Where the endpoint came from, named before the first request.
    pub(crate) origin: String,
    /// The region the calls are signed for: the pool's (its id says it).
    pub(crate) signing_region: String,
    pub(crate) concurrency: usize,
    /// UserRead (AdminGetUser) pacing.
    pub(crate) read_rate: RateSettings,
    /// UserUpdate (AdminDeleteUser) pacing.
    pub(crate) update_rate: RateSettings,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Duration,
    /// `--quiet`: the endpoint is named only when a variable chose it.
    pub(crate) quiet: bool,
}

impl DeleteConfig {
    /// Checks the flags and builds the settings.
    pub fn from_args(args: DeleteArgs, env: &dyn Env, quiet: bool) -> anyhow::Result<Self> {
        check_numbers(&args)?;
        if !args.input.is_file() {
            bail!(
                "REPORT {} does not exist or is not a file (give the --report of a `bulk-signup run`)",
                args.input.display()
            );
        }
        let inputs = [("the input report", Some(&args.input))];
        refuse_output_over_inputs("--report", &args.report, &inputs)?;
        let user_pool_id = args
            .user_pool_id
            .clone()
            .filter(|id| !id.is_empty())
            .or_else(|| env.var("COGNITO_USER_POOL_ID"))
            .context(
                "delete-users names the user pool in every call: pass --user-pool-id or set COGNITO_USER_POOL_ID",
            )?;
        let user_pool_id = checked_pool_id(&user_pool_id)?;
        let signing_region = region_of_pool(&user_pool_id)
            .context("a checked pool id names its region")?
            .to_owned();
        let (endpoint, origin) = endpoint(&args, env)?;
        if insecure_reason(&endpoint, args.allow_insecure_http).is_some() {
            bail!(
                "endpoint {endpoint} (from {origin}) is plain http:// to another host: the calls carry your users' attributes, which would cross the network unencrypted. Use https://, or an http:// endpoint on this machine (localhost, 127.0.0.1, ::1); --allow-insecure-http overrides this"
            );
        }
        let rate = |initial: f64| RateSettings {
            initial,
            max: initial * 2.0,
            adaptive: !args.fixed_rate,
        };
        Ok(DeleteConfig {
            yes: args.yes,
            overwrite: args.overwrite,
            resume: args.resume,
            user_pool_id,
            endpoint,
            origin,
            signing_region,
            concurrency: args.concurrency,
            read_rate: rate(args.rate_user_read),
            update_rate: rate(args.rate_user_update),
            retry: RetryPolicy {
                max_attempts: args.max_attempts,
                ..RetryPolicy::default()
            },
            timeout: Duration::from_secs_f64(args.timeout_seconds),
            quiet,
            input: args.input,
            report: args.report,
        })
    }
}

/// Checks the numeric flags, as `run` checks its own.
fn check_numbers(args: &DeleteArgs) -> anyhow::Result<()> {
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    for (flag, rate) in [
        ("--rate-user-read", args.rate_user_read),
        ("--rate-user-update", args.rate_user_update),
    ] {
        if !(rate >= 0.0 && rate.is_finite()) {
            bail!("{flag} must be a number of requests per second, 0 or more (0 = unpaced)");
        }
    }
    if args.max_attempts == 0 {
        bail!("--max-attempts must be at least 1");
    }
    if !(args.timeout_seconds > 0.0 && args.timeout_seconds.is_finite()) {
        bail!("--timeout-seconds must be more than 0");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    use crate::cli::env::FakeEnv;

    /// `delete-users INPUT ARGS…` in a temp dir holding an input report.
    fn config(args: &[&str], env: &[(&'static str, &'static str)]) -> anyhow::Result<DeleteConfig> {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("run.csv");
        std::fs::write(&input, "").expect("write");
        let input = input.to_str().expect("utf-8").to_owned();
        let output = dir.path().join("deleted.csv");
        let output = output.to_str().expect("utf-8").to_owned();
        let mut argv = vec!["bulk-signup", "delete-users", &input, "--report", &output];
        argv.extend_from_slice(args);
        let cli = crate::cli::flags::Cli::try_parse_from(argv)?;
        let crate::cli::flags::Command::DeleteUsers(delete) = cli.command else {
            unreachable!("delete-users subcommand")
        };
        DeleteConfig::from_args(*delete, &FakeEnv(env.iter().copied().collect()), true)
    }

    #[test]
    fn the_pool_id_comes_from_the_flag_then_the_environment_and_names_the_region() {
        let env = [
            ("COGNITO_USER_POOL_ID", "eu-west-1_FromEnv1"),
            ("AWS_REGION", "eu-west-1"),
        ];
        let c = config(&[], &env).expect("config");
        assert_eq!(c.user_pool_id, "eu-west-1_FromEnv1");
        assert_eq!(c.signing_region, "eu-west-1");
        assert_eq!(
            c.endpoint.as_str(),
            "https://cognito-idp.eu-west-1.amazonaws.com/"
        );
        assert!(!c.yes);
        let c = config(&["--user-pool-id", "us-east-2_Flag9", "--yes"], &env).expect("config");
        assert_eq!((c.user_pool_id.as_str(), c.yes), ("us-east-2_Flag9", true));
    }

    #[test]
    fn mistakes_say_how_to_fix_them() {
        let err = config(&["--region", "us-east-1"], &[]).expect_err("no pool id");
        assert!(err.to_string().contains("--user-pool-id"), "{err}");
        let err = config(&["--user-pool-id", "nope"], &[]).expect_err("bad pool id");
        assert!(err.to_string().contains("is not a user pool id"), "{err}");
        let pool = ["--user-pool-id", "us-east-1_Ab1"];
        let err = config(&pool, &[]).expect_err("no region");
        assert!(err.to_string().contains("--region"), "{err}");
        let remote = [&pool[..], &["--endpoint-url", "http://cognito.invalid/"]].concat();
        let err = config(&remote, &[]).expect_err("plain http");
        assert!(err.to_string().contains("--allow-insecure-http"), "{err}");
        let allowed = [&remote[..], &["--allow-insecure-http"]].concat();
        config(&allowed, &[]).expect("allowed");
        let local = [&pool[..], &["--endpoint-url", "http://127.0.0.1:9/"]].concat();
        config(&local, &[]).expect("loopback needs no override");
        let zero = [&local[..], &["--concurrency", "0"]].concat();
        let err = config(&zero, &[]).expect_err("zero");
        assert!(err.to_string().contains("--concurrency"), "{err}");
        let both = [&local[..], &["--resume", "--overwrite"]].concat();
        assert!(
            config(&both, &[]).is_err(),
            "--resume and --overwrite conflict"
        );
    }
}
