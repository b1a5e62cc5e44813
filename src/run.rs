//! The `run` command's pipeline: a blocking reader thread maps and validates
//! rows into a bounded channel; the dispatcher sends them with bounded
//! concurrency; this task alone owns the report files and the progress bar.
//! Memory is O(concurrency + channel size), never O(rows).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::cognito::CognitoClient;
use crate::config::{RunConfig, Target};
use crate::dispatch::Dispatcher;
use crate::emulator::{Emulator, EmulatorConfig};
use crate::input::{self, Row, RowSource};
use crate::mapping::{Compiled, Mapping, Prepared};
use crate::pool::PoolDescription;
use crate::progress::Progress;
use crate::rate::Pacer;
use crate::report::{ErrorWriter, ReportEntry, ReportWriter, Status};
use crate::row_error::RowError;
use crate::summary::Summary;
use crate::validate::Checker;

/// How often buffered report entries reach the file at the latest.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// A configuration problem found before anything was sent (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub struct ConfigError(pub anyhow::Error);

/// One row on its way from the reader to the dispatcher.
struct Work {
    number: u64,
    username: String,
    job: Result<Prepared, RowError>,
    /// Kept for the error report; `None` when the record could not be read.
    row: Option<Row>,
}

/// Runs a whole job and returns its summary.
pub async fn run(config: RunConfig) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let mut source = input::open(&config.input, config.format).map_err(ConfigError)?;
    let first = source.next();
    let columns = source.columns();
    let compiled = config
        .mapping
        .compile(Arc::clone(&columns))
        .map_err(|e| ConfigError(anyhow::anyhow!(e)))?;
    let unmapped: Vec<String> = compiled
        .unmapped()
        .map(|u| format!("{:?} ({})", u.column, u.reason))
        .collect();
    if !unmapped.is_empty() {
        return Err(ConfigError(anyhow::anyhow!(
            "these input columns map to nothing, so their data would be lost: {}.\nMap them, or pass --ignore-column NAME for each to leave it out on purpose.",
            unmapped.join(", ")
        ))
        .into());
    }
    let mut report = ReportWriter::create(&config.report, config.overwrite).map_err(ConfigError)?;
    let mut errors = match &config.errors {
        Some(path) => Some(
            ErrorWriter::create(
                path,
                config.overwrite,
                columns.names(),
                compiled.secret_columns(),
            )
            .map_err(ConfigError)?,
        ),
        None => None,
    };

    // Keep the emulator alive for the whole run.
    let (_emulator, dispatcher) = connect(&config).await?;
    let dispatcher = dispatcher.map(Arc::new);

    let channel_size = (config.concurrency * 4).max(256);
    let (sender, receiver) = mpsc::channel::<Work>(channel_size);
    let mapping = config.mapping.clone();
    let checker = Checker::new(config.pool.clone());
    let reader = std::thread::Builder::new()
        .name("bulk-signup-reader".into())
        .spawn(move || read_rows(first, source, mapping, compiled, checker, sender))
        .context("cannot start the reader thread")?;

    let progress = Progress::new(config.show_progress);
    let mut summary = Summary {
        dry_run: dispatcher.is_none(),
        ..Summary::default()
    };
    let work = futures::stream::unfold(receiver, |mut rx| async move {
        rx.recv().await.map(|w| (w, rx))
    });
    let outcomes = work
        .map(|w| {
            let dispatcher = dispatcher.clone();
            async move { process(dispatcher.as_deref(), w).await }
        })
        .buffer_unordered(config.concurrency);
    let mut outcomes = std::pin::pin!(outcomes);
    let mut flush = tokio::time::interval(FLUSH_INTERVAL);
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut dirty = false;
    loop {
        tokio::select! {
            outcome = outcomes.next() => {
                let Some((entry, row)) = outcome else { break };
                report.write(&entry)?;
                if let (Some(errors), Some(status)) = (errors.as_mut(), entry.status) {
                    if !status.is_success() {
                        errors.write(&entry, row.as_ref())?;
                    }
                }
                if let Some(status) = entry.status {
                    *summary.counts.entry(status).or_insert(0) += 1;
                }
                progress.row_done(|| summary.short());
                dirty = true;
            }
            _ = flush.tick(), if dirty => {
                report.flush()?;
                if let Some(errors) = errors.as_mut() {
                    errors.flush()?;
                }
                dirty = false;
            }
        }
    }
    report.flush()?;
    if let Some(errors) = errors.as_mut() {
        errors.flush()?;
    }
    progress.finish();
    let read_result = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the reader thread panicked"))?;
    read_result?;

    summary.elapsed = started.elapsed();
    if let Some(dispatcher) = &dispatcher {
        let stats = &dispatcher.stats;
        summary.requests = stats.requests.load(std::sync::atomic::Ordering::Relaxed);
        summary.throttled = stats.throttled.load(std::sync::atomic::Ordering::Relaxed);
        summary.retries = stats.retries.load(std::sync::atomic::Ordering::Relaxed);
        summary.stopped_by = dispatcher
            .stop_reason()
            .map(|r| format!("{}: {} — {}", r.code, r.message, r.advice()));
    }
    Ok(summary)
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
            let pool = PoolDescription::load(pool).map_err(ConfigError)?;
            // A client with a secret, so rehearsals exercise SecretHash too.
            let secret =
                crate::cognito::wire::Secret::new(uuid::Uuid::new_v4().simple().to_string());
            let client = crate::pool::ClientDescription {
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

/// The reader thread: reads, maps and validates rows in input order.
fn read_rows(
    first: Option<Result<Row, input::ReadError>>,
    source: Box<dyn RowSource>,
    mapping: Mapping,
    mut compiled: Compiled,
    mut checker: Checker,
    sender: mpsc::Sender<Work>,
) -> anyhow::Result<()> {
    for item in first.into_iter().chain(source) {
        let work = match item {
            Ok(row) => {
                if !compiled.is_for(&row.columns) {
                    // NDJSON brought a new key: map again for the wider column set.
                    compiled = mapping
                        .compile(Arc::clone(&row.columns))
                        .map_err(|e| anyhow::anyhow!(e))?;
                }
                let job = compiled.apply(&row).and_then(|p| {
                    checker
                        .check(row.number, &p)
                        .map(|()| p)
                        .map_err(|e| compiled.locate(e))
                });
                let username = match &job {
                    Ok(p) => p.username.clone(),
                    Err(_) => compiled.username_of(&row),
                };
                Work {
                    number: row.number,
                    username,
                    job,
                    row: Some(row),
                }
            }
            Err(e) if e.fatal => return Err(anyhow::anyhow!("{e}")),
            Err(e) => Work {
                number: e.number,
                username: String::new(),
                job: Err(RowError::new("UnreadableRecord", None, e.message)),
                row: None,
            },
        };
        if sender.blocking_send(work).is_err() {
            // The consumer is gone (the run is ending): stop reading.
            break;
        }
    }
    Ok(())
}

/// Turns one row into its report entry.
async fn process(dispatcher: Option<&Dispatcher>, work: Work) -> (ReportEntry, Option<Row>) {
    let entry = match work.job {
        Err(error) => ReportEntry {
            row: work.number,
            username: work.username,
            status: Some(Status::Invalid),
            error_code: error.code.to_owned(),
            error_message: error.to_string(),
            ..ReportEntry::default()
        },
        Ok(prepared) => match dispatcher {
            None => ReportEntry {
                row: work.number,
                username: work.username,
                status: Some(Status::Valid),
                ..ReportEntry::default()
            },
            Some(dispatcher) => dispatcher.send(work.number, prepared).await,
        },
    };
    (entry, work.row)
}
