//! Parses input records on a thread of their own, ahead of the checking
//! threads that map and check them ([`crate::check_stage`]): parsing and
//! checking then run on different cores. A batch stores its records' cells
//! back to back in one buffer, so a checker walks memory in order (what
//! another core wrote arrives by prefetch rather than one cache miss per
//! cell), and batches travel back once used, so their buffers are
//! allocated once per run.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context;

use crate::input::{Cells, Columns, ReadError, Row, RowSource, StringRecord};

/// Records per batch: large enough that hand-overs cost nothing per row.
const BATCH_ROWS: usize = 1024;
/// Cell bytes per batch at most, so a file of huge records keeps batches small.
const BATCH_BYTES: usize = 1 << 20;
/// Filled batches waiting in each lane: bounds read-ahead memory.
const BATCHES_AHEAD: usize = 4;

/// A run of consecutive records: each one a row or that record's error.
#[derive(Default)]
pub struct RowBatch {
    /// Every record's cells, back to back.
    text: String,
    /// Where each cell ends in `text`.
    ends: Vec<usize>,
    records: Vec<Record>,
    /// The column sets of the records (one for CSV; NDJSON's can grow).
    columns: Vec<Arc<Columns>>,
}

/// One record of a batch: its cells are `ends[first_cell..end_cell]`.
struct Record {
    number: u64,
    first_cell: usize,
    end_cell: usize,
    columns: usize,
    /// Where the record starts in the input, when the format tells.
    byte: Option<u64>,
    error: Option<Box<ReadError>>,
}

/// A row inside a [`RowBatch`].
pub struct RowView<'a> {
    number: u64,
    columns: &'a Arc<Columns>,
    text: &'a str,
    /// The text's end offset of each cell.
    ends: &'a [usize],
    /// Where the first cell starts.
    start: usize,
}

impl Cells for RowView<'_> {
    fn number(&self) -> u64 {
        self.number
    }
    fn columns(&self) -> &Arc<Columns> {
        self.columns
    }
    fn cell(&self, index: usize) -> &str {
        let Some(end) = self.ends.get(index) else {
            return "";
        };
        let start = index.checked_sub(1).map_or(self.start, |i| self.ends[i]);
        &self.text[start..*end]
    }
}

impl RowView<'_> {
    /// An owned copy, for rows that outlive the batch (sent, or reported).
    pub fn to_row(&self) -> Row {
        Row {
            number: self.number,
            columns: Arc::clone(self.columns),
            values: (0..self.ends.len())
                .map(|i| self.cell(i))
                .collect::<StringRecord>(),
        }
    }
}

impl RowBatch {
    /// The batch's records in input order.
    pub fn records(&self) -> impl Iterator<Item = Result<RowView<'_>, &ReadError>> {
        self.records.iter().map(|record| match &record.error {
            Some(error) => Err(&**error),
            None => {
                let ends = &self.ends[record.first_cell..record.end_cell];
                Ok(RowView {
                    number: record.number,
                    columns: &self.columns[record.columns],
                    text: &self.text,
                    ends,
                    start: record.first_cell.checked_sub(1).map_or(0, |i| self.ends[i]),
                })
            }
        })
    }

    /// How many records the batch holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Input bytes per record so far, when the format tells positions.
    pub fn bytes_per_record(&self) -> Option<u64> {
        let last = self.records.iter().rev().find(|r| r.byte.is_some())?;
        last.byte?.checked_div(last.number.saturating_sub(1))
    }

    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.records.clear();
        self.columns.clear();
    }

    fn is_full(&self) -> bool {
        self.records.len() >= BATCH_ROWS || self.text.len() >= BATCH_BYTES
    }

    /// Whether the last record was a fatal error: nothing follows it.
    fn ended(&self) -> bool {
        self.records
            .last()
            .is_some_and(|r| r.error.as_ref().is_some_and(|e| e.fatal))
    }

    /// Appends one record read into `row` (or its error).
    fn push(&mut self, read: Result<&Row, ReadError>) {
        let first_cell = self.ends.len();
        let (number, byte, error, columns) = match read {
            Ok(row) => {
                // One copy of the whole record; its cells' ends follow.
                let mut end = self.text.len();
                self.text.push_str(row.values.as_slice());
                for cell in row.values.iter() {
                    end += cell.len();
                    self.ends.push(end);
                }
                let byte = row.values.position().map(|p| p.byte());
                (row.number, byte, None, Some(&row.columns))
            }
            Err(e) => (e.number, None, Some(Box::new(e)), None),
        };
        let columns = match columns {
            Some(columns) => match self.columns.last() {
                Some(last) if Arc::ptr_eq(last, columns) => self.columns.len() - 1,
                _ => {
                    self.columns.push(Arc::clone(columns));
                    self.columns.len() - 1
                }
            },
            None => 0,
        };
        self.records.push(Record {
            number,
            first_cell,
            end_cell: self.ends.len(),
            columns,
            byte,
            error,
        });
    }

    /// Tops the batch up, reading into `scratch`; stops after a fatal error.
    fn fill(&mut self, source: &mut dyn RowSource, scratch: &mut Row) {
        while !self.is_full() && !self.ended() {
            match source.read_into(scratch) {
                None => break,
                Some(Ok(())) => self.push(Ok(scratch)),
                Some(Err(e)) => self.push(Err(e)),
            }
        }
    }
}

