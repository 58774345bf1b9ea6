//! Letters for tasks, as the CLI (`letter`, `reject`) and the TUI both produce them: which
//! template text applies (the practice's override in `<config dir>/letters/<name>.j2`, else the
//! shipped one), what each variable says for this task, this practice and this member of staff,
//! and the rendered letter. Apart from reading an override file this is pure: the clock and the
//! acting user are passed in, and the strict renderer in `domain::letter` refuses any letter with
//! a gap.

use std::io;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use directories::ProjectDirs;

use crate::config::{Category, Config};
use crate::domain::calendar::PRACTICE_TIME_ZONE;
use crate::domain::letter::{
    LetterContext, LetterError, RejectedSummary, TASK_LETTERS, escalation_letter, render,
    resolve_template, shipped_template, uk_date,
};
use crate::domain::policy::task_uses_keyword;
use crate::domain::{EscalationStage, Provider, Staff, Task};

/// The letter that quotes a contract clause; only it is given `clause_text`.
const PROVIDER_RESPONSIBILITY: &str = "provider-responsibility";

/// Who a letter greets when the sender named no team: the organisation line still says where
/// it goes, without naming the organisation twice.
const UNNAMED_TEAM: &str = "The sending team";

/// Where letter templates come from besides the binary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LetterSources {
    /// A folder of `<name>.j2` files that replace the shipped letters of the same name.
    pub override_dir: Option<PathBuf>,
}

impl LetterSources {
    /// `letters/` in the platform config dir (`~/.config/taskgate/letters` on Linux; honours
    /// `XDG_CONFIG_HOME`). Without a home directory there is nowhere to look, so the shipped
    /// letters are used.
    pub fn from_config_dir() -> Self {
        LetterSources {
            override_dir: ProjectDirs::from("", "", "taskgate")
                .map(|d| d.config_dir().join("letters")),
        }
    }

    /// The template text for the letter `name`: the override file when there is one, else the
    /// shipped text. An unknown name is refused before any path is built from it, so a name such
    /// as `../../secrets` never reaches the file system.
    pub fn template_text(&self, name: &str) -> Result<String, LetterError> {
        if shipped_template(name).is_none() {
            return resolve_template(name, None);
        }
        let override_text = match &self.override_dir {
            Some(dir) => {
                let path = dir.join(format!("{name}.j2"));
                match std::fs::read_to_string(&path) {
                    Ok(text) => Some(text),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                    // A practice that wrote its own letter must not silently get the shipped one.
                    Err(e) => {
                        return Err(LetterError::Template {
                            template: name.to_owned(),
                            line: None,
                            message: format!("cannot read the override {}: {e}", path.display()),
                        });
                    }
                }
            }
            None => None,
        };
        resolve_template(name, override_text)
    }
}

/// Everything a letter about `task` may say, sent by `acting` on the date of `now`. Values that
/// are missing stay `None`, and the renderer refuses a template that needs one.
pub fn letter_context(
    config: &Config,
    task: &Task,
    acting: &Staff,
    now: DateTime<Utc>,
    template: &str,
) -> LetterContext {
    let policy = &config.policy;
    // Only the contractual-responsibility letter gives a clause as its reason; for the others a
    // keyword match is incidental, and quoting a clause nobody chose would misstate the reason.
    let clause_text = (template == PROVIDER_RESPONSIBILITY)
        .then(|| matching_category(&policy.categories, task))
        .flatten()
        .map(|c| c.clause.clone());
    LetterContext {
        practice_name: Some(config.practice.name.clone()),
        reject_from: Some(policy.reject_from),
        preferred_method: Some(policy.preferred_method.clone()),
        urgent_route: Some(policy.urgent_route.clone()),
        sender_organisation: Some(task.provider_name.clone()),
        // Many senders give no team; the letter still goes to the organisation, and refusing it
        // would leave such a task impossible to reject.
        sender_team: task
            .sender_team
            .clone()
            .filter(|t| !t.trim().is_empty())
            .or_else(|| Some(UNNAMED_TEAM.to_owned())),
        task_reference: Some(task.source_id.clone()),
        received_date: Some(london_date(task.received_at)),
        today: Some(london_date(now)),
        staff_name: Some(acting.name.clone()),
        sign_off: Some(config.letters.sign_off.clone()),
        clause_text,
        ..LetterContext::default()
    }
}

