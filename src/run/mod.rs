//! The `run` command: checks the input against the mapping, opens (or, with
//! `--resume`, continues) the reports, starts the parsing and checking
//! threads and the concurrent stage, and when every row has its entry,
//! rewrites the report in row order. Memory is O(concurrency + channel size) plus, with `--resume`,
//! 4 bytes per row, never O(input).

pub mod check_stage;
pub mod fan_out;
pub mod ordered;
pub mod progress;
pub mod resume;
pub mod selection;
pub mod shard;
pub mod signals;
pub mod sink;

pub use resume::ResumeState;

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;

use crate::checks::attributes::CUSTOM_PREFIX;
use crate::checks::duplicates::Duplicates;
use crate::checks::validate::Checker;
use crate::cli::settings::{RunConfig, Target};
use crate::emulator::{Emulator, EmulatorConfig};
use crate::input;
use crate::report::finalize::{finalize_report, rewrite_errors};
use crate::report::summary::Summary;
use crate::report::write::{ErrorWriter, ReportWriter};
use crate::run::check_stage::RowChecker;
use crate::run::fan_out::{fan_out, watch_signals, Ending};
use crate::run::ordered::{Ordered, OrderedParts};
use crate::run::progress::Progress;
use crate::run::selection::{verify_input, Selection};
use crate::run::sink::Sink;
use crate::send::cognito::pool::PoolDescription;
use crate::send::cognito::CognitoClient;
use crate::send::dispatch::Dispatcher;
use crate::send::rate::Pacer;

/// Checking threads at most: past this the parsing thread is the limit.
const MAX_CHECK_THREADS: usize = 8;

/// A configuration problem found before anything was sent (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub struct ConfigError(pub anyhow::Error);

fn config_error(e: impl Into<anyhow::Error>) -> anyhow::Error {
    ConfigError(e.into()).into()
}

