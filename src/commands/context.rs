//! What every command needs, resolved once from the command line, the environment and the
//! config: which config, which mirror, which clock, which calendar, who is acting.

use std::path::Path;

use color_eyre::eyre::{Result, WrapErr, eyre};

use crate::app::{Acting, Practice};
use crate::cli::Cli;
use crate::clock::Clock;
use crate::config::{self, Config, ConfigSource};
use crate::domain::Staff;
use crate::domain::calendar::{HolidaySet, Nation, WorkingCalendar};
use crate::letters::LetterSources;
use crate::paths::Paths;
use crate::store::Store;

pub struct Context {
    pub config: Config,
    /// Where the config came from; `None` when the demo runs on the built-in example config.
    pub config_source: Option<ConfigSource>,
    pub paths: Paths,
    pub clock: Clock,
    user_flag: Option<String>,
    demo: bool,
}

impl Context {
    /// `demo` is true for `--demo` and `taskgate demo`: they fall back to the example config
    /// (a fictional practice) when the user has none, so trying taskgate needs no set-up.
    pub fn load(cli: &Cli, demo: bool) -> Result<Context> {
        let env_config = std::env::var_os("TASKGATE_CONFIG");
        let (config, config_source) =
            match config::resolve_config_path(cli.config.as_deref(), env_config.clone()) {
                None if demo => (Config::example(), None),
                _ => {
                    let loaded = config::load(cli.config.as_deref(), env_config)?;
                    (loaded.config, Some(loaded.source))
                }
            };
        let paths = Paths::resolve(cli.db.as_deref(), config.storage.path.as_deref(), demo)?;
        Ok(Context {
            config,
            config_source,
            paths,
            clock: Clock::from_flag(cli.now),
            user_flag: cli.user.clone(),
            demo,
        })
    }

    /// The practice's working-time calendar: its days and hours, its nation's bank holidays
    /// (see [`Context::bank_holidays`]) and closures.
    pub fn calendar(&self) -> Result<WorkingCalendar> {
        Ok(crate::app::calendar_for(&self.config)?)
    }

    /// The practice as every use case needs it, resolved once from the config.
    pub fn practice(&self) -> Result<Practice> {
        Ok(Practice::from_config(
            self.config.clone(),
            LetterSources::from_config_dir(),
        )?)
    }

    /// One nation's bank holidays, as the practice's calendar takes them.
    pub fn bank_holidays(&self, nation: Nation) -> Result<HolidaySet> {
        Ok(crate::app::bank_holidays_for(&self.config, nation)?)
    }

    /// Where the bank-holiday list comes from, in words.
    pub fn bank_holidays_origin(&self) -> String {
        crate::app::bank_holidays_origin(&self.config)
    }

    /// Opens the mirror, creating it when missing (commands that fill it: demo, import, sync).
    pub fn open_store(&self) -> Result<Store> {
        let store = Store::open(&self.paths.db)
            .wrap_err_with(|| format!("cannot open the mirror {}", self.paths.db.display()))?;
        Ok(store)
    }

    /// Opens a mirror that must already exist: reading commands never create an empty one.
    pub fn open_existing_store(&self) -> Result<Store> {
        if !self.paths.db.exists() {
            return Err(eyre!(
                "there is no mirror at {}: create one with `taskgate demo` (synthetic data), \
                 or point --db or storage.path at yours",
                self.paths.db.display()
            ));
        }
        self.open_store()
    }

    /// Who is acting. On the demo with nobody configured to match, the first member of staff
    /// stands in, so the demo works on any machine.
    pub fn acting_user(&self) -> Result<Staff> {
        let env_user = std::env::var("TASKGATE_USER").ok();
        let login = std::env::var("USER")
            .ok()
            .or_else(|| std::env::var("LOGNAME").ok());
        match config::acting_user(
            &self.config,
            self.user_flag.as_deref(),
            env_user.as_deref(),
            login.as_deref(),
        ) {
            Ok(staff) => Ok(staff),
            Err(_) if self.demo && self.user_flag.is_none() && env_user.is_none() => self
                .config
                .staff
                .first()
                .cloned()
                .ok_or_else(|| eyre!("the demo config has no staff")),
            Err(e) => Err(e.into()),
        }
    }

    /// `staff` acting at the command's instant (`--now`, else the clock).
    pub fn acting<'s>(&self, staff: &'s Staff) -> Acting<'s> {
        Acting {
            staff,
            now: self.clock.now(),
        }
    }

    pub fn db_path(&self) -> &Path {
        &self.paths.db
    }
}