/// The parsing thread's outputs: batch `k` goes to lane `k % lanes`, so a
/// consumer that takes one batch from each lane in turn sees the input in
/// order. Used batches come back through [`ReadAhead::recycler`].
pub struct ReadAhead {
    pub lanes: Vec<Receiver<RowBatch>>,
    recycle: mpsc::Sender<RowBatch>,
    thread: JoinHandle<()>,
}

/// Hands used batches back to the parser for reuse.
#[derive(Clone)]
pub struct Recycler(mpsc::Sender<RowBatch>);

impl Recycler {
    pub fn recycle(&self, batch: RowBatch) {
        // The parser may be gone (end of input); the batch is then just freed.
        let _ = self.0.send(batch);
    }
}

impl ReadAhead {
    pub fn recycler(&self) -> Recycler {
        Recycler(self.recycle.clone())
    }

    /// The parsing thread, to join once every lane has ended: a lane that
    /// ends because the parser panicked must not pass for the end of input.
    pub fn into_thread(self) -> JoinHandle<()> {
        self.thread
    }
}

/// Starts the parsing thread over `source`, after `first` (a record already
/// read to learn the columns), dealing batches out over `lanes` lanes. It
/// stops at the end of the input, after a fatal error, or when a lane's
/// receiver is gone.
pub fn start(
    first: Option<Result<Row, ReadError>>,
    mut source: Box<dyn RowSource>,
    lanes: usize,
) -> anyhow::Result<ReadAhead> {
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..lanes.max(1))
        .map(|_| mpsc::sync_channel(BATCHES_AHEAD))
        .unzip();
    let (recycle, used) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("bulk-signup-parser".into())
        .spawn(move || parse(first, source.as_mut(), &senders, &used))
        .context("cannot start the parsing thread")?;
    Ok(ReadAhead {
        lanes: receivers,
        recycle,
        thread,
    })
}

fn parse(
    first: Option<Result<Row, ReadError>>,
    source: &mut dyn RowSource,
    lanes: &[SyncSender<RowBatch>],
    used: &Receiver<RowBatch>,
) {
    let mut first = first;
    // Every record is read into this one row, then copied into a batch.
    let mut scratch = Row::empty(source.columns());
    for lane in lanes.iter().cycle() {
        let mut batch = used.try_recv().unwrap_or_default();
        batch.clear();
        if let Some(first) = first.take() {
            batch.push(first.as_ref().map_err(Clone::clone));
        }
        batch.fill(source, &mut scratch);
        if batch.records.is_empty() {
            return;
        }
        let ended = batch.ended();
        if lane.send(batch).is_err() || ended {
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
        let read_ahead = start(first, source, 3).expect("start");
        let recycler = read_ahead.recycler();
        let mut seen = Vec::new();
        // One batch from each lane in turn is the input order.
        for lane in read_ahead.lanes.iter().cycle() {
            let Ok(batch) = lane.recv() else { break };
            seen.extend(batch.records().map(|r| match r {
                Ok(row) => Ok((row.number(), row.cell(0).to_owned())),
                Err(e) => Err(e.number),
            }));
            recycler.recycle(batch);
        }
        read_ahead
            .into_thread()
            .join()
            .expect("the parser ends cleanly");
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
