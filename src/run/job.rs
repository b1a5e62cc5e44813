//! One `run` job, phase by phase: pre-flight (open the input, compile and
//! check the mapping, decide which rows to send), open the reports, start
//! the parsing and checking threads, drive the sending loop until every row
//! has its entry, then finish (the in-row-order rewrite and the summary).
//! Memory is O(concurrency + channel size) plus, with `--resume`, 4 bytes
//! per row, never O(input).

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;

use crate::checks::duplicates::Duplicates;
use crate::checks::validate::Checker;
use crate::cli::config_error::config_error;
use crate::cli::preflight;
use crate::cli::settings::{Destination, RunConfig};
use crate::input::is_stdin;
use crate::mapping::mapped_input::{MappedInput, OpenMappedError};
use crate::report::entry::Status;
use crate::report::error_write::{Copied, ErrorWriter};
use crate::report::fed_back::{self, RunInput, PASSWORD_HINT};
use crate::report::finalize::{finalize_tallied, rewrite_errors};
use crate::report::private_file::refuse_symlink;
use crate::report::shard_record::{self, ShardRecord};
use crate::report::summary::Summary;
use crate::report::summary_json;
use crate::report::temp_file::sweep_stale;
use crate::report::write::ReportWriter;
use crate::run::check_stage::RowChecker;
use crate::run::connect::connect;
use crate::run::fan_out::{fan_out, Ending};
use crate::run::notice;
use crate::run::ordered::{Ordered, OrderedParts};
use crate::run::progress::Progress;
use crate::run::resume::ResumeState;
use crate::run::row_count;
use crate::run::selection::{verify_input, Selection};
use crate::run::signals::{interruptible, watch_signals};
use crate::run::sink::Sink;
use crate::run::timeline::{self, Timeline};
use crate::send::dispatch::Dispatcher;

/// Checking threads at most: past this the parsing thread is the limit.
const MAX_CHECK_THREADS: usize = 8;

/// The two report files, open for this session.
struct Reports {
    report: ReportWriter,
    errors: Option<ErrorWriter>,
}

/// Runs a whole job and returns its summary, also written to
/// `--summary-json` when asked (also when interrupted or stopped).
pub async fn run(config: RunConfig) -> anyhow::Result<Summary> {
    let json = config.summary_json.clone();
    let (report, replace) = (config.report.clone(), config.overwrite || config.resume);
    let resuming = config.resume && report.exists();
    let summary = run_job(config).await?;
    if let Some(path) = json {
        // A run stopped before its report was opened leaves an older one.
        let report = Some(report.as_path()).filter(|_| resuming || summary.session_rows > 0);
        if let Err(e) = summary_json::write(&path, report, &summary, replace) {
            tracing::error!("cannot write --summary-json {}: {e:#}", path.display());
        }
    }
    Ok(summary)
}

/// The job itself: [`run`] without the summary file.
async fn run_job(mut config: RunConfig) -> anyhow::Result<Summary> {
    let started = Instant::now();
    // Count signals from the start, so an early Ctrl-C is not lost.
    let mut signals = watch_signals();
    let (input, fed_back) = preflight(&mut config)?;
    let notice = notice::plan(&config, &input.compiled);
    let resuming = config.resume && config.report.exists();
    let selected = select_rows(&config, resuming, notice.is_some(), &mut signals).await?;
    let Some((selection, rows_to_send)) = selected else {
        return Ok(Summary {
            interrupted: true,
            elapsed: started.elapsed(),
            ..Summary::default()
        });
    };
    let reports = open_reports(&config, &input, &selection, resuming)?;
    // Keep the emulator alive for the whole run.
    let (_emulator, dispatcher) = connect(&config).await?;
    let dispatcher = dispatcher
        .map(|d| match notice {
            Some(notice) => notice.announce(rows_to_send, d),
            None => d,
        })
        .map(Arc::new);
    let stages = Stages {
        dry_run: dispatcher.is_none(),
        fed_back,
    };
    let ordered = start_stages(&config, input, selection, stages)?;
    let (mut summary, already_final, rows_read) =
        drive(&config, ordered, reports, dispatcher.clone(), &mut signals).await?;
    let already_final = already_final && !resuming;
    finish(&config, &mut summary, already_final, &mut signals).await?;
    record_finished_shard(&config, &summary, rows_read)?;
    summary.elapsed = started.elapsed();
    summary.generated_passwords = config.mapping.generates_password();
    summary.resumed = resuming;
    summary.error_report = config.errors.clone();
    add_request_counts(&mut summary, dispatcher.as_deref());
    Ok(summary)
}

