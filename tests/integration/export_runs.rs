//! Real-shaped exports (tests/fixtures/exports, made by its generate.py)
//! imported into the emulator with a preset or a small mapping: every row's
//! verdict is the one the fixture's expected.json gives, and the users read
//! back from the emulator carry the source's values (accents, E.164 phones,
//! `updated_at` in seconds, the id in custom:legacy_id).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde_json::Value;

use crate::workdir::*;

const EXPORTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/exports");

fn export(name: &str) -> PathBuf {
    PathBuf::from(EXPORTS).join(name)
}

/// What expected.json says of `file`: accepted rows, and every refused
/// row's number with its rule code.
fn expected(file: &str) -> (u64, BTreeMap<u64, String>) {
    let text = std::fs::read_to_string(export("expected.json")).expect("expected.json");
    let all: Value = serde_json::from_str(&text).expect("json");
    let outcome = &all["by_email"][file];
    let mut refused = BTreeMap::new();
    for kind in ["duplicates", "invalid"] {
        for item in outcome[kind].as_array().expect("list") {
            let row = item["row"].as_u64().expect("row");
            refused.insert(row, item["code"].as_str().expect("code").to_owned());
        }
    }
    (outcome["accepted"].as_u64().expect("accepted"), refused)
}

/// The run's output, the users read back (attributes by name, by
/// username) and the report's entries.
type Imported = (
    Output,
    HashMap<String, HashMap<String, String>>,
    Vec<ReportEntry>,
);

/// Imports `input` into a fresh emulator of the sample pool (which has
/// custom:legacy_id and is case-insensitive); checks every row's verdict
/// against expected.json's entry `expected_as`; returns the users by name.
async fn import(input: PathBuf, args: &[&str], expected_as: &str) -> Imported {
    import_with_codes(input, args, expected_as, |code| code).await
}

/// [`import`], where `code` turns expected.json's code into this mapping's.
async fn import_with_codes(
    input: PathBuf,
    args: &[&str],
    expected_as: &str,
    code: fn(&str) -> &str,
) -> Imported {
    let wd = Workdir::new();
    let pool = migration_pool(&wd);
    let server = Endpoint::emulator(&pool, &[]).await;
    let out = wd
        .run(&input)
        .against(&server)
        .report("report.csv")
        .errors("errors.csv")
        .arg("--pool")
        .arg(&pool)
        .args(args)
        .output()
        .await
        .assert_code(1);
    let (accepted, mut refused) = expected(expected_as);
    refused.values_mut().for_each(|c| *c = code(c).to_owned());
    let entries = wd.read_report("report.csv");
    let created = entries
        .iter()
        .filter(|e| e.status == Some(Status::Created))
        .count() as u64;
    assert_eq!(created, accepted, "{}", out.stderr);
    let got: BTreeMap<u64, String> = entries
        .iter()
        .filter(|e| e.status != Some(Status::Created))
        .map(|e| (e.row, e.error_code.clone()))
        .collect();
    assert_eq!(got, refused, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("{accepted} users got a generated password")),
        "the reminder: {}",
        out.stderr
    );
    let users = server
        .list_users()
        .await
        .into_iter()
        .map(|user| {
            let attributes = user
                .attributes
                .iter()
                .map(|a| (a.name.to_string(), a.value.clone()))
                .collect();
            (user.username, attributes)
        })
        .collect::<HashMap<_, _>>();
    assert_eq!(users.len() as u64, accepted);
    (out, users, entries)
}

