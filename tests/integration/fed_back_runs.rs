//! An error report fixed by a person and run again: its header names each
//! column once, the fixed file runs with the same mapping flags, its rows
//! are created, the results report's `source_row` points at the first
//! input's rows (even after a second fix), cells that looked like formulas
//! reach Cognito unchanged; and reports with or without `source_row` resume.

use crate::workdir::*;

/// The error report's own columns, in order.
const OWN_COLUMNS: &str = "bulk-signup:row,bulk-signup:source_row,bulk-signup:username,bulk-signup:status,bulk-signup:error_code,bulk-signup:error_message";

/// Input columns renamed, so the mapping flags matter. Rows 2 and 4 have
/// bad emails, row 5 a bad phone; several cells start like formulas (eve's
/// nickname with a `'` of its own).
const USERS: &str = "Login,Pass,E-mail,given_name,phone_number,nickname\n\
    ann,Passw0rd!ann,ann@example.com,Ann,,\n\
    bob,Passw0rd!bob,not-an-email,=cmd,+12127365000,+1 555 0100\n\
    cat,Passw0rd!cat,cat@example.com,Cat,,\n\
    dan,Passw0rd!dan,dan-at-example,-dan,,@dan\n\
    eve,Passw0rd!eve,eve@example.com,Eve,555-0199,'=quoted\n";

const MAPPING: [&str; 6] = [
    "--map",
    "Login=username",
    "--map",
    "Pass=password",
    "--map",
    "E-mail=email",
];

/// A user's password, as the person fixing the file types it back in.
fn password(user: &str) -> String {
    format!("Passw0rd!{user}")
}

/// Rewrites the error report `from` into `to` the way a person fixing it in
/// a spreadsheet would: `edits` (user, column, value) change cells, every
/// other cell stays as written (`'` guards included), and the password
/// column (never in an error report) is added back as `password_column`.
fn fix(wd: &Workdir, from: &str, to: &str, password_column: &str, edits: &[(&str, &str, &str)]) {
    let mut reader = csv::Reader::from_path(wd.path(from)).expect("error report");
    let mut header = reader.headers().expect("header").clone();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let user_at = column("bulk-signup:username");
    let edits: Vec<(&str, usize, &str)> = (edits.iter())
        .map(|(user, name, value)| (*user, column(name), *value))
        .collect();
    header.push_field(password_column);
    let mut writer = csv::Writer::from_path(wd.path(to)).expect("fixed file");
    writer.write_record(&header).expect("header");
    for record in reader.records() {
        let mut cells: Vec<String> = record.expect("row").iter().map(str::to_owned).collect();
        let user = cells[user_at].clone();
        for (_, at, value) in edits.iter().filter(|(who, ..)| *who == user) {
            cells[*at] = (*value).to_owned();
        }
        cells.push(password(&user));
        writer.write_record(&cells).expect("row");
    }
    writer.flush().expect("flush");
}

/// (row, source_row) of every entry of a results report.
fn rows(wd: &Workdir, report: &str) -> Vec<(u64, Option<u64>)> {
    let entries = wd.read_report(report);
    entries.iter().map(|e| (e.row, e.source_row)).collect()
}

/// A user's attribute on the server.
async fn attribute_of(server: &Endpoint, user: &str, name: &str) -> Option<String> {
    let found = server.admin_get_user(user).await?;
    attribute(&found.user_attributes, name).map(str::to_owned)
}