/// Opens the input, compiles the mapping for its columns and checks that
/// the mapping loses nothing; refuses report paths that are links; also
/// clears temporary files a killed run left. An input that is an error
/// report of an earlier run is said to be one, and the mapping is fitted to
/// it (in `config`); returns the input and whether it is one.
fn preflight(config: &mut RunConfig) -> anyhow::Result<(MappedInput, bool)> {
    let opened = fed_back::open(&config.input, &config.read, &config.mapping).map_err(|e| {
        config_error(match e {
            OpenMappedError::Mapping(e) => anyhow::anyhow!("{}: {e}", config.mapping_origin),
            OpenMappedError::Input(e) => e,
        })
    })?;
    let RunInput {
        input,
        mapping,
        fed_back,
    } = opened;
    config.mapping = mapping;
    if fed_back {
        tracing::warn!(
            "{} is an error report of an earlier run: its bulk-signup:… columns are bookkeeping and are not sent; the results report's source_row gives each row's number in the original input",
            config.input.display()
        );
    }
    preflight::check(config, &input.compiled, input.source.columns()).map_err(|e| {
        config_error(match fed_back && !input.compiled.has_password() {
            true => anyhow::anyhow!("{e}\nNote: {PASSWORD_HINT}"),
            false => e,
        })
    })?;
    for path in std::iter::once(&config.report).chain(&config.errors) {
        // Before `--resume` reads the report: a link is refused, not followed.
        refuse_symlink(path).map_err(config_error)?;
        sweep_stale(path);
    }
    if let Some(path) = &config.summary_json {
        let resuming = config.resume && config.report.exists();
        refuse_symlink(path).map_err(config_error)?;
        summary_json::refuse_existing(path, config.overwrite, resuming).map_err(config_error)?;
    }
    if let Some(path) = &config.timeline {
        let resuming = config.resume && config.report.exists();
        refuse_symlink(path).map_err(config_error)?;
        timeline::refuse_existing(path, config.overwrite, resuming).map_err(config_error)?;
    }
    Ok((input, fed_back))
}

/// Which rows this run sends (`--shard`, and with `--resume` what the
/// report already settled, checked over the whole input before the first
/// request), and with `count` how many (when the input can be read ahead).
/// `None` when a signal came while the input was being read.
async fn select_rows(
    config: &RunConfig,
    resuming: bool,
    count: bool,
    signals: &mut watch::Receiver<u32>,
) -> anyhow::Result<Option<(Selection, Option<u64>)>> {
    let resume = match resuming {
        true => {
            let shards = config.shard.map_or(1, |s| s.count);
            Some(ResumeState::load(&config.report, shards).map_err(config_error)?)
        }
        false => None,
    };
    let selection = Selection {
        shard: config.shard,
        resume,
        retry_rejected: config.retry_rejected,
        // An admin-created row's failed password is resumed like a step.
        steps: (config.steps.any() || config.admin_create.is_some())
            && !matches!(config.destination, Destination::Nowhere),
    };
    if !resuming && !count {
        return Ok(Some((selection, None)));
    }
    let (input, read, mapping) = (
        config.input.clone(),
        config.read.clone(),
        config.mapping.clone(),
    );
    let verified = interruptible(signals, move || {
        let rows = verify_input(&input, &read, &mapping, &selection);
        Ok((rows, selection))
    })
    .await;
    let (rows, selection) = match verified {
        None => return Ok(None),
        Some(Err(e)) => return Err(config_error(e)),
        Some(Ok(done)) => done,
    };
    match rows {
        Ok(rows) => Ok(Some((selection, rows))),
        Err(e) if resuming => Err(config_error(e)),
        // Only counting: an input that fails to read fails the run as it
        // is read, after the rows before the fault, as without a count.
        Err(_) => Ok(Some((selection, None))),
    }
}

/// Creates the reports, or continues them with `--resume`. Either both
/// open or neither is left behind: existing files are checked before the
/// first is created, and a failure to open the second removes the first.
fn open_reports(
    config: &RunConfig,
    input: &MappedInput,
    selection: &Selection,
    resuming: bool,
) -> anyhow::Result<Reports> {
    refuse_existing_outputs(config, resuming).map_err(config_error)?;
    let report = match resuming {
        true => ReportWriter::append(
            &config.report,
            selection.complete_len(),
            selection.old_form(),
        ),
        false => ReportWriter::create(&config.report, config.overwrite),
    }
    .map_err(config_error)?;
    // The report is being written again: not a finished shard until the end.
    shard_record::remove(&config.report).map_err(config_error)?;
    let errors = open_errors(config, input, resuming).map_err(|e| {
        if !resuming {
            // Created just now, header only: it records nothing.
            let _ = std::fs::remove_file(&config.report);
        }
        config_error(e)
    })?;
    Ok(Reports { report, errors })
}