/// Runs a whole job and returns its summary.
pub async fn run(config: RunConfig) -> anyhow::Result<Summary> {
    let started = Instant::now();
    // Count signals from the start, so an early Ctrl-C is not lost.
    let mut signals = watch_signals();
    let mut source = input::open(&config.input, config.format).map_err(config_error)?;
    let first = source.next();
    let columns = Arc::clone(source.columns());
    let compiled = config
        .mapping
        .compile(Arc::clone(&columns))
        .map_err(|e| config_error(anyhow::anyhow!("{}: {e}", config.mapping_origin)))?;
    if config.mapping.missing_columns_empty {
        // NDJSON: a named key the first record lacks is allowed (it may come
        // later), but a typo would silently map nothing: say so up front.
        let absent: Vec<&str> = config
            .mapping
            .named_columns()
            .into_iter()
            .filter(|name| columns.position(name).is_none())
            .collect();
        if !absent.is_empty() {
            tracing::warn!(
                "the first record has no {}: they read as empty wherever a record lacks them (check the spelling)",
                absent.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
            );
        }
    }
    let unmapped: Vec<String> = compiled
        .unmapped()
        .map(|u| format!("{:?} ({})", u.column, u.reason))
        .collect();
    if !unmapped.is_empty() {
        return Err(config_error(anyhow::anyhow!(
            "these input columns map to nothing, so their data would be lost: {}.\nMap them, or leave each out on purpose with --ignore-column NAME (or list it in `ignore` under [options] in a mapping file).",
            unmapped.join(", ")
        )));
    }

    if let Some(pool) = &config.pool {
        // Every row with a value would be refused: a configuration mistake.
        let unknown: Vec<String> = compiled
            .attribute_sources()
            .filter(|(name, _)| name.starts_with(CUSTOM_PREFIX) && pool.schema(name).is_none())
            .map(|(name, from)| format!("{name} (from {from})"))
            .collect();
        if !unknown.is_empty() {
            return Err(config_error(anyhow::anyhow!(
                "the mapping writes custom attributes the pool's schema does not have: {}.\nAdd them to the pool (and to the --pool file), or stop mapping them (--ignore-column NAME, or `ignore` under [options] in a mapping file).",
                unknown.join(", ")
            )));
        }
    }

    for path in std::iter::once(&config.report).chain(&config.errors) {
        crate::report::finalize::sweep_stale(path);
    }
    let resuming = config.resume && config.report.exists();
    let resume_state = if resuming {
        Some(ResumeState::load(&config.report).map_err(config_error)?)
    } else {
        None
    };
    let selection = Selection {
        shard: config.shard,
        resume: resume_state,
        retry_rejected: config.retry_rejected,
    };
    let selection = if resuming {
        let (input, format, mapping) =
            (config.input.clone(), config.format, config.mapping.clone());
        let verified = interruptible(&mut signals, move || {
            verify_input(&input, format, &mapping, &selection).map(|()| selection)
        })
        .await;
        match verified {
            Some(result) => result.map_err(config_error)?,
            None => return Ok(interrupted_before_sending(started)),
        }
    } else {
        selection
    };
    let report = if resuming {
        ReportWriter::append(&config.report, selection.complete_len()).map_err(config_error)?
    } else {
        ReportWriter::create(&config.report, config.overwrite).map_err(config_error)?
    };
    let errors = match &config.errors {
        // While a run is under way this is the log of its own failed rows;
        // it is rebuilt from the final report at the end.
        Some(path) if resuming && config.input.as_os_str() == "-" => Some(
            ErrorWriter::append(path, columns.names(), compiled.secret_columns())
                .map_err(config_error)?,
        ),
        Some(path) => Some(
            ErrorWriter::create(
                path,
                config.overwrite || resuming,
                columns.names(),
                compiled.secret_columns(),
            )
            .map_err(config_error)?,
        ),
        None => None,
    };

    // Keep the emulator alive for the whole run.
    let (_emulator, dispatcher) = connect(&config).await?;
    let dispatcher = dispatcher.map(Arc::new);
    let dry_run = dispatcher.is_none();

    // Parsing and checking (one thread per core) run on threads of their
    // own, so a dry run uses every core; the ordered stage runs in the loop.
    let lanes = std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_CHECK_THREADS));
    let mut read_ahead = crate::input::read_ahead::start(first, source, lanes)?;
    let checker = Checker::new(config.pool.clone());
    let stage = crate::run::check_stage::start(
        std::mem::take(&mut read_ahead.lanes),
        &RowChecker {
            mapping: config.mapping.clone(),
            compiled: compiled.clone(),
            checker,
            dry_run,
        },
    )?;
    let parts = OrderedParts {
        mapping: config.mapping.clone(),
        compiled,
        duplicates: Duplicates::default(),
        selection,
        dry_run,
        input_bytes: std::fs::metadata(&config.input)
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len()),
    };
    let mut ordered = Ordered::new(read_ahead, stage, parts);

    let mut sink = Sink::new(report, errors, Progress::new(config.show_progress), dry_run);
    let ending = fan_out(
        &mut ordered,
        dispatcher.clone(),
        config.concurrency,
        config.grace,
        &mut sink,
        &mut signals,
    )
    .await;
    let already_final = !resuming && sink.in_row_order();
    let mut summary = sink.finish()?;
    let ending = ending?;
    if ending == Ending::Finished {
        ordered.finish()?;
    }
    // When interrupted, the parser stops at its next hand-over; not waiting
    // for it lets a blocked stdin read not hold the exit.

    summary.session_rows = summary.rows();
    summary.session_successes = summary.count(crate::report::write::Status::Created)
        + summary.count(crate::report::write::Status::Exists);
    summary.interrupted = ending == Ending::Interrupted;
    if ending == Ending::Finished && !already_final {
        let (report, errors) = (config.report.clone(), config.errors.clone());
        let (input, format, mapping) =
            (config.input.clone(), config.format, config.mapping.clone());
        let finalized = interruptible(&mut signals, move || {
            let counts = finalize_report(&report)?;
            if let Some(errors) = errors.filter(|_| input.as_os_str() != "-") {
                rewrite_errors(&report, &errors, &input, format, &mapping)?;
            }
            Ok(counts)
        })
        .await;
        match finalized {
            Some(counts) => summary.counts = counts?,
            // The report stays a complete log; --resume finishes the rewrite.
            None => summary.interrupted = true,
        }
    }
    summary.elapsed = started.elapsed();
    if let Some(dispatcher) = &dispatcher {
        let stats = &dispatcher.stats;
        summary.requests = stats.requests.load(std::sync::atomic::Ordering::Relaxed);
        summary.throttled = stats.throttled.load(std::sync::atomic::Ordering::Relaxed);
        summary.retries = stats.retries.load(std::sync::atomic::Ordering::Relaxed);
        summary.final_rate = dispatcher.rate();
        summary.stopped_by = dispatcher
            .stop_reason()
            .map(|r| format!("{}: {} — {}", r.code, r.message, r.advice()));
    }
    Ok(summary)
}