/// The sample pool with room for the ids of every source in
/// custom:legacy_id: Auth0's `google-oauth2|<21 digits>` is 35 characters,
/// past the sample's 32 (the presets' comments say to allow 128).
fn migration_pool(wd: &Workdir) -> PathBuf {
    let text = std::fs::read_to_string(sample("pool.json")).expect("sample pool");
    let mut pool: Value = serde_json::from_str(&text).expect("pool json");
    let schema = pool["UserPool"]["SchemaAttributes"]
        .as_array_mut()
        .expect("schema");
    let legacy = schema
        .iter_mut()
        .find(|a| a["Name"] == "custom:legacy_id")
        .expect("custom:legacy_id");
    legacy["StringAttributeConstraints"]["MaxLength"] = "128".into();
    wd.write("pool.json", &pool.to_string())
}

/// Asserts that row `row`'s user is in `users` with the `want`ed attributes.
fn assert_user(
    users: &HashMap<String, HashMap<String, String>>,
    row: u64,
    username: &str,
    want: &[(&str, Option<String>)],
) {
    let user = users
        .get(username)
        .unwrap_or_else(|| panic!("row {row}: {username}"));
    assert_attributes(user, want, username);
}

/// Asserts `user`'s attributes: each `Some` value present and equal, each
/// `None` absent.
fn assert_attributes(user: &HashMap<String, String>, want: &[(&str, Option<String>)], who: &str) {
    for (name, value) in want {
        assert_eq!(
            user.get(*name),
            value.as_ref(),
            "{who}: {name} (all: {user:?})"
        );
    }
}

