//! `bulk-signup completions SHELL` and `bulk-signup man [COMMAND]`: the
//! shell completion script (`clap_complete`) and the roff man page
//! (`clap_mangen`), both generated from the same clap definition the
//! binary parses with, and written to stdout.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::help_text;
use crate::cli::Cli;
use crate::report::exit;

/// The name the scripts and the man page call the binary by.
const BIN: &str = "bulk-signup";

/// Flags of `bulk-signup completions`.
#[derive(Debug, Args)]
#[command(after_help = help_text::COMPLETIONS)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Flags of `bulk-signup man`.
#[derive(Debug, Args)]
#[command(after_help = help_text::MAN)]
pub struct ManArgs {
    /// The command whose page to print (run, emulator, …); without it, the main page.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

/// The completion script for `shell`.
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut cli = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cli, BIN, &mut script);
    script
}

/// The man page (roff) of the main command, or of the subcommand `name`;
/// an unknown name is an error that lists the known ones.
pub fn man_page(name: Option<&str>) -> Result<Vec<u8>, String> {
    let mut cli = Cli::command();
    // Builds the subcommands' full names ("bulk-signup-run") and usages.
    cli.build();
    let page = match name {
        None => cli,
        Some(name) => cli
            .find_subcommand(name)
            .cloned()
            .ok_or_else(|| {
                let known: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
                format!("no command {name:?}: one of {}", known.join(", "))
            })?
            .version(env!("CARGO_PKG_VERSION")),
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .map_err(|e| format!("cannot render the man page: {e}"))?;
    Ok(roff)
}

/// `bulk-signup completions SHELL`: prints the script; its exit code.
pub fn print_completions(args: &CompletionsArgs) -> u8 {
    print_out("completions", &completion_script(args.shell))
}

/// `bulk-signup man [COMMAND]`: prints the page; its exit code.
pub fn print_man(args: &ManArgs) -> u8 {
    match man_page(args.command.as_deref()) {
        Ok(roff) => print_out("man", &roff),
        Err(e) => {
            eprintln!("{BIN} man: {e}");
            exit::USAGE
        }
    }
}

/// Writes `bytes` to stdout; a closed pipe (`| head`) is not an error.
fn print_out(command: &str, bytes: &[u8]) -> u8 {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => exit::OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
        Err(e) => {
            eprintln!("{BIN} {command}: cannot write to stdout: {e}");
            exit::ROWS_FAILED
        }
    }
}
