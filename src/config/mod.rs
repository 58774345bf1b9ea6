//! taskgate's configuration: one TOML file (documented key by key in `config.example.toml`)
//! read into typed sections with defaults, refused with a message naming the file, line and
//! key when anything is unknown or wrong, and the small lookups the rest of the app needs
//! (staff and groups by id, thresholds by priority, providers as the mirror records them).
//! Finding the file lives in `locate`, deciding who is acting in `user`.

mod error;
mod locate;
mod schema;
mod user;
mod validate;
mod values;

use std::collections::BTreeMap;
use std::path::Path;

pub use error::ConfigError;
use error::Locator;
pub use locate::{
    ConfigSource, FoundBy, LoadError, LoadedConfig, load, load_with, platform_config_file,
    resolve_config_path, resolve_config_path_with,
};
pub use schema::{
    AgreementKind, AuthMethod, Category, DEFAULT_UNDO_WINDOW, Display, Letters, Logging,
    MAX_UNDO_WINDOW, Overdue, Policy, Practice, ProviderEntry, Source, SourceKind, Storage, Sync,
    Theme, WorkingTime,
};
use serde::Deserialize;
pub use user::{UserError, acting_user};

use crate::domain::calendar::WorkingDuration;
use crate::domain::policy::{PolicyRules, WorkCategory};
use crate::domain::{Group, Priority, Provider, Staff};

/// The config shipped in the binary: a fictional practice for `--demo`, and the source of the
/// default contract categories (their clause numbers change between contract years, so they
/// live in a file a practice can read and edit, never in code).
pub const EXAMPLE_TOML: &str = include_str!("../../config.example.toml");

/// The whole configuration. Every section but `[practice]` and `[policy]` may be left out.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub practice: Practice,
    pub policy: Policy,
    #[serde(default)]
    pub letters: Letters,
    #[serde(default)]
    pub working_time: WorkingTime,
    #[serde(default)]
    pub overdue: Overdue,
    #[serde(default, deserialize_with = "schema::staff_list")]
    pub staff: Vec<Staff>,
    #[serde(default, deserialize_with = "schema::group_list")]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub providers: Vec<ProviderEntry>,
    #[serde(default)]
    pub source: Source,
    #[serde(default)]
    pub sync: Sync,
    #[serde(default)]
    pub storage: Storage,
    #[serde(default)]
    pub logging: Logging,
    #[serde(default)]
    pub display: Display,
    /// Key → action name; the TUI checks the action names against its keymap.
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
}

impl Config {
    /// Reads and checks a config; `file` is only used to name it in errors.
    pub fn from_toml_str(text: &str, file: &Path) -> Result<Config, ConfigError> {
        let at = Locator::new(text, file);
        let deserializer = toml::de::Deserializer::parse(text).map_err(|e| at.syntax(&e))?;
        let mut config: Config =
            serde_path_to_error::deserialize(deserializer).map_err(|e| at.serde(&e))?;
        // The CA bundle and the key sit beside the config, whatever folder taskgate runs in.
        if let Some(folder) = file.parent() {
            for path in [
                &mut config.source.ca_file,
                &mut config.source.private_key_file,
            ]
            .into_iter()
            .flatten()
            {
                if path.is_relative() {
                    *path = folder.join(&*path);
                }
            }
        }
        validate::validate(&config, &at)?;
        Ok(config)
    }

    /// The embedded example config (the demo practice).
    pub fn example() -> Config {
        // A test parses the embedded file on every build, so this cannot fail in a release.
        Config::from_toml_str(EXAMPLE_TOML, Path::new("config.example.toml"))
            .unwrap_or_else(|e| panic!("the embedded config.example.toml is invalid: {e}"))
    }

    pub fn staff_by_id(&self, id: &str) -> Option<&Staff> {
        self.staff.iter().find(|s| s.id == id)
    }

    pub fn group_by_id(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    pub fn provider_by_ods(&self, ods_code: &str) -> Option<&ProviderEntry> {
        self.providers
            .iter()
            .find(|p| p.ods_code.eq_ignore_ascii_case(ods_code))
    }

    /// The providers as the mirror first records them (escalation stage 0).
    pub fn providers(&self) -> Vec<Provider> {
        self.providers
            .iter()
            .map(ProviderEntry::to_provider)
            .collect()
    }

    /// The LMC policy as the pure domain reads it (the domain never sees the config itself).
    pub fn policy_rules(&self) -> PolicyRules {
        let p = &self.policy;
        PolicyRules {
            reject_from: p.reject_from,
            max_body_chars: p.max_body_chars,
            persistent_after: p.persistent_after,
            categories: p
                .categories
                .iter()
                .map(|c| WorkCategory {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    keywords: c.keywords.clone(),
                    clause: c.clause.clone(),
                })
                .collect(),
            safeguarding_words: p.safeguarding_words.clone(),
        }
    }

    /// How long a task of this priority may sit unactioned.
    pub fn threshold_for(&self, priority: Priority) -> WorkingDuration {
        let o = &self.overdue;
        match priority {
            Priority::Routine => o.routine,
            Priority::Urgent => o.urgent,
            Priority::Asap => o.asap,
            Priority::Stat => o.stat,
        }
    }
}

/// The categories of `config.example.toml`, for a `[policy]` that lists none.
pub(crate) fn shipped_categories() -> Vec<Category> {
    #[derive(Deserialize)]
    struct Shipped {
        policy: ShippedPolicy,
    }
    #[derive(Deserialize)]
    struct ShippedPolicy {
        categories: Vec<Category>,
    }
    toml::from_str::<Shipped>(EXAMPLE_TOML)
        .map(|s| s.policy.categories)
        .unwrap_or_default()
}
