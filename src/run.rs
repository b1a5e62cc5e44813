//! The `run` command's pipeline: a blocking reader thread maps and validates
//! rows into a bounded channel; the dispatcher sends them with bounded
//! concurrency; this task alone owns the report files and the progress bar.
//! Memory is O(concurrency + channel size), never O(rows).

use std::sync::Arc;
use std::time::Instant;

use std::collections::VecDeque;

use anyhow::Context;
use futures::stream::FuturesUnordered;
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
use crate::sink::{Sink, FLUSH_INTERVAL};
use crate::summary::Summary;
use crate::validate::Checker;

/// Rows per message from the reader thread: batching keeps the per-row cost
/// of the channel and task wake-ups negligible.
const BATCH: usize = 256;
/// Batches the channel holds: with `BATCH`, at most ~2,000 rows wait in memory.
const CHANNEL_BATCHES: usize = 8;

/// A configuration problem found before anything was sent (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub struct ConfigError(pub anyhow::Error);

/// One row on its way from the reader to the dispatcher.
enum Work {
    /// Decided without a request (invalid, or valid in a dry run): the
    /// entry, and the row when the error report needs its cells.
    Done(ReportEntry, Option<Row>),
    /// To be sent; the row is kept for the error report.
    Send { prepared: Prepared, row: Row },
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
    let report = ReportWriter::create(&config.report, config.overwrite).map_err(ConfigError)?;
    let errors = match &config.errors {
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

    let (sender, receiver) = mpsc::channel::<Vec<Work>>(CHANNEL_BATCHES);
    let mapping = config.mapping.clone();
    let checker = Checker::new(config.pool.clone());
    let dry_run = dispatcher.is_none();
    let reader = std::thread::Builder::new()
        .name("bulk-signup-reader".into())
        .spawn(move || read_rows(first, source, mapping, compiled, checker, dry_run, sender))
        .context("cannot start the reader thread")?;

    let mut sink = Sink::new(
        report,
        errors,
        Progress::new(config.show_progress),
        dispatcher.is_none(),
    );
    dispatch_all(receiver, dispatcher.clone(), config.concurrency, &mut sink).await?;
    let mut summary = sink.finish()?;
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
    dry_run: bool,
    sender: mpsc::Sender<Vec<Work>>,
) -> anyhow::Result<()> {
    let mut batch = Vec::with_capacity(BATCH);
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
                match job {
                    Err(error) => {
                        let entry = invalid_entry(row.number, compiled.username_of(&row), &error);
                        Work::Done(entry, Some(row))
                    }
                    // Dropped here, on the thread that allocated it: cheaper than a cross-thread free.
                    Ok(prepared) if dry_run => {
                        Work::Done(valid_entry(row.number, prepared.username), None)
                    }
                    Ok(prepared) => Work::Send { prepared, row },
                }
            }
            Err(e) if e.fatal => return Err(anyhow::anyhow!("{e}")),
            Err(e) => {
                let error = RowError::new("UnreadableRecord", None, e.message);
                Work::Done(invalid_entry(e.number, String::new(), &error), None)
            }
        };
        batch.push(work);
        if batch.len() == BATCH
            && sender
                .blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                .is_err()
        {
            // The consumer is gone (the run is ending): stop reading.
            return Ok(());
        }
    }
    if !batch.is_empty() {
        let _ = sender.blocking_send(batch);
    }
    Ok(())
}

/// The only concurrent stage: takes batches from the reader, reports rows
/// that need no request at once, and keeps at most `concurrency` sends in
/// flight. At most one batch waits here, so memory stays bounded.
async fn dispatch_all(
    mut receiver: mpsc::Receiver<Vec<Work>>,
    dispatcher: Option<Arc<Dispatcher>>,
    concurrency: usize,
    sink: &mut Sink,
) -> anyhow::Result<()> {
    let mut pending: VecDeque<(Prepared, Row)> = VecDeque::new();
    let mut in_flight = FuturesUnordered::new();
    let mut input_done = false;
    let mut flush = tokio::time::interval(FLUSH_INTERVAL);
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        while in_flight.len() < concurrency {
            let (Some(dispatcher), Some((prepared, row))) = (&dispatcher, pending.pop_front())
            else {
                break;
            };
            let dispatcher = Arc::clone(dispatcher);
            in_flight.push(async move {
                let entry = dispatcher.send(row.number, prepared).await;
                (entry, Some(row))
            });
        }
        if input_done && pending.is_empty() && in_flight.is_empty() {
            return Ok(());
        }
        tokio::select! {
            batch = receiver.recv(), if pending.is_empty() && !input_done => match batch {
                None => input_done = true,
                Some(batch) => {
                    for work in batch {
                        match work {
                            Work::Done(entry, row) => sink.record(entry, row.as_ref())?,
                            Work::Send { prepared, row } => pending.push_back((prepared, row)),
                        }
                    }
                }
            },
            Some((entry, row)) = in_flight.next(), if !in_flight.is_empty() => {
                sink.record(entry, row.as_ref())?;
            }
            _ = flush.tick() => sink.flush()?,
        }
    }
}

fn invalid_entry(row: u64, username: String, error: &RowError) -> ReportEntry {
    ReportEntry {
        row,
        username,
        status: Some(Status::Invalid),
        error_code: error.code.to_owned(),
        error_message: error.to_string(),
        ..ReportEntry::default()
    }
}

fn valid_entry(row: u64, username: String) -> ReportEntry {
    ReportEntry {
        row,
        username,
        status: Some(Status::Valid),
        ..ReportEntry::default()
    }
}
