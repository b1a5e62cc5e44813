//! Files an attacker can prepare: links planted where a run writes (its
//! temporary files, its report paths), crafted reports whose row numbers
//! would make `--resume` allocate without bound, and reports from another
//! input whose refused rows would silently keep rows from being sent.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::workdir::*;

/// A file the tests must never see changed: its text and mode (0644).
const VICTIM_TEXT: &str = "not yours to overwrite\n";

fn write_victim(wd: &Workdir, name: &str) {
    let path = wd.write(name, VICTIM_TEXT);
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
}

#[track_caller]
fn assert_untouched(wd: &Workdir, name: &str) {
    assert_eq!(wd.read(name), VICTIM_TEXT, "{name} was written through");
    let mode = std::fs::metadata(wd.path(name))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644, "{name}'s mode was changed");
}

/// Whether `name` is a regular file (not a link) in the workdir.
fn is_regular(wd: &Workdir, name: &str) -> bool {
    std::fs::symlink_metadata(wd.path(name)).is_ok_and(|m| m.is_file())
}

/// Plants links to `victim.txt` at the names the final rewrite of
/// `report.csv` and `errors.csv` used to take for process `pid`.
fn plant_at_old_temp_names(pid: u32, dir: &Path) {
    for name in ["report.csv", "errors.csv"] {
        for tag in ["final", "sort0"] {
            let link = dir.join(format!(".{tag}-{pid}-{name}"));
            std::os::unix::fs::symlink(dir.join("victim.txt"), link).expect("symlink");
        }
    }
}

#[tokio::test]
async fn resume_never_writes_through_a_link_planted_at_a_temporary_name() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "tmp", 20);
    write_victim(&wd, "victim.txt");
    let run = || {
        wd.run("users.csv")
            .against(&server)
            .report("report.csv")
            .errors("errors.csv")
    };
    run().output().await.assert_code(0);
    // A resumed run always rewrites both reports through temporary files.
    run()
        .arg("--resume")
        .when_started(plant_at_old_temp_names)
        .output()
        .await
        .assert_code(0);
    assert_untouched(&wd, "victim.txt");
    assert!(is_regular(&wd, "report.csv") && is_regular(&wd, "errors.csv"));
    assert_eq!(wd.read_report("report.csv").len(), 20);
}

#[tokio::test]
async fn a_killed_runs_temporary_files_are_swept_but_never_a_link_or_a_directory() {
    let wd = Workdir::new();
    wd.users_csv("users.csv", "sweep", 5);
    write_victim(&wd, "victim.txt");
    // 4194304 is above Linux's largest PID: that run is gone.
    let stale = ".final-4194304-aB3dE6gH9k-report.csv";
    wd.write(stale, "row,username\n1,personal data\n");
    let link = ".sort0-4194304-LiNk000000-report.csv";
    std::os::unix::fs::symlink(wd.path("victim.txt"), wd.path(link)).expect("symlink");
    let dir = ".final-4194304-DiR0000000-report.csv";
    std::fs::create_dir(wd.path(dir)).expect("mkdir");
    wd.run("users.csv")
        .report("report.csv")
        .arg("--dry-run")
        .output()
        .await
        .assert_code(0);
    assert!(
        !wd.exists(stale),
        "the dead run's temporary file is removed"
    );
    assert!(
        wd.path(link).symlink_metadata().is_ok(),
        "a link is left alone"
    );
    assert!(wd.path(dir).is_dir(), "a directory is left alone");
    assert_untouched(&wd, "victim.txt");
}

