//! No patient identifiers in the logs of sync and import either: at debug level, a pull from
//! the real peer, a rejection pushed back, and imports of CSV, NDJSON and a Bundle (bad rows
//! included) leave a log naming no patient and no NHS number held in the mirror.

mod support;

use std::path::Path;

use support::desk::Desk;
use support::peer::Peer;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn sync_and_import_at_debug_level_log_no_patient_name_or_nhs_number() {
    let peer = Peer::start();
    peer.seed(40);
    let desk = Desk::new(&peer);
    let run = |args: &[&str]| {
        desk.cmd()
            .env("TASKGATE_LOG", "debug")
            .args(args)
            .output()
            .expect("taskgate runs")
    };
    assert!(run(&["sync"]).status.success());
    let id = desk.tasks()[0]["id"].as_i64().expect("an id").to_string();
    assert!(run(&["reject", &id, "--despite-risk"]).status.success());
    assert!(run(&["sync"]).status.success());
    for file in ["good.csv", "bad_rows.csv", "tasks.ndjson", "searchset.json"] {
        // Bad rows are quarantined (exit 2); what matters here is what the log says.
        let out = run(&["import", &fixture(file)]);
        assert!(matches!(out.status.code(), Some(0 | 2)), "{file}: {out:?}");
    }

    let log = std::fs::read_to_string(desk.log_file()).expect("the log was written");
    assert!(log.contains("command=Some(\"sync\")"), "{log}");
    assert!(log.contains("command=Some(\"import\")"), "{log}");
    let conn = rusqlite::Connection::open(desk.db()).expect("open");
    let mut identifiers: Vec<String> = Vec::new();
    let mut stmt = conn
        .prepare("SELECT patient_name, patient_nhs FROM tasks")
        .expect("query");
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .expect("rows");
    for row in rows {
        let (name, nhs) = row.expect("row");
        identifiers.push(name);
        if let Some(n) = nhs {
            identifiers.push(format!("{} {} {}", &n[..3], &n[3..6], &n[6..]));
            identifiers.push(n);
        }
    }
    assert!(identifiers.len() > 40, "names and numbers to look for");
    for identifier in &identifiers {
        assert!(
            !log.contains(identifier.as_str()),
            "the log names a patient ({identifier}):\n{log}"
        );
    }
}
