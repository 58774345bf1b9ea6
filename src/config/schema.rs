//! The sections of the config file as Rust types, with the defaults a practice gets for every
//! key it leaves out. Every table refuses keys it does not know, so a misspelt key is an error
//! rather than a setting silently ignored.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Deserializer};

use super::values;
use crate::domain::calendar::{Nation, WorkingDuration};
use crate::domain::{Agreement, EscalationStage, Group, Provider, Staff};

/// `[practice]`: who the letters come from and whose bank holidays apply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Practice {
    pub name: String,
    /// The practice's ODS code: the FHIR owner of its inbox (`Organization/<ODS>`).
    pub ods_code: String,
    #[serde(default = "default_nation", deserialize_with = "values::nation")]
    pub nation: Nation,
    #[serde(default)]
    pub phone: Option<String>,
}

fn default_nation() -> Nation {
    Nation::EnglandAndWales
}

/// `[policy]`: the practice's decisions under the LMC guidance.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Tasks received on or after this date are rejected unless the provider has an SOP.
    #[serde(deserialize_with = "values::date")]
    pub reject_from: NaiveDate,
    pub preferred_method: String,
    pub urgent_route: String,
    #[serde(default = "default_max_body_chars")]
    pub max_body_chars: usize,
    #[serde(default = "default_persistent_after")]
    pub persistent_after: u32,
    #[serde(default = "super::shipped_categories")]
    pub categories: Vec<Category>,
    /// Words or phrases that suggest a patient could be harmed if the task went back unread;
    /// rejecting a task that uses one asks for a second key press (or `--despite-risk`).
    #[serde(default = "default_safeguarding_words")]
    pub safeguarding_words: Vec<String>,
}

/// The words a practice gets when it lists none: the subjects of urgent information senders
/// most often put into a task. Matched as whole words, any case, plain endings allowed.
pub fn default_safeguarding_words() -> Vec<String> {
    [
        "safeguarding",
        "child protection",
        "suicide",
        "suicidal",
        "self-harm",
        "overdose",
        "domestic abuse",
        "domestic violence",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

fn default_max_body_chars() -> usize {
    400
}

fn default_persistent_after() -> u32 {
    3
}

impl Policy {
    /// The LMC advises that a generic email inbox given as the urgent route must come with a
    /// warning not to email individuals; an '@' is how the letters tell an inbox from a phone.
    pub fn urgent_route_is_email(&self) -> bool {
        self.urgent_route.contains('@')
    }
}

/// `[[policy.categories]]`: work that stays with the requester under the NHS Standard Contract.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub name: String,
    /// Matched case-insensitively against the task's subject and body.
    pub keywords: Vec<String>,
    /// The contract duty in plain words, quoted in the "contractual responsibility" letter.
    pub clause: String,
}

/// `[letters]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Letters {
    /// The team line under the sender's name at the foot of every letter (`{{ sign_off }}`):
    /// replies go to the shared inbox, never to one person.
    pub sign_off: String,
}

impl Default for Letters {
    fn default() -> Self {
        Letters {
            sign_off: "Reception team".to_owned(),
        }
    }
}

/// `[working_time]`: the hours that overdue thresholds count.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkingTime {
    #[serde(deserialize_with = "values::weekdays")]
    pub days: Vec<Weekday>,
    #[serde(deserialize_with = "values::time_of_day")]
    pub start: NaiveTime,
    #[serde(deserialize_with = "values::time_of_day")]
    pub end: NaiveTime,
    /// The practice's own closure days (training afternoons count as whole days here).
    #[serde(deserialize_with = "values::dates")]
    pub closures: Vec<NaiveDate>,
    /// Replaces the shipped bank-holiday snapshot when it runs out.
    pub bank_holidays_file: Option<PathBuf>,
}

impl Default for WorkingTime {
    /// The GP contract's core hours, 08:00–18:30 Monday to Friday.
    fn default() -> Self {
        WorkingTime {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            start: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
            end: NaiveTime::from_hms_opt(18, 30, 0).unwrap_or(NaiveTime::MIN),
            closures: Vec::new(),
            bank_holidays_file: None,
        }
    }
}

/// `[overdue]`: how long a task may sit unactioned, in working time, by priority.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Overdue {
    pub routine: WorkingDuration,
    pub urgent: WorkingDuration,
    pub asap: WorkingDuration,
    pub stat: WorkingDuration,
    /// Tasks this close to their threshold show amber.
    pub due_soon: WorkingDuration,
    /// An assigned task untouched this long is "stalled".
    pub assigned_stalled: WorkingDuration,
}

