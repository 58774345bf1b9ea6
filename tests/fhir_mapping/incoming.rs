//! FHIR -> mirror: the fields a receptionist sees, each status and owner row, the patient, and
//! errors that name the field without quoting patient details.

use chrono::NaiveDate;
use serde_json::{Value, json};
use taskgate::domain::{NhsNumber, Priority, Status};

use super::{PRACTICE, edited, fixture, map, utc};

#[test]
fn a_rich_task_shows_everything_staff_need() {
    let resource = fixture("task-rich.json");
    let task = map(&resource).expect("maps");
    assert_eq!(task.source_id, "tsk-0001");
    assert_eq!(task.source_version.as_deref(), Some("3"));
    assert_eq!(task.status, Status::New);
    assert_eq!(task.priority, Priority::Urgent);
    assert_eq!(task.provider_ods, "RX1");
    assert_eq!(task.provider_name, "Example Community Trust");
    assert_eq!(
        task.sender_team.as_deref(),
        Some("District Nursing (North)")
    );
    assert_eq!(task.owner, None);
    assert_eq!(task.addressed_to, None);
    assert_eq!(task.subject, "Please arrange bloods");
    assert_eq!(
        task.body,
        "Please arrange U&E and FBC before the next visit.\nPatient housebound.\n\n\
         Last eGFR 48 in January."
    );
    assert_eq!(task.received_at, utc("2026-03-02T09:30:00Z"));
    // A bare due date includes the whole day on the practice's clock (GMT in early March).
    assert_eq!(task.due_by, Some(utc("2026-03-09T23:59:59Z")));
    // The contained Patient: official name, birth date, and the NHS number among identifiers.
    assert_eq!(task.patient.name, "Joanna Test Synthetic");
    assert_eq!(
        task.patient.birth_date,
        NaiveDate::from_ymd_opt(1961, 5, 17)
    );
    assert_eq!(
        task.patient.nhs_number,
        Some(NhsNumber::parse("999 000 1006").expect("valid"))
    );
    let raw: Value = serde_json::from_str(task.raw.as_deref().expect("raw kept")).expect("JSON");
    assert_eq!(raw, resource, "raw is the resource as received");
}

#[test]
fn a_minimal_task_falls_back_sensibly() {
    let task = map(&fixture("task-minimal.json")).expect("maps");
    assert_eq!(
        task.priority,
        Priority::Routine,
        "absent priority is routine"
    );
    assert_eq!(
        task.received_at,
        utc("2026-03-03T10:00:00Z"),
        "meta.lastUpdated"
    );
    assert_eq!(task.provider_ods, "RX2", "from requester.reference");
    assert_eq!(task.provider_name, "RX2", "no display: the ODS code");
    assert_eq!(task.patient.name, "Sam Synthetic");
    assert_eq!(
        task.patient.nhs_number.map(|n| n.digits()),
        Some("9990000018".to_owned())
    );
    assert_eq!(task.subject, "Medication review after discharge");
    assert_eq!(task.body, "Medication review after discharge");
    assert_eq!(task.due_by, None);
    assert_eq!(
        task.sender_team, None,
        "requester.display is the organisation, not a team"
    );
}

fn practice_owner() -> Value {
    json!({ "reference": format!("Organization/{PRACTICE}") })
}

/// FHIR status, owner, then the mirror's status, owner and addressed_to.
type StatusRow = (
    &'static str,
    Option<Value>,
    Status,
    Option<&'static str>,
    Option<&'static str>,
);

fn status_rows() -> Vec<StatusRow> {
    let practice = || Some(practice_owner());
    let person = |reference: &str| Some(json!({ "reference": reference }));
    let dr = Some(json!({ "reference": "Practitioner/drsmith", "display": "Dr Smith" }));
    let clarke = || person("Practitioner/aclarke");
    vec![
        ("draft", practice(), Status::New, None, None),
        ("requested", practice(), Status::New, None, None),
        ("received", None, Status::New, None, None),
        ("ready", practice(), Status::New, None, None),
        // The sender addressed a named clinician: still the practice's to triage.
        ("requested", dr, Status::New, None, Some("Dr Smith")),
        ("received", clarke(), Status::New, None, Some("aclarke")),
        (
            "accepted",
            clarke(),
            Status::Assigned,
            Some("aclarke"),
            None,
        ),
        (
            "in-progress",
            clarke(),
            Status::Assigned,
            Some("aclarke"),
            None,
        ),
        ("on-hold", clarke(), Status::Assigned, Some("aclarke"), None),
        (
            "accepted",
            person("CareTeam/reception"),
            Status::Assigned,
            Some("reception"),
            None,
        ),
        (
            "accepted",
            person("PractitionerRole/role-7"),
            Status::Assigned,
            Some("role-7"),
            None,
        ),
        (
            "accepted",
            person("https://fhir.example/R4/HealthcareService/phlebotomy"),
            Status::Assigned,
            Some("phlebotomy"),
            None,
        ),
        // Accepted but still held by the practice: nobody in particular has it.
        ("accepted", practice(), Status::New, None, None),
        ("in-progress", None, Status::New, None, None),
        ("rejected", practice(), Status::Rejected, None, None),
        (
            "completed",
            clarke(),
            Status::Completed,
            Some("aclarke"),
            None,
        ),
        ("cancelled", None, Status::Cancelled, None, None),
        ("entered-in-error", None, Status::Cancelled, None, None),
        ("failed", practice(), Status::Cancelled, None, None),
    ]
}