/// Runs `run` with a link at `linked` (in the workdir) to `victim.txt`:
/// refused with exit 2 and a message naming the link; `victim.txt`
/// keeps its text and mode (0644).
async fn refused_for_a_link(wd: &Workdir, run: Cmd, linked: &str) {
    let victim = wd.read("victim.txt");
    std::os::unix::fs::symlink(wd.path("victim.txt"), wd.path(linked)).expect("symlink");
    let out = run.output().await.assert_code(2);
    let path = wd.path(linked).display().to_string();
    assert!(
        out.stderr.contains(&format!("{path} is a symlink")),
        "{linked}: {}",
        out.stderr
    );
    assert_eq!(wd.read("victim.txt"), victim, "{linked}: written through");
    let mode = std::fs::metadata(wd.path("victim.txt"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o644,
        "{linked}: made owner-only through the link"
    );
    std::fs::remove_file(wd.path(linked)).expect("remove the link");
}

#[tokio::test]
async fn overwrite_refuses_a_link_at_either_report_path() {
    let wd = Workdir::new();
    wd.users_csv("users.csv", "link", 5);
    write_victim(&wd, "victim.txt");
    let run = || {
        wd.run("users.csv")
            .report("report.csv")
            .errors("errors.csv")
            .arg("--dry-run")
    };
    for linked in ["report.csv", "errors.csv"] {
        refused_for_a_link(&wd, run().arg("--overwrite"), linked).await;
        // Without --overwrite too, the message says what is wrong.
        refused_for_a_link(&wd, run(), linked).await;
    }
}

#[tokio::test]
async fn resume_refuses_a_link_at_either_report_path_before_any_request() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "link", 20);
    let run = || {
        wd.run("users.csv")
            .against(&server)
            .report("report.csv")
            .errors("errors.csv")
    };
    run().output().await.assert_code(0);
    // The victim is this input's own report, cut short: a resume that
    // followed the link would append to it, rewrite it and chmod it.
    let partial: Vec<String> = wd
        .read("report.csv")
        .lines()
        .take(11)
        .map(String::from)
        .collect();
    write_victim(&wd, "victim.txt");
    wd.write("victim.txt", &(partial.join("\n") + "\n"));
    let before = server.stats().await.requests;
    std::fs::remove_file(wd.path("errors.csv")).expect("remove");
    refused_for_a_link(&wd, run().arg("--resume"), "errors.csv").await;
    std::fs::remove_file(wd.path("report.csv")).expect("remove");
    refused_for_a_link(&wd, run().arg("--resume"), "report.csv").await;
    assert_eq!(server.stats().await.requests, before, "nothing was sent");
}

/// Address space a run of a few rows fits in many times over, far below
/// what a per-row state grown to row 4e9 (16 GB) would take.
const SMALL_RUN_MEMORY: u64 = 3 << 30;

#[tokio::test]
async fn resume_refuses_a_report_row_far_past_its_entries_without_allocating_for_it() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "far", 3);
    let header = "row,username,status,user_sub,user_confirmed,delivery_medium,delivery_destination,error_code,error_message,attempts,request_id,note";
    for row in ["18446744073709551000", "4000000000"] {
        let line = format!("{row},far1,created,,false,,,,,1,,");
        wd.write("report.csv", &format!("{header}\n{line}\n"));
        let out = wd
            .run("users.csv")
            .against(&server)
            .report("report.csv")
            .arg("--resume")
            .memory_limit(SMALL_RUN_MEMORY)
            .output()
            .await
            .assert_code(2);
        assert!(
            out.stderr.contains(&format!("an entry has row {row}"))
                && out.stderr.contains("does not belong to this input"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
    assert_eq!(server.stats().await.requests, 0, "nothing was sent");
}

#[tokio::test]
async fn refused_rows_of_another_inputs_report_never_keep_this_inputs_rows_from_being_sent() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    // Another input: row 1 is refused locally, row 2 by the pool.
    wd.write(
        "other.csv",
        "username,password,email\nmallory,Passw0rd-mal,not-an-email\nmike,short,mike@example.com\n",
    );
    let run = |input: &str| wd.run(input).against(&server).report("report.csv");
    run("other.csv").output().await.assert_code(1);
    let other: Vec<Option<Status>> = wd
        .read_report("report.csv")
        .iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(other, [Some(Status::Invalid), Some(Status::Rejected)]);
    wd.write(
        "users.csv",
        "username,password,email\nalice,Passw0rd-alice,alice@example.com\nbob,Passw0rd-bob,bob@example.com\n",
    );
    // Those verdicts were about other users: alice and bob are sent, without --retry-rejected.
    run("users.csv")
        .arg("--resume")
        .output()
        .await
        .assert_code(0);
    let entries = wd.read_report("report.csv");
    let got: Vec<(&str, Option<Status>)> = entries
        .iter()
        .map(|e| (e.username.as_str(), e.status))
        .collect();
    assert_eq!(
        got,
        [
            ("alice", Some(Status::Created)),
            ("bob", Some(Status::Created))
        ]
    );
    assert!(server.admin_get_user("alice").await.is_some());
}

#[tokio::test]
async fn a_report_whose_settled_rows_name_other_users_is_still_refused_despite_refused_rows() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.write(
        "other.csv",
        "username,password,email\nmallory,Passw0rd-mal,not-an-email\nzed,Passw0rd-zed,zed@example.com\n",
    );
    let run = |input: &str| wd.run(input).against(&server).report("report.csv");
    run("other.csv").output().await.assert_code(1);
    wd.write(
        "users.csv",
        "username,password,email\nalice,Passw0rd-alice,alice@example.com\nbob,Passw0rd-bob,bob@example.com\n",
    );
    let before = server.stats().await.requests;
    let out = run("users.csv")
        .arg("--resume")
        .output()
        .await
        .assert_code(2);
    assert!(
        out.stderr.contains("does not belong to this input"),
        "{}",
        out.stderr
    );
    assert_eq!(server.stats().await.requests, before, "nothing was sent");
}
