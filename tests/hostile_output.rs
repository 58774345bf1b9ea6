//! Hostile text from outside, through every way in (CSV, NDJSON and Bundle imports) and out
//! through every surface a person reads: what reaches the screen is data, never instructions.
//! No raw control or bidi character on stdout or stderr of a human format, spreadsheet formulas
//! neutralised in every CSV, HTML escaped, JSON exact, and nothing panics. In a pseudo-terminal,
//! `taskgate show` on the escape task leaves the title and clipboard alone.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::peer::Peer;
use support::pty::Screen;
use support::sandbox::Sandbox;

const TITLE: &str = "\u{1b}]0;PWNED\u{7}";
/// OSC 52: "put 999 000 0026 on the clipboard" (base64).
const CLIPBOARD: &str = "\u{1b}]52;c;OTk5IDAwMCAwMDI2\u{7}";
const CURSOR: &str = "\u{1b}[2J\u{1b}[H\u{1b}[5A";
const C1_CSI: &str = "\u{9b}31m";
const BIDI: &str = "Dose 10\u{202e}gm 5\u{202c} daily \u{2066}x\u{2069}";
const FORMULA: &str = "=HYPERLINK(\"http://evil.example\",\"click\")";
const SCRIPT: &str = "<script>alert('x')</script><b>bold</b>";

fn long_line() -> String {
    "Very long line ".repeat(3_000)
}

/// What a terminal must never receive as a byte: C0 controls other than line feed, tab and a
/// carriage return ending a line, DEL, C1 controls and bidi controls.
fn assert_inert(bytes: &[u8], what: &str) {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{what}: not UTF-8: {e}"));
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let allowed = c == '\n' || c == '\t' || (c == '\r' && chars.peek() == Some(&'\n'));
        let steering = matches!(
            c,
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{61c}' | '\u{200e}' | '\u{200f}'
                | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        );
        assert!(
            allowed || !steering,
            "{what}: raw U+{:04X} reaches the terminal",
            u32::from(c)
        );
    }
}

/// Runs a human-format command: it succeeds, and stdout and stderr are inert.
fn shown(s: &Sandbox, args: &[&str]) -> String {
    let out = s.run(args);
    assert!(
        out.status.success(),
        "taskgate {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_inert(&out.stdout, &format!("{args:?} stdout"));
    assert_inert(&out.stderr, &format!("{args:?} stderr"));
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The hostile rows as a CSV export from a provider's system.
fn hostile_csv(s: &Sandbox) -> std::path::PathBuf {
    let path = s.path("hostile.csv");
    let mut w = csv::Writer::from_path(&path).expect("csv");
    w.write_record([
        "Source ID",
        "Received",
        "Priority",
        "Status",
        "Provider ODS",
        "Provider Name",
        "Sender Team",
        "Addressed To",
        "Owner",
        "NHS Number",
        "Patient Name",
        "Date of Birth",
        "Subject",
        "Body",
        "Due By",
        "Version",
    ])
    .expect("header");
    let body =
        format!("Clipboard {CLIPBOARD} then {CURSOR} and {C1_CSI}\nNUL \0 DEL \u{7f}\n{BIDI}");
    w.write_record([
        "HX-1",
        "2026-11-02 09:15",
        "urgent",
        "",
        "RZZ91",
        FORMULA,
        BIDI,
        "",
        "",
        "999 000 0018",
        SCRIPT,
        "1950-03-01",
        &format!("Escape {TITLE} here {SCRIPT}"),
        &body,
        "",
        "1",
    ])
    .expect("row");
    let long = long_line();
    w.write_record([
        "HX-2",
        "2026-11-03 10:00",
        "routine",
        "",
        "RZZ92",
        "+44 Provider",
        "-Team",
        "",
        "",
        "999 000 0026",
        "@Patient",
        "1962-11-30",
        FORMULA,
        &long,
        "",
        "1",
    ])
    .expect("row");
    w.flush().expect("flush");
    path
}

fn hostile_task(id: &str, subject: &str, provider: &str, description: &str) -> Value {
    json!({
        "resourceType": "Task", "id": id,
        "meta": {"versionId": "1", "lastUpdated": "2026-11-04T09:15:00Z"},
        "status": "requested", "intent": "order", "priority": "routine",
        "code": {"text": subject}, "description": description,
        "for": {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number",
                "value": "9990000034"}, "display": SCRIPT},
        "authoredOn": "2026-11-04T09:15:00Z",
        "requester": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code",
                      "value": "RZZ93"}, "display": provider},
        "owner": {"reference": "Organization/ZGP01"}
    })
}