/// Runs blocking file work on its own thread; a Ctrl-C or SIGTERM meanwhile
/// abandons it (`None`) and the process exits without waiting for it (a
/// plain thread, unlike a tokio blocking task, does not hold the exit). Both
/// uses are safe to abandon: the input check writes nothing, and the final
/// rewrite writes a temporary file (swept by the next run) until its atomic rename.
async fn interruptible<T: Send + 'static>(
    signals: &mut watch::Receiver<u32>,
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Option<anyhow::Result<T>> {
    let (done, mut result) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("bulk-signup-files".into())
        .spawn(move || {
            let _ = done.send(work());
        });
    if let Err(e) = spawned {
        return Some(Err(anyhow::anyhow!("cannot start a worker thread: {e}")));
    }
    let lost = || anyhow::anyhow!("a worker thread panicked");
    tokio::select! {
        finished = &mut result => Some(finished.unwrap_or_else(|_| Err(lost()))),
        changed = signals.changed() => match changed {
            Ok(()) => None,
            // No signal watcher any more: nothing can interrupt the work.
            Err(_) => Some(result.await.unwrap_or_else(|_| Err(lost()))),
        },
    }
}

/// The summary of a run stopped by a signal before anything was sent.
fn interrupted_before_sending(started: Instant) -> Summary {
    Summary {
        interrupted: true,
        elapsed: started.elapsed(),
        ..Summary::default()
    }
}

/// Builds the dispatcher for the run's target, starting the emulator if asked.
async fn connect(config: &RunConfig) -> anyhow::Result<(Option<Emulator>, Option<Dispatcher>)> {
    let (emulator, endpoint, client_id, client_secret) = match &config.target {
        Target::Nowhere => return Ok((None, None)),
        Target::Remote {
            endpoint,
            client_id,
            client_secret,
        } => (
            None,
            endpoint.clone(),
            client_id.clone(),
            client_secret.clone(),
        ),
        Target::Emulator { pool } => {
            let pool = PoolDescription::load(pool).map_err(config_error)?;
            // A client with a secret, so rehearsals exercise SecretHash too.
            let secret =
                crate::send::cognito::wire::Secret::new(uuid::Uuid::new_v4().simple().to_string());
            let client = crate::send::cognito::pool::ClientDescription {
                client_id: crate::emulator::new_client_id(),
                client_secret: Some(secret.expose().to_owned()),
                client_name: Some("bulk-signup-rehearsal".into()),
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
    let client = CognitoClient::new(endpoint, config.timeout, config.concurrency)?;
    let pacer = Arc::new(Pacer::new(config.rate));
    let dispatcher = Dispatcher::new(client, client_id, client_secret, config.retry, pacer);
    Ok((emulator, Some(dispatcher)))
}