impl Default for Overdue {
    fn default() -> Self {
        Overdue {
            routine: WorkingDuration::Days(1),
            urgent: WorkingDuration::Hours(2),
            asap: WorkingDuration::Hours(1),
            stat: WorkingDuration::Minutes(30),
            due_soon: WorkingDuration::Hours(1),
            assigned_stalled: WorkingDuration::Days(5),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffEntry {
    id: String,
    name: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    login: Option<String>,
}

/// `[[staff]]` read strictly (the domain type itself tolerates unknown fields).
pub(super) fn staff_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Staff>, D::Error> {
    let entries = Vec::<StaffEntry>::deserialize(d)?;
    Ok(entries
        .into_iter()
        .map(|e| Staff {
            id: e.id,
            name: e.name,
            role: e.role,
            login: e.login,
        })
        .collect())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupEntry {
    id: String,
    name: String,
    #[serde(default)]
    members: Vec<String>,
}

pub(super) fn group_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Group>, D::Error> {
    let entries = Vec::<GroupEntry>::deserialize(d)?;
    Ok(entries
        .into_iter()
        .map(|e| Group {
            id: e.id,
            name: e.name,
            members: e.members,
        })
        .collect())
}

/// How an agreement is spelt in the config; the date sits beside it in `agreement_since`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgreementKind {
    #[default]
    None,
    Sop,
}

/// `[[providers]]`: the practice's register of senders and its agreements with them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderEntry {
    pub ods_code: String,
    pub name: String,
    #[serde(default)]
    pub agreement: AgreementKind,
    /// Required when `agreement = "sop"` (checked after reading).
    #[serde(default, deserialize_with = "values::optional_date")]
    pub agreement_since: Option<NaiveDate>,
}

impl ProviderEntry {
    /// An entry without a start date is treated as having no SOP: the loader refuses such an
    /// entry, so this only matters for entries built by hand.
    pub fn agreement(&self) -> Agreement {
        match (self.agreement, self.agreement_since) {
            (AgreementKind::Sop, Some(since)) => Agreement::Sop { since },
            _ => Agreement::None,
        }
    }

    /// The provider as the mirror first records it: the escalation ladder starts at stage 0
    /// and is moved in the mirror, not in the config.
    pub fn to_provider(&self) -> Provider {
        Provider {
            ods_code: self.ods_code.clone(),
            name: self.name.clone(),
            agreement: self.agreement(),
            escalation: EscalationStage::None,
            escalation_changed: None,
        }
    }
}

/// Where tasks come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    #[default]
    Demo,
    File,
    Fhir,
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceKind::Demo => "demo",
            SourceKind::File => "file",
            SourceKind::Fhir => "fhir",
        })
    }
}

/// How sync signs in to a FHIR server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    /// A long-lived bearer token in the environment variable `token_env`.
    #[default]
    Bearer,
    /// OAuth2 client credentials: short-lived tokens from `token_url`.
    ClientCredentials,
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthMethod::Bearer => "bearer",
            AuthMethod::ClientCredentials => "client-credentials",
        })
    }
}

/// `[source]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Source {
    pub kind: SourceKind,
    /// The FHIR R4 base URL (fhir only).
    pub base_url: Option<String>,
    /// `"bearer"` (the default) or `"client-credentials"`.
    pub auth: AuthMethod,
    /// The NAME of the environment variable holding the bearer token, so the secret never sits
    /// in a file that gets copied between desks.
    pub token_env: Option<String>,
    /// client-credentials: the OAuth2 token endpoint.
    pub token_url: Option<String>,
    /// client-credentials: the client id the server registered for this practice.
    pub client_id: Option<String>,
    /// client-credentials: the NAME of the environment variable holding the client secret.
    pub client_secret_env: Option<String>,
    /// client-credentials: a PEM private key (RSA or EC P-384) that signs JWT assertions, in
    /// place of a secret. Relative paths are from the config file's folder.
    pub private_key_file: Option<PathBuf>,
    /// client-credentials with a key: the `kid` the server knows the key by.
    pub key_id: Option<String>,
    /// client-credentials: the scopes asked for (space separated), when the server wants some.
    pub scope: Option<String>,
    /// A PEM bundle of certificate authorities trusted beside the system's (a health network's
    /// own CA). Relative paths are from the config file's folder.
    pub ca_file: Option<PathBuf>,
    /// Always `None`: a secret written into the file is refused by name, with the reason.
    #[serde(deserialize_with = "refuse_secret_in_file")]
    pub client_secret: Option<std::convert::Infallible>,
    #[serde(deserialize_with = "values::duration")]
    pub poll_interval: Duration,
    #[serde(deserialize_with = "values::duration")]
    pub request_timeout: Duration,
    /// The folder watched for exports (file only).
    pub folder: Option<PathBuf>,
}

