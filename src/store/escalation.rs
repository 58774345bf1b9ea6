//! Moving a provider along the LMC escalation ladder, and the evidence its letters cite. A move
//! is one transaction: the provider's stage, when and by whom it moved, and the audit event are
//! written together, and the current stage is read inside that transaction, so a refused move
//! (already there, off the end of the ladder, a jump nobody asked for) changes nothing at all.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::audit::{AuditWriter, NewEvent};
use super::{Actor, Store, StoreError, from_unix};
use crate::domain::calendar::PRACTICE_TIME_ZONE;
use crate::domain::letter::RejectedSummary;
use crate::domain::{EscalationStage, Provider};

/// Where the user asked a provider to go on the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscalationMove {
    /// One stage up (the usual step when a sender persists).
    Up,
    /// One stage down (the sender has improved, or a slip is being corrected).
    Down,
    /// Straight to this stage: the only way to move by more than one stage, so a jump is always
    /// something the user named, never a side effect.
    To(EscalationStage),
}

/// Why a move along the ladder was refused; each message tells the desk what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum EscalationError {
    #[error("there is no provider {ods} in the mirror; known ODS codes: {}", known_codes(.known))]
    UnknownProvider { ods: String, known: Vec<String> },
    #[error("{ods} is already at stage {stage}")]
    AlreadyThere { ods: String, stage: EscalationStage },
    #[error(
        "{ods} is already at stage {stage}, the top of the ladder: there is no further stage \
         to escalate to"
    )]
    AtTop { ods: String, stage: EscalationStage },
    #[error("{ods} is at stage {stage}, the bottom of the ladder: there is no stage to go back to")]
    AtBottom { ods: String, stage: EscalationStage },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for EscalationError {
    fn from(e: rusqlite::Error) -> Self {
        EscalationError::Store(StoreError::Sqlite(e))
    }
}

fn known_codes(known: &[String]) -> String {
    if known.is_empty() {
        "none yet".to_owned()
    } else {
        known.join(", ")
    }
}

/// The stage the move leads to from `from`, or why there is none.
fn destination(
    ods: &str,
    from: EscalationStage,
    mv: EscalationMove,
) -> Result<EscalationStage, EscalationError> {
    let ods = ods.to_owned();
    match mv {
        EscalationMove::Up => from
            .next()
            .ok_or(EscalationError::AtTop { ods, stage: from }),
        EscalationMove::Down => from
            .previous()
            .ok_or(EscalationError::AtBottom { ods, stage: from }),
        EscalationMove::To(to) if to == from => {
            Err(EscalationError::AlreadyThere { ods, stage: to })
        }
        EscalationMove::To(to) => Ok(to),
    }
}

impl Store {
    /// Moves the provider `ods` along the ladder as `by`, recording when and by whom, with one
    /// `escalation` audit event (target `provider:<ODS>`, from and to as "N (label)"). Returns
    /// the provider as it now stands.
    pub fn move_escalation(
        &mut self,
        by: &Actor<'_>,
        ods: &str,
        mv: EscalationMove,
    ) -> Result<Provider, EscalationError> {
        let tx = self.write_tx()?;
        let current: Option<(String, i64)> = tx
            .prepare_cached("SELECT name, escalation_stage FROM providers WHERE ods_code = ?")?
            .query_row([ods], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((name, stage)) = current else {
            let known = tx
                .prepare_cached("SELECT ods_code FROM providers ORDER BY ods_code")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            return Err(EscalationError::UnknownProvider {
                ods: ods.to_owned(),
                known,
            });
        };
        let from = u8::try_from(stage)
            .ok()
            .and_then(EscalationStage::from_number)
            .ok_or_else(|| StoreError::Corrupt(format!("{ods} has escalation stage {stage}")))?;
        let to = destination(ods, from, mv)?;
        tx.prepare_cached(
            "UPDATE providers SET escalation_stage = ?, escalation_changed_at = ?, \
             escalation_changed_by = ? WHERE ods_code = ?",
        )?
        .execute(params![to.number(), by.now.timestamp(), by.id, ods])?;
        let target = format!("provider:{ods}");
        let (from_text, to_text) = (from.to_string(), to.to_string());
        let direction = if to > from { "up" } else { "back" };
        let detail = format!("{} moved {ods} ({name}) {direction} to stage {to}", by.id);
        AuditWriter::begin(&tx)?.append(
            &tx,
            &NewEvent {
                actor: by.id,
                at: by.now,
                task_id: None,
                target: Some(&target),
                action: "escalation",
                from: Some(&from_text),
                to: Some(&to_text),
                detail: Some(&detail),
            },
        )?;
        tx.commit()?;
        self.provider(ods)?.ok_or_else(|| {
            EscalationError::Store(StoreError::Corrupt(format!(
                "{ods} vanished after its move"
            )))
        })
    }

    /// The provider's tasks that the practice rejected and that were received in
    /// `[since, until]`, most recent first: the evidence an escalation letter cites. Counted by
    /// receipt, because the letters say the practice "received and rejected" them in the period.
    /// Only the date (on the practice's calendar) and the sender's own reference come back:
    /// these letters leave the practice, so nothing about the patient is read.
    pub fn recent_rejections(
        &self,
        ods: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<RejectedSummary>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT received_at, source_id FROM tasks WHERE provider_ods = ? \
                 AND status = 'rejected' AND received_at BETWEEN ? AND ? \
                 ORDER BY received_at DESC, id DESC",
            )?
            .query_map(params![ods, since.timestamp(), until.timestamp()], |r| {
                let received = from_unix(r.get(0)?)?;
                Ok(RejectedSummary {
                    received: received.with_timezone(&PRACTICE_TIME_ZONE).date_naive(),
                    reference: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_stays_on_the_ladder_and_a_jump_must_be_named() {
        use EscalationStage as S;
        assert_eq!(
            destination("X", S::None, EscalationMove::Up).expect("up"),
            S::RemindedTeam
        );
        assert!(matches!(
            destination("X", S::Lmc, EscalationMove::Up),
            Err(EscalationError::AtTop { .. })
        ));
        assert!(matches!(
            destination("X", S::None, EscalationMove::Down),
            Err(EscalationError::AtBottom { .. })
        ));
        assert!(matches!(
            destination("X", S::ServiceLead, EscalationMove::To(S::ServiceLead)),
            Err(EscalationError::AlreadyThere { .. })
        ));
        assert_eq!(
            destination("X", S::None, EscalationMove::To(S::Lmc)).expect("named jump"),
            S::Lmc
        );
    }
}
