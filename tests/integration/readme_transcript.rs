//! README transcripts: finding them, and comparing their shown output with
//! a real run's. The convention (also stated at the top of README.md):
//!
//! - A fenced block tagged `console` is a transcript that a test runs. A line
//!   starting with `$ ` is a command; a command whose line ends with `\`
//!   goes on over the next lines, as in a shell. The lines up to the next
//!   command are its output (stdout and stderr, as a terminal shows them).
//! - A command must exit 0. A transcript shows a non-zero exit the way a
//!   shell user sees it, with `; echo "exit $?"` after the command.
//! - The blocks under one heading are one session: they run in order in
//!   one directory and one shell, so a later block uses an earlier one's
//!   files, variables and servers. Each heading starts afresh.
//! - A command ending in `&` runs in the background until its heading's
//!   blocks end.
//! - In shown output, `…` stands for any text within a line, and a line
//!   that is only `…` for any number of lines (output trimmed for the
//!   README). Measured figures that differ from run to run (durations,
//!   rates, timestamps, ids, loopback ports) are compared after
//!   [`normalise`], so the README shows real ones.
//! - Blocks tagged `sh` need an AWS account, write outside the directory,
//!   or show a command's shape: they are never run.

use std::sync::LazyLock;

use regex::Regex;

/// One `console` block.
#[derive(Debug, PartialEq)]
pub struct Block {
    /// The README line of its opening fence (1-based).
    pub line: usize,
    /// Which heading it is under: blocks under one heading share a
    /// directory, a shell and its background commands.
    pub section: usize,
    pub steps: Vec<Step>,
}

/// One command of a block and the output the README shows for it.
#[derive(Debug, PartialEq)]
pub struct Step {
    /// The README line of its `$ ` (1-based).
    pub line: usize,
    /// The command as typed, continuation lines included.
    pub command: String,
    pub expected: Vec<String>,
}

impl Step {
    /// The command without its trailing `&`, when it runs in the background.
    pub fn background(&self) -> Option<&str> {
        self.command.trim_end().strip_suffix('&').map(str::trim_end)
    }
}

/// Every `console` block of `markdown`, in order.
pub fn console_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut section = 0;
    // The block being read, or `None` inside another fenced block.
    let mut fenced: Option<Option<Block>> = None;
    let mut lines = markdown.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let Some(inside) = fenced.as_mut() else {
            if line.starts_with("```") {
                let console = line.trim_end() == "```console";
                fenced = Some(console.then(|| Block {
                    line: index + 1,
                    section,
                    steps: Vec::new(),
                }));
            } else if line.starts_with('#') {
                section += 1;
            }
            continue;
        };
        if line.starts_with("```") {
            blocks.extend(fenced.take().flatten());
        } else if let Some(block) = inside {
            read_line(block, index, line, &mut lines);
        }
    }
    assert!(fenced.is_none(), "README: a fenced block is not closed");
    blocks
}

/// Adds one line of a `console` block: a command (with its continuation
/// lines, taken from `rest`) or a line of the last command's output.
fn read_line<'a>(
    block: &mut Block,
    index: usize,
    line: &str,
    rest: &mut impl Iterator<Item = (usize, &'a str)>,
) {
    if let Some(first) = line.strip_prefix("$ ") {
        let mut command = first.to_owned();
        while command.ends_with('\\') {
            let Some((_, next)) = rest.next() else { break };
            command.push('\n');
            command.push_str(next);
        }
        block.steps.push(Step {
            line: index + 1,
            command,
            expected: Vec::new(),
        });
    } else {
        let step = block
            .steps
            .last_mut()
            .unwrap_or_else(|| panic!("README line {}: output before any `$ ` command", index + 1));
        step.expected.push(line.to_owned());
    }
}

