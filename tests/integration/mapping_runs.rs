//! Mapping files, transforms, `--map`, `--pool` checks and dry runs, over
//! the legacy sample and small made-up inputs.

use std::collections::HashMap;

use crate::workdir::*;

/// The legacy sample's bad rows and the rule each breaks.
const LEGACY_BAD: [(u64, &str); 6] = [
    (6, "InvalidPhoneNumber"),
    (11, "InvalidDate"),
    (17, "InvalidBoolean"),
    (23, "PasswordPolicy"),
    (29, "InvalidEmail"),
    (35, "DuplicateUsername"),
];

/// The legacy sample with its mapping and the sample pool, against `server`.
fn legacy_run(wd: &Workdir, server: &Endpoint) -> Cmd {
    wd.run(sample("legacy-export.csv"))
        .against(server)
        .report("report.csv")
        .arg("--mapping")
        .arg(sample("legacy-mapping.toml"))
        .arg("--pool")
        .arg(sample("pool.json"))
}

#[tokio::test]
async fn legacy_dry_run_gives_the_known_verdict_for_every_row_without_a_request() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    let out = legacy_run(&wd, &server)
        .arg("--dry-run")
        .output()
        .await
        .assert_code(1);
    let entries = wd.read_report("report.csv");
    assert_eq!(entries.len(), 40);
    let bad: HashMap<u64, &str> = LEGACY_BAD.into_iter().collect();
    for e in &entries {
        match bad.get(&e.row) {
            Some(code) => {
                assert_eq!(e.status, Some(Status::Invalid), "row {}", e.row);
                assert_eq!(e.error_code, *code, "row {}", e.row);
            }
            None => assert_eq!(
                e.status,
                Some(Status::Valid),
                "row {}: {}",
                e.row,
                e.error_message
            ),
        }
    }
    let dup = entries.iter().find(|e| e.row == 35).expect("row 35");
    assert!(
        dup.error_message.contains("duplicate of row 2"),
        "{}",
        dup.error_message
    );
    let phone = entries.iter().find(|e| e.row == 6).expect("row 6");
    assert!(
        phone.error_message.contains("Phone"),
        "names the column: {}",
        phone.error_message
    );
    assert_eq!(server.stats().await.requests, 0);
    assert!(out.stderr.contains("valid 34, invalid 6"), "{}", out.stderr);
}

#[tokio::test]
async fn legacy_rows_reach_the_server_normalised() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    legacy_run(&wd, &server).output().await.assert_code(1);
    let entries = wd.read_report("report.csv");
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.status == Some(Status::Created))
            .count(),
        34
    );
    assert_eq!(server.list_users().await.len(), 34);

    assert_legacy_users_normalised(&server).await;
}

/// Two legacy rows as the server stores them: every value normalised by the
/// sample mapping (lower-cased trimmed email, E.164 phone, ISO dates, epoch
/// seconds, booleans, template and constant).
async fn assert_legacy_users_normalised(server: &Endpoint) {
    let expected: [(&str, &[(&str, &str)]); 2] = [
        (
            "james.whitaker@example.com",
            &[
                ("email", "james.whitaker@example.com"),
                ("given_name", "James"),
                ("family_name", "Whitaker"),
                ("phone_number", "+12015550123"),
                ("birthdate", "1980-03-04"),
                ("updated_at", "1558101802"),
                ("custom:tier", "gold"),
                ("custom:newsletter", "true"),
                ("custom:legacy_id", "legacy-10001"),
                ("custom:loyalty_points", "12450"),
            ],
        ),
        (
            "maria.lopez@example.com",
            &[
                ("given_name", "María José"),
                ("family_name", "López"),
                ("phone_number", "+12125550147"),
                ("birthdate", "1987-11-23"),
                ("updated_at", "1541150100"),
                ("custom:tier", "silver"),
                ("custom:legacy_id", "legacy-10002"),
            ],
        ),
    ];
    for (username, attributes) in expected {
        let user = server.admin_get_user(username).await.expect(username);
        for (name, value) in attributes.iter() {
            assert_eq!(
                attribute(&user.user_attributes, name),
                Some(*value),
                "{username} {name}"
            );
        }
    }
}

