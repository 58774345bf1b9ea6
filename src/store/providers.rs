//! Sending organisations in the mirror. Rows appear as tasks arrive (named as the task names
//! them) and are refreshed from the config's registry at start; the escalation stage belongs to
//! the mirror, because it records what the practice did, so the registry never resets it.

use rusqlite::{OptionalExtension, Row, params};

use super::{Result, Store, bad_column, from_unix};
use crate::domain::{Agreement, EscalationStage, Provider};

const PROVIDER_COLUMNS: &str = "ods_code, name, agreement, agreement_since, escalation_stage, \
    escalation_changed_at, escalation_changed_by";

#[derive(Debug, thiserror::Error)]
#[error("escalation stage {0} is not 0-4")]
struct BadStage(i64);

fn provider_from_row(r: &Row<'_>) -> rusqlite::Result<Provider> {
    let agreement: String = r.get(2)?;
    let since: Option<chrono::NaiveDate> = r.get(3)?;
    let agreement = match (agreement.as_str(), since) {
        ("sop", Some(since)) => Agreement::Sop { since },
        _ => Agreement::None,
    };
    let stage: i64 = r.get(4)?;
    let escalation = u8::try_from(stage)
        .ok()
        .and_then(EscalationStage::from_number)
        .ok_or_else(|| bad_column(4, BadStage(stage)))?;
    let changed_at: Option<i64> = r.get(5)?;
    let changed_by: Option<String> = r.get(6)?;
    let escalation_changed = match (changed_at, changed_by) {
        (Some(at), Some(by)) => Some((from_unix(at)?, by)),
        _ => None,
    };
    Ok(Provider {
        ods_code: r.get(0)?,
        name: r.get(1)?,
        agreement,
        escalation,
        escalation_changed,
    })
}

impl Store {
    /// Applies a provider from the config's registry: name and agreement follow the config (and
    /// from then on the name is no longer taken from incoming tasks); the escalation stage is
    /// taken only for a provider the mirror has not seen before.
    pub fn upsert_provider(&mut self, p: &Provider) -> Result<()> {
        let (agreement, since) = match p.agreement {
            Agreement::None => ("none", None),
            Agreement::Sop { since } => ("sop", Some(since)),
        };
        let (changed_at, changed_by) = match &p.escalation_changed {
            Some((at, by)) => (Some(at.timestamp()), Some(by.as_str())),
            None => (None, None),
        };
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO providers ({PROVIDER_COLUMNS}, from_registry) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, 1) \
                 ON CONFLICT (ods_code) DO UPDATE SET name = excluded.name, \
                 agreement = excluded.agreement, agreement_since = excluded.agreement_since, \
                 from_registry = 1"
            ))?
            .execute(params![
                p.ods_code,
                p.name,
                agreement,
                since,
                p.escalation.number(),
                changed_at,
                changed_by
            ])?;
        Ok(())
    }

    /// Every provider the mirror knows, by ODS code.
    pub fn providers(&self) -> Result<Vec<Provider>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {PROVIDER_COLUMNS} FROM providers ORDER BY ods_code"
            ))?
            .query_map([], provider_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    pub fn provider(&self, ods: &str) -> Result<Option<Provider>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {PROVIDER_COLUMNS} FROM providers WHERE ods_code = ?"
            ))?
            .query_row([ods], provider_from_row)
            .optional()?)
    }
}