fn text(value: &Value, key: &str) -> Option<String> {
    value[key]
        .as_str()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Attributes a user must have (`Some`) or lack (`None`).
type Wanted = Vec<(&'static str, Option<String>)>;

/// The Firebase users as the emulator must hold them, by username; both
/// Firebase fixtures have the same users in the same order.
fn firebase_users() -> Vec<(u64, String, Wanted)> {
    let text_of = std::fs::read_to_string(export("firebase.json")).expect("fixture");
    let export: Value = serde_json::from_str(&text_of).expect("json");
    let (_, refused) = expected("firebase.json");
    let mut users = Vec::new();
    for (i, user) in export["users"]
        .as_array()
        .expect("users")
        .iter()
        .enumerate()
    {
        let row = i as u64 + 1;
        if refused.contains_key(&row) {
            continue;
        }
        let email = text(user, "email")
            .expect("accepted rows have one")
            .to_lowercase();
        let created_ms: i64 = user["createdAt"].as_str().expect("ms").parse().expect("ms");
        let want = vec![
            ("email", Some(email.clone())),
            ("name", text(user, "displayName")),
            ("phone_number", text(user, "phoneNumber")),
            ("picture", text(user, "photoUrl")),
            ("updated_at", Some((created_ms / 1000).to_string())),
            ("custom:legacy_id", text(user, "localId")),
            ("email_verified", None),
        ];
        users.push((row, email, want));
    }
    users
}

#[tokio::test]
async fn a_header_less_firebase_csv_imports_with_its_preset() {
    let (out, users, entries) = import(
        export("firebase.csv"),
        &["--preset", "firebase-csv"],
        "firebase.json",
    )
    .await;
    for (row, username, want) in firebase_users() {
        assert_user(&users, row, &username, &want);
    }
    // The verified flags are carried, not sent: no row is refused for them,
    // and the report records them for the steps after sign-up.
    assert!(
        !out.stderr.contains("UnwritableAttribute"),
        "{}",
        out.stderr
    );
    let records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(export("firebase.csv"))
        .expect("fixture")
        .into_records()
        .map(|r| r.expect("record"))
        .collect::<Vec<_>>();
    let created: Vec<&ReportEntry> = entries
        .iter()
        .filter(|e| e.status == Some(Status::Created))
        .collect();
    assert!(created.iter().any(|e| e.verified == "email"));
    for entry in created {
        let verified = &records[entry.row as usize - 1][2];
        let want = if verified == "true" { "email" } else { "" };
        assert_eq!(entry.verified, want, "row {}", entry.row);
    }
}

#[tokio::test]
async fn cognitos_own_template_imports_with_its_preset() {
    // expected.json takes the email as the username; this preset keeps
    // cognito:username, so a row without an email lacks the pool's
    // required attribute instead.
    let (_, users, _) = import_with_codes(
        export("cognito.csv"),
        &["--preset", "cognito-csv"],
        "cognito.csv",
        |code| match code {
            "MissingUsername" => "MissingRequiredAttribute",
            other => other,
        },
    )
    .await;
    let mut reader = csv::Reader::from_path(export("cognito.csv")).expect("fixture");
    let (_, refused) = expected("cognito.csv");
    let mut checked = 0;
    for (i, record) in reader.records().enumerate() {
        let row = i as u64 + 1;
        let Ok(record) = record else { continue };
        if refused.contains_key(&row) {
            continue;
        }
        let cell = |index: usize| {
            Some(record.get(index).unwrap_or("").trim().to_owned()).filter(|s| !s.is_empty())
        };
        let username = cell(21).expect("cognito:username");
        let birthdate = cell(12).map(|d| {
            let (m, rest) = d.split_once('/').expect("mm/dd/yyyy");
            let (day, y) = rest.split_once('/').expect("mm/dd/yyyy");
            format!("{y}-{m}-{day}")
        });
        let want = [
            ("email", cell(9).map(|e| e.to_lowercase())),
            ("given_name", cell(1)),
            ("family_name", cell(2)),
            ("phone_number", cell(15)),
            ("birthdate", birthdate),
            ("updated_at", cell(18)),
            ("custom:legacy_id", cell(19)),
            ("zoneinfo", cell(13)),
        ];
        assert_user(&users, row, &username, &want);
        checked += 1;
    }
    assert_eq!(checked, users.len());
}

/// The mapping a person writes for a spreadsheet: the email is the
/// username, national phone numbers are read as US ones.
const SPREADSHEET_MAPPING: &str = r#"
username = { column = "E-Mail", transform = ["trim", "lowercase"] }
password = { generate = true }
[attributes]
email = { column = "E-Mail", transform = ["trim", "lowercase"] }
given_name = "First Name"
family_name = "Last Name"
phone_number = { column = "Phone", transform = ["e164"] }
[options]
default_country = "US"
ignore = ["Username"]
"#;

#[tokio::test]
async fn a_semicolon_windows_1252_spreadsheet_imports_with_its_accents() {
    let wd = Workdir::new();
    let mapping = wd.write("mapping.toml", SPREADSHEET_MAPPING);
    let mapping = mapping.to_str().expect("utf-8 path");
    let (out, users, _) = import(
        export("spreadsheet-1252.csv"),
        &["--mapping", mapping, "--encoding", "windows-1252"],
        "spreadsheet-1252.csv",
    )
    .await;
    assert!(
        out.stderr.contains("';'"),
        "the sniffed separator is said: {}",
        out.stderr
    );
    let bytes = std::fs::read(export("spreadsheet-1252.csv")).expect("fixture");
    let (decoded, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
    let (_, refused) = expected("spreadsheet-1252.csv");
    let mut accents = 0;
    for (i, line) in decoded.lines().skip(1).enumerate() {
        let row = i as u64 + 1;
        if refused.contains_key(&row) {
            continue;
        }
        let cells: Vec<&str> = line.split(';').collect();
        let present = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let digits: String = cells[4].chars().filter(char::is_ascii_digit).collect();
        let phone = (!digits.is_empty()).then(|| format!("+1{digits}"));
        let username = cells[1].trim().to_lowercase();
        let want = [
            ("given_name", present(cells[2])),
            ("family_name", present(cells[3])),
            ("phone_number", phone),
        ];
        assert_user(&users, row, &username, &want);
        accents += usize::from(!line.is_ascii());
    }
    assert!(accents >= 10, "the fixture has accented names: {accents}");
}

#[tokio::test]
async fn a_utf16_file_imports_without_being_told() {
    let wd = Workdir::new();
    let mapping = wd.write(
        "mapping.toml",
        "username = { column = \"email\", transform = [\"trim\", \"lowercase\"] }\npassword = { generate = true }\n[attributes]\nemail = { column = \"email\", transform = [\"trim\", \"lowercase\"] }\n[options]\nmap_by_header = true\nignore = [\"username\"]\n",
    );
    let (_, users, _) = import(
        export("utf16.csv"),
        &["--mapping", mapping.to_str().expect("utf-8 path")],
        "utf16.csv",
    )
    .await;
    let bytes = std::fs::read(export("utf16.csv")).expect("fixture");
    let (decoded, _, _) = encoding_rs::UTF_16LE.decode(&bytes);
    let mut reader = csv::Reader::from_reader(decoded.as_bytes());
    let (_, refused) = expected("utf16.csv");
    for (i, record) in reader.records().enumerate() {
        let row = i as u64 + 1;
        let record = record.expect("record");
        if refused.contains_key(&row) {
            continue;
        }
        let username = record[1].trim().to_lowercase();
        let user = users
            .get(&username)
            .unwrap_or_else(|| panic!("row {row}: {username}"));
        let present = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let want = [
            ("given_name", present(&record[2])),
            ("family_name", present(&record[3])),
        ];
        assert_attributes(user, &want, &username);
    }
}

/// The Auth0 users as the emulator must hold them.
fn auth0_users() -> Vec<(u64, String, Wanted)> {
    let text_of = std::fs::read_to_string(export("auth0.ndjson")).expect("fixture");
    let (_, refused) = expected("auth0.ndjson");
    let mut users = Vec::new();
    for (i, line) in text_of.lines().enumerate() {
        let row = i as u64 + 1;
        if refused.contains_key(&row) {
            continue;
        }
        let user: Value = serde_json::from_str(line).expect("json line");
        let email = text(&user, "email")
            .expect("accepted rows have one")
            .to_lowercase();
        let updated =
            chrono::DateTime::parse_from_rfc3339(user["updated_at"].as_str().expect("iso"))
                .expect("ISO time")
                .timestamp();
        let want = vec![
            ("email", Some(email.clone())),
            ("given_name", text(&user, "given_name")),
            ("family_name", text(&user, "family_name")),
            ("name", text(&user, "name")),
            ("nickname", text(&user, "nickname")),
            ("phone_number", text(&user, "phone_number")),
            ("updated_at", Some(updated.to_string())),
            ("custom:legacy_id", text(&user, "user_id")),
            ("custom:tier", text(&user["user_metadata"], "plan")),
        ];
        users.push((row, email, want));
    }
    users
}

/// Auth0's export, plain and as delivered (gzipped), with one `--map` for
/// a value inside its nested `user_metadata`.
#[tokio::test]
async fn an_auth0_export_imports_with_its_preset_plain_and_gzipped() {
    for file in ["auth0.ndjson", "auth0.json.gz"] {
        let (_, users, _) = import(
            export(file),
            &[
                "--preset",
                "auth0",
                "--map",
                "user_metadata.plan=custom:tier",
            ],
            "auth0.ndjson",
        )
        .await;
        let wanted = auth0_users();
        assert!(wanted.iter().any(|(_, _, want)| want[8].1.is_some()));
        for (row, username, want) in wanted {
            let user = users
                .get(&username)
                .unwrap_or_else(|| panic!("{file} row {row}: {username}"));
            assert_attributes(user, &want, &username);
        }
    }
}

#[tokio::test]
async fn a_firebase_json_export_imports_with_its_preset() {
    let (_, users, entries) = import(
        export("firebase.json"),
        &["--preset", "firebase"],
        "firebase.json",
    )
    .await;
    for (row, username, want) in firebase_users() {
        assert_user(&users, row, &username, &want);
    }
    assert!(entries.iter().any(|e| e.verified == "email"));
}