#[tokio::test]
async fn a_fixed_error_report_runs_again_with_the_same_mapping() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.write("users.csv", USERS);
    let run = |input: &str, report: &str, errors: &str| {
        (wd.run(input).against(&server).args(MAPPING))
            .report(report)
            .errors(errors)
    };
    run("users.csv", "report.csv", "errors.csv")
        .output()
        .await
        .assert_code(1);
    let errors = wd.read("errors.csv");
    let header = errors.lines().next().expect("a header");
    assert_eq!(
        header,
        format!("{OWN_COLUMNS},Login,E-mail,given_name,phone_number,nickname"),
        "each column once, the input's under their own names, no password"
    );
    let failed: Vec<String> = (wd.csv_rows("errors.csv").iter())
        .map(|r| r["bulk-signup:row"].clone())
        .collect();
    assert_eq!(failed, ["2", "4", "5"]);
    assert!(rows(&wd, "report.csv").iter().all(|(_, s)| s.is_none()));
    let edits = [
        ("bob", "E-mail", "bob@example.com"),
        ("dan", "E-mail", "dan@example.com"),
        ("eve", "phone_number", "+12127365001"),
    ];
    fix(&wd, "errors.csv", "errors-fixed.csv", "Pass", &edits);
    let dry = wd.run("errors-fixed.csv").args(MAPPING).arg("--dry-run");
    dry.report("dry.csv").output().await.assert_code(0);
    let out = run("errors-fixed.csv", "report2.csv", "errors2.csv")
        .output()
        .await
        .assert_code(0);
    assert!(
        out.stderr.contains("is an error report of an earlier run"),
        "{}",
        out.stderr
    );
    let sources = [(1, Some(2)), (2, Some(4)), (3, Some(5))];
    assert_eq!(rows(&wd, "report2.csv"), sources);
    assert_eq!(rows(&wd, "dry.csv"), sources, "a dry run says it too");
    assert_eq!(server.stats().await.users, 5);
    assert_cells_arrived_as_they_were(&server).await;
}

/// Cells guarded in the error report reach Cognito as the input had them.
async fn assert_cells_arrived_as_they_were(server: &Endpoint) {
    for (user, name, value) in [
        ("bob", "given_name", "=cmd"),
        ("bob", "nickname", "+1 555 0100"),
        ("bob", "phone_number", "+12127365000"),
        ("dan", "given_name", "-dan"),
        ("dan", "nickname", "@dan"),
        ("eve", "nickname", "'=quoted"),
        ("eve", "phone_number", "+12127365001"),
    ] {
        let found = attribute_of(server, user, name).await;
        assert_eq!(found.as_deref(), Some(value), "{user} {name}");
    }
}

/// Header mapping: the input's own `username` column is copied once, and
/// a row fixed on the second try still names the first input's row.
#[tokio::test]
async fn fixing_twice_still_points_at_the_first_input() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.write(
        "users.csv",
        &USERS
            .replacen("Login,Pass,E-mail", "username,password,email", 1)
            .replace(",555-0199,", ",+12127365001,"),
    );
    let run = |input: &str, report: &str, errors: &str| {
        (wd.run(input).against(&server))
            .report(report)
            .errors(errors)
    };
    run("users.csv", "report.csv", "errors.csv")
        .output()
        .await
        .assert_code(1);
    let header = wd
        .read("errors.csv")
        .lines()
        .next()
        .expect("header")
        .to_owned();
    assert_eq!(
        header,
        format!("{OWN_COLUMNS},username,email,given_name,phone_number,nickname")
    );
    // The first fix mends bob only; dan's email is still wrong.
    let bob = [("bob", "email", "bob@example.com")];
    fix(&wd, "errors.csv", "fixed1.csv", "password", &bob);
    run("fixed1.csv", "report2.csv", "errors2.csv")
        .output()
        .await
        .assert_code(1);
    assert_eq!(rows(&wd, "report2.csv"), [(1, Some(2)), (2, Some(4))]);
    let dan = &wd.csv_rows("errors2.csv")[0];
    assert_eq!(dan["bulk-signup:row"], "2", "its row in fixed1.csv");
    assert_eq!(dan["bulk-signup:source_row"], "4", "its row in users.csv");
    let dan_fix = [("dan", "email", "dan@example.com")];
    fix(&wd, "errors2.csv", "fixed2.csv", "password", &dan_fix);
    run("fixed2.csv", "report3.csv", "errors3.csv")
        .output()
        .await
        .assert_code(0);
    assert_eq!(rows(&wd, "report3.csv"), [(1, Some(4))]);
    let given = attribute_of(&server, "dan", "given_name").await;
    assert_eq!(given.as_deref(), Some("-dan"));
    assert_eq!(server.stats().await.users, 5);
}

