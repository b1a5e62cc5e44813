//! Puts finished rows back in row order before they reach the report. Rows
//! are settled in input order, but a sent row finishes whenever its answer
//! comes, so the rows behind one still in flight (and the refused rows after
//! it) wait here until it finishes. A report whose every entry came out in
//! row order is final as written: the run skips its rewrite at the end,
//! which was an eighth of a fast run's CPU. A row that keeps the others
//! waiting past a flush interval (a backoff, a slow answer) lets them go out
//! of order: the report then gets its rewrite, and entries never wait in
//! memory for long, as a crash would lose them.

use std::collections::VecDeque;

/// One row in row order: still in flight, or finished and waiting.
struct Slot<T> {
    row: u64,
    state: State<T>,
}

enum State<T> {
    InFlight,
    /// Finished at flush tick `tick`, waiting for an earlier row.
    Waiting {
        item: T,
        tick: u64,
    },
    /// Finished without an entry, or already let out of order.
    Gone,
}

/// Rows in flight and the finished rows waiting behind them.
pub(crate) struct Reorder<T> {
    slots: VecDeque<Slot<T>>,
    tick: u64,
}

impl<T> Default for Reorder<T> {
    fn default() -> Self {
        Reorder {
            slots: VecDeque::new(),
            tick: 0,
        }
    }
}

impl<T> Reorder<T> {
    /// Row `row`, higher than every row seen so far, is being sent.
    pub(crate) fn in_flight(&mut self, row: u64) {
        self.slots.push_back(Slot {
            row,
            state: State::InFlight,
        });
    }

    /// Row `row` finished with `item`: passes to `out`, in row order, every
    /// item that no row in flight holds back any longer.
    pub(crate) fn finished(&mut self, row: u64, item: T, mut out: impl FnMut(T)) {
        let tick = self.tick;
        match self.slot_of(row) {
            Some(index) if matches!(self.slots[index].state, State::InFlight) => {
                self.slots[index].state = State::Waiting { item, tick };
            }
            // A row not sent (refused): after every row handed out so far.
            None if self.slots.back().is_none_or(|last| last.row < row) => {
                self.slots.push_back(Slot {
                    row,
                    state: State::Waiting { item, tick },
                })
            }
            // Not in the order rows are settled in (a run never does this):
            // out at once, never held or lost; the report gets its rewrite.
            _ => return out(item),
        }
        self.release_front(out);
    }

    /// Row `row` will not finish with an item (its sending was called off).
    pub(crate) fn dropped(&mut self, row: u64, out: impl FnMut(T)) {
        if let Some(index) = self.slot_of(row) {
            self.slots[index].state = State::Gone;
        }
        self.release_front(out);
    }

    /// A flush interval passed: items that have waited through a whole
    /// interval go out now, with every other waiting item, in row order.
    pub(crate) fn tick(&mut self, mut out: impl FnMut(T)) {
        self.tick += 1;
        let overdue = self.slots.iter().any(|slot| match slot.state {
            State::Waiting { tick, .. } => tick + 1 < self.tick,
            _ => false,
        });
        if overdue {
            self.release_waiting(&mut out);
        }
        self.release_front(out);
    }

    /// Every waiting item, in row order; rows still in flight are given up.
    pub(crate) fn drain(&mut self, mut out: impl FnMut(T)) {
        self.release_waiting(&mut out);
        self.slots.clear();
    }

    /// The slot of a row handed out. Rows are handed out in increasing
    /// order, so the slots are sorted, and nearly always one row apart: the
    /// row's distance from the front is tried first (a search through slots
    /// of a few hundred bytes each touched a cache line per step).
    fn slot_of(&self, row: u64) -> Option<usize> {
        let front = self.slots.front()?.row;
        let guess = usize::try_from(row.checked_sub(front)?).ok()?;
        if self.slots.get(guess).is_some_and(|slot| slot.row == row) {
            return Some(guess);
        }
        self.slots.binary_search_by_key(&row, |slot| slot.row).ok()
    }

    fn release_front(&mut self, mut out: impl FnMut(T)) {
        while self
            .slots
            .front()
            .is_some_and(|front| !matches!(front.state, State::InFlight))
        {
            if let Some(item) = self
                .slots
                .pop_front()
                .and_then(|slot| slot.state.into_item())
            {
                out(item);
            }
        }
    }

    fn release_waiting(&mut self, out: &mut impl FnMut(T)) {
        for slot in &mut self.slots {
            if matches!(slot.state, State::Waiting { .. }) {
                let waiting = std::mem::replace(&mut slot.state, State::Gone);
                if let Some(item) = waiting.into_item() {
                    out(item);
                }
            }
        }
    }
}

