//! Ctrl-C and SIGTERM: waiting for them, counting them for the run loop,
//! and abandoning blocking file work when one arrives.

use tokio::sync::watch;

/// Resolves at the first Ctrl-C (SIGINT) or SIGTERM.
pub(crate) async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Counts Ctrl-C and SIGTERM signals from now on.
pub(crate) fn watch_signals() -> watch::Receiver<u32> {
    let (sender, receiver) = watch::channel(0u32);
    tokio::spawn(async move {
        loop {
            terminated().await;
            sender.send_modify(|n| *n += 1);
            if sender.is_closed() {
                return;
            }
        }
    });
    receiver
}

/// Runs blocking file work on its own thread; a Ctrl-C or SIGTERM meanwhile
/// abandons it (`None`) and the process exits without waiting for it (a
/// plain thread, unlike a tokio blocking task, does not hold the exit). Both
/// uses are safe to abandon: the input check writes nothing, and the final
/// rewrite writes a temporary file (swept by the next run) until its atomic rename.
pub(crate) async fn interruptible<T: Send + 'static>(
    signals: &mut watch::Receiver<u32>,
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Option<anyhow::Result<T>> {
    let (done, mut result) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("bulk-signup-files".into())
        .spawn(move || {
            let _ = done.send(work());
        });
    if let Err(e) = spawned {
        return Some(Err(anyhow::anyhow!("cannot start a worker thread: {e}")));
    }
    let lost = || anyhow::anyhow!("a worker thread panicked");
    tokio::select! {
        finished = &mut result => Some(finished.unwrap_or_else(|_| Err(lost()))),
        changed = signals.changed() => match changed {
            Ok(()) => None,
            // No signal watcher any more: nothing can interrupt the work.
            Err(_) => Some(result.await.unwrap_or_else(|_| Err(lost()))),
        },
    }
}
