//! Real legacy exports (issue 11) through the binary: JSON array input,
//! gzip and zstd compression recognised by content, the format sniffed
//! when the name does not tell, and nested JSON values.

use std::io::Write;

use crate::workdir::*;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).expect("zstd")
}

/// Writes `bytes` to `name` in the workdir.
fn write_bytes(wd: &Workdir, name: &str, bytes: &[u8]) {
    std::fs::write(wd.path(name), bytes).expect("write a test file");
}

#[tokio::test]
async fn a_gzipped_firebase_export_creates_its_users() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    let export = r#"{"kind": "identitytoolkit#DownloadAccountResponse", "users": [
  {"localId": "fb1", "email": "fb1@example.com", "displayName": "Ann Fb",
   "emailVerified": true, "password": "Passw0rd-fb1",
   "providerUserInfo": [{"providerId": "password", "email": "fb1@example.com"}]},
  {"localId": "fb2", "email": "fb2@example.com", "displayName": "Bo [the \"2nd\"]",
   "emailVerified": false, "password": "Passw0rd-fb2", "providerUserInfo": []}
], "nextPageToken": null}
"#;
    write_bytes(&wd, "users.json.gz", &gzip(export.as_bytes()));
    wd.run("users.json.gz")
        .against(&server)
        .report("report.csv")
        .args(["--map", "localId=username", "--map", "displayName=name"])
        .args(["--ignore-column", "emailVerified"])
        .args(["--ignore-column", "providerUserInfo"])
        .output()
        .await
        .assert_code(0);
    let report = wd.read_report("report.csv");
    assert_eq!(report.len(), 2, "{report:?}");
    assert!(report.iter().all(|e| e.status == Some(Status::Created)));
    let bo = server.admin_get_user("fb2").await.expect("fb2 created");
    assert_eq!(
        attribute(&bo.user_attributes, "name"),
        Some("Bo [the \"2nd\"]")
    );
    assert!(server.admin_get_user("fb1").await.is_some());
}

#[tokio::test]
async fn zstd_ndjson_without_an_extension_is_found_by_its_content() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    // The sample's first three users, which are all valid.
    let sample = std::fs::read_to_string(sample("users.ndjson")).expect("sample");
    let ndjson: String = sample.lines().take(3).map(|l| format!("{l}\n")).collect();
    write_bytes(&wd, "export", &zstd(ndjson.as_bytes()));
    let out = wd
        .run("export")
        .against(&server)
        .report("report.csv")
        .output()
        .await
        .assert_code(0);
    assert!(
        out.stderr.contains("so it is read as ndjson"),
        "the sniffed format is said: {}",
        out.stderr
    );
    assert_eq!(server.stats().await.created, 3);
    let zoe = server.admin_get_user("zoe.muller").await.expect("zoe");
    assert_eq!(attribute(&zoe.user_attributes, "given_name"), Some("Zoë"));
}

#[tokio::test]
async fn a_gzipped_semicolon_latin1_csv_reads_with_its_encoding() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    let text = "username;password;email;given_name\nzoe;Passw0rd!x;zoe@example.com;Zoë\n";
    let latin1: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
    write_bytes(&wd, "legacy.csv.gz", &gzip(&latin1));
    // Without --encoding, the text inside is refused as not UTF-8.
    let out = wd
        .run("legacy.csv.gz")
        .against(&server)
        .report("refused.csv")
        .output()
        .await
        .assert_code(2);
    assert!(out.stderr.contains("--encoding"), "{}", out.stderr);
    let out = wd
        .run("legacy.csv.gz")
        .against(&server)
        .args(["--encoding", "latin1"])
        .report("report.csv")
        .output()
        .await
        .assert_code(0);
    assert!(
        out.stderr.contains("with ';', so that is the separator"),
        "the separator is found in the decompressed header: {}",
        out.stderr
    );
    let zoe = server.admin_get_user("zoe").await.expect("zoe");
    assert_eq!(attribute(&zoe.user_attributes, "given_name"), Some("Zoë"));
}

#[tokio::test]
async fn a_csv_named_file_that_is_gzip_is_decompressed() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    let plain = wd.users_csv("plain.csv", "gz", 30);
    // Two gzip members, as `cat a.gz b.gz` makes: all rows are read.
    let text = std::fs::read(plain).expect("csv");
    let cut = text.len() / 2;
    let mut bytes = gzip(&text[..cut]);
    bytes.extend(gzip(&text[cut..]));
    write_bytes(&wd, "users.csv", &bytes);
    wd.run("users.csv")
        .against(&server)
        .report("report.csv")
        .output()
        .await
        .assert_code(0);
    assert_eq!(server.stats().await.created, 30);
    assert!(server.admin_get_user("gz30").await.is_some());
}

