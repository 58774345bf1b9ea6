//! The shift handover: the report (what the next shift inherits) and the sign-off, which
//! records in the audit log who handed over to whom and what they handed over. The inbox's
//! handover screen and `taskgate handover` read the same report; both sign-offs come here and
//! both carry the stale-mirror warning.

use chrono::{DateTime, Utc};

use super::{Acting, AppError, Practice};
use crate::domain::Staff;
use crate::report::handover::{self, HandoverReport, SIGN_OFF_ACTION, SIGN_OFF_TARGET};
use crate::store::Store;

/// The handover report as of `now`, counting actions since `since` (else since the last
/// sign-off).
pub fn handover_report(
    store: &Store,
    practice: &Practice,
    now: DateTime<Utc>,
    since: Option<DateTime<Utc>>,
) -> Result<HandoverReport, AppError> {
    Ok(handover::build_for_config(
        store,
        &practice.config,
        &practice.calendar,
        now,
        since,
    )?)
}

/// A recorded handover.
#[derive(Debug, Clone)]
pub struct SignedOff {
    /// The audit event that records it.
    pub event_id: i64,
    /// What the audit event says was handed over.
    pub detail: String,
    pub incoming: Staff,
    /// Set when the mirror is stale: the handover may be missing tasks, and the people
    /// signing must be told so wherever they sign.
    pub stale_warning: Option<String>,
}

/// Records that `outgoing` handed over to `incoming` (both `[[staff]]` ids, and two different
/// people: a sign-off naming someone the practice does not know would be an audit record nobody
/// can act on). The acting person records it; the detail carries what was handed over.
pub fn sign_off(
    store: &mut Store,
    practice: &Practice,
    acting: Acting<'_>,
    outgoing: &str,
    incoming: &str,
) -> Result<SignedOff, AppError> {
    let out_staff = practice.staff(outgoing)?;
    let in_staff = practice.staff(incoming)?;
    if out_staff.id == in_staff.id {
        return Err(AppError::HandoverToSelf(out_staff.id.clone()));
    }
    let report = handover_report(store, practice, acting.now, None)?;
    let detail = handover::sign_off_detail(out_staff, in_staff, &report);
    let event_id = store.record_event(
        &acting.staff.id,
        report.generated_at,
        SIGN_OFF_TARGET,
        SIGN_OFF_ACTION,
        &detail,
    )?;
    Ok(SignedOff {
        event_id,
        detail,
        incoming: in_staff.clone(),
        stale_warning: report.stale_warning,
    })
}
