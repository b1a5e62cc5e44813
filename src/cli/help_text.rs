//! The text `--help` prints after each command's flags: a few notes and
//! 2–4 example command lines, each copy-pasteable as it stands (`\` joins
//! a long one over two lines). One constant per command, named after it.

/// After `bulk-signup --help`.
pub(crate) const MAIN: &str = "\
Examples:
  # Rehearse against the built-in emulator (no AWS account, nothing sent to AWS):
  bulk-signup run samples/users.csv --emulator samples/pool.json --report report.csv
  # Sign up for real into a pool's app client:
  bulk-signup run users.csv --client-id 1example23clientid45 --region eu-west-1 \\
    --pool pool.json --report report.csv --errors errors.csv
  # Shell completions and the man page:
  bulk-signup completions bash > ~/.local/share/bash-completion/completions/bulk-signup
  bulk-signup man | man -l -

`bulk-signup COMMAND --help` shows each command's flags and examples.";

/// After `bulk-signup run --help`.
pub(crate) const RUN: &str = "\
Examples:
  # Rehearse against the built-in emulator, confirming users and adding them to a group:
  bulk-signup run samples/users.csv --emulator samples/pool.json --report report.csv \\
    --confirm --group testers
  # A real run: SignUp through the app client, with the pool's checks:
  bulk-signup run users.csv --client-id 1example23clientid45 --region eu-west-1 \\
    --pool pool.json --report report.csv --errors errors.csv
  # Continue an interrupted run where it stopped (same flags, plus --resume):
  bulk-signup run users.csv --client-id 1example23clientid45 --region eu-west-1 \\
    --pool pool.json --report report.csv --errors errors.csv --resume
  # Check an Auth0 export with its preset mapping, sending nothing:
  bulk-signup run users.json.gz --preset auth0 --pool pool.json --dry-run --report check.csv";

/// After `bulk-signup emulator --help`.
pub(crate) const EMULATOR: &str = "\
Examples:
  # Serve the sample pool on http://127.0.0.1:9339:
  bulk-signup emulator --pool samples/pool.json
  # Cognito's default SignUp quota and 1% server errors, on a free port:
  bulk-signup emulator --pool samples/pool.json --port 0 --quota 50 --fault-rate 0.01
  # With a group, for `run --group testers`:
  bulk-signup emulator --pool samples/pool.json --group testers";

/// After `bulk-signup merge-reports --help`.
pub(crate) const MERGE_REPORTS: &str = "\
Examples:
  # Combine the reports of `run --shard 1/3`, `2/3` and `3/3`:
  bulk-signup merge-reports report.csv report-1.csv report-2.csv report-3.csv
  # The same, replacing an earlier merged report:
  bulk-signup merge-reports report.csv report-1.csv report-2.csv report-3.csv --overwrite";

/// After `bulk-signup presets --help`.
pub(crate) const PRESETS: &str = "\
Examples:
  # The list of presets:
  bulk-signup presets
  # One preset's mapping file, to copy and edit (then run with --mapping):
  bulk-signup presets auth0 > mapping.toml";

/// After `bulk-signup delete-users --help`.
pub(crate) const DELETE_USERS: &str = "\
Only the users REPORT says this tool created are considered: rows with status
`created` and a user_sub. Each user is read first (AdminGetUser) and deleted
(AdminDeleteUser) only when its sub is still the one in REPORT: a user someone
re-created since is `skipped`, never touched. Without --yes nothing is deleted:
the users that would be are listed on stdout.

Examples:
  # List the users that would be deleted (read-only):
  bulk-signup delete-users report.csv --report deleted.csv --user-pool-id us-east-1_AbC123
  # Delete them:
  bulk-signup delete-users report.csv --report deleted.csv --user-pool-id us-east-1_AbC123 \\
    --yes --overwrite
  # Continue an interrupted deletion:
  bulk-signup delete-users report.csv --report deleted.csv --user-pool-id us-east-1_AbC123 \\
    --yes --resume";

/// After `bulk-signup completions --help`.
pub(crate) const COMPLETIONS: &str = "\
Examples:
  bulk-signup completions bash > ~/.local/share/bash-completion/completions/bulk-signup
  bulk-signup completions zsh > ~/.zfunc/_bulk-signup    # with fpath+=~/.zfunc in ~/.zshrc
  bulk-signup completions fish > ~/.config/fish/completions/bulk-signup.fish
  bulk-signup completions powershell >> $PROFILE";

/// After `bulk-signup man --help`.
pub(crate) const MAN: &str = "\
Examples:
  # Read the main page:
  bulk-signup man | man -l -
  # Read the page of one command:
  bulk-signup man run | man -l -
  # Install the main page for man(1):
  bulk-signup man > ~/.local/share/man/man1/bulk-signup.1";
