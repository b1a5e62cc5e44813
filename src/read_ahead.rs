//! Parses input records on a thread of their own, one batch of rows ahead of
//! the reader thread that maps and checks them: parsing and checking then
//! use both cores. Batches travel back once used, so each row's buffers are
//! allocated once per run, not once per record.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;

use anyhow::Context;

use crate::input::{Columns, ReadError, Row, RowSource};

/// Records per batch: large enough that hand-overs cost nothing per row.
const BATCH_ROWS: usize = 1024;
/// Filled batches waiting for the reader: bounds read-ahead memory.
const BATCHES_AHEAD: usize = 4;

/// A run of consecutive records: each slot a row or that record's error.
pub struct RowBatch {
    slots: Vec<(Row, Option<ReadError>)>,
    len: usize,
}

impl RowBatch {
    fn new() -> Self {
        RowBatch {
            slots: Vec::with_capacity(BATCH_ROWS),
            len: 0,
        }
    }

    /// The batch's records in input order.
    pub fn records(&self) -> impl Iterator<Item = Result<&Row, &ReadError>> {
        self.slots[..self.len]
            .iter()
            .map(|(row, error)| error.as_ref().map_or(Ok(row), Err))
    }

    /// Tops the batch up to `BATCH_ROWS` records, stopping after a fatal
    /// error; false when it is still empty (the input had none left).
    fn fill(&mut self, source: &mut dyn RowSource, columns: &Arc<Columns>) -> bool {
        while self.len < BATCH_ROWS && !self.ended() {
            if self.len == self.slots.len() {
                self.slots.push((Row::empty(Arc::clone(columns)), None));
            }
            let (row, error) = &mut self.slots[self.len];
            match source.read_into(row) {
                None => break,
                Some(result) => {
                    *error = result.err();
                    self.len += 1;
                }
            }
        }
        self.len > 0
    }

    /// Puts one already-read record (the peeked first one) in an empty batch.
    fn push_first(&mut self, record: Result<Row, ReadError>, columns: &Arc<Columns>) {
        let slot = match record {
            Ok(row) => (row, None),
            Err(e) => (Row::empty(Arc::clone(columns)), Some(e)),
        };
        self.slots.insert(0, slot);
        self.len = 1;
    }

    /// Whether the last record was a fatal error: nothing follows it.
    fn ended(&self) -> bool {
        self.len > 0 && self.slots[self.len - 1].1.as_ref().is_some_and(|e| e.fatal)
    }
}

/// The reader's end: filled batches in input order, and the way back for
/// used ones.
pub struct Batches {
    filled: Receiver<RowBatch>,
    used: mpsc::Sender<RowBatch>,
}

impl Batches {
    /// The next batch; `None` when the input is done (or its thread died).
    pub fn next_batch(&self) -> Option<RowBatch> {
        self.filled.recv().ok()
    }

    /// Hands a batch back for reuse.
    pub fn recycle(&self, batch: RowBatch) {
        // The parser may be gone (end of input); the batch is then just freed.
        let _ = self.used.send(batch);
    }
}

/// Starts the parsing thread over `source`, after `first` (a record already
/// read to learn the columns). It stops at the end of the input, after a
/// fatal error, or when the reader drops its [`Batches`].
pub fn start(
    first: Option<Result<Row, ReadError>>,
    mut source: Box<dyn RowSource>,
) -> anyhow::Result<Batches> {
    let (filled_sender, filled) = mpsc::sync_channel(BATCHES_AHEAD);
    let (used, used_receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name("bulk-signup-parser".into())
        .spawn(move || parse(first, source.as_mut(), &filled_sender, &used_receiver))
        .context("cannot start the parsing thread")?;
    Ok(Batches { filled, used })
}

fn parse(
    first: Option<Result<Row, ReadError>>,
    source: &mut dyn RowSource,
    filled: &SyncSender<RowBatch>,
    used: &Receiver<RowBatch>,
) {
    let mut first = first;
    loop {
        // NDJSON's columns can grow; rows read into an older set are replaced.
        let columns = source.columns();
        let mut batch = used.try_recv().unwrap_or_else(|_| RowBatch::new());
        batch.len = 0;
        if let Some(first) = first.take() {
            batch.push_first(first, &columns);
        }
        if !batch.fill(source, &columns) {
            return;
        }
        let ended = batch.ended();
        if filled.send(batch).is_err() || ended {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::CsvRows;

    fn numbers_and_errors(text: &'static [u8]) -> Vec<Result<(u64, String), u64>> {
        let mut source: Box<dyn RowSource> = Box::new(CsvRows::new(text).expect("header"));
        let first = source.next();
        let batches = start(first, source).expect("start");
        let mut seen = Vec::new();
        while let Some(batch) = batches.next_batch() {
            seen.extend(batch.records().map(|r| match r {
                Ok(row) => Ok((row.number, row.value(0).to_owned())),
                Err(e) => Err(e.number),
            }));
            batches.recycle(batch);
        }
        seen
    }

    #[test]
    fn every_record_arrives_once_in_order_across_recycled_batches() {
        let mut text = String::from("username,email\n");
        for i in 0..(3 * BATCH_ROWS + 7) {
            if i == 2000 {
                text.push_str("short\n");
            } else {
                text.push_str(&format!("user{i},u{i}@example.com\n"));
            }
        }
        let seen = numbers_and_errors(Box::leak(text.into_bytes().into_boxed_slice()));
        assert_eq!(seen.len(), 3 * BATCH_ROWS + 7);
        for (i, record) in seen.iter().enumerate() {
            let number = i as u64 + 1;
            if i == 2000 {
                assert_eq!(*record, Err(number));
            } else {
                assert_eq!(*record, Ok((number, format!("user{i}"))));
            }
        }
    }

    #[test]
    fn an_empty_input_gives_no_batch() {
        assert!(numbers_and_errors(b"username,email\n").is_empty());
    }
}