impl<T> State<T> {
    /// The waiting item, if there is one.
    fn into_item(self) -> Option<T> {
        match self {
            State::Waiting { item, .. } => Some(item),
            State::InFlight | State::Gone => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(
        reorder: &mut Reorder<u64>,
        step: impl FnOnce(&mut Reorder<u64>, &mut Vec<u64>),
    ) -> Vec<u64> {
        let mut out = Vec::new();
        step(reorder, &mut out);
        out
    }

    #[test]
    fn rows_finishing_out_of_order_come_out_in_order() {
        let mut r = Reorder::default();
        r.in_flight(1);
        r.in_flight(2);
        assert_eq!(
            collect(&mut r, |r, o| r.finished(2, 2, |i| o.push(i))),
            Vec::<u64>::new()
        );
        // Row 3 was refused: it waits behind row 1 too, and before row 4.
        assert_eq!(
            collect(&mut r, |r, o| r.finished(3, 3, |i| o.push(i))),
            Vec::<u64>::new()
        );
        r.in_flight(4);
        assert_eq!(
            collect(&mut r, |r, o| r.finished(1, 1, |i| o.push(i))),
            vec![1, 2, 3]
        );
        assert_eq!(
            collect(&mut r, |r, o| r.finished(4, 4, |i| o.push(i))),
            vec![4]
        );
        assert_eq!(
            collect(&mut r, |r, o| r.finished(5, 5, |i| o.push(i))),
            vec![5]
        );
    }

    #[test]
    fn a_row_out_of_the_expected_order_goes_out_at_once_and_is_never_lost() {
        let mut r = Reorder::default();
        r.in_flight(5);
        assert_eq!(
            collect(&mut r, |r, o| r.finished(3, 3, |i| o.push(i))),
            vec![3]
        );
        assert!(collect(&mut r, |r, o| r.finished(7, 7, |i| o.push(i))).is_empty());
        // A second item for a waiting row is not put in its place.
        assert_eq!(
            collect(&mut r, |r, o| r.finished(7, 70, |i| o.push(i))),
            vec![70]
        );
        assert_eq!(
            collect(&mut r, |r, o| r.finished(5, 5, |i| o.push(i))),
            vec![5, 7]
        );
    }

    #[test]
    fn rows_are_found_with_gaps_between_them() {
        let mut r = Reorder::default();
        // Rows 3 and 6 were never handed out (skipped on a resume).
        for row in [1, 2, 4, 5, 7] {
            r.in_flight(row);
        }
        for (row, index) in [(1, 0), (2, 1), (4, 2), (5, 3), (7, 4)] {
            assert_eq!(r.slot_of(row), Some(index), "row {row}");
        }
        for row in [0, 3, 6, 8, u64::MAX] {
            assert_eq!(r.slot_of(row), None, "row {row}");
        }
        assert!(collect(&mut r, |r, o| r.finished(5, 5, |i| o.push(i))).is_empty());
        assert!(collect(&mut r, |r, o| r.finished(2, 2, |i| o.push(i))).is_empty());
        assert_eq!(
            collect(&mut r, |r, o| r.finished(1, 1, |i| o.push(i))),
            vec![1, 2]
        );
        // The front moved past a gap: row 5 is now at index 1.
        assert_eq!(r.slot_of(5), Some(1));
        assert_eq!(r.slot_of(7), Some(2));
    }

    #[test]
    fn a_dropped_row_holds_nothing_back() {
        let mut r = Reorder::default();
        r.in_flight(1);
        r.in_flight(2);
        assert!(collect(&mut r, |r, o| r.finished(2, 2, |i| o.push(i))).is_empty());
        assert_eq!(collect(&mut r, |r, o| r.dropped(1, |i| o.push(i))), vec![2]);
    }

    #[test]
    fn items_held_through_a_whole_interval_go_out_and_the_late_row_after_them() {
        let mut r = Reorder::default();
        r.in_flight(1);
        r.in_flight(2);
        r.in_flight(3);
        assert!(collect(&mut r, |r, o| r.finished(3, 3, |i| o.push(i))).is_empty());
        // The first tick may come a moment after the item arrived: it waits on.
        assert!(collect(&mut r, |r, o| r.tick(|i| o.push(i))).is_empty());
        assert!(collect(&mut r, |r, o| r.finished(2, 2, |i| o.push(i))).is_empty());
        // Through a whole interval: every waiting item goes, in row order.
        assert_eq!(collect(&mut r, |r, o| r.tick(|i| o.push(i))), vec![2, 3]);
        assert_eq!(
            collect(&mut r, |r, o| r.finished(1, 1, |i| o.push(i))),
            vec![1]
        );
        assert!(r.slots.is_empty());
    }

    #[test]
    fn draining_lets_every_waiting_item_out_in_order() {
        let mut r = Reorder::default();
        for row in 1..=4 {
            r.in_flight(row);
        }
        r.finished(4, 4, |_| unreachable!("row 1 is in flight"));
        r.finished(2, 2, |_| unreachable!("row 1 is in flight"));
        assert_eq!(collect(&mut r, |r, o| r.drain(|i| o.push(i))), vec![2, 4]);
        assert!(r.slots.is_empty());
    }
}