/// Without `--overwrite`, existing outputs are kept: a fresh run refuses
/// them, and `--resume` (which rebuilds the error report) refuses an
/// `--errors` file that is not an error report of this tool.
fn refuse_existing_outputs(config: &RunConfig, resuming: bool) -> anyhow::Result<()> {
    if config.overwrite {
        return Ok(());
    }
    if !resuming && config.report.exists() {
        anyhow::bail!(
            "{} already exists; pass --overwrite to replace it (or --resume to continue the run it records)",
            config.report.display()
        );
    }
    let Some(errors) = config.errors.as_ref().filter(|p| p.exists()) else {
        return Ok(());
    };
    if !resuming {
        anyhow::bail!(
            "{} already exists; pass --overwrite to replace it",
            errors.display()
        );
    }
    if !ErrorWriter::is_error_report(errors) {
        anyhow::bail!(
            "--errors {} is not an error report of bulk-signup, and --resume would replace it: pass --overwrite to replace it, or give --errors another path",
            errors.display()
        );
    }
    Ok(())
}

/// The error report: while a run is under way, the log of its own failed
/// rows; rebuilt from the final report at the end (but stdin cannot be read
/// again, so a resumed stdin run continues the log instead).
fn open_errors(
    config: &RunConfig,
    input: &MappedInput,
    resuming: bool,
) -> anyhow::Result<Option<ErrorWriter>> {
    let Some(path) = &config.errors else {
        return Ok(None);
    };
    let copied = Copied {
        names: input.source.columns().names(),
        secret: input.compiled.uncopied_columns(),
        // NDJSON keys (or an error report's other fields) may come later.
        open_ended: config.mapping.missing_columns_empty,
    };
    let writer = if resuming && is_stdin(&config.input) {
        ErrorWriter::append(path, &copied)?
    } else {
        ErrorWriter::create(path, config.overwrite || resuming, &copied)?
    };
    Ok(Some(writer))
}

/// How the stages treat rows: checked only, or sent; from an error report
/// of an earlier run or not.
struct Stages {
    dry_run: bool,
    fed_back: bool,
}

/// Starts parsing and checking (one thread per core), on threads of their
/// own so a dry run uses every core; the ordered stage runs in the loop.
fn start_stages(
    config: &RunConfig,
    input: MappedInput,
    selection: Selection,
    stages: Stages,
) -> anyhow::Result<Ordered> {
    let Stages { dry_run, fed_back } = stages;
    let lanes = std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_CHECK_THREADS));
    let MappedInput {
        source,
        first,
        compiled,
    } = input;
    let mut read_ahead = crate::input::read_ahead::start(first, source, lanes)?;
    let stage = crate::run::check_stage::start(
        read_ahead.take_lanes(),
        &RowChecker {
            mapping: config.mapping.clone(),
            compiled: compiled.clone(),
            checker: Checker::new(config.pool.clone())
                .with_password_optional(config.admin_create.is_some()),
            dry_run,
        },
    )?;
    let parts = OrderedParts {
        mapping: config.mapping.clone(),
        compiled,
        duplicates: Duplicates::default(),
        selection,
        dry_run,
        keep_cells: config.errors.is_some(),
        fed_back,
        input_bytes: crate::input::size_hint::text_bytes(&config.input),
    };
    Ok(Ordered::new(read_ahead, stage, parts))
}