/// The letter `template_name` for `task`, rendered strictly: a name that is not one of the
/// [`TASK_LETTERS`], an unreadable override or a variable without a value is an error naming
/// what to fix.
pub fn render_task_letter(
    config: &Config,
    task: &Task,
    acting: &Staff,
    now: DateTime<Utc>,
    template_name: &str,
    sources: &LetterSources,
) -> Result<String, LetterError> {
    // The escalation letters are about a provider, not a task: offered here they would only
    // fail later with a confusing "needs rejected_tasks", so the task letters alone are named.
    if !TASK_LETTERS.contains(&template_name) {
        return Err(LetterError::UnknownTemplate {
            name: template_name.to_owned(),
            known: TASK_LETTERS.iter().map(|n| (*n).to_owned()).collect(),
        });
    }
    let text = sources.template_text(template_name)?;
    let ctx = letter_context(config, task, acting, now, template_name);
    render(template_name, &text, &ctx)
}

/// How many days of rejections an escalation letter cites by default: the window of the LMC's
/// persistent-sender rule, so the letter shows the evidence that raised the flag.
pub const ESCALATION_EVIDENCE_DAYS: i64 = 30;

/// At most this many rejected tasks are listed in an escalation letter (the most recent); the
/// count still covers them all. A letter listing two hundred references would go unread.
pub const ESCALATION_LISTED_TASKS: usize = 20;

/// The evidence period of an escalation letter written on the date of `now`: the last `days`
/// days on the practice's calendar, today included, as the dates the letter prints and the
/// instants a query needs (from the start of the first day to `now`).
pub fn escalation_period(
    now: DateTime<Utc>,
    days: i64,
) -> ((NaiveDate, NaiveDate), (DateTime<Utc>, DateTime<Utc>)) {
    let today = london_date(now);
    let first = today - chrono::Duration::days(days);
    // Midnight exists on every London day (clocks change at 01:00/02:00), so `earliest` only
    // falls back on a calendar the zone database does not know.
    let since = first
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(PRACTICE_TIME_ZONE).earliest())
        .map_or(now - chrono::Duration::days(days), |t| {
            t.with_timezone(&Utc)
        });
    ((first, today), (since, now))
}

/// What an escalation letter cites: the provider's rejected tasks (most recent first) and the
/// period they were received in.
#[derive(Debug, Clone, Copy)]
pub struct EscalationEvidence<'a> {
    pub rejections: &'a [RejectedSummary],
    pub period: (NaiveDate, NaiveDate),
}

impl EscalationEvidence<'_> {
    /// Why no letter can be written from this evidence, if so: a letter citing no rejected
    /// tasks would undermine the practice's case, so the desk is told rather than given one.
    pub fn missing(&self, ods: &str) -> Option<String> {
        self.rejections.is_empty().then(|| {
            format!(
                "{ods} has no rejected tasks received between {} and {}: an escalation letter \
                 cites them as evidence, so none was written",
                uk_date(self.period.0),
                uk_date(self.period.1)
            )
        })
    }
}

/// The escalation letter that goes with `stage` for `provider`, citing `evidence`. Stage 0 has
/// no letter; evidence with no rejections is refused by the renderer (it needs
/// `rejected_tasks`), since a letter without evidence would undermine the practice's case.
pub fn render_escalation_letter(
    config: &Config,
    provider: &Provider,
    stage: EscalationStage,
    evidence: EscalationEvidence<'_>,
    acting: &Staff,
    now: DateTime<Utc>,
    sources: &LetterSources,
) -> Result<String, LetterError> {
    let Some(name) = escalation_letter(stage) else {
        return Err(LetterError::UnknownTemplate {
            name: format!("escalation letter for stage {stage}"),
            known: (1..=4)
                .filter_map(EscalationStage::from_number)
                .filter_map(escalation_letter)
                .map(str::to_owned)
                .collect(),
        });
    };
    let text = sources.template_text(name)?;
    let policy = &config.policy;
    let ctx = LetterContext {
        practice_name: Some(config.practice.name.clone()),
        reject_from: Some(policy.reject_from),
        preferred_method: Some(policy.preferred_method.clone()),
        urgent_route: Some(policy.urgent_route.clone()),
        sender_organisation: Some(provider.name.clone()),
        // The mirror records no one team for a provider; the organisation line reaches whoever
        // sends, as the task letters do for a task without a team.
        sender_team: Some(UNNAMED_TEAM.to_owned()),
        today: Some(london_date(now)),
        staff_name: Some(acting.name.clone()),
        sign_off: Some(config.letters.sign_off.clone()),
        rejected_tasks: Some(
            evidence
                .rejections
                .iter()
                .take(ESCALATION_LISTED_TASKS)
                .cloned()
                .collect(),
        ),
        rejected_count: Some(evidence.rejections.len()),
        period_from: Some(evidence.period.0),
        period_to: Some(evidence.period.1),
        ..LetterContext::default()
    };
    render(name, &text, &ctx)
}