impl Default for Source {
    fn default() -> Self {
        Source {
            kind: SourceKind::Demo,
            base_url: None,
            auth: AuthMethod::Bearer,
            token_env: None,
            token_url: None,
            client_id: None,
            client_secret_env: None,
            private_key_file: None,
            key_id: None,
            scope: None,
            ca_file: None,
            client_secret: None,
            poll_interval: Duration::from_mins(5),
            request_timeout: Duration::from_secs(30),
            folder: None,
        }
    }
}

/// `[sync]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sync {
    /// After this long without a successful sync the header turns red and handover refuses to
    /// say "nothing overdue".
    #[serde(deserialize_with = "values::duration")]
    pub stale_after: Duration,
    /// How long a new action stays on this desk before any push (the inbox's or `taskgate
    /// sync`'s) sends it: the time in which `u` takes it back without anyone upstream seeing it.
    /// Zero sends at the next sync.
    #[serde(deserialize_with = "values::duration")]
    pub undo_window: Duration,
}

/// The undo window when the config does not set one.
pub const DEFAULT_UNDO_WINDOW: Duration = Duration::from_secs(20);

/// The longest undo window accepted: every change upstream waits this long, so a typo of
/// minutes for seconds should not hold an inbox's work back for hours.
pub const MAX_UNDO_WINDOW: Duration = Duration::from_hours(1);

impl Default for Sync {
    fn default() -> Self {
        Sync {
            stale_after: Duration::from_mins(30),
            undo_window: DEFAULT_UNDO_WINDOW,
        }
    }
}

/// `[storage]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Storage {
    /// The mirror file; the platform data dir when absent. `--db` overrides it.
    pub path: Option<PathBuf>,
    /// The NAME of the environment variable holding the mirror's encryption key (builds with
    /// the `sqlcipher` feature); unset in the environment, taskgate asks for the key at a
    /// prompt. The key itself never goes in this file, which is copied between desks.
    #[serde(deserialize_with = "key_env_name")]
    pub key_env: Option<String>,
    /// Always `None`: it exists so that a key written into the file is refused by name, with
    /// the reason, instead of as just another unknown key.
    #[serde(deserialize_with = "refuse_key_in_file")]
    pub key: Option<std::convert::Infallible>,
}

/// An environment variable's name: letters, digits and `_`, not starting with a digit. Anything
/// else is most likely the key itself pasted into the wrong place, so the message never repeats
/// the value.
fn key_env_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let name = String::deserialize(d)?;
    let mut chars = name.chars();
    let plausible = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plausible {
        Ok(Some(name))
    } else {
        Err(serde::de::Error::custom(
            "this names the environment variable that holds the key (letters, digits and _, \
             such as TASKGATE_KEY), never the key itself",
        ))
    }
}

fn refuse_key_in_file<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<std::convert::Infallible>, D::Error> {
    // Read past the value so the error points at it, then refuse without repeating it.
    let _ = serde::de::IgnoredAny::deserialize(d)?;
    Err(serde::de::Error::custom(
        "the mirror's key must never be written in the config file: put it in an environment \
         variable and name that variable in storage.key_env (or leave it unset to be asked)",
    ))
}

fn refuse_secret_in_file<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<std::convert::Infallible>, D::Error> {
    let _ = serde::de::IgnoredAny::deserialize(d)?;
    Err(serde::de::Error::custom(
        "the client secret must never be written in the config file: put it in an environment \
         variable and name that variable in source.client_secret_env",
    ))
}

/// `[logging]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Logging {
    /// A tracing filter: a level (`info`) or directives (`info,taskgate::sync=debug`).
    pub level: String,
}

impl Default for Logging {
    fn default() -> Self {
        Logging {
            level: "info".to_owned(),
        }
    }
}

/// `[display]`: how the inbox draws.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Display {
    #[serde(default)]
    pub theme: Theme,
}

/// `[display] theme`: the colours of the inbox. Every state is also shown by a marker or by
/// bold and reverse video, so no choice depends on colour alone; `NO_COLOR` in the
/// environment drops colour whatever this says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    #[default]
    Default,
    /// Bright colours and bold alarms, no dim grey text: for bright rooms and tired eyes.
    HighContrast,
}