#[tokio::test]
async fn bzip2_is_still_refused() {
    let wd = Workdir::new();
    write_bytes(
        &wd,
        "users.csv",
        b"BZh91AY&SY\x00\x01\x02rest of the stream",
    );
    let out = wd
        .run("users.csv")
        .arg("--dry-run")
        .report("report.csv")
        .output()
        .await
        .assert_code(2);
    assert!(
        out.stderr.contains("the input is bzip2-compressed"),
        "{}",
        out.stderr
    );
    assert!(!wd.exists("report.csv"));
}

#[tokio::test]
async fn a_cut_gzip_stream_ends_the_run_with_an_error_naming_it() {
    let wd = Workdir::new();
    let lines: String = (1..=20_000)
        .map(|i| format!("{{\"username\":\"cut{i}\",\"password\":\"Passw0rd-{i}\",\"email\":\"cut{i}@example.com\"}}\n"))
        .collect();
    let bytes = gzip(lines.as_bytes());
    write_bytes(&wd, "users.ndjson.gz", &bytes[..bytes.len() * 2 / 3]);
    let out = wd
        .run("users.ndjson.gz")
        .arg("--dry-run")
        .report("report.csv")
        .output()
        .await
        .assert_code(1);
    assert!(
        out.stderr.contains("the gzip data is corrupt or cut short"),
        "{}",
        out.stderr
    );
    let report = wd.read_report("report.csv");
    assert!(
        !report.is_empty() && report.len() < 20_000,
        "the rows before the cut are reported: {}",
        report.len()
    );
}

#[tokio::test]
async fn json_elements_that_are_not_users_are_their_own_rows_errors() {
    let wd = Workdir::new();
    wd.write(
        "users.json",
        "[\n{\"username\":\"ann\",\"password\":\"Passw0rd-a\",\"email\":\"ann@example.com\"},\n\"not a user\",\n{\"username\":\"bob\",\"password\":\"Passw0rd-b\",\"email\":\"bob@example.com\"}\n]\n",
    );
    wd.run("users.json")
        .arg("--dry-run")
        .report("report.csv")
        .output()
        .await
        .assert_code(1);
    let report = wd.read_report("report.csv");
    let statuses: Vec<_> = report.iter().map(|e| (e.row, e.status)).collect();
    assert_eq!(
        statuses,
        [
            (1, Some(Status::Valid)),
            (2, Some(Status::Invalid)),
            (3, Some(Status::Valid))
        ]
    );
    assert_eq!(report[1].error_code, "UnreadableRecord");
    assert!(
        report[1]
            .error_message
            .contains("element 2 (line 3) is not a JSON object"),
        "{}",
        report[1].error_message
    );
}

#[tokio::test]
async fn an_ignored_nested_value_no_longer_spoils_its_record() {
    let server = Endpoint::emulator(sample("pool.json"), &[]).await;
    let wd = Workdir::new();
    wd.write(
        "users.ndjson",
        "{\"username\":\"nested1\",\"password\":\"Passw0rd-n\",\"email\":\"n1@example.com\",\"meta\":{\"plan\":\"pro\",\"seats\":[1,2]}}\n",
    );
    wd.run("users.ndjson")
        .against(&server)
        .report("report.csv")
        .args(["--ignore-column", "meta"])
        .output()
        .await
        .assert_code(0);
    let report = wd.read_report("report.csv");
    assert_eq!(
        report[0].status,
        Some(Status::Created),
        "{}",
        report[0].error_message
    );
    assert!(server.admin_get_user("nested1").await.is_some());
}

#[tokio::test]
async fn stdin_still_needs_a_format_and_names_all_three() {
    let wd = Workdir::new();
    wd.write("users.json", "[]");
    let out = wd
        .run("-")
        .arg("--dry-run")
        .report("report.csv")
        .stdin_file("users.json")
        .output()
        .await
        .assert_code(2);
    assert!(
        out.stderr
            .contains("needs --format csv, --format ndjson or --format json"),
        "{}",
        out.stderr
    );
    // With it, a gzipped JSON array reads from stdin too.
    write_bytes(
        &wd,
        "users.gz",
        &gzip(
            b"[{\"username\":\"ann\",\"password\":\"Passw0rd-a\",\"email\":\"ann@example.com\"}]",
        ),
    );
    wd.run("-")
        .args(["--dry-run", "--format", "json"])
        .report("report.csv")
        .stdin_file("users.gz")
        .output()
        .await
        .assert_code(0);
    assert_eq!(wd.read_report("report.csv").len(), 1);
}
