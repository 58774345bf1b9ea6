//! Arbitrary input never panics the mapping, and every error names a field where the input
//! went wrong without quoting it. Also: whatever change is pushed reads back as that change.

use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};
use taskgate::domain::Status;
use taskgate::fhir::{MapContext, PushChange, incoming_from_resource, resource_for_push};

use super::{PRACTICE, change, fixture, groups, map, push, with_letter, with_note};

/// Keys a Task has, so random objects often look enough like one to reach deep code paths.
const KEYS: [&str; 24] = [
    "resourceType",
    "id",
    "meta",
    "versionId",
    "lastUpdated",
    "status",
    "priority",
    "owner",
    "reference",
    "identifier",
    "system",
    "value",
    "display",
    "for",
    "requester",
    "authoredOn",
    "restriction",
    "period",
    "end",
    "contained",
    "input",
    "valueString",
    "code",
    "extension",
];

/// Odd text: control characters, right-to-left marks, combining marks, emoji, astral planes.
fn odd_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,12}",
        "[\u{0}-\u{1f}\u{200e}\u{202e}\u{301}\u{fe0f}\u{1f600}\u{10ffff}a-z]{0,12}",
        Just("Task".to_owned()),
        Just("Organization/Y99999".to_owned()),
        Just("https://fhir.nhs.uk/Id/nhs-number".to_owned()),
        Just("2026-03-02".to_owned()),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        odd_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    prop::sample::select(KEYS.to_vec()).prop_map(str::to_owned),
                    "[a-z_]{1,6}"
                ],
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Places inside a good Task to break, as JSON pointers.
const POINTERS: [&str; 22] = [
    "/resourceType",
    "/id",
    "/meta",
    "/meta/versionId",
    "/meta/lastUpdated",
    "/status",
    "/priority",
    "/owner",
    "/owner/reference",
    "/requester",
    "/requester/identifier",
    "/requester/identifier/value",
    "/for",
    "/for/reference",
    "/contained",
    "/contained/0/name",
    "/contained/0/identifier/1/value",
    "/authoredOn",
    "/restriction/period/end",
    "/input",
    "/input/0/valueString",
    "/extension/0",
];

#[derive(Debug, Clone)]
enum Mutation {
    Remove,
    Replace(Value),
    /// Text with a space in it, like a name: never a code, so no error may quote it.
    Text(String),
    Huge(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Remove),
        arb_json().prop_map(Mutation::Replace),
        // Framed so the text is never mistaken for words an error message itself uses.
        (odd_text(), odd_text()).prop_map(|(a, b)| Mutation::Text(format!("Pat{a} {b}Ent"))),
        (10_000usize..200_000).prop_map(Mutation::Huge),
    ]
}

/// Applies `m` at `pointer`; returns the text inserted, if any.
fn apply(resource: &mut Value, pointer: &str, m: &Mutation) -> Option<String> {
    let (parent, last) = pointer.rsplit_once('/').expect("pointer");
    let parent = resource.pointer_mut(parent)?;
    let new = match m {
        Mutation::Remove => None,
        Mutation::Replace(v) => Some(v.clone()),
        Mutation::Text(t) => Some(Value::String(t.clone())),
        Mutation::Huge(n) => Some(Value::String("é 🙂\u{202e}".repeat(*n / 4))),
    };
    match (parent, new) {
        (Value::Object(map), None) => drop(map.remove(last)),
        (Value::Object(map), Some(v)) => drop(map.insert(last.to_owned(), v)),
        (Value::Array(items), new) => {
            let i: usize = last.parse().ok()?;
            if i < items.len() {
                match new {
                    None => drop(items.remove(i)),
                    Some(v) => items[i] = v,
                }
            }
        }
        _ => {}
    }
    match m {
        Mutation::Text(t) => Some(t.clone()),
        Mutation::Huge(_) => Some("é 🙂".to_owned()),
        _ => None,
    }
}

/// The top-level key a FHIR path starts with (`for.identifier` -> `for`, `input[0]` -> `input`).
fn top_key(field: &str) -> &str {
    field.split(['.', '[']).next().unwrap_or(field)
}

fn ctx_groups() -> Vec<String> {
    groups()
}

