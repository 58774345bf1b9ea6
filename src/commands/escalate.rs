//! `taskgate provider list | escalate | letter`: the practice manager's side of the LMC
//! escalation route. `escalate` moves a provider along the ladder through the one store
//! operation that also writes the audit event (the TUI's providers view uses the same one);
//! `letter` prints the letter for a stage, citing the provider's recent rejected tasks by date
//! and reference only. Nothing here reads or prints patient data.

use color_eyre::eyre::{Result, WrapErr, eyre};

use super::Context;
use crate::domain::letter::escalation_letter;
use crate::domain::{Agreement, EscalationStage, Provider};
use crate::letters::{
    ESCALATION_EVIDENCE_DAYS, EscalationEvidence, LetterSources, escalation_period,
    render_escalation_letter,
};
use crate::report::text::{fit, local_stamp};
use crate::store::{Actor, EscalationMove, Store};
use crate::terminal_text::{print, println}; // text from outside shown as data, never steering the terminal

/// `provider list`: one provider a line, by ODS code.
pub fn list(ctx: &Context) -> Result<()> {
    let store = ctx.open_existing_store()?;
    let providers = store.providers()?;
    if providers.is_empty() {
        println!("No providers in the mirror yet.");
        return Ok(());
    }
    println!(
        "{} {} {} {} MOVED",
        fit("ODS", 7),
        fit("NAME", 34),
        fit("AGREEMENT", 20),
        fit("STAGE", 32)
    );
    for p in &providers {
        println!("{}", provider_line(p));
    }
    Ok(())
}

fn provider_line(p: &Provider) -> String {
    let agreement = match p.agreement {
        Agreement::None => "none".to_owned(),
        Agreement::Sop { since } => format!("SOP since {}", since.format("%Y-%m-%d")),
    };
    let moved = match &p.escalation_changed {
        Some((at, by)) => format!("{} by {by}", local_stamp(*at)),
        None => "-".to_owned(),
    };
    format!(
        "{} {} {} {} {moved}",
        fit(&p.ods_code, 7),
        fit(&p.name, 34),
        fit(&agreement, 20),
        fit(&p.escalation.to_string(), 32)
    )
}

/// `provider escalate ODS [--to N | --back]`: one audited move, then what it means.
pub fn escalate(ctx: &Context, ods: &str, to: Option<u8>, back: bool) -> Result<()> {
    let ods = normalise_ods(ods);
    let mv = match (to, back) {
        (Some(n), _) => EscalationMove::To(stage_from_flag(n)?),
        (None, true) => EscalationMove::Down,
        (None, false) => EscalationMove::Up,
    };
    let mut store = ctx.open_existing_store()?;
    // The move is recorded under a member of staff's name, so an unknown user stops it here.
    let acting = ctx.acting_user()?;
    let provider = store
        .move_escalation(
            &Actor {
                id: &acting.id,
                now: ctx.clock.now(),
            },
            &ods,
            mv,
        )
        .wrap_err("the escalation stage was not changed")?;
    println!(
        "{} ({}) is now at stage {}.",
        provider.ods_code, provider.name, provider.escalation
    );
    match escalation_letter(provider.escalation) {
        Some(letter) => println!(
            "The letter for this stage is {letter}: print it with `taskgate provider letter {}`.",
            provider.ods_code
        ),
        None => println!("Stage 0 has no letter."),
    }
    Ok(())
}

/// `provider letter ODS [--stage N]`: the escalation letter, printed; nothing is stored.
pub fn letter(ctx: &Context, ods: &str, stage: Option<u8>) -> Result<()> {
    let ods = normalise_ods(ods);
    let store = ctx.open_existing_store()?;
    let provider = known_provider(&store, &ods)?;
    let stage = match stage {
        Some(n) => stage_from_flag(n)?,
        None => provider.escalation,
    };
    if escalation_letter(stage).is_none() {
        return Err(eyre!(
            "{ods} is at stage {stage}, which has no letter: escalate it first \
             (`taskgate provider escalate {ods}`) or choose one with --stage 1-4"
        ));
    }
    let acting = ctx.acting_user()?;
    let now = ctx.clock.now();
    let (period, (since, until)) = escalation_period(now, ESCALATION_EVIDENCE_DAYS);
    let rejections = store.recent_rejections(&ods, since, until)?;
    let evidence = EscalationEvidence {
        rejections: &rejections,
        period,
    };
    if let Some(why) = evidence.missing(&ods) {
        return Err(eyre!(why));
    }
    let letter = render_escalation_letter(
        &ctx.config,
        &provider,
        stage,
        evidence,
        &acting,
        now,
        &LetterSources::from_config_dir(),
    )
    .wrap_err_with(|| format!("cannot write the stage {stage} letter for {ods}"))?;
    print!("{letter}");
    if !letter.ends_with('\n') {
        println!();
    }
    Ok(())
}

/// ODS codes are upper case; staff often type them otherwise.
fn normalise_ods(ods: &str) -> String {
    ods.trim().to_uppercase()
}

fn stage_from_flag(n: u8) -> Result<EscalationStage> {
    EscalationStage::from_number(n).ok_or_else(|| eyre!("stage {n} is not one of 0-4"))
}

fn known_provider(store: &Store, ods: &str) -> Result<Provider> {
    if let Some(p) = store.provider(ods)? {
        return Ok(p);
    }
    let known: Vec<String> = store.providers()?.into_iter().map(|p| p.ods_code).collect();
    Err(eyre!(
        "there is no provider {ods} in the mirror; known ODS codes: {}",
        if known.is_empty() {
            "none yet".to_owned()
        } else {
            known.join(", ")
        }
    ))
}
