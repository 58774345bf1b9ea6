//! The practice manager's side of the LMC escalation route: moving a provider along the ladder
//! (one audited store operation) and the letter for a stage, citing the provider's recently
//! rejected tasks by date and reference only.

use super::{Acting, AppError, Practice};
use crate::domain::letter::escalation_letter;
use crate::domain::{EscalationStage, Provider};
use crate::letters::{
    ESCALATION_EVIDENCE_DAYS, EscalationEvidence, escalation_period, render_escalation_letter,
};
use crate::report::providers::{self, ProvidersOverview};
use crate::store::{EscalationError, EscalationMove, Store};

/// ODS codes are upper case; staff often type them otherwise.
pub fn normalise_ods(ods: &str) -> String {
    ods.trim().to_uppercase()
}

/// The providers screen's figures: per sender, what it sent and what became of it, its
/// agreement and its stage on the ladder.
pub fn overview(
    store: &Store,
    practice: &Practice,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ProvidersOverview, AppError> {
    providers::build(store, &practice.calendar, &practice.policy, now)
        .map_err(|e| AppError::report(&e))
}

/// Moves provider `ods` along the ladder; returns it as it now is.
pub fn escalate(
    store: &mut Store,
    acting: Acting<'_>,
    ods: &str,
    to: EscalationMove,
) -> Result<Provider, AppError> {
    let provider = store.move_escalation(&acting.actor(), &normalise_ods(ods), to)?;
    // Stage changes are the practice manager's record: the log says which, never why.
    tracing::info!(
        stage = provider.escalation.number(),
        "provider escalation moved"
    );
    Ok(provider)
}

/// An escalation letter, ready to print or show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationLetter {
    pub provider: Provider,
    pub stage: EscalationStage,
    /// The template's name, such as `escalation-reminder`.
    pub template: &'static str,
    pub text: String,
}

/// The letter for provider `ods` at `stage` (else its current stage), citing its tasks
/// rejected in the last [`ESCALATION_EVIDENCE_DAYS`] days. A stage without a letter, or no
/// rejected tasks to cite, is refused: a letter without evidence would undermine the
/// practice's case. Nothing is stored.
pub fn escalation_letter_for(
    store: &Store,
    practice: &Practice,
    acting: Acting<'_>,
    ods: &str,
    stage: Option<EscalationStage>,
) -> Result<EscalationLetter, AppError> {
    let ods = normalise_ods(ods);
    let Some(provider) = store.provider(&ods)? else {
        let known = store.providers()?.into_iter().map(|p| p.ods_code).collect();
        return Err(EscalationError::UnknownProvider { ods, known }.into());
    };
    let stage = stage.unwrap_or(provider.escalation);
    let Some(template) = escalation_letter(stage) else {
        return Err(AppError::NoLetterAtStage {
            ods,
            name: provider.name,
            stage,
        });
    };
    let (period, (since, until)) = escalation_period(acting.now, ESCALATION_EVIDENCE_DAYS);
    let rejections = store.recent_rejections(&ods, since, until)?;
    let evidence = EscalationEvidence {
        rejections: &rejections,
        period,
    };
    if let Some(why) = evidence.missing(&ods) {
        return Err(AppError::NoEvidence(why));
    }
    let text = render_escalation_letter(
        &practice.config,
        &provider,
        stage,
        evidence,
        acting.staff,
        acting.now,
        &practice.letters,
    )
    .map_err(|source| AppError::EscalationLetter {
        ods: ods.clone(),
        stage,
        source,
    })?;
    Ok(EscalationLetter {
        provider,
        stage,
        template,
        text,
    })
}