#[test]
fn every_status_and_owner_row_maps_in() {
    let base = fixture("task-minimal.json");
    for (fhir_status, owner, status, local_owner, addressed_to) in status_rows() {
        let resource = edited(&base, |t| {
            t.insert("status".into(), fhir_status.into());
            match &owner {
                Some(o) => t.insert("owner".into(), o.clone()),
                None => t.remove("owner"),
            };
        });
        let task = map(&resource).expect(fhir_status);
        let row = format!("{fhir_status} {owner:?}");
        assert_eq!(task.status, status, "{row}");
        assert_eq!(task.owner.as_deref(), local_owner, "{row}");
        assert_eq!(task.addressed_to.as_deref(), addressed_to, "{row}");
    }
}

#[test]
fn the_practice_is_recognised_by_its_ods_identifier_alone() {
    let resource = edited(&fixture("task-minimal.json"), |t| {
        t.insert("status".into(), "accepted".into());
        t.insert(
            "owner".into(),
            json!({ "identifier": {
                "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                "value": PRACTICE,
            }}),
        );
    });
    let task = map(&resource).expect("maps");
    assert_eq!((task.status, task.owner), (Status::New, None));
}

#[test]
fn a_contained_patient_supplies_what_for_lacks_and_for_display_wins() {
    let resource = edited(&fixture("task-rich.json"), |t| {
        t.insert(
            "for".into(),
            json!({ "reference": "#pat1", "display": "SYNTHETIC, Joanna" }),
        );
    });
    let task = map(&resource).expect("maps");
    assert_eq!(task.patient.name, "SYNTHETIC, Joanna");
    assert!(
        task.patient.nhs_number.is_some(),
        "from the contained Patient"
    );

    let resource = edited(&fixture("task-rich.json"), |t| {
        t["contained"][0]["name"] = json!([{ "text": "Jo Synthetic" }]);
    });
    assert_eq!(map(&resource).expect("maps").patient.name, "Jo Synthetic");
}

#[test]
fn an_invalid_nhs_number_keeps_the_task_without_the_number() {
    // 290 201 1237 passes Modulus 11 but is a CHI number whose DDMMYY (29 Feb 01) is no date.
    for bad in [
        "9990000017",
        "999 000 001",
        "999-ABC-0018",
        "",
        "290 201 1237",
    ] {
        let resource = edited(&fixture("task-minimal.json"), |t| {
            t["for"]["identifier"]["value"] = bad.into();
        });
        let task = map(&resource).expect("the task is kept");
        assert_eq!(
            task.patient.nhs_number, None,
            "{bad:?} must not pass as valid"
        );
        assert_eq!(task.patient.name, "Sam Synthetic");
        assert_eq!(task.source_id, "tsk-0002");
    }
    // A number under another system is not an NHS number at all.
    let resource = edited(&fixture("task-minimal.json"), |t| {
        t["for"]["identifier"]["system"] = "https://example.org/mrn".into();
    });
    assert_eq!(map(&resource).expect("kept").patient.nhs_number, None);
}

#[test]
fn a_long_description_gives_a_short_subject() {
    let long = format!("{} and more", "Röntgen follow-up ".repeat(8));
    let resource = edited(&fixture("task-minimal.json"), |t| {
        t.insert("description".into(), format!("{long}\nsecond line").into());
    });
    let task = map(&resource).expect("maps");
    assert_eq!(task.subject.chars().count(), 80);
    assert!(task.subject.ends_with('…'));
    assert!(long.starts_with(task.subject.trim_end_matches('…')));
    assert!(
        task.body.ends_with("second line"),
        "the body keeps everything"
    );
}

#[test]
fn code_display_is_the_subject_when_code_has_no_text() {
    let resource = edited(&fixture("task-rich.json"), |t| {
        t["code"].as_object_mut().expect("code").remove("text");
    });
    assert_eq!(map(&resource).expect("maps").subject, "Blood test request");
}