#[tokio::test]
async fn legacy_rows_reach_moto_normalised() {
    // moto, a third-party Cognito emulator, is the independent stand-in.
    let Some(moto) = Endpoint::moto(false).await else {
        return;
    };
    let wd = Workdir::new();
    legacy_run(&wd, &moto).output().await.assert_code(1);
    assert_eq!(moto.list_users().await.len(), 34);
    assert_legacy_users_normalised(&moto).await;
}

#[tokio::test]
async fn mapping_file_mistakes_stop_before_any_request_with_file_and_line() {
    let wd = Workdir::new();
    let cases = [
        ("username = { column = \"E-mail\" }\n[attributes]\nemail = { column = \"E-mail\", transform = [\"lowercse\"] }\n", ":3:", "lowercase"),
        ("username = { column = \"E-mail\" }\n[attributes]\nbirthdate = { column = \"DOB\", transform = [{ date = \"%m/%Y\" }] }\n", ":3:", "full date"),
        ("username = { column = \"E-mail\" \n", ":1:", "mapping format"),
        ("username = { column = \"Login\" }\n", "", "\"Login\""),
    ];
    for (i, (text, line, fix)) in cases.into_iter().enumerate() {
        let mapping = wd.write(&format!("m{i}.toml"), text);
        let out = wd
            .run(sample("legacy-export.csv"))
            .arg("--mapping")
            .arg(mapping)
            .report("report.csv")
            .arg("--dry-run")
            .output()
            .await
            .assert_code(2);
        assert!(
            out.stderr.contains(&format!("m{i}.toml{line}")) || line.is_empty(),
            "case {i}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(fix), "case {i}: {}", out.stderr);
        assert!(
            !wd.exists("report.csv"),
            "case {i}: no report for a bad configuration"
        );
    }
}

#[tokio::test]
async fn map_flags_and_generated_passwords() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.write(
        "people.csv",
        "Login,Mail,Name\nann,ann@example.com,Ann\nbob,bob@example.com,Bob\n",
    );
    let mapping = wd.write("m.toml", "username = \"Login\"\npassword = { generate = true }\n[attributes]\nemail = \"Mail\"\n[options]\nignore = [\"Name\"]\n");
    wd.run("people.csv")
        .against(&server)
        .report("report.csv")
        .arg("--mapping")
        .arg(mapping)
        .arg("--pool")
        .arg(sample("pool.json"))
        .args(["--map", "Name=given_name"])
        .output()
        .await
        .assert_code(0);
    // The emulator enforces the pool's password policy, so both generated passwords met it.
    let ann = server.admin_get_user("ann").await.expect("ann");
    assert_eq!(
        attribute(&ann.user_attributes, "email"),
        Some("ann@example.com")
    );
    assert_eq!(
        attribute(&ann.user_attributes, "given_name"),
        Some("Ann"),
        "--map overrides the ignore"
    );
    assert_eq!(server.stats().await.created, 2);
}