/// What legitimately differs between runs, each with what replaces it.
static VARYING: LazyLock<Vec<(Regex, &str)>> = LazyLock::new(|| {
    [
        // RFC 3339 timestamps (JSON logs).
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?",
            "<time>",
        ),
        // Request ids and subs.
        (
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "<id>",
        ),
        // Rates: `25.0 rows/s`, `(11.4/s)`, `50.0 requests/s`.
        (r"\d+(\.\d+)?( rows| users| requests)?/s\b", "<rate>"),
        // Durations: `1.6s`, `250ms`.
        (r"\b\d+(\.\d+)?(ns|µs|us|ms|s|m|h)\b", "<duration>"),
        // The summary JSON's measured figures.
        (
            r#""(duration_seconds|rows_per_second|final_rate)": ?[0-9.e+-]+"#,
            r#""$1":<measured>"#,
        ),
        // Loopback ports picked at run time (`--emulator`).
        (r"(127\.0\.0\.1|localhost):\d+", "$1:<port>"),
    ]
    .into_iter()
    .map(|(pattern, with)| (Regex::new(pattern).expect("pattern"), with))
    .collect()
});

/// `line` with its varying figures replaced and trailing blanks dropped.
pub fn normalise(line: &str) -> String {
    VARYING
        .iter()
        .fold(line.trim_end().to_owned(), |text, (pattern, with)| {
            pattern.replace_all(&text, *with).into_owned()
        })
}

/// Whether one shown line matches one real line (`…` = any text).
fn line_matches(expected: &str, actual: &str) -> bool {
    let (expected, actual) = (normalise(expected), normalise(actual));
    if !expected.contains('…') {
        return expected == actual;
    }
    let pattern: Vec<String> = expected.split('…').map(regex::escape).collect();
    Regex::new(&format!("^{}$", pattern.join(".*")))
        .expect("escaped pattern")
        .is_match(&actual)
}

/// Whether the shown output matches the real output, line by line; a shown
/// line that is only `…` matches any number of real lines.
pub fn output_matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "…" => {
            (0..=actual.len()).any(|skip| output_matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(real, after)| line_matches(first, real) && output_matches(rest, after)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn commands_output_continuations_and_other_blocks_are_told_apart() {
        let readme = "intro\n```sh\n# not a heading\n$ not run\n```\n```console\n$ a --x \\\n  --y\nout 1\nout 2\n$ b &\n$ c\n```\n## Next\n```console\n$ d\n```\n";
        let blocks = console_blocks(readme);
        assert_eq!(blocks.len(), 2);
        let steps = &blocks[0].steps;
        assert_eq!((blocks[0].line, blocks[0].section), (6, 0));
        assert_eq!(
            (blocks[1].steps[0].command.as_str(), blocks[1].section),
            ("d", 1)
        );
        assert_eq!(steps[0].command, "a --x \\\n  --y");
        assert_eq!(steps[0].expected, ["out 1", "out 2"]);
        assert_eq!(steps[0].background(), None);
        assert_eq!((steps[1].line, steps[1].background()), (11, Some("b")));
        assert!(steps[2].expected.is_empty());
    }

    #[test]
    #[should_panic(expected = "output before any")]
    fn output_without_a_command_is_refused() {
        console_blocks("```console\nstray\n```\n");
    }

    #[test]
    fn measured_figures_match_but_counts_must_be_equal() {
        let shown = lines("40 rows in 1.6s (25.0 rows/s this session): valid 34, invalid 6");
        let same = lines("40 rows in 12.3s (3.3 rows/s this session): valid 34, invalid 6");
        let other = lines("40 rows in 1.6s (25.0 rows/s this session): valid 33, invalid 7");
        assert!(output_matches(&shown, &same));
        assert!(!output_matches(&shown, &other));
        let port = lines("sending to http://127.0.0.1:41234/ (from --emulator)");
        assert!(output_matches(
            &lines("sending to http://127.0.0.1:9339/ (from --emulator)"),
            &port
        ));
    }

    #[test]
    fn an_ellipsis_stands_for_text_or_for_lines() {
        let shown = lines("first …\n…\nlast");
        assert!(output_matches(&shown, &lines("first one\nlast")));
        assert!(output_matches(&shown, &lines("first two\na\nb\nlast")));
        assert!(!output_matches(&shown, &lines("first two\na\nb")));
        assert!(!output_matches(&shown, &lines("second\nlast")));
        assert!(!output_matches(&lines("a"), &lines("a\nextra")));
    }
}
