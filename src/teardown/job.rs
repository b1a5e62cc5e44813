//! The `delete-users` command from start to end: read the users the run
//! created, connect, open (or with `--resume` continue) the deletion
//! report, then settle every user not settled yet, at most
//! `--concurrency` at once, recording each in row order as it finishes.
//! Ctrl-C or SIGTERM stops it cleanly: the report keeps every finished
//! user, and `--resume` continues.

use std::io::Write;
use std::time::Instant;

use futures::StreamExt;

use crate::cli::config_error::config_error;
use crate::cli::DeleteConfig;
use crate::send::cognito::error::printable;
use crate::teardown::connect::connect;
use crate::teardown::outcome::{DeletionEntry, Outcome};
use crate::teardown::resume::open_report;
use crate::teardown::summary::DeleteSummary;
use crate::teardown::targets::created_users;

/// Deletes (or with no `--yes`, lists) the users `config.input` says this
/// tool created. Errors before the first request are configuration errors.
pub async fn delete_users(config: DeleteConfig) -> anyhow::Result<DeleteSummary> {
    let started = Instant::now();
    let targets = created_users(&config.input).map_err(config_error)?;
    let deleter = connect(&config).await?;
    let (mut writer, earlier) =
        open_report(&config.report, config.overwrite, config.resume, &targets)
            .map_err(config_error)?;
    let mut summary = DeleteSummary {
        counts: earlier.counts,
        earlier: earlier.len(),
        yes: config.yes,
        ..DeleteSummary::default()
    };
    // In row order (`buffered`, not `buffer_unordered`): the report and
    // the list read like the run's report.
    let mut results = futures::stream::iter(targets.iter().filter(|t| !earlier.settled(t.row)))
        .map(|target| deleter.settle(target))
        .buffered(config.concurrency);
    let interrupt = crate::run::signals::terminated();
    tokio::pin!(interrupt);
    let mut listed = 0u64;
    loop {
        let entry = tokio::select! {
            next = results.next() => match next {
                Some(entry) => entry,
                None => break,
            },
            () = &mut interrupt => {
                summary.interrupted = true;
                break;
            }
        };
        writer.write(&entry)?;
        if entry.status == Outcome::WouldDelete {
            list(&entry);
            listed += 1;
        }
        summary.add(entry.status);
    }
    // Calls still in flight are abandoned: their users are redone by --resume.
    drop(results);
    writer.sync()?;
    if !config.yes {
        let _ = writeln!(std::io::stdout(), "{listed} users would be deleted");
    }
    (summary.requests, summary.throttled) = deleter.counts();
    summary.stopped_by = deleter.stop_reason().map(str::to_owned);
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// One line on stdout for a user that would be deleted.
fn list(entry: &DeletionEntry) {
    // A closed stdout (`| head`) must not stop the checks.
    let _ = writeln!(
        std::io::stdout(),
        "would delete {} (sub {}, row {})",
        printable(&entry.username, 256),
        printable(&entry.user_sub, 256),
        entry.row
    );
}
