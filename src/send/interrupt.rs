//! Ctrl-C or SIGTERM as the senders see it: a flag that stops new attempts
//! and a notification that cuts short whatever they wait for (the pacer's
//! slot, a backoff). Shared by the dispatcher and the admin calls it makes,
//! so both stop the same way.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;

/// Raised once, when the run is interrupted.
#[derive(Debug, Default)]
pub(crate) struct Interrupt {
    raised: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Interrupt {
    /// Stops new attempts and wakes every waiter.
    pub(crate) fn raise(&self) {
        self.raised.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub(crate) fn is_raised(&self) -> bool {
        self.raised.load(Ordering::SeqCst)
    }

    /// Runs `wait` unless the run is interrupted first (then `None`). The
    /// notification is armed before the flag is read, so an interrupt in
    /// between is not missed.
    pub(crate) async fn unless<F: Future>(&self, wait: F) -> Option<F::Output> {
        if self.is_raised() {
            return None;
        }
        tokio::pin!(wait);
        // Most waits are over at once (an unpaced run, a pacing slot already
        // due): those need no notification armed, which costs more than they do.
        if let Poll::Ready(out) = futures::poll!(wait.as_mut()) {
            return Some(out);
        }
        let wake = self.notify.notified();
        tokio::pin!(wake);
        wake.as_mut().enable();
        if self.is_raised() {
            return None;
        }
        tokio::select! {
            out = wait => Some(out),
            _ = wake => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_raise_cuts_a_wait_short_and_later_waits_do_not_start() {
        let interrupt = std::sync::Arc::new(Interrupt::default());
        let waiter = std::sync::Arc::clone(&interrupt);
        let long = tokio::spawn(async move {
            waiter
                .unless(tokio::time::sleep(Duration::from_secs(60)))
                .await
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        interrupt.raise();
        let cut = tokio::time::timeout(Duration::from_secs(5), long)
            .await
            .expect("the wait ends at once")
            .expect("task");
        assert_eq!(cut, None);
        assert_eq!(interrupt.unless(async { 1 }).await, None);
        assert!(interrupt.is_raised());
    }
}
