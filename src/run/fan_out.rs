//! The sending loop, the async stage and the only one with requests in
//! flight (the dispatcher sends them): takes checked batches in input order
//! and settles them ([`crate::run::ordered`]): rows that need no request are
//! recorded at once; it keeps as many sends in flight as the dispatcher's
//! adaptive limit allows ([`crate::send::concurrency`], checked on a timer),
//! and flushes the sink on a timer. A batch is taken only when the send queue is
//! empty, so memory stays bounded.
//!
//! Ctrl-C or SIGTERM: no new row is read or sent; in-flight requests get
//! `grace` to finish; a second signal, or the end of the grace period, stops
//! at once. Rows never sent are simply absent from the report.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures::stream::FuturesUnordered;
use futures::StreamExt;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::input::Row;
use crate::report::entry::ReportEntry;
use crate::run::check_stage::CheckedBatch;
use crate::run::ordered::{Ordered, Outgoing, Settled};
use crate::run::sink::{Sink, FLUSH_INTERVAL};
use crate::send::concurrency;
use crate::send::dispatch::Dispatcher;

/// How the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Every row read has its entry.
    Finished,
    /// Stopped by Ctrl-C or SIGTERM.
    Interrupted,
}

/// Runs the loop until the input is done or the run is interrupted.
pub(crate) async fn fan_out(
    ordered: &mut Ordered,
    dispatcher: Option<Arc<Dispatcher>>,
    grace: Duration,
    sink: &mut Sink,
    signals: &mut watch::Receiver<u32>,
) -> anyhow::Result<Ending> {
    let mut pending: VecDeque<Outgoing> = VecDeque::new();
    let mut in_flight = FuturesUnordered::new();
    let mut finished = Vec::with_capacity(FINISHED_PER_TURN);
    let mut input_done = false;
    // An error from the input side (unreadable input, a report of another
    // input): rows already handed over still finish and are recorded first.
    let mut failure: Option<anyhow::Error> = None;
    let mut deadline: Option<Instant> = None;
    let mut signals_alive = true;
    let mut flush = ticker(FLUSH_INTERVAL);
    let mut limit_check = ticker(concurrency::CHECK_INTERVAL);
    let mut limit = in_flight_limit(dispatcher.as_deref());
    loop {
        while in_flight.len() < limit && deadline.is_none() {
            let (Some(dispatcher), Some(outgoing)) = (&dispatcher, pending.pop_front()) else {
                break;
            };
            // Boxed here, once: pushed as it is, a row's future (kilobytes)
            // is copied three times on its way into the set.
            in_flight.push(Box::pin(send_row(Arc::clone(dispatcher), outgoing)));
        }
        if (input_done || deadline.is_some()) && pending.is_empty() && in_flight.is_empty() {
            return ending(failure, deadline.is_some());
        }
        let grace_over = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            batch = ordered.next_batch(), if pending.is_empty() && !input_done && deadline.is_none() => match batch {
                None => input_done = true,
                Some(batch) => {
                    failure = take_batch(ordered, batch, sink, &mut pending).err();
                    input_done = failure.is_some();
                }
            },
            () = finished_rows(&mut in_flight, &mut finished), if !in_flight.is_empty() => {
                record_finished(sink, &mut finished)?;
            }
            _ = flush.tick() => sink.flush()?,
            _ = limit_check.tick(), if dispatcher.is_some() => {
                limit = in_flight_limit(dispatcher.as_deref());
            }
            changed = signals.changed(), if signals_alive => {
                if changed.is_err() {
                    signals_alive = false;
                    continue;
                }
                if *signals.borrow() >= 2 || deadline.is_some() {
                    // A second signal: stop now; unfinished rows stay absent.
                    return Ok(Ending::Interrupted);
                }
                deadline = Some(Instant::now() + grace);
                for outgoing in pending.drain(..) {
                    sink.dropped(outgoing.row.number)?;
                }
                stop_taking(ordered, dispatcher.as_deref(), in_flight.len());
            }
            _ = grace_over => return Ok(Ending::Interrupted),
        }
    }
}

/// Settles a checked batch: refused rows to the sink, rows to send to
/// `pending`. On an error from the input side no more is read; the rows
/// already handed over still finish.
fn take_batch(
    ordered: &mut Ordered,
    batch: anyhow::Result<CheckedBatch>,
    sink: &mut Sink,
    pending: &mut VecDeque<Outgoing>,
) -> anyhow::Result<()> {
    let settled = batch.and_then(|batch| ordered.settle(batch, &mut Settle { sink, pending }));
    sink.show_progress();
    if settled.is_err() {
        ordered.close();
    }
    settled
}

