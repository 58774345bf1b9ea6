//! What keeps the record trustworthy and recoverable: the audit chain under tampering, owner-
//! only backups, the provider registry that must not reset an escalation, and the small tables.

use taskgate::domain::{Absence, Agreement, EscalationStage, Provider};
use taskgate::store::{AuditVerification, QuarantinedRow};

use super::*;

#[test]
fn the_audit_chain_holds_and_exposes_tampering_and_removal() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, path) = store_with(&dir, 20);
    for t in all(&store, &TaskFilter::default()) {
        store
            .assign(&jo(), &[target(&t)], "sam", Some("batch"))
            .expect("assign");
    }
    store
        .record_event(
            "jo",
            at(17, 0),
            "handover",
            "handover.sign_off",
            "jo to sam",
        )
        .expect("event");
    let AuditVerification::Intact { events, .. } = store.verify_audit().expect("verify") else {
        panic!("chain should be intact")
    };
    assert_eq!(events, 22);

    let conn = raw(&path);
    assert!(
        conn.execute("UPDATE audit_log SET detail = 'x' WHERE id = 5", [])
            .is_err()
    );
    assert!(
        conn.execute("DELETE FROM audit_log WHERE id = 5", [])
            .is_err()
    );
    assert!(matches!(
        store.verify_audit().expect("verify"),
        AuditVerification::Intact { .. }
    ));

    conn.execute_batch(
        "DROP TRIGGER audit_log_append_only_update; DROP TRIGGER audit_log_append_only_delete;",
    )
    .expect("drop triggers");
    conn.execute("DELETE FROM audit_log WHERE id = 12", [])
        .expect("delete");
    match store.verify_audit().expect("verify") {
        AuditVerification::Broken { event_id, reason } => {
            assert_eq!(event_id, 13);
            assert!(reason.contains("missing"), "{reason}");
        }
        other @ AuditVerification::Intact { .. } => panic!("deletion not detected: {other:?}"),
    }
    conn.execute(
        "UPDATE audit_log SET detail = 'nothing to see' WHERE id = 7",
        [],
    )
    .expect("tamper");
    match store.verify_audit().expect("verify") {
        AuditVerification::Broken { event_id, reason } => {
            assert_eq!(event_id, 7);
            assert!(reason.contains("altered"), "{reason}");
        }
        other @ AuditVerification::Intact { .. } => panic!("tampering not detected: {other:?}"),
    }
}

#[test]
fn a_backup_is_a_private_copy_and_never_overwrites() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, _) = store_with(&dir, 5);
    let first = all(&store, &TaskFilter::default()).remove(0);
    store
        .assign(&jo(), &[target(&first)], "sam", None)
        .expect("assign");
    let dest = dir.path().join("backup.db");
    store.backup_to(&dest).expect("backup");
    assert_eq!(mode(&dest), 0o600);
    let copy = Store::open(&dest).expect("open copy");
    assert_eq!(
        all(&copy, &TaskFilter::default()),
        all(&store, &TaskFilter::default())
    );
    assert!(matches!(
        copy.verify_audit().expect("verify"),
        AuditVerification::Intact { events: 2, .. }
    ));
    let err = store.backup_to(&dest).expect_err("exists");
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}");
}

#[test]
fn the_registry_never_resets_an_escalation_and_small_tables_round_trip() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, _) = store_with(&dir, 2);
    let since = NaiveDate::from_ymd_opt(2026, 4, 1).expect("date");
    let mut rxx = Provider {
        ods_code: "RXX".into(),
        name: "Nowhere Community Trust".into(),
        agreement: Agreement::Sop { since },
        escalation: EscalationStage::ServiceLead,
        escalation_changed: Some((at(9, 0), "jo".into())),
    };
    store.upsert_provider(&rxx).expect("first");
    assert_eq!(store.provider("RXX").expect("read"), Some(rxx.clone()));
    rxx.escalation = EscalationStage::None;
    rxx.escalation_changed = None;
    rxx.agreement = Agreement::None;
    store.upsert_provider(&rxx).expect("again");
    let stored = store.provider("RXX").expect("read").expect("rxx");
    assert_eq!(stored.agreement, Agreement::None);
    assert_eq!(stored.escalation, EscalationStage::ServiceLead);

    // A registry name replaces the one tasks brought, and search follows it.
    let mut rv9 = store.provider("RV9").expect("read").expect("seen in tasks");
    rv9.name = "Humber Teaching NHS Foundation Trust".into();
    store.upsert_provider(&rv9).expect("rename");
    let f = TaskFilter {
        search: Some("foundation trust".into()),
        ..TaskFilter::default()
    };
    assert_eq!(store.count_tasks(&f).expect("search"), 1);
    store
        .insert_tasks([incoming(10)], "demo", "system", at(9, 30))
        .expect("import");
    assert_eq!(
        store.count_tasks(&f).expect("search"),
        2,
        "a task's naming must not win"
    );

    let away = Absence {
        staff_id: "sam".into(),
        from: since,
        until: since + Duration::days(4),
        reason: "leave".into(),
    };
    store.record_absence(&jo(), &away).expect("absence");
    assert_eq!(store.absences().expect("absences"), [away]);
    let last = store.audit_events(None, 1).expect("audit").remove(0);
    assert_eq!(
        (last.action.as_str(), last.target.as_deref()),
        ("absence.record", Some("staff:sam"))
    );

    assert_eq!(store.sync_value("watermark").expect("get"), None);
    store
        .set_sync_value("watermark", "2026-09-01T09:00:00Z")
        .expect("set");
    store
        .set_sync_value("watermark", "2026-09-01T10:00:00Z")
        .expect("set again");
    assert_eq!(
        store.sync_value("watermark").expect("get").as_deref(),
        Some("2026-09-01T10:00:00Z")
    );

    let row = QuarantinedRow {
        origin: "inbox.csv".into(),
        line: Some(7),
        field: Some("nhs_number".into()),
        reason: "check digit".into(),
        raw: "a,b,c".into(),
        at: at(9, 0),
    };
    store
        .quarantine(std::slice::from_ref(&row))
        .expect("quarantine");
    assert_eq!(store.quarantined().expect("read"), [row]);
}
