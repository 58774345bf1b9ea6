//! The command line's words for the application layer's errors: the error's own message, plus
//! what to type to get past it (a command or a flag), where there is something to type.

use color_eyre::eyre::{Report, eyre};

use crate::app::AppError;

/// `error` as the command line says it, with `what_stopped` ("nothing was rejected") in front
/// when the batch it refused is worth naming.
pub fn cli_error(error: AppError, what_stopped: Option<&str>) -> Report {
    let hint = match &error {
        AppError::OwnerAway { .. } => {
            Some("Choose someone else, or pass --even-if-away to assign anyway".to_owned())
        }
        AppError::PatientAtRisk(_) => Some(
            "read the task first (`taskgate show ID`); to reject it anyway, add --despite-risk"
                .to_owned(),
        ),
        AppError::VersionForOneTask => Some("give exactly one task id with --if-version".into()),
        AppError::NoLetterAtStage { ods, .. } => Some(format!(
            "escalate it first (`taskgate provider escalate {ods}`) or choose one with --stage 1-4"
        )),
        _ => error.in_sync_conflict().map(|id| {
            format!(
                "settle it with `taskgate sync resolve {id} --keep theirs` (the other desk's \
                 version) or `taskgate sync resolve {id} --keep ours`"
            )
        }),
    };
    let mut report = match hint {
        Some(hint) => eyre!("{}: {hint}", error.words()),
        None => Report::new(error),
    };
    if let Some(what) = what_stopped {
        report = report.wrap_err(what.to_owned());
    }
    report
}
