//! Parses input records on a thread of their own, ahead of the checking
//! threads that map and check them ([`crate::run::check_stage`]): parsing and
//! checking then run on different cores. A batch stores its records' cells
//! back to back in one buffer, so a checker walks memory in order (what
//! another core wrote arrives by prefetch rather than one cache miss per
//! cell), and batches travel back once used, so their buffers are
//! allocated once per run.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context;

use crate::input::{Cells, Columns, RawRecord, ReadError, Row, RowSource, StringRecord};

/// Records per batch: large enough that hand-overs cost nothing per row.
const BATCH_ROWS: usize = 1024;
/// Cell bytes per batch at most, so a file of huge records keeps batches small.
const BATCH_BYTES: usize = 1 << 20;
/// Filled batches waiting in each lane: bounds read-ahead memory. A batch
/// holds about half a megabyte (its cells twice, raw and checked, and their
/// ends); in a real run every queue stays full, as the sending is slower
/// than the reading, so each batch ahead is memory held for the whole run.
/// Two per lane are enough to keep the checking threads busy in a dry run.
const BATCHES_AHEAD: usize = 2;

/// A run of consecutive records: each one a row or that record's error.
#[derive(Default)]
pub(crate) struct RowBatch {
    /// Every record's cells, back to back.
    text: String,
    /// The cells as parsed, before [`RowBatch::check_utf8`] makes them `text`:
    /// the check runs on a checking thread, off the one parsing thread.
    raw: Vec<u8>,
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
    /// The line it starts on, to name it if its text is not UTF-8.
    line: u64,
    error: Option<Box<ReadError>>,
}

/// A row inside a [`RowBatch`].
pub(crate) struct RowView<'a> {
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
    /// An owned copy, for rows that outlive the batch (sent, or reported),
    /// the cells at `blank` left empty (the cells the error report must not
    /// copy: passwords, unread columns). Sized once: grown cell by cell, a record
    /// reallocates its buffers several times, for every row sent.
    pub(crate) fn to_row_blanking(&self, blank: &[usize]) -> Row {
        let fields = self.ends.len();
        let bytes = self.ends.last().map_or(0, |end| end - self.start);
        let mut values = StringRecord::with_capacity(bytes, fields);
        for i in 0..fields {
            values.push_field(if blank.contains(&i) { "" } else { self.cell(i) });
        }
        Row {
            number: self.number,
            columns: Arc::clone(self.columns),
            values,
        }
    }

    /// The row's number and columns, none of its cells (no allocation).
    pub(crate) fn to_row_without_cells(&self) -> Row {
        Row {
            number: self.number,
            columns: Arc::clone(self.columns),
            values: StringRecord::new(),
        }
    }
}

impl RowBatch {
    /// The batch's records in input order (after [`RowBatch::check_utf8`]).
    pub(crate) fn records(&self) -> impl Iterator<Item = Result<RowView<'_>, &ReadError>> {
        assert!(
            self.raw.is_empty(),
            "RowBatch::check_utf8 runs before records"
        );
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

    /// The cells of every readable record, end to end (after
    /// [`RowBatch::check_utf8`]): for a scan of the whole batch at once.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// How many records the batch holds.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// Input bytes per record so far, when the format tells positions.
    pub(crate) fn bytes_per_record(&self) -> Option<u64> {
        let last = self.records.iter().rev().find(|r| r.byte.is_some())?;
        last.byte?.checked_div(last.number.saturating_sub(1))
    }

    fn is_full(&self, text: &[u8]) -> bool {
        self.records.len() >= BATCH_ROWS || text.len() >= BATCH_BYTES
    }

    /// Whether the last record was a fatal error: nothing follows it.
    fn ended(&self) -> bool {
        self.records
            .last()
            .is_some_and(|r| r.error.as_ref().is_some_and(|e| e.fatal))
    }

    /// Records the columns of the record about to be pushed.
    fn columns_index(&mut self, columns: &Arc<Columns>) -> usize {
        match self.columns.last() {
            Some(last) if Arc::ptr_eq(last, columns) => {}
            _ => self.columns.push(Arc::clone(columns)),
        }
        self.columns.len() - 1
    }

