//! The application layer: one function per use case (reject with letters, assign, sign off the
//! handover, escalate a provider, count the header, list what is overdue, the flags of a task…),
//! over a [`Practice`] built once from the config. Both surfaces call these functions: the
//! command line (`commands/`: parse, call, print) and the inbox's worker (`tui/worker/`: request
//! in, call, reply out), so a question asked in both places has one answer. Failures are typed
//! ([`AppError`]); each surface turns them into words once, and nothing here names a key.

mod error;
pub mod flags;
pub mod handover;
pub mod overdue;
pub mod providers;
pub mod tasks;

use chrono::{DateTime, Utc};

pub use self::error::AppError;
use crate::config::Config;
use crate::domain::Staff;
use crate::domain::calendar::{
    BankHolidays, HolidaySet, Nation, SHIPPED_BANK_HOLIDAYS, WorkingCalendar,
};
use crate::domain::policy::PolicyRules;
use crate::keymap::Keymap;
use crate::letters::LetterSources;
use crate::report::overdue::OverdueRules;

/// What the rest of the code needs to know about the practice, resolved once from the config:
/// its calendar, its policy rules and overdue thresholds on that calendar, its staff and groups
/// (in `config`), where its letters come from, and its validated keys.
#[derive(Debug, Clone)]
pub struct Practice {
    pub config: Config,
    pub calendar: WorkingCalendar,
    pub policy: PolicyRules,
    pub overdue: OverdueRules,
    pub letters: LetterSources,
    pub keymap: Keymap,
}

impl Practice {
    /// Resolves the config: reads the bank-holiday data it names (else the shipped snapshot),
    /// builds the working calendar, maps the rules and checks the keys.
    pub fn from_config(config: Config, letters: LetterSources) -> Result<Practice, AppError> {
        let calendar = calendar_for(&config)?;
        let keymap = Keymap::load(&config.keys)?;
        Ok(Practice {
            policy: config.policy_rules(),
            overdue: OverdueRules::from_config(&config, &calendar),
            calendar,
            letters,
            keymap,
            config,
        })
    }

    /// The `[[staff]]` member with this id.
    pub fn staff(&self, id: &str) -> Result<&Staff, AppError> {
        self.config
            .staff_by_id(id)
            .ok_or_else(|| AppError::NotStaff {
                id: id.to_owned(),
                known: self.config.staff.iter().map(|s| s.id.clone()).collect(),
            })
    }
}

/// Who acts, and when: every change is recorded under a member of staff at an instant.
#[derive(Debug, Clone, Copy)]
pub struct Acting<'a> {
    pub staff: &'a Staff,
    pub now: DateTime<Utc>,
}

impl Acting<'_> {
    pub(crate) fn actor(&self) -> crate::store::Actor<'_> {
        crate::store::Actor {
            id: &self.staff.id,
            now: self.now,
        }
    }
}

/// The practice's working-time calendar: its days and hours, its nation's bank holidays (the
/// shipped snapshot unless `working_time.bank_holidays_file` names another) and closures.
pub fn calendar_for(config: &Config) -> Result<WorkingCalendar, AppError> {
    let wt = &config.working_time;
    let holidays = bank_holidays_for(config, config.practice.nation)?;
    WorkingCalendar::new(
        &wt.days,
        wt.start,
        wt.end,
        holidays,
        wt.closures.iter().copied(),
    )
    .map_err(|e| AppError::Calendar {
        origin: "[working_time]".to_owned(),
        message: e.to_string(),
    })
}

/// One nation's bank holidays: the shipped snapshot unless `working_time.bank_holidays_file`
/// names another, for the years it covers, and the rules after that.
pub fn bank_holidays_for(config: &Config, nation: Nation) -> Result<HolidaySet, AppError> {
    let json = match &config.working_time.bank_holidays_file {
        Some(path) => std::fs::read_to_string(path).map_err(|e| AppError::Calendar {
            origin: format!("working_time.bank_holidays_file {}", path.display()),
            message: format!("cannot read it: {e}"),
        })?,
        None => SHIPPED_BANK_HOLIDAYS.to_owned(),
    };
    BankHolidays::from_json(&json)
        .and_then(|b| b.for_nation(nation))
        .map_err(|e| AppError::Calendar {
            origin: bank_holidays_origin(config),
            message: e.to_string(),
        })
}

/// Where the bank-holiday list comes from, in words.
pub fn bank_holidays_origin(config: &Config) -> String {
    config
        .working_time
        .bank_holidays_file
        .as_deref()
        .map_or_else(
            || "the shipped bank-holiday data".to_owned(),
            |p| p.display().to_string(),
        )
}