#[tokio::test]
async fn ndjson_keys_that_appear_late_are_mapped_and_their_passwords_stay_out_of_reports() {
    // Regressions: a mapped key missing from record 1 stopped the run, and a
    // password key first seen on a later line was copied to the error report.
    let wd = Workdir::new();
    wd.write("late.ndjson", concat!(
            "{\"Login\":\"ann\",\"Mail\":\"ann@example.com\"}\n",
            "{\"Login\":\"bob\",\"Pass\":\"Hunter2-Secret9\",\"Mail\":\"not-an-email\"}\n",
            "{\"Login\":\"cat\",\"Pass\":\"Cat-Secret-99x\",\"Mail\":\"cat@example.com\",\"Phone\":\"(212) 736-5000\"}\n",
        ));
    let mapping = wd.write("m.toml", "username = \"Login\"\npassword = \"Pass\"\n[attributes]\nemail = \"Mail\"\nphone_number = { column = \"Phone\", transform = [\"e164\"] }\n[options]\ndefault_country = \"US\"\n");
    for errors_name in ["errors.csv", "errors.ndjson"] {
        let server = Endpoint::emulator(sample("pool.json"), &[]).await;
        let report = format!("report-{errors_name}.csv");
        wd.run("late.ndjson")
            .against(&server)
            .report(&report)
            .arg("--mapping")
            .arg(&mapping)
            .errors(errors_name)
            .arg("--overwrite")
            .output()
            .await
            .assert_code(1);
        let statuses: Vec<Option<Status>> =
            wd.read_report(&report).iter().map(|e| e.status).collect();
        assert_eq!(
            statuses,
            [
                Some(Status::Rejected),
                Some(Status::Invalid),
                Some(Status::Created)
            ],
            "ann has no password (Cognito refuses), bob's email is bad, cat is fine"
        );
        let cat = server.admin_get_user("cat").await.expect("cat");
        assert_eq!(
            attribute(&cat.user_attributes, "phone_number"),
            Some("+12127365000")
        );
        let text = wd.read(errors_name);
        assert!(text.contains("not-an-email"), "bob's row is there: {text}");
        assert!(
            !text.contains("Hunter2"),
            "{errors_name} holds a password: {text}"
        );
    }
}

#[tokio::test]
async fn a_semicolon_export_is_read_with_the_separator_said() {
    let wd = Workdir::new();
    wd.write(
        "users.csv",
        "username;password;email;given_name\nann;Passw0rd!x;ann@example.com;Ann\nbob;Passw0rd!x;bob@example.com;\"Bob; Jr\"\n",
    );
    let out = wd
        .run("users.csv")
        .args(["--dry-run"])
        .report("report.csv")
        .output()
        .await
        .assert_code(0);
    assert!(
        out.stderr
            .contains("separates its header's fields with ';'"),
        "{}",
        out.stderr
    );
    assert_eq!(wd.read_report("report.csv").len(), 2);
    // Told otherwise, the whole header is one column, which maps to nothing.
    let out = wd
        .run("users.csv")
        .args(["--dry-run", "--delimiter", ",", "--overwrite"])
        .report("report.csv")
        .output()
        .await
        .assert_code(2);
    assert!(
        out.stderr.contains("username;password;email;given_name"),
        "{}",
        out.stderr
    );
    wd.write(
        "tabs.csv",
        "username\tpassword\temail\nann\tPassw0rd!x\tann@example.com\n",
    );
    wd.run("tabs.csv")
        .args(["--dry-run", "--delimiter", "tab"])
        .report("tabs-report.csv")
        .output()
        .await
        .assert_code(0);
    assert_eq!(wd.read_report("tabs-report.csv")[0].username, "ann");
}

#[tokio::test]
async fn a_csv_without_a_header_row_reads_with_the_given_columns() {
    let wd = Workdir::new();
    wd.write(
        "users.csv",
        "ann,Passw0rd!x,ann@example.com,Ann\nbob,Passw0rd!x,bob@example.com,Bob\n",
    );
    wd.run("users.csv")
        .args([
            "--dry-run",
            "--no-header",
            "--columns",
            "username,password,email,given_name",
        ])
        .report("report.csv")
        .output()
        .await
        .assert_code(0);
    let report = wd.read_report("report.csv");
    let rows: Vec<(u64, &str)> = report
        .iter()
        .map(|e| (e.row, e.username.as_str()))
        .collect();
    assert_eq!(rows, [(1, "ann"), (2, "bob")], "the first line is a user");
    // The same from a mapping file's [input].
    wd.write(
        "mapping.toml",
        "username = { column = \"uid\" }\npassword = { column = \"pw\" }\n[attributes]\nemail = { column = \"mail\" }\ngiven_name = { column = \"first\" }\n[input]\nhas_header = false\ncolumns = [\"uid\", \"pw\", \"mail\", \"first\"]\n",
    );
    wd.run("users.csv")
        .args(["--dry-run", "--mapping", "mapping.toml"])
        .report("mapped.csv")
        .output()
        .await
        .assert_code(0);
    assert_eq!(wd.read_report("mapped.csv").len(), 2);
    // Half of it is a mistake that says how to fix it.
    let out = wd
        .run("users.csv")
        .args(["--dry-run", "--columns", "a,b,c,d"])
        .report("x.csv")
        .output()
        .await
        .assert_code(2);
    assert!(out.stderr.contains("--no-header"), "{}", out.stderr);
    wd.write(
        "half.toml",
        "username = { column = \"uid\" }\n[input]\nhas_header = false\n",
    );
    let out = wd
        .run("users.csv")
        .args(["--dry-run", "--mapping", "half.toml"])
        .report("y.csv")
        .output()
        .await
        .assert_code(2);
    assert!(out.stderr.contains("needs columns"), "{}", out.stderr);
}