    /// Empties the batch and fills it from `source`: the peeked `first`
    /// record, then up to `BATCH_ROWS` more, stopping after a fatal error.
    fn fill(&mut self, first: Option<Result<Row, ReadError>>, source: &mut dyn RowSource) {
        // A used batch's buffer is in `text` (`check_utf8` moved it there).
        let mut text = std::mem::take(&mut self.text).into_bytes();
        text.clear();
        self.ends.clear();
        self.records.clear();
        self.columns.clear();
        match first {
            // Already read and checked: its cells go in as they are.
            Some(Ok(row)) => {
                row.append_cells(&mut text, &mut self.ends);
                let at = RawRecord {
                    number: row.number,
                    line: 0,
                    byte: None,
                };
                self.push_record(0, Ok(at), &row.columns);
            }
            Some(Err(e)) => self.push_record(0, Err(e), source.columns()),
            None => {}
        }
        while !self.is_full(&text) && !self.ended() {
            let first_cell = self.ends.len();
            let Some(read) = source.read_raw(&mut text, &mut self.ends) else {
                break;
            };
            self.push_record(first_cell, read, source.columns());
        }
        self.raw = text;
    }

    /// Turns the parsed cells into `text`, which [`RowBatch::records`]
    /// reads: checked for UTF-8 in one go, every cell boundary a character
    /// boundary. Records at fault become errors and lose their cells.
    pub(crate) fn check_utf8(&mut self) {
        let raw = std::mem::take(&mut self.raw);
        self.text = self.checked_text(raw);
    }

    /// Records one record read (its cells from `first_cell` on), or its error.
    fn push_record(
        &mut self,
        first_cell: usize,
        read: Result<RawRecord, ReadError>,
        columns: &Arc<Columns>,
    ) {
        let record = match read {
            Ok(at) => Record {
                number: at.number,
                first_cell,
                end_cell: self.ends.len(),
                columns: self.columns_index(columns),
                byte: at.byte,
                line: at.line,
                error: None,
            },
            Err(e) => Record {
                number: e.number,
                first_cell,
                end_cell: self.ends.len(),
                columns: 0,
                byte: None,
                line: 0,
                error: Some(Box::new(e)),
            },
        };
        self.records.push(record);
    }

    /// The batch's text as a `String`. In the rare batch that is not
    /// UTF-8 throughout, the records at fault become errors.
    fn checked_text(&mut self, text: Vec<u8>) -> String {
        let text = match String::from_utf8(text) {
            Ok(text) if self.ends.iter().all(|end| text.is_char_boundary(*end)) => return text,
            Ok(text) => text.into_bytes(),
            Err(e) => e.into_bytes(),
        };
        let (mut kept, mut ends) = (String::with_capacity(text.len()), Vec::new());
        for record in &mut self.records {
            let first_cell = ends.len();
            let mut start = record.first_cell.checked_sub(1).map_or(0, |i| self.ends[i]);
            let mut bad_cell = None;
            for (i, end) in self.ends[record.first_cell..record.end_cell]
                .iter()
                .enumerate()
            {
                match std::str::from_utf8(&text[start..*end]) {
                    Ok(cell) if bad_cell.is_none() => {
                        kept.push_str(cell);
                        ends.push(kept.len());
                    }
                    Ok(_) => {}
                    Err(_) => bad_cell = bad_cell.or(Some(i)),
                }
                start = *end;
            }
            if let Some(column) = bad_cell {
                ends.truncate(first_cell);
                kept.truncate(ends.last().copied().unwrap_or(0));
                let columns = &self.columns[record.columns];
                let error = crate::input::not_utf8(columns, column, record.number, record.line);
                record.error = Some(Box::new(error));
            }
            (record.first_cell, record.end_cell) = (first_cell, ends.len());
        }
        self.ends = ends;
        kept
    }
}

/// The parsing thread's outputs: batch `k` goes to lane `k % lanes`, so a
/// consumer that takes one batch from each lane in turn sees the input in
/// order. Used batches come back through [`ReadAhead::recycler`].
pub(crate) struct ReadAhead {
    lanes: Vec<Receiver<RowBatch>>,
    recycle: mpsc::Sender<RowBatch>,
    thread: JoinHandle<()>,
}

