//! A growable list that never moves what it holds: items live in chunks of
//! [`CHUNK`], each allocated whole, and a full chunk is followed by a new one.
//!
//! Why: the user table held its users in one `Vec`, which doubled at 2²⁰
//! users by copying some 100 MB (and faulting in twice that) while every
//! request waited on the table's lock. A client measured then saw answers
//! more than 100 ms late, enough to take it off its fast path (its report
//! then needs a rewrite at the end). Growing here copies nothing.

/// Items per chunk. A chunk's memory is reserved at once but only touched
/// as it fills, so a small table costs no more than its items.
const CHUNK: usize = 1 << 14;

/// Items by index, in the order they were pushed. Every chunk but the last
/// is full.
#[derive(Debug, Default)]
pub(crate) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
}

impl<T> Chunked<T> {
    /// Items pushed so far.
    pub(crate) fn len(&self) -> usize {
        self.chunks
            .last()
            .map_or(0, |last| (self.chunks.len() - 1) * CHUNK + last.len())
    }

    /// Adds `item` at index [`Chunked::len`].
    pub(crate) fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(item),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(item);
                self.chunks.push(chunk);
            }
        }
    }

    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK)?.get(index % CHUNK)
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.chunks.get_mut(index / CHUNK)?.get_mut(index % CHUNK)
    }

    /// The items from index `start` on, with their indexes; starting there
    /// costs nothing for the items before it.
    pub(crate) fn iter_from(&self, start: usize) -> impl Iterator<Item = (usize, &T)> {
        let (first, offset) = (start / CHUNK, start % CHUNK);
        self.chunks
            .iter()
            .enumerate()
            .skip(first)
            .flat_map(move |(c, chunk)| {
                let skip = if c == first { offset } else { 0 };
                chunk
                    .iter()
                    .enumerate()
                    .skip(skip)
                    .map(move |(i, item)| (c * CHUNK + i, item))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(item: &usize) -> usize {
        std::ptr::from_ref(item) as usize
    }

    #[test]
    fn items_keep_their_index_and_their_place_across_chunks() {
        let mut list = Chunked::default();
        list.push(0);
        // A single `Vec` would have moved its first item many times over.
        let first = address(list.get(0).unwrap());
        let count = 2 * CHUNK + 5;
        for i in 1..count {
            list.push(i);
        }
        assert_eq!(address(list.get(0).unwrap()), first);
        assert_eq!(list.len(), count);
        assert_eq!(list.get(CHUNK), Some(&CHUNK));
        assert_eq!(list.get(count - 1), Some(&(count - 1)));
        assert_eq!(list.get(count), None);
        *list.get_mut(CHUNK + 1).unwrap() = 7;
        assert_eq!(list.get(CHUNK + 1), Some(&7));
    }

    #[test]
    fn iteration_from_any_start_sees_every_later_item_once_in_order() {
        let mut list = Chunked::default();
        let count = 2 * CHUNK + 3;
        for i in 0..count {
            list.push(i * 10);
        }
        for start in [
            0,
            1,
            CHUNK - 1,
            CHUNK,
            CHUNK + 1,
            2 * CHUNK + 2,
            count,
            count + 9,
        ] {
            let seen: Vec<(usize, usize)> = list.iter_from(start).map(|(i, v)| (i, *v)).collect();
            let expected: Vec<(usize, usize)> = (start..count).map(|i| (i, i * 10)).collect();
            assert_eq!(seen, expected, "from {start}");
        }
    }
}
