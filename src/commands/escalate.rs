//! `taskgate provider list | escalate | letter`: the practice manager's side of the LMC
//! escalation route. `escalate` moves a provider along the ladder through the one store
//! operation that also writes the audit event (`app::providers`, as the providers view does);
//! `letter` prints the letter for a stage, citing the provider's recent rejected tasks by date
//! and reference only. Nothing here reads or prints patient data.

use color_eyre::eyre::{Result, eyre};

use super::Context;
use super::words::cli_error;
use crate::app::providers;
use crate::domain::letter::escalation_letter;
use crate::domain::{Agreement, EscalationStage, Provider};
use crate::report::text::{fit, local_stamp};
use crate::store::EscalationMove;
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
    let mv = match (to, back) {
        (Some(n), _) => EscalationMove::To(stage_from_flag(n)?),
        (None, true) => EscalationMove::Down,
        (None, false) => EscalationMove::Up,
    };
    let mut store = ctx.open_existing_store()?;
    // The move is recorded under a member of staff's name, so an unknown user stops it here.
    let staff = ctx.acting_user()?;
    let provider = providers::escalate(&mut store, ctx.acting(&staff), ods, mv)
        .map_err(|e| cli_error(e, Some("the escalation stage was not changed")))?;
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
    let practice = ctx.practice()?;
    let store = ctx.open_existing_store()?;
    let stage = stage.map(stage_from_flag).transpose()?;
    let staff = ctx.acting_user()?;
    let letter =
        providers::escalation_letter_for(&store, &practice, ctx.acting(&staff), ods, stage)
            .map_err(|e| cli_error(e, None))?;
    let text = letter.text;
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    Ok(())
}

fn stage_from_flag(n: u8) -> Result<EscalationStage> {
    EscalationStage::from_number(n).ok_or_else(|| eyre!("stage {n} is not one of 0-4"))
}