/// Imports the corpus through all three file formats; returns the ids in the mirror by
/// source id.
fn import_corpus(s: &Sandbox) -> Value {
    let csv = hostile_csv(s);
    shown(s, &["import", csv.to_str().expect("path")]);

    // NDJSON: one good hostile resource, and one whose text holds a lone surrogate, which no
    // UTF-8 text can carry: refused with its line, the rest imported.
    let ndjson = s.path("hostile.ndjson");
    let good = hostile_task("HN-1", &format!("NDJSON {BIDI}"), FORMULA, TITLE);
    let lone = r#"{"resourceType": "Task", "id": "HN-2", "status": "requested", "intent": "order", "description": "half \ud800 a character"}"#;
    std::fs::write(&ndjson, format!("{good}\n{lone}\n")).expect("write");
    let out = s.run(&["import", ndjson.to_str().expect("path")]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "one row quarantined: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_inert(&out.stdout, "ndjson import stdout");
    assert_inert(&out.stderr, "ndjson import stderr");

    let bundle = s.path("hostile.json");
    let task = hostile_task("HB-1", &format!("Bundle {CURSOR}"), "@cmd", CLIPBOARD);
    let doc = json!({"resourceType": "Bundle", "type": "searchset",
                     "entry": [{"resource": task}]});
    std::fs::write(&bundle, doc.to_string()).expect("write");
    shown(s, &["import", bundle.to_str().expect("path")]);

    s.json(&["list", "--format", "json", "--limit", "0"])
}

fn id_of(list: &Value, source_id: &str) -> String {
    list.as_array()
        .expect("list")
        .iter()
        .find(|t| t["source_id"] == source_id)
        .unwrap_or_else(|| panic!("{source_id} imported"))["id"]
        .to_string()
}

#[test]
fn hostile_text_is_shown_as_data_on_every_surface() {
    let s = Sandbox::new();
    s.demo(20);
    let list = import_corpus(&s);
    let escape_task = id_of(&list, "HX-1");
    let formula_task = id_of(&list, "HX-2");

    // JSON is exact: the text is stored and handed to programs as it came.
    let task = list
        .as_array()
        .expect("list")
        .iter()
        .find(|t| t["source_id"] == "HX-1")
        .expect("HX-1");
    assert_eq!(task["subject"], format!("Escape {TITLE} here {SCRIPT}"));
    assert_eq!(task["provider"]["name"], FORMULA);
    assert_eq!(task["sender_team"], BIDI);

    // A person sees the escapes where the characters were.
    let table = shown(&s, &["list", "--limit", "0"]);
    assert!(
        table.contains("Escape \\u{1b}]0;PWNED\\u{7} here"),
        "{table}"
    );
    let shown_task = shown(&s, &["show", &escape_task]);
    assert!(shown_task.contains("\\u{1b}]52;c;"), "{shown_task}");
    assert!(
        shown_task.contains("10\\u{202e}gm 5\\u{202c}"),
        "{shown_task}"
    );
    assert!(
        shown_task.contains("NUL \\u{0} DEL \\u{7f}"),
        "{shown_task}"
    );
    assert!(
        shown_task.contains(SCRIPT),
        "text output shows markup as text"
    );
    shown(&s, &["show", &formula_task]);
    shown(&s, &["letter", &escape_task]);
    shown(&s, &["overdue"]);
    shown(&s, &["stats", "--by", "provider"]);
    shown(&s, &["provider", "list"]);

    // The handover: Markdown and HTML escape markup, and neither carries a control.
    let html = shown(&s, &["handover", "--format", "html"]);
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;"),
        "the subject is in the report: {html}"
    );
    let markdown = shown(&s, &["handover", "--format", "md"]);
    assert!(!markdown.contains("<script>"), "{markdown}");

    // A note typed (or pasted) with the same text, then the audit trail.
    shown(
        &s,
        &[
            "assign",
            &escape_task,
            "aclarke",
            "--note",
            &format!("pasted {TITLE}{BIDI}"),
        ],
    );
    let audit = shown(&s, &["audit", "show", &escape_task]);
    assert!(audit.contains("pasted \\u{1b}]0;PWNED"), "{audit}");

    // Every CSV: formulas from outside become text, numbers stay numbers.
    for args in [
        &["list", "--format", "csv", "--limit", "0"][..],
        &["overdue", "--format", "csv"][..],
        &["stats", "--by", "provider", "--format", "csv"][..],
    ] {
        let out = shown(&s, args);
        let mut reader = csv::Reader::from_reader(out.as_bytes());
        let headers = reader.headers().expect("headers").clone();
        for record in reader.records() {
            let record = record.expect("a CSV record");
            for (name, cell) in headers.iter().zip(record.iter()) {
                let numeric = cell.parse::<f64>().is_ok();
                assert!(
                    numeric || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{args:?}: {name} = {cell:?} would run as a formula"
                );
            }
        }
        assert!(out.contains("'=HYPERLINK"), "{args:?}: {out}");
    }
    let csv_list = shown(&s, &["list", "--format", "csv", "--limit", "0"]);
    assert!(csv_list.contains("'+44 Provider"), "{csv_list}");

    // An error that quotes what it was given shows it as data too: ours (an unknown member of
    // staff, pasted from a task) and clap's (a status it does not know).
    let bad = s.run(&["assign", "1", &format!("nobody{TITLE}")]);
    assert_eq!(bad.status.code(), Some(1));
    assert_inert(&bad.stderr, "error message");
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("\\u{1b}]0;PWNED"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let refused = s.run(&["list", "--status", &format!("new{TITLE}")]);
    assert_eq!(refused.status.code(), Some(1));
    assert_inert(&refused.stderr, "the command line's refusal");
}

/// Records what a terminal would do about titles and the clipboard.
#[derive(Default)]
struct Steered {
    titles: Vec<Vec<u8>>,
    clipboard: Vec<Vec<u8>>,
}

impl vt100::Callbacks for Steered {
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.titles.push(title.to_vec());
    }

    fn copy_to_clipboard(&mut self, _: &mut vt100::Screen, _ty: &[u8], data: &[u8]) {
        self.clipboard.push(data.to_vec());
    }
}

