//! The `bulk-signup` binary: parse flags, set up logging, run, and map the
//! outcome to a documented exit code (see `summary::exit`).

use std::process::ExitCode;

use clap::Parser;

use bulk_signup::cli::logging::say;
use bulk_signup::cli::{
    Cli, Command, ConfigError, DeleteArgs, DeleteConfig, ProcessEnv, RunConfig,
};
use bulk_signup::report::exit;

/// The pipeline allocates a few small strings per row on one thread and
/// frees them on another; mimalloc's per-thread free lists make that about
/// twice as cheap as glibc's malloc (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: bulk_signup::allocator::MiMalloc = bulk_signup::allocator::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    if matches!(cli.command, Command::Emulator(_)) {
        bulk_signup::allocator::keep_freed_memory();
    } else {
        no_transparent_huge_pages();
    }
    bulk_signup::cli::logging::init(cli.quiet, cli.verbose, cli.log_format, &ProcessEnv);
    let runtime = match runtime_for(&cli.command).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bulk-signup: cannot start the async runtime: {e}");
            return ExitCode::from(exit::ROWS_FAILED);
        }
    };
    let code = runtime.block_on(dispatch(cli));
    // Do not wait for work a Ctrl-C abandoned (or a DNS lookup in flight):
    // the reports are already consistent on disk.
    runtime.shutdown_background();
    ExitCode::from(code)
}

/// Backs this process's memory with 4 KiB pages only. mimalloc asks for
/// transparent huge pages on its arenas (`MADV_HUGEPAGE`), so each thread's
/// partly used 2 MiB region counts whole in the resident set: a 1,000-row
/// dry run took 25 MB instead of 12, a 1 M-row one 56 instead of 32
/// (BENCHMARKS.md). The flag holds for pages touched from now on, whatever
/// mimalloc reserved before `main`. The emulator keeps huge pages: its speed,
/// not its memory, is what benchmarks measure.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process (kept by
    // its children); it touches no memory of ours. A kernel without it
    // answers EINVAL, which changes nothing.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// `run` drives every request from one task (the fan-out loop), so one
/// thread does it best: on a multi-thread runtime each request's future and
/// its connection's task sat on different threads, and every answer cost
/// cross-thread wake-ups and context switches (a quarter of the client's
/// CPU per row, BENCHMARKS.md). The input and check stages keep their own
/// threads. The emulator serves many clients at once: it keeps the pool.
fn runtime_for(command: &Command) -> tokio::runtime::Builder {
    match command {
        Command::Run(_) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    }
}

async fn dispatch(cli: Cli) -> u8 {
    // Log lines go around the bar (cli::log_writer), so -v keeps it.
    let show_progress =
        cli.progress || (!cli.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match cli.command {
        Command::Emulator(args) => match bulk_signup::emulator::serve(args).await {
            Ok(()) => exit::OK,
            Err(e) => {
                eprintln!("bulk-signup emulator: {e:#}");
                exit::USAGE
            }
        },
        Command::Presets(args) => match bulk_signup::cli::presets_text(args.name.as_deref()) {
            Ok(text) => {
                print!("{text}");
                exit::OK
            }
            Err(e) => {
                eprintln!("bulk-signup presets: {e}");
                exit::USAGE
            }
        },
        Command::MergeReports(args) => {
            match bulk_signup::report::merge_reports(&args.out, &args.reports, args.overwrite) {
                Ok(merged) => {
                    eprintln!("merged {} rows into {}", merged.rows, args.out.display());
                    if merged.is_complete() {
                        exit::OK
                    } else {
                        // Written, but not the whole input: never a silent 0.
                        eprintln!("bulk-signup merge-reports: {}", merged.missing_text());
                        exit::ROWS_FAILED
                    }
                }
                Err(e) => {
                    eprintln!("bulk-signup merge-reports: {e:#}");
                    exit::USAGE
                }
            }
        }
        Command::DeleteUsers(args) => delete_users(*args, cli.quiet).await,
        Command::Completions(args) => bulk_signup::cli::completions::print_completions(&args),
        Command::Man(args) => bulk_signup::cli::completions::print_man(&args),
        Command::Run(args) => {
            let config = match RunConfig::from_args(*args, &ProcessEnv, show_progress, cli.quiet) {
                Ok(config) => config,
                Err(e) => {
                    say(&format!("bulk-signup: {e:#}\n"));
                    return exit::USAGE;
                }
            };
            match bulk_signup::run::run(config).await {
                Ok(summary) => {
                    say(&summary.to_string());
                    let next =
                        bulk_signup::report::next_steps(&summary, &rerun_command).to_string();
                    if !next.is_empty() {
                        say(&next);
                    }
                    summary.exit_code()
                }
                Err(e) if e.is::<ConfigError>() => {
                    say(&format!("bulk-signup: {e:#}\n"));
                    exit::USAGE
                }
                Err(e) => {
                    say(&format!("bulk-signup: the run failed: {e:#}\n"));
                    exit::ROWS_FAILED
                }
            }
        }
    }
}

/// `bulk-signup delete-users`: its exit code, on `run`'s scale.
async fn delete_users(args: DeleteArgs, quiet: bool) -> u8 {
    let config = match DeleteConfig::from_args(args, &ProcessEnv, quiet) {
        Ok(config) => config,
        Err(e) => {
            say(&format!("bulk-signup delete-users: {e:#}\n"));
            return exit::USAGE;
        }
    };
    match bulk_signup::teardown::delete_users(config).await {
        Ok(summary) => {
            say(&summary.to_string());
            if summary.interrupted {
                say(&format!(
                    "interrupted: the deletion report keeps every finished user. To continue:\n  {}\n",
                    rerun_command("--resume")
                ));
            }
            summary.exit_code()
        }
        Err(e) if e.is::<ConfigError>() => {
            say(&format!("bulk-signup delete-users: {e:#}\n"));
            exit::USAGE
        }
        Err(e) => {
            say(&format!("bulk-signup delete-users: failed: {e:#}\n"));
            exit::ROWS_FAILED
        }
    }
}

/// This run's command line ending in `flag` (`--resume` to continue, which
/// must not carry `--overwrite`: that would throw the report away), quoted
/// for a POSIX shell. Secrets are never arguments, so the line is safe to print.
fn rerun_command(flag: &str) -> String {
    let mut words: Vec<String> = vec![program_path()];
    words.extend(
        std::env::args()
            .skip(1)
            .filter(|a| a != "--overwrite" && a != "--resume"),
    );
    words.push(flag.to_owned());
    words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The path this binary was run by (as typed, so it works from the same
/// directory), or `bulk-signup` when the system did not say.
fn program_path() -> String {
    std::env::args_os()
        .next()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "bulk-signup".to_owned())
}

fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