/// `task-rich.json` with the member at `pointer` replaced by `value`, or removed (`None`).
fn broken(pointer: &str, value: Option<Value>) -> Value {
    let mut out = fixture("task-rich.json");
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    let parent = out
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("parent object");
    match value {
        Some(v) => parent.insert(key.to_owned(), v),
        None => parent.remove(key),
    };
    out
}

/// Each broken place (pointer and new value, `None` to remove) and the field its error names.
fn broken_resources() -> Vec<(&'static str, Value)> {
    let cases: [(&str, &str, Option<Value>); 24] = [
        ("id", "/id", None),
        ("id", "/id", Some(json!("../Patient/1"))),
        ("id", "/id", Some(json!(7))),
        ("resourceType", "/resourceType", Some(json!("Patient"))),
        ("resourceType", "/resourceType", None),
        ("status", "/status", None),
        ("status", "/status", Some(json!("done"))),
        ("priority", "/priority", Some(json!("whenever"))),
        // FHIR codes are case-sensitive.
        ("priority", "/priority", Some(json!("URGENT"))),
        ("priority", "/priority", Some(json!(1))),
        ("authoredOn", "/authoredOn", Some(json!("soon"))),
        ("meta.versionId", "/meta/versionId", Some(json!(3))),
        (
            "restriction.period.end",
            "/restriction/period/end",
            Some(json!("2026-03")),
        ),
        ("requester", "/requester", None),
        (
            "requester.identifier",
            "/requester",
            Some(json!({ "display": "A Trust" })),
        ),
        (
            "requester.identifier",
            "/requester",
            Some(json!({ "reference": "PractitionerRole/nurse-1" })),
        ),
        (
            "owner",
            "/owner",
            Some(json!({ "reference": "Organization/Y11111" })),
        ),
        (
            "owner.reference",
            "/owner",
            Some(json!({ "reference": "Patient/p1" })),
        ),
        (
            "owner.reference",
            "/owner",
            Some(json!({ "display": "Dr Smith" })),
        ),
        ("for.reference", "/for/reference", Some(json!("#nobody"))),
        (
            "contained[0].birthDate",
            "/contained/0/birthDate",
            Some(json!("17/05/1961")),
        ),
        ("input", "/input", Some(json!("not a list"))),
        (
            "input[0].valueString",
            "/input/0/valueString",
            Some(json!(false)),
        ),
        (
            "extension[0].valueString",
            "/extension/0/valueString",
            Some(json!({})),
        ),
    ];
    let mut out: Vec<_> = cases
        .into_iter()
        .map(|(field, pointer, value)| (field, broken(pointer, value)))
        .collect();
    let mut undated = broken("/authoredOn", None);
    if let Some(meta) = undated["meta"].as_object_mut() {
        meta.remove("lastUpdated");
    }
    out.push(("authoredOn", undated));
    out.push(("description", broken("/description", Some(json!(["x"])))));
    out
}

#[test]
fn bad_fields_are_errors_that_name_the_field() {
    for (field, resource) in broken_resources() {
        let err = map(&resource).expect_err(field);
        assert_eq!(err.field, field, "{err}");
        assert!(!err.reason.is_empty());
    }
    let err = map(&json!("a string")).expect_err("not an object");
    assert_eq!(err.to_string(), "resource: expected a JSON object");
    let err = map(&broken("/id", None)).expect_err("no id");
    assert_eq!(err.to_string(), "id: missing");
    let err = map(&edited(&fixture("task-minimal.json"), |t| {
        t.insert("requester".into(), json!({ "display": "A Trust" }));
    }))
    .expect_err("no ODS");
    assert_eq!(
        err.to_string(),
        "requester.identifier: no ODS organisation code"
    );
}

#[test]
fn errors_never_quote_patient_details() {
    // Patient details in the wrong place or of the wrong type: the error names the field only.
    let cases = [
        edited(&fixture("task-minimal.json"), |t| {
            t["for"]["identifier"]["value"] = json!(9_990_000_018_u64);
        }),
        edited(&fixture("task-minimal.json"), |t| {
            t.insert("status".into(), "Sam Synthetic 9990000018".into());
        }),
        edited(&fixture("task-minimal.json"), |t| {
            t.insert("priority".into(), "Sam Synthetic".into());
        }),
        edited(&fixture("task-rich.json"), |t| {
            t["contained"][0]["birthDate"] = "Joanna 1961".into();
        }),
    ];
    for resource in cases {
        let text = map(&resource).expect_err("refused").to_string();
        for secret in ["9990000018", "Sam", "Synthetic", "Joanna", "1961"] {
            assert!(!text.contains(secret), "{text:?} quotes {secret:?}");
        }
    }
}