#[test]
fn show_leaves_the_terminal_title_and_clipboard_alone() {
    let s = Sandbox::new();
    s.demo(5);
    let list = import_corpus(&s);
    let id = id_of(&list, "HX-1");
    let mut screen = Screen::start_command(s.pty_command(&["show", &id]), 200, 60);
    assert!(screen.wait_exit(Duration::from_secs(30)), "show ends");
    let size = |n: u16| std::num::NonZeroU16::new(n).expect("non-zero");
    let mut terminal =
        vt100::Parser::new_with_callbacks(size(60), size(200), 0, Steered::default());
    terminal.process(&screen.raw);
    assert!(
        terminal.callbacks().titles.is_empty(),
        "the title was set to {:?}",
        terminal.callbacks().titles
    );
    assert!(
        terminal.callbacks().clipboard.is_empty(),
        "the clipboard was written"
    );
    let seen = terminal.screen().contents();
    assert!(seen.contains("Escape \\u{1b}]0;PWNED\\u{7} here"), "{seen}");
}

#[test]
fn the_inbox_shows_bidi_controls_instead_of_obeying_them() {
    let s = Sandbox::new();
    s.demo(5);
    import_corpus(&s);
    let mut screen = Screen::start_command(s.pty_command(&[]), 200, 50);
    screen.wait_for(
        "NDJSON Dose 10\\u{202e}gm 5\\u{202c}",
        Duration::from_secs(30),
    );
    screen.send("q");
    assert!(
        screen.wait_exit(Duration::from_secs(30)),
        "the inbox closes"
    );
    let raw = String::from_utf8_lossy(&screen.raw);
    for bidi in ['\u{202e}', '\u{202c}', '\u{2066}', '\u{2069}'] {
        assert!(
            !raw.contains(bidi),
            "U+{:04X} reached the terminal",
            u32::from(bidi)
        );
    }
}

#[test]
fn hostile_text_from_a_fhir_server_is_shown_as_data() {
    let peer = Peer::start();
    let ids = peer.seed(2);
    peer.change_task(&ids[0], |t| {
        t["code"]["text"] = json!(format!("Synced {TITLE} {BIDI}"));
        t["description"] = json!(format!("{CLIPBOARD}{CURSOR}{C1_CSI}"));
        t["requester"]["display"] = json!(FORMULA);
        t["for"]["display"] = json!(SCRIPT);
    });
    let s = Sandbox::new();
    s.use_fhir(&peer.base_url());
    shown(&s, &["sync"]);
    let list = s.json(&["list", "--format", "json", "--limit", "0"]);
    let id = id_of(&list, &ids[0]);
    let table = shown(&s, &["list", "--limit", "0"]);
    assert!(table.contains("Synced \\u{1b}]0;PWNED"), "{table}");
    shown(&s, &["show", &id]);
    shown(&s, &["overdue"]);
    shown(&s, &["provider", "list"]);
    let html = shown(&s, &["handover", "--format", "html"]);
    assert!(!html.contains("<script>"), "{html}");
    for args in [
        &["list", "--format", "csv", "--limit", "0"][..],
        &["stats", "--by", "provider", "--format", "csv"][..],
    ] {
        let out = shown(&s, args);
        assert!(!out.contains(",=HYPERLINK"), "{args:?}: {out}");
        assert!(out.contains("'=HYPERLINK"), "{args:?}: {out}");
    }
}