fn local_change() -> impl Strategy<Value = PushChange> {
    let owner = prop::sample::select(vec!["aclarke", "bpatel", "reception"]);
    prop_oneof![
        Just(change("unassign", Status::New, None)),
        owner
            .clone()
            .prop_map(|o| change("assign", Status::Assigned, Some(o))),
        prop::option::of(owner.clone())
            .prop_map(|o| with_letter(change("reject", Status::Rejected, o), "Dear colleague")),
        prop::option::of(owner.clone()).prop_map(|o| change("complete", Status::Completed, o)),
        prop::option::of(owner).prop_map(|o| change("cancel", Status::Cancelled, o)),
    ]
    .prop_flat_map(|c| (Just(c), any::<bool>()))
    .prop_map(|(c, noted)| if noted { with_note(c, "checked") } else { c })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_panics_and_errors_name_a_field(value in arb_json()) {
        let groups = ctx_groups();
        let ctx = MapContext::new(PRACTICE).with_groups(&groups);
        if let Err(e) = incoming_from_resource(&value, &ctx) {
            prop_assert!(!e.field.is_empty() && !e.reason.is_empty());
        }
        if let Err(e) = resource_for_push(&value, &change("note", Status::New, None), &ctx) {
            prop_assert!(!e.field.is_empty());
        }
        if let Err(e) = PushChange::from_payload(&value) {
            prop_assert!(!e.field.is_empty());
        }
    }

    #[test]
    fn a_broken_task_is_refused_at_the_broken_field(
        pointer in prop::sample::select(POINTERS.to_vec()),
        m in mutation(),
        c in local_change(),
    ) {
        let mut resource = fixture("task-rich.json");
        let inserted = apply(&mut resource, pointer, &m);
        let key = pointer.split('/').nth(1).unwrap_or_default();
        let groups = ctx_groups();
        let ctx = MapContext::new(PRACTICE).with_groups(&groups);
        let results = [
            incoming_from_resource(&resource, &ctx).err(),
            resource_for_push(&resource, &c, &ctx).err(),
        ];
        for err in results.into_iter().flatten() {
            let at = top_key(&err.field);
            // A broken `contained` shows where `for.reference` looks for the patient.
            let expected = at == key || (key == "contained" && err.field == "for.reference");
            prop_assert!(expected, "broke {pointer}, error at {err}");
            if let Some(text) = &inserted {
                prop_assert!(!err.to_string().contains(text.as_str()), "{err} quotes input");
            }
        }
    }

    #[test]
    fn a_broken_payload_is_refused_at_the_broken_key(
        key in prop::sample::select(vec!["action", "by", "at", "status", "owner", "note", "letter"]),
        m in mutation(),
    ) {
        let mut payload = json!({
            "action": "reject", "by": "jo", "at": "2026-03-03T10:00:00Z", "status": "rejected",
            "owner": null, "note": "n", "letter": { "template": "t", "body": "b" },
        });
        let pointer = format!("/{key}");
        let inserted = apply(&mut payload, &pointer, &m);
        if let Err(err) = PushChange::from_payload(&payload) {
            prop_assert_eq!(top_key(&err.field), key, "{}", err);
            if let Some(text) = &inserted {
                prop_assert!(!err.to_string().contains(text.as_str()));
            }
        }
    }

    #[test]
    fn whatever_is_pushed_reads_back_as_the_change(
        start in prop::sample::select(vec!["practice", "clarke", "addressed"]),
        c in local_change(),
    ) {
        let raw = match start {
            "practice" => fixture("task-rich.json"),
            "clarke" => super::edited(&fixture("task-rich.json"), |t| {
                t.insert("status".into(), "in-progress".into());
                t.insert("owner".into(), json!({ "reference": "Practitioner/aclarke" }));
            }),
            _ => super::edited(&fixture("task-rich.json"), |t| {
                t.insert("owner".into(), json!({ "reference": "Practitioner/drsmith" }));
            }),
        };
        let back = map(&push(&raw, &c)).expect("maps back");
        prop_assert_eq!(back.status, c.status);
        prop_assert_eq!(back.owner, c.owner);
    }
}