#[tokio::test]
async fn millisecond_timestamps_need_epoch_ms_and_say_so() {
    let wd = Workdir::new();
    wd.write(
        "users.csv",
        "username,password,email,updated_at\nann,Passw0rd!x,ann@example.com,1600090000000\n",
    );
    wd.run("users.csv")
        .args(["--dry-run"])
        .report("report.csv")
        .output()
        .await
        .assert_code(1);
    let report = wd.read_report("report.csv");
    assert!(
        report[0]
            .error_message
            .contains("use the epoch_ms transform"),
        "{report:?}"
    );
    wd.write(
        "mapping.toml",
        "username = { column = \"username\" }\npassword = { column = \"password\" }\n[attributes]\nemail = { column = \"email\" }\nupdated_at = { column = \"updated_at\", transform = [\"epoch_ms\"] }\n",
    );
    wd.run("users.csv")
        .args(["--dry-run", "--mapping", "mapping.toml"])
        .report("ms.csv")
        .output()
        .await
        .assert_code(0);
}

#[tokio::test]
async fn whole_column_problems_stop_before_the_first_request_with_one_message() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.write(
        "verified.csv",
        "username,password,email,email_verified\nann,Passw0rd!x,ann@example.com,true\n",
    );
    wd.write("nopassword.csv", "username,email\nann,ann@example.com\n");
    for (input, said) in [
        (
            "verified.csv",
            "email_verified (from column \"email_verified\")",
        ),
        ("nopassword.csv", "nothing gives the users a password"),
    ] {
        let out = wd
            .run(input)
            .against(&server)
            .report("report.csv")
            .output()
            .await
            .assert_code(2);
        assert!(out.stderr.contains(said), "{input}: {}", out.stderr);
        assert!(!wd.exists("report.csv"), "{input}: nothing is written");
    }
    assert_eq!(server.stats().await.requests, 0);
}

#[tokio::test]
async fn latin1_and_utf16_exports_are_read_as_the_text_they_are() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    let text = "username,password,email,given_name\nzoe,Passw0rd!x,zoe@example.com,Zoë\n";
    let latin1: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
    std::fs::write(wd.path("latin1.csv"), &latin1).expect("write");
    let out = wd
        .run("latin1.csv")
        .against(&server)
        .report("refused.csv")
        .output()
        .await
        .assert_code(2);
    assert!(
        out.stderr.contains("--encoding windows-1252"),
        "{}",
        out.stderr
    );
    assert!(!wd.exists("refused.csv"));
    wd.run("latin1.csv")
        .against(&server)
        .args(["--encoding", "latin1"])
        .report("latin1-report.csv")
        .output()
        .await
        .assert_code(0);
    let zoe = server.admin_get_user("zoe").await.expect("zoe");
    assert_eq!(attribute(&zoe.user_attributes, "given_name"), Some("Zoë"));
    // UTF-16 with its byte-order mark needs no flag.
    let mut utf16 = vec![0xff, 0xfe];
    let text = text.replace("zoe", "zoe16");
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(wd.path("utf16.csv"), &utf16).expect("write");
    wd.run("utf16.csv")
        .against(&server)
        .report("utf16-report.csv")
        .output()
        .await
        .assert_code(0);
    let zoe = server.admin_get_user("zoe16").await.expect("zoe16");
    assert_eq!(attribute(&zoe.user_attributes, "given_name"), Some("Zoë"));
}