/// An NDJSON input: its CSV error report keeps keys first seen late in
/// `bulk-signup:other_fields`, its NDJSON error report is flat; both run
/// again with the same mapping file.
#[tokio::test]
async fn error_reports_of_an_ndjson_input_run_again() {
    let wd = Workdir::new();
    wd.write(
        "users.ndjson",
        concat!(
            "{\"Login\":\"ann\",\"Pass\":\"Passw0rd!ann\",\"Mail\":\"bad\"}\n",
            "{\"Login\":\"bob\",\"Pass\":\"Passw0rd!bob\",\"Mail\":\"bob@example.com\",\"Nick\":\"=bob\"}\n",
            "{\"Login\":\"cat\",\"Pass\":\"Passw0rd!cat\",\"Mail\":\"no\",\"Phone\":\"+12127365000\",\"Nick\":\"+cat\"}\n",
        ),
    );
    let mapping = wd.write(
        "m.toml",
        "username = \"Login\"\npassword = \"Pass\"\n[attributes]\nemail = \"Mail\"\nphone_number = \"Phone\"\nnickname = \"Nick\"\n",
    );
    let edits = [("ann", "ann@example.com"), ("cat", "cat@example.com")];
    for errors in ["errors.csv", "errors.ndjson"] {
        let server = Endpoint::emulator(sample("pool.json"), &[]).await;
        let run = |input: &str, report: &str, errors: &str| {
            (wd.run(input)
                .against(&server)
                .arg("--mapping")
                .arg(&mapping))
            .report(report)
            .errors(errors)
            .arg("--overwrite")
        };
        run("users.ndjson", "report.csv", errors)
            .output()
            .await
            .assert_code(1);
        let fixed = format!("fixed-{errors}");
        match errors.ends_with(".csv") {
            true => {
                let cat = &wd.csv_rows(errors)[1];
                let others = &cat["bulk-signup:other_fields"];
                assert!(others.contains("\"Phone\":\"+12127365000\""), "{others}");
                let edits = edits.map(|(user, mail)| (user, "Mail", mail));
                fix(&wd, errors, &fixed, "Pass", &edits);
            }
            false => fix_ndjson(&wd, errors, &fixed, &edits),
        }
        run(&fixed, "report2.csv", "errors2.csv")
            .output()
            .await
            .assert_code(0);
        assert_eq!(rows(&wd, "report2.csv"), [(1, Some(1)), (2, Some(3))]);
        let phone = attribute_of(&server, "cat", "phone_number").await;
        assert_eq!(phone.as_deref(), Some("+12127365000"), "{errors}");
        let nick = attribute_of(&server, "cat", "nickname").await;
        assert_eq!(nick.as_deref(), Some("+cat"), "{errors}");
    }
}

/// [`fix`] for an NDJSON error report: `Mail` edits, `Pass` added back.
fn fix_ndjson(wd: &Workdir, from: &str, to: &str, edits: &[(&str, &str)]) {
    let mut fixed = String::new();
    for line in wd.read(from).lines() {
        let mut record: serde_json::Value = serde_json::from_str(line).expect("json line");
        let user = record["bulk-signup:username"]
            .as_str()
            .expect("a username")
            .to_owned();
        if let Some((_, mail)) = edits.iter().find(|(who, _)| *who == user) {
            record["Mail"] = (*mail).into();
        }
        record["Pass"] = password(&user).into();
        fixed.push_str(&format!("{record}\n"));
    }
    wd.write(to, &fixed);
}

