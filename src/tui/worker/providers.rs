//! The providers screen's requests: its figures, a move along the escalation ladder (the same
//! audited store operation as `taskgate provider escalate`) and the escalation letter (the same
//! renderer and evidence as `taskgate provider letter`).

use chrono::{DateTime, Utc};

use super::WorkerContext;
use crate::domain::letter::escalation_letter;
use crate::letters::{
    ESCALATION_EVIDENCE_DAYS, EscalationEvidence, escalation_period, render_escalation_letter,
};
use crate::report::providers;
use crate::store::{Actor, EscalationMove, Store};
use crate::tui::msg::Reply;

pub(super) fn overview(store: &Store, ctx: &WorkerContext, id: u64, now: DateTime<Utc>) -> Reply {
    match providers::build(store, &ctx.calendar, &ctx.config.policy_rules(), now) {
        Ok(overview) => Reply::Providers {
            id,
            overview: Box::new(overview),
        },
        Err(e) => Reply::Failed {
            what: "the providers",
            message: e.to_string(),
        },
    }
}

pub(super) fn escalate(
    store: &mut Store,
    ctx: &WorkerContext,
    ods: &str,
    to: EscalationMove,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let actor = Actor {
        id: &ctx.acting.id,
        now,
    };
    let provider = store
        .move_escalation(&actor, ods, to)
        .map_err(|e| e.to_string())?;
    // Stage changes are the practice manager's record: the log says which, never why.
    tracing::info!(
        stage = provider.escalation.number(),
        "provider escalation moved"
    );
    let letter = match escalation_letter(provider.escalation) {
        Some(_) => ": l opens its letter",
        None => "",
    };
    Ok(format!(
        "{} is now at stage {} (recorded in the audit log){letter}",
        provider.name, provider.escalation
    ))
}

pub(super) fn letter(
    store: &Store,
    ctx: &WorkerContext,
    ods: &str,
    now: DateTime<Utc>,
) -> Result<(String, String), String> {
    let provider = store
        .provider(ods)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("there is no provider {ods} in the mirror"))?;
    let stage = provider.escalation;
    let Some(name) = escalation_letter(stage) else {
        return Err(format!(
            "{} is at stage {stage}, which has no letter: escalate it first (>)",
            provider.name
        ));
    };
    let (period, (since, until)) = escalation_period(now, ESCALATION_EVIDENCE_DAYS);
    let rejections = store
        .recent_rejections(ods, since, until)
        .map_err(|e| e.to_string())?;
    let evidence = EscalationEvidence {
        rejections: &rejections,
        period,
    };
    if let Some(why) = evidence.missing(ods) {
        return Err(why);
    }
    let text = render_escalation_letter(
        &ctx.config,
        &provider,
        stage,
        evidence,
        &ctx.acting,
        now,
        &ctx.letters,
    )
    .map_err(|e| format!("cannot write the stage {stage} letter for {ods}: {e}"))?;
    Ok((format!("{name} for {} ({ods})", provider.name), text))
}
