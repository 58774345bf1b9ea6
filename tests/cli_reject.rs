//! `taskgate reject` on the real binary chooses the letter each task needs, as the inbox's reject
//! key does: the one its flags suggest, the agreed-route reminder for a provider the practice has
//! an agreement with, never the blanket letter for a task that could harm a patient. Such a task
//! stops the command (exit 1, nothing changed, the reason said) unless `--despite-risk` is given;
//! `--template` still forces a letter.

mod support;

use serde_json::Value;
use support::sandbox::Sandbox;

/// In the example config, Riverside Community Health has had an SOP since 1 Nov 2025.
const SOP_PROVIDER: &str = "ZDN01";

fn demo() -> Sandbox {
    let s = Sandbox::new();
    s.demo(120);
    s
}

fn unactioned(s: &Sandbox) -> Vec<Value> {
    let list = s.json(&["list", "--format", "json", "--limit", "0"]);
    list.as_array()
        .expect("an array")
        .iter()
        .filter(|t| t["status"] == "new")
        .cloned()
        .collect()
}

fn raises(task: &Value, flag: &str) -> bool {
    task["flags"]
        .as_array()
        .is_some_and(|flags| flags.iter().any(|f| f["flag"] == flag))
}

fn text_of(task: &Value) -> String {
    format!("{} {}", task["subject"], task["body"]).to_lowercase()
}

/// Words of the example config's `policy.safeguarding_words` (the defaults).
fn mentions_safeguarding(task: &Value) -> bool {
    let text = text_of(task);
    [
        "safeguarding",
        "child protection",
        "suicid",
        "self-harm",
        "self harm",
        "overdose",
        "domestic",
    ]
    .iter()
    .any(|w| text.contains(w))
}

fn at_risk(task: &Value) -> bool {
    raises(task, "immediate") || mentions_safeguarding(task)
}

fn id(task: &Value) -> String {
    task["id"].as_i64().expect("an id").to_string()
}

/// The template of the one letter stored with task `id`, or `None` when none is.
fn stored_template(s: &Sandbox, id: &str) -> Option<String> {
    let shown = s.json(&["show", id, "--format", "json"]);
    shown["letters"]
        .as_array()
        .and_then(|l| l.first())
        .and_then(|l| l["template"].as_str())
        .map(str::to_owned)
}

fn status(s: &Sandbox, id: &str) -> String {
    let shown = s.json(&["show", id, "--format", "json"]);
    shown["task"]["status"].as_str().expect("status").to_owned()
}

#[test]
fn a_provider_work_task_gets_the_contractual_responsibility_letter() {
    let s = demo();
    let tasks = unactioned(&s);
    let task = tasks
        .iter()
        .find(|t| {
            raises(t, "provider-work") && !at_risk(t) && t["provider"]["ods_code"] != SOP_PROVIDER
        })
        .expect("the demo has a provider-work task with no risk");
    let id = id(task);
    let out = s.ok(&["reject", &id]);
    assert_eq!(
        out,
        format!(
            "Rejected task {id} with provider-responsibility (letter stored, queued for upstream).\n"
        )
    );
    assert_eq!(
        stored_template(&s, &id).as_deref(),
        Some("provider-responsibility")
    );
}

#[test]
fn a_provider_with_an_agreement_is_reminded_of_the_route_never_sent_the_blanket_letter() {
    let s = demo();
    let tasks = unactioned(&s);
    let task = tasks
        .iter()
        .find(|t| {
            t["provider"]["ods_code"] == SOP_PROVIDER && !at_risk(t) && !raises(t, "provider-work")
        })
        .expect("the demo has a plain task from the SOP provider");
    let id = id(task);
    s.ok(&["reject", &id]);
    let template = stored_template(&s, &id).expect("a letter");
    assert_ne!(template, "lmc-rejection");
    assert_eq!(template, "agreed-route-reminder");
    let shown = s.json(&["show", &id, "--format", "json"]);
    let body = shown["letters"][0]["body"].as_str().expect("letter text");
    assert!(
        body.contains("does not follow the route we agreed")
            && !body.contains("we do not accept tasks"),
        "{body}"
    );
}

#[test]
fn a_task_that_could_harm_a_patient_is_refused_with_the_reason_and_nothing_changes() {
    let s = demo();
    let tasks = unactioned(&s);
    let risky = tasks
        .iter()
        .find(|t| mentions_safeguarding(t))
        .expect("the demo has a safeguarding task");
    let id = id(risky);
    let events_before = s.ok(&["audit", "verify"]);

    let out = s.run(&["reject", &id]);
    assert_eq!(out.status.code(), Some(1), "refused");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nothing was rejected")
            && stderr.contains(&format!("task {id}"))
            && stderr.contains("policy.safeguarding_words")
            && stderr.contains("--despite-risk"),
        "{stderr}"
    );
    assert_eq!(status(&s, &id), "new");
    assert_eq!(stored_template(&s, &id), None);
    assert_eq!(
        s.ok(&["audit", "verify"]),
        events_before,
        "no audit event written"
    );

    // Told it is known, it goes ahead, and never with the blanket letter.
    s.ok(&["reject", &id, "--despite-risk"]);
    assert_eq!(status(&s, &id), "rejected");
    let template = stored_template(&s, &id).expect("a letter");
    assert_ne!(template, "lmc-rejection", "never the blanket letter");
}

#[test]
fn an_immediate_task_in_a_batch_stops_the_whole_batch() {
    let s = demo();
    let tasks = unactioned(&s);
    let immediate = tasks
        .iter()
        .find(|t| raises(t, "immediate"))
        .expect("the demo has an immediate task");
    let plain = tasks
        .iter()
        .find(|t| !at_risk(t))
        .expect("the demo has a task with no risk");
    let (a, b) = (id(plain), id(immediate));
    let out = s.run(&["reject", &a, &b]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("task {b}")) && stderr.contains("(IMM)"),
        "{stderr}"
    );
    assert_eq!(status(&s, &a), "new", "the batch is refused whole");
    assert_eq!(status(&s, &b), "new");
}

#[test]
fn template_still_forces_the_letter() {
    let s = demo();
    let tasks = unactioned(&s);
    let task = tasks
        .iter()
        .find(|t| t["provider"]["ods_code"] == SOP_PROVIDER && !at_risk(t))
        .expect("a task from the SOP provider");
    let id = id(task);
    s.ok(&["reject", &id, "--template", "lmc-rejection"]);
    assert_eq!(stored_template(&s, &id).as_deref(), Some("lmc-rejection"));
}