/// A run over a fixed error report cut short resumes: the settled row is
/// kept (with its `source_row`), the others are sent, and every row of the
/// final report still names the first input's row.
#[tokio::test]
async fn a_report_with_source_row_resumes() {
    let first = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.write("users.csv", USERS);
    let run = |server: &Endpoint, input: &str, report: &str| {
        (wd.run(input).against(server).args(MAPPING))
            .report(report)
            .errors(&format!("errors-of-{input}"))
    };
    run(&first, "users.csv", "report.csv")
        .output()
        .await
        .assert_code(1);
    let edits = [
        ("bob", "E-mail", "bob@example.com"),
        ("dan", "E-mail", "dan@example.com"),
        ("eve", "phone_number", "+12127365001"),
    ];
    fix(
        &wd,
        "errors-of-users.csv",
        "errors-fixed.csv",
        "Pass",
        &edits,
    );
    run(&first, "errors-fixed.csv", "report2.csv")
        .output()
        .await
        .assert_code(0);
    // As a run killed after its first row would leave it.
    let report = wd.read("report2.csv");
    let cut: Vec<&str> = report.lines().take(2).collect();
    assert!(
        cut[0].ends_with(",note,source_row,verified,steps,step_error") && cut[1].ends_with(",2,,,"),
        "{cut:?}"
    );
    wd.write("report2.csv", &format!("{}\n", cut.join("\n")));
    let second = Endpoint::emulator(sample("pool.json"), &[]).await;
    let resumed = run(&second, "errors-fixed.csv", "report2.csv");
    let resumed = resumed.args(["--resume"]);
    resumed.output().await.assert_code(0);
    assert_eq!(
        rows(&wd, "report2.csv"),
        [(1, Some(2)), (2, Some(4)), (3, Some(5))]
    );
    let stats = second.stats().await;
    assert_eq!((stats.requests, stats.users), (2, 2), "bob was settled");
}

/// A report written before `source_row` existed resumes: its rows are
/// kept, the rest are sent, and the final report has the new column.
#[tokio::test]
async fn an_older_report_without_source_row_resumes() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.users_csv("users.csv", "old", 5);
    let header = "row,username,status,user_sub,user_confirmed,delivery_medium,delivery_destination,error_code,error_message,attempts,request_id,note";
    let settled = "1,old1,created,,false,,,,,1,,\n2,old2,created,,false,,,,,1,,\n";
    wd.write("report.csv", &format!("{header}\n{settled}"));
    wd.run("users.csv")
        .against(&server)
        .report("report.csv")
        .arg("--resume")
        .output()
        .await
        .assert_code(0);
    let text = wd.read("report.csv");
    assert!(
        text.starts_with(&format!("{header},source_row,verified,steps,step_error\n")),
        "{text}"
    );
    let entries = wd.read_report("report.csv");
    let statuses: Vec<(u64, Option<Status>, Option<u64>)> = (entries.iter())
        .map(|e| (e.row, e.status, e.source_row))
        .collect();
    let created = |row| (row, Some(Status::Created), None);
    assert_eq!(statuses, (1..=5).map(created).collect::<Vec<_>>());
    assert_eq!(
        server.stats().await.requests,
        3,
        "rows 1 and 2 were settled"
    );
}

/// A fixed error report run without its password column is refused before
/// anything is sent, with what to do: error reports never hold passwords.
#[tokio::test]
async fn a_fixed_error_report_without_passwords_says_to_add_them_back() {
    let wd = Workdir::new();
    wd.write(
        "errors-fixed.csv",
        &format!(
            "{OWN_COLUMNS},username,email\n2,,bob,invalid,InvalidEmail,bad,bob,bob@example.com\n"
        ),
    );
    let out = wd
        .run("errors-fixed.csv")
        .arg("--dry-run")
        .report("report.csv")
        .output()
        .await
        .assert_code(2);
    assert!(
        out.stderr
            .contains("an error report never holds passwords: add the password column back"),
        "{}",
        out.stderr
    );
    assert!(!wd.exists("report.csv"));
}