/// Hands used batches back to the parser for reuse.
#[derive(Clone)]
pub(crate) struct Recycler(mpsc::Sender<RowBatch>);

impl Recycler {
    pub(crate) fn recycle(&self, batch: RowBatch) {
        // The parser may be gone (end of input); the batch is then just freed.
        let _ = self.0.send(batch);
    }
}

impl ReadAhead {
    /// The lanes of parsed batches, for the checking threads (taken once).
    pub(crate) fn take_lanes(&mut self) -> Vec<Receiver<RowBatch>> {
        std::mem::take(&mut self.lanes)
    }

    pub(crate) fn recycler(&self) -> Recycler {
        Recycler(self.recycle.clone())
    }

    /// The parsing thread, to join once every lane has ended: a lane that
    /// ends because the parser panicked must not pass for the end of input.
    pub(crate) fn into_thread(self) -> JoinHandle<()> {
        self.thread
    }
}

/// Starts the parsing thread over `source`, after `first` (a record already
/// read to learn the columns), dealing batches out over `lanes` lanes. It
/// stops at the end of the input, after a fatal error, or when a lane's
/// receiver is gone.
pub(crate) fn start(
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
    for lane in lanes.iter().cycle() {
        let mut batch = used.try_recv().unwrap_or_default();
        batch.fill(first.take(), source);
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
            let Ok(mut batch) = lane.recv() else { break };
            batch.check_utf8();
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
    fn an_owned_copy_keeps_every_cell_but_the_blanked_ones() {
        let text: &'static [u8] = b"username,password,email\nann,Pw-1secret,a@x.io\n,,\n";
        let mut source: Box<dyn RowSource> = Box::new(CsvRows::new(text).expect("header"));
        let first = source.next();
        let read_ahead = start(first, source, 1).expect("start");
        let mut batch = read_ahead.lanes[0].recv().expect("one batch");
        batch.check_utf8();
        let rows: Vec<Row> = batch
            .records()
            .map(|r| r.expect("readable").to_row_blanking(&[1]))
            .collect();
        let cells = |row: &Row| (0..3).map(|i| row.value(i).to_owned()).collect::<Vec<_>>();
        assert_eq!(cells(&rows[0]), ["ann", "", "a@x.io"]);
        assert_eq!(rows[0].number, 1);
        assert_eq!(rows[0].values.len(), 3);
        assert_eq!(cells(&rows[1]), ["", "", ""]);
        assert_eq!(rows[1].values.len(), 3);
    }

    #[test]
    fn records_that_are_not_utf8_become_errors_and_the_rest_stay_whole() {
        // Record 2 has a bad byte; record 3's cells are each invalid though
        // together they spell "€" (E2 82 | AC): both must be caught.
        let text: &'static [u8] =
            b"username,email\nann,a@x.io\nb\xffb,b@x.io\ncc\xe2\x82,\xacc@x.io\ndee,d\xc3\xa9@x.io\n";
        let mut source: Box<dyn RowSource> = Box::new(CsvRows::new(text).expect("header"));
        let first = source.next();
        let read_ahead = start(first, source, 1).expect("start");
        let mut batch = read_ahead.lanes[0].recv().expect("one batch");
        batch.check_utf8();
        let seen: Vec<Result<(String, String), String>> = batch
            .records()
            .map(|r| match r {
                Ok(row) => Ok((row.cell(0).to_owned(), row.cell(1).to_owned())),
                Err(e) => Err(e.message.clone()),
            })
            .collect();
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[0], Ok(("ann".into(), "a@x.io".into())));
        assert_eq!(
            seen[1],
            Err("column \"username\" on line 3 is not valid UTF-8".into())
        );
        assert_eq!(
            seen[2],
            Err("column \"username\" on line 4 is not valid UTF-8".into())
        );
        assert_eq!(seen[3], Ok(("dee".into(), "dé@x.io".into())));
    }

    #[test]
    fn an_empty_input_gives_no_batch() {
        assert!(numbers_and_errors(b"username,email\n").is_empty());
    }
}