/// Drives the sending loop until every row read has its entry (or a
/// signal stops it); returns this session's summary, whether the report is
/// already in row order, and how many records the input held.
async fn drive(
    config: &RunConfig,
    mut ordered: Ordered,
    reports: Reports,
    dispatcher: Option<Arc<Dispatcher>>,
    signals: &mut watch::Receiver<u32>,
) -> anyhow::Result<(Summary, bool, u64)> {
    let dry_run = dispatcher.is_none();
    let count = config
        .show_progress
        .then(|| row_count::countable(&config.input, &config.read))
        .flatten();
    let mut progress = Progress::new(config.show_progress, count);
    if let Some(dispatcher) = &dispatcher {
        let dispatcher = Arc::clone(dispatcher);
        progress = progress.with_pacing(Arc::new(move || {
            let throttled = dispatcher.counts().throttled;
            format!("throttled {throttled}, pacing {:.1}/s", dispatcher.rate())
        }));
    }
    let timeline = match &config.timeline {
        // Checked in pre-flight: replaced only with --overwrite or its own on --resume.
        Some(path) => Some(
            Timeline::start(path, config.overwrite || config.resume, dispatcher.clone())
                .map_err(config_error)?,
        ),
        None => None,
    };
    let mut sink =
        Sink::new(reports.report, reports.errors, progress, dry_run).with_timeline(timeline);
    let ending = fan_out(&mut ordered, dispatcher, config.grace, &mut sink, signals).await;
    let in_row_order = sink.in_row_order();
    let rows_read = ordered.rows_read();
    let mut summary = sink.finish()?;
    let ending = ending?;
    if ending == Ending::Finished {
        ordered.finish()?;
    }
    // When interrupted, the parser stops at its next hand-over; not waiting
    // for it lets a blocked stdin read not hold the exit.
    summary.interrupted = ending == Ending::Interrupted;
    Ok((summary, in_row_order, rows_read))
}

/// A `--shard` run whose report is now final leaves its shard record, for
/// `merge-reports` to prove completeness with.
fn record_finished_shard(
    config: &RunConfig,
    summary: &Summary,
    rows_read: u64,
) -> anyhow::Result<()> {
    let Some(shard) = config.shard else {
        return Ok(());
    };
    if summary.interrupted || summary.stopped_by.is_some() {
        return Ok(());
    }
    let record = ShardRecord {
        shard: shard.index,
        shards: shard.count,
        input_rows: rows_read,
        report_entries: summary.rows(),
    };
    shard_record::write(&config.report, &record)
}

/// After the loop: this session's counts, then, for a finished run whose
/// report is not yet in row order, the final rewrite of the report (and of
/// the error report from the input). A signal during the rewrite leaves the
/// report a complete log, which `--resume` finishes.
async fn finish(
    config: &RunConfig,
    summary: &mut Summary,
    already_final: bool,
    signals: &mut watch::Receiver<u32>,
) -> anyhow::Result<()> {
    summary.session_rows = summary.rows();
    summary.session_successes = summary.count(Status::Created) + summary.count(Status::Exists);
    if summary.interrupted {
        return Ok(());
    }
    if already_final {
        tracing::debug!("the report came out in row order: it is final as written");
        return Ok(());
    }
    tracing::debug!("rewriting the report in row order");
    let (report, errors) = (config.report.clone(), config.errors.clone());
    let (input, read, mapping) = (
        config.input.clone(),
        config.read.clone(),
        config.mapping.clone(),
    );
    let finalized = interruptible(signals, move || {
        let tally = finalize_tallied(&report)?;
        if let Some(errors) = errors.filter(|_| !is_stdin(&input)) {
            rewrite_errors(&report, &errors, &input, &read, &mapping)?;
        }
        Ok(tally)
    })
    .await;
    match finalized {
        Some(tally) => {
            (summary.counts, summary.error_codes) = tally.map(|t| (t.counts, t.error_codes))?
        }
        None => summary.interrupted = true,
    }
    Ok(())
}

/// The dispatcher's request counters and, if Cognito stopped the run, why.
fn add_request_counts(summary: &mut Summary, dispatcher: Option<&Dispatcher>) {
    let Some(dispatcher) = dispatcher else {
        return;
    };
    let counts = dispatcher.counts();
    summary.requests = counts.requests;
    summary.throttled = counts.throttled;
    summary.retries = counts.retries;
    summary.final_rate = dispatcher.rate();
    summary.stopped_by = dispatcher
        .stop_reason()
        .map(|r| format!("{}: {} — {}", r.code, r.message, r.advice()));
    if let Some(create) = dispatcher.admin_create() {
        // The password and read-back calls count with the steps' calls.
        (summary.step_requests, summary.step_throttled) = create.follow_up_counts();
    }
    if let Some(steps) = dispatcher.steps() {
        let (requests, throttled) = steps.counts();
        summary.step_requests += requests;
        summary.step_throttled += throttled;
        match steps.stop_reason() {
            Some(reason) if steps.settings().has_steps() && summary.stopped_by.is_none() => {
                summary.stopped_by = Some(format!("the steps after sign-up stopped at {reason} — fix the credentials, the pool id or the group, then --resume"));
            }
            // Only subs were read back: the users are fine, the report
            // lacks their subs; worth a line, not a failed run.
            Some(reason) if !steps.settings().has_steps() => tracing::warn!(
                "could not read back the sub of the users that already existed ({reason}); their user_sub stays empty"
            ),
            _ => {}
        }
    }
}
