//! Help and completions (issue 13, part 5): every command's `--help` ends
//! with copy-pasteable examples, `completions SHELL` prints a script each
//! shell accepts, and `man` prints a roff page.

use crate::workdir::*;

/// The command names `bulk-signup --help` lists under "Commands:" (`help` aside).
async fn listed_commands(wd: &Workdir) -> Vec<String> {
    let out = wd.command(["--help"]).output().await.assert_code(0);
    let stdout = &out.stdout;
    let names: Vec<String> = stdout
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        // A command's name is indented two spaces; its wrapped description, more.
        .filter(|line| !line[2..].starts_with(' '))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect();
    assert!(
        names.len() >= 7,
        "too few commands listed: {names:?}\n{stdout}"
    );
    names
}

/// `help` ends with an "Examples:" block holding a `bulk-signup` command line.
fn assert_has_examples(what: &str, help: &str) {
    let examples = help
        .split_once("Examples:")
        .unwrap_or_else(|| panic!("{what}: no Examples in\n{help}"))
        .1;
    assert!(
        examples
            .lines()
            .any(|line| line.trim_start().starts_with("bulk-signup ")),
        "{what}: no example command line in\n{help}"
    );
}

#[tokio::test]
async fn every_commands_help_shows_examples() {
    let wd = Workdir::new();
    let top = wd.command(["--help"]).output().await.assert_code(0);
    assert_has_examples("bulk-signup --help", &top.stdout);
    let commands = listed_commands(&wd).await;
    for expected in [
        "run",
        "emulator",
        "merge-reports",
        "presets",
        "delete-users",
    ] {
        assert!(
            commands.iter().any(|c| c == expected),
            "{expected} not in {commands:?}"
        );
    }
    for command in &commands {
        let out = wd
            .command([command, "--help"])
            .output()
            .await
            .assert_code(0);
        assert_has_examples(&format!("{command} --help"), &out.stdout);
    }
}

#[tokio::test]
async fn completions_for_each_shell_name_every_command() {
    let wd = Workdir::new();
    let commands = listed_commands(&wd).await;
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = wd
            .command(["completions", shell])
            .output()
            .await
            .assert_code(0);
        let script = &out.stdout;
        for command in &commands {
            assert!(
                script.contains(command.as_str()),
                "{shell}: no {command} in the script"
            );
        }
        if shell == "bash" {
            assert!(
                script.contains("complete "),
                "bash: no `complete` in\n{script}"
            );
        }
    }
}

#[tokio::test]
async fn the_bash_script_is_valid_bash() {
    let wd = Workdir::new();
    let out = wd
        .command(["completions", "bash"])
        .output()
        .await
        .assert_code(0);
    let file = wd.write("bulk-signup.bash", &out.stdout);
    let check = tokio::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .await
        .expect("bash runs");
    assert!(
        check.status.success(),
        "bash -n rejects the script: {}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[tokio::test]
async fn an_unknown_shell_is_a_usage_error() {
    let wd = Workdir::new();
    let out = wd
        .command(["completions", "tcsh"])
        .output()
        .await
        .assert_code(2);
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn man_prints_the_main_page_and_one_commands_page() {
    let wd = Workdir::new();
    let main = wd.command(["man"]).output().await.assert_code(0).stdout;
    // clap_mangen opens with the two-line `.ie`/`.el` definition of the
    // apostrophe string; the page proper starts with its title.
    let title = main
        .lines()
        .find(|l| !l.starts_with(".ie ") && !l.starts_with(".el "))
        .unwrap_or_default();
    assert!(title.starts_with(".TH bulk-signup 1"), "{main}");
    assert!(main.contains("run"), "the main page does not mention run");
    assert!(main.contains("Examples:"), "the main page has no examples");

    let run = wd
        .command(["man", "run"])
        .output()
        .await
        .assert_code(0)
        .stdout;
    assert!(run.contains(".TH bulk-signup-run 1"), "{run}");
    assert!(
        run.contains("\\-\\-report"),
        "the run page lists no --report"
    );

    let out = wd.command(["man", "nope"]).output().await.assert_code(2);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("delete-users"), "{}", out.stderr);
}
