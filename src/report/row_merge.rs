//! A streaming k-way merge of report-entry streams that are each in row
//! order: the final rewrite merges its sorted chunks with it, and
//! `merge-reports` the shards' reports. Entries come out by row, and among
//! equal rows in the order of their streams.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::report::entry::ReportEntry;

/// Merges `streams`; `names` label them in errors.
pub(crate) struct RowMerge<I> {
    streams: Vec<I>,
    names: Vec<String>,
    heads: Vec<Option<ReportEntry>>,
    heap: BinaryHeap<Reverse<(u64, usize)>>,
    started: bool,
}

impl<I: Iterator<Item = anyhow::Result<ReportEntry>>> RowMerge<I> {
    pub(crate) fn new(streams: Vec<I>, names: Vec<String>) -> Self {
        let count = streams.len();
        RowMerge {
            streams,
            names,
            heads: (0..count).map(|_| None).collect(),
            heap: BinaryHeap::with_capacity(count),
            started: false,
        }
    }

    /// Reads stream `i`'s next entry into its head; refuses a stream that
    /// goes back in row order (the merge would then be wrong).
    fn advance(&mut self, i: usize, after: Option<u64>) -> anyhow::Result<()> {
        let Some(entry) = self.streams[i].next().transpose()? else {
            return Ok(());
        };
        if after.is_some_and(|row| entry.row < row) {
            anyhow::bail!("{} is not in row order", self.names[i]);
        }
        self.heap.push(Reverse((entry.row, i)));
        self.heads[i] = Some(entry);
        Ok(())
    }
}

impl<I: Iterator<Item = anyhow::Result<ReportEntry>>> Iterator for RowMerge<I> {
    /// The next entry and the index of the stream it came from.
    type Item = anyhow::Result<(ReportEntry, usize)>;

    fn next(&mut self) -> Option<Self::Item> {
        if !self.started {
            self.started = true;
            for i in 0..self.streams.len() {
                if let Err(e) = self.advance(i, None) {
                    return Some(Err(e));
                }
            }
        }
        let Reverse((row, i)) = self.heap.pop()?;
        let entry = self.heads[i].take()?;
        if let Err(e) = self.advance(i, Some(row)) {
            return Some(Err(e));
        }
        Some(Ok((entry, i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(rows: &[u64]) -> std::vec::IntoIter<anyhow::Result<ReportEntry>> {
        rows.iter()
            .map(|row| {
                Ok(ReportEntry {
                    row: *row,
                    ..ReportEntry::default()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn merges_by_row_then_stream() {
        let merged: Vec<(u64, usize)> = RowMerge::new(
            vec![stream(&[1, 3, 3]), stream(&[2, 3])],
            vec!["a".into(), "b".into()],
        )
        .map(|r| r.map(|(e, i)| (e.row, i)).expect("entry"))
        .collect();
        assert_eq!(merged, [(1, 0), (2, 1), (3, 0), (3, 0), (3, 1)]);
    }

    #[test]
    fn a_stream_out_of_order_is_refused() {
        let result: anyhow::Result<Vec<_>> =
            RowMerge::new(vec![stream(&[2, 1])], vec!["shard.csv".into()]).collect();
        assert!(result.is_err_and(|e| e.to_string().contains("shard.csv is not in row order")));
    }
}