/// The date on the practice's calendar: a task received at 23:30 UTC in summer arrived the
/// next day as far as the practice and the sender are concerned.
fn london_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&PRACTICE_TIME_ZONE).date_naive()
}

/// The first category (in config order, so the practice decides precedence) whose keywords
/// appear as words in the task's subject or body.
fn matching_category<'c>(categories: &'c [Category], task: &Task) -> Option<&'c Category> {
    categories.iter().find(|c| {
        c.keywords
            .iter()
            .any(|k| !k.trim().is_empty() && task_uses_keyword(task, k))
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::{Patient, Priority, Status};

    fn task(subject: &str, body: &str, team: Option<&str>) -> Task {
        let received = Utc
            .with_ymd_and_hms(2026, 6, 30, 23, 30, 0)
            .single()
            .expect("time");
        Task {
            id: 7,
            row_version: 1,
            source_id: "TSK-100".into(),
            source_version: None,
            status: Status::New,
            priority: Priority::Routine,
            provider_ods: "ZHT02".into(),
            provider_name: "Humberview Hospitals NHS Trust".into(),
            sender_team: team.map(str::to_owned),
            addressed_to: None,
            owner: None,
            patient: Patient {
                nhs_number: None,
                name: "Test Patient".into(),
                birth_date: None,
            },
            subject: subject.into(),
            body: body.into(),
            received_at: received,
            due_by: None,
            updated_at: received,
        }
    }

    fn staff() -> Staff {
        Staff {
            id: "aclarke".into(),
            name: "Alex Clarke".into(),
            role: None,
            login: None,
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
            .single()
            .expect("time")
    }

    fn shipped_only() -> LetterSources {
        LetterSources { override_dir: None }
    }

    #[test]
    fn the_rejection_letter_names_practice_sender_and_london_receipt_date() {
        let config = Config::example();
        let t = task("Bloods please", "See journal", Some("Cardiology"));
        let letter = render_task_letter(
            &config,
            &t,
            &staff(),
            now(),
            "lmc-rejection",
            &shipped_only(),
        )
        .expect("renders");
        assert!(
            letter.contains("To: Cardiology, Humberview Hospitals NHS Trust"),
            "{letter}"
        );
        // 23:30 UTC on 30 June is 00:30 on 1 July in London.
        assert!(
            letter.contains("Your Task: TSK-100, received 1 July 2026"),
            "{letter}"
        );
        assert!(letter.contains("Date: 20 November 2026"), "{letter}");
        assert!(
            letter.contains("Your Task has not been acted on or actioned."),
            "{letter}"
        );
        assert!(
            letter.contains("Alex Clarke\nReception team, Riverside Medical Practice"),
            "{letter}"
        );
    }

    #[test]
    fn a_task_without_a_team_is_addressed_to_the_organisation() {
        let config = Config::example();
        let t = task("Bloods", "", None);
        let letter = render_task_letter(
            &config,
            &t,
            &staff(),
            now(),
            "lmc-rejection",
            &shipped_only(),
        )
        .expect("renders without a team");
        assert!(
            letter.contains("To: The sending team, Humberview Hospitals NHS Trust"),
            "{letter}"
        );
    }

    #[test]
    fn the_responsibility_letter_quotes_the_first_matching_category() {
        let config = Config::example();
        let t = task("Please REFER to dermatology", "", Some("Outpatients"));
        let letter = render_task_letter(
            &config,
            &t,
            &staff(),
            now(),
            "provider-responsibility",
            &shipped_only(),
        )
        .expect("renders");
        assert!(letter.contains("NHS Standard Contract 8.4"), "{letter}");
    }

    /// The flag reads "referred" as the keyword "refer"; the letter it suggests must find the same
    /// category and quote its clause, not refuse the rejection for a missing clause.
    #[test]
    fn the_letter_finds_the_category_wherever_the_flag_does() {
        let config = Config::example();
        let t = task("Patient was referred back to you", "", Some("Outpatients"));
        let letter = render_task_letter(
            &config,
            &t,
            &staff(),
            now(),
            "provider-responsibility",
            &shipped_only(),
        )
        .expect("the flag's category has a clause");
        assert!(letter.contains("NHS Standard Contract 8.4"), "{letter}");
    }

    #[test]
    fn without_a_matching_category_the_letter_is_refused_naming_the_key() {
        let config = Config::example();
        // "preferred" contains "refer" but is not the word.
        let t = task("Preferred pharmacy changed", "", Some("Outpatients"));
        let err = render_task_letter(
            &config,
            &t,
            &staff(),
            now(),
            "provider-responsibility",
            &shipped_only(),
        )
        .expect_err("no category matches");
        assert!(
            err.to_string().contains("policy.categories[].clause"),
            "{err}"
        );
    }

    #[test]
    fn an_override_file_replaces_the_shipped_letter() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("lmc-rejection.j2"),
            "Own text for {{ task_reference }}\n",
        )
        .expect("write override");
        let sources = LetterSources {
            override_dir: Some(dir.path().to_path_buf()),
        };
        let letter = render_task_letter(
            &Config::example(),
            &task("s", "b", None),
            &staff(),
            now(),
            "lmc-rejection",
            &sources,
        )
        .expect("renders");
        assert_eq!(letter, "Own text for TSK-100\n");
        // Other letters still come from the binary.
        let other = sources.template_text("immediate-action").expect("shipped");
        assert_eq!(Some(other.as_str()), shipped_template("immediate-action"));
    }

    #[test]
    fn an_unreadable_override_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        // A folder where the file should be cannot be read as text.
        std::fs::create_dir(dir.path().join("lmc-rejection.j2")).expect("mkdir");
        let sources = LetterSources {
            override_dir: Some(dir.path().to_path_buf()),
        };
        let err = sources
            .template_text("lmc-rejection")
            .expect_err("unreadable");
        assert!(err.to_string().contains("lmc-rejection.j2"), "{err}");
    }

    #[test]
    fn a_provider_letter_is_not_offered_for_a_task() {
        let err = render_task_letter(
            &Config::example(),
            &task("s", "b", None),
            &staff(),
            now(),
            "escalation-reminder",
            &shipped_only(),
        )
        .expect_err("escalation letters are about providers");
        let text = err.to_string();
        assert!(
            text.contains("lmc-rejection, immediate-action, provider-responsibility"),
            "{text}"
        );
        assert!(!text.contains("escalation-lmc"), "{text}");
    }

    #[test]
    fn the_evidence_period_runs_from_london_midnight_thirty_days_back() {
        let ((from, to), (since, until)) = escalation_period(now(), ESCALATION_EVIDENCE_DAYS);
        assert_eq!(from, NaiveDate::from_ymd_opt(2026, 10, 21).expect("date"));
        assert_eq!(to, NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"));
        // 21 October is still summer time: its midnight is 23:00 UTC the day before.
        assert_eq!(since.to_rfc3339(), "2026-10-20T23:00:00+00:00");
        assert_eq!(until, now());
    }

    #[test]
    fn stage_0_has_no_escalation_letter() {
        let provider = Provider {
            ods_code: "ZHT02".into(),
            name: "Humberview Hospitals NHS Trust".into(),
            agreement: crate::domain::Agreement::None,
            escalation: EscalationStage::None,
            escalation_changed: None,
        };
        let rejections = [RejectedSummary {
            received: NaiveDate::from_ymd_opt(2026, 11, 2).expect("date"),
            reference: "TSK-9".into(),
        }];
        let evidence = EscalationEvidence {
            rejections: &rejections,
            period: (
                NaiveDate::from_ymd_opt(2026, 10, 21).expect("date"),
                NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
            ),
        };
        let letter = |stage| {
            render_escalation_letter(
                &Config::example(),
                &provider,
                stage,
                evidence,
                &staff(),
                now(),
                &shipped_only(),
            )
        };
        let err = letter(EscalationStage::None).expect_err("no letter at stage 0");
        assert!(err.to_string().contains("escalation-reminder"), "{err}");
        let text = letter(EscalationStage::ServiceLead).expect("stage 2 letter");
        assert!(
            text.contains("To: Service lead / manager, Humberview Hospitals NHS Trust"),
            "{text}"
        );
        assert!(
            text.contains("- received 2 November 2026, Task reference TSK-9"),
            "{text}"
        );
    }

    #[test]
    fn only_shipped_names_are_looked_up() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("custom.j2"), "hello").expect("write");
        let sources = LetterSources {
            override_dir: Some(dir.path().to_path_buf()),
        };
        assert!(matches!(
            sources.template_text("custom"),
            Err(LetterError::UnknownTemplate { .. })
        ));
    }
}