/// Records the rows [`finished_rows`] took, in the order they finished.
fn record_finished(
    sink: &mut Sink,
    finished: &mut Vec<(Option<Box<ReportEntry>>, Row)>,
) -> anyhow::Result<()> {
    for (entry, row) in finished.drain(..) {
        match entry {
            Some(entry) => sink.record(entry, Some(row))?,
            None => sink.dropped(row.number)?,
        }
    }
    Ok(())
}

/// The most finished rows taken in one turn of the loop.
const FINISHED_PER_TURN: usize = 64;

/// Waits until rows have finished, then moves every finished one (up to
/// [`FINISHED_PER_TURN`]) into `out`: one turn of the loop for all the
/// answers one wake-up brings, instead of one turn (six futures polled and
/// dropped) per answer.
fn finished_rows<'a, F: Future + Unpin>(
    in_flight: &'a mut FuturesUnordered<F>,
    out: &'a mut Vec<F::Output>,
) -> impl Future<Output = ()> + 'a {
    std::future::poll_fn(move |cx| {
        while out.len() < FINISHED_PER_TURN {
            match in_flight.poll_next_unpin(cx) {
                Poll::Ready(Some(item)) => out.push(item),
                Poll::Ready(None) | Poll::Pending => break,
            }
        }
        if out.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
}

/// A timer for the loop's periodic work; a late tick is not made up.
fn ticker(period: Duration) -> tokio::time::Interval {
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker
}

/// How the loop ends once every row it took is settled: with the input
/// side's failure if there was one, else interrupted or finished.
fn ending(failure: Option<anyhow::Error>, interrupted: bool) -> anyhow::Result<Ending> {
    match failure {
        Some(failure) => Err(failure),
        None if interrupted => Ok(Ending::Interrupted),
        None => Ok(Ending::Finished),
    }
}

/// The rows the dispatcher may have in flight now; said once when
/// `--concurrency` holds the pacing rate back.
fn in_flight_limit(dispatcher: Option<&Dispatcher>) -> usize {
    let Some(dispatcher) = dispatcher else {
        return 0;
    };
    let (limit, warning) = dispatcher.in_flight_limit();
    if let Some(warning) = warning {
        tracing::warn!("{warning}");
    }
    limit
}

/// Sends one row; its entry (`None` if interrupted before it was sent)
/// and the row, kept for the error report.
async fn send_row(
    dispatcher: Arc<Dispatcher>,
    outgoing: Outgoing,
) -> (Option<Box<ReportEntry>>, Row) {
    let Outgoing {
        prepared,
        row,
        maybe_sent,
        source_row,
        steps_only,
    } = outgoing;
    let verified = prepared.verified();
    let entry = match steps_only {
        Some(status) => dispatcher.resume_steps(row.number, prepared, status).await,
        None => dispatcher.send(row.number, prepared, maybe_sent).await,
    };
    let entry = entry.map(|mut entry| {
        entry.source_row = source_row;
        entry.verified = verified.to_owned();
        entry
    });
    (entry, row)
}

/// The first signal: no more rows are read or sent; the requests in
/// flight get the grace period.
fn stop_taking(ordered: &mut Ordered, dispatcher: Option<&Dispatcher>, in_flight: usize) {
    ordered.close();
    if let Some(dispatcher) = dispatcher {
        dispatcher.interrupt();
    }
    tracing::warn!(
        "interrupted: finishing {in_flight} in-flight requests (Ctrl-C again to stop now)"
    );
}

/// Settled rows: entries to the sink, rows to send to the queue.
struct Settle<'a> {
    sink: &'a mut Sink,
    pending: &'a mut VecDeque<Outgoing>,
}

impl Settled for Settle<'_> {
    fn valid(&mut self, row: u64, source_row: Option<u64>, username: &str) -> anyhow::Result<()> {
        self.sink.record_valid(row, source_row, username)
    }
    fn refused(&mut self, entry: ReportEntry, row: Option<Row>) -> anyhow::Result<()> {
        self.sink.record(entry, row)
    }
    fn send(&mut self, outgoing: Outgoing) {
        self.sink.in_flight(outgoing.row.number);
        self.pending.push_back(outgoing);
    }
}
