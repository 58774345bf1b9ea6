//! Checks that need more than one key at a time, run after the file has been read: working
//! hours in order, ids unique, group members that exist, SOPs with a start date, a FHIR source
//! with somewhere to connect. Each names the key to fix and its line.

use std::collections::HashSet;

use super::Config;
use super::error::{ConfigError, Locator};
use super::schema::{AgreementKind, AuthMethod, MAX_UNDO_WINDOW, Source, SourceKind};
use crate::keymap::Keymap;

/// The first problem found, in file order as far as the sections allow.
pub(super) fn validate(config: &Config, at: &Locator<'_>) -> Result<(), ConfigError> {
    policy(config, at)?;
    working_time(config, at)?;
    staff_and_groups(config, at)?;
    providers(config, at)?;
    source(config, at)?;
    undo_window(config, at)?;
    logging(config, at)?;
    keys(config, at)
}

/// `[keys]`, loaded as the inbox loads it: an unknown key or action is refused here, naming
/// its line, so `config check` and the inbox refuse the same table with the same words.
fn keys(config: &Config, at: &Locator<'_>) -> Result<(), ConfigError> {
    match Keymap::load(&config.keys) {
        Ok(_) => Ok(()),
        Err(e) => Err(at.error(
            &format!("keys.\"{}\"", e.key),
            &format!("keys.{}", e.key),
            e.message,
        )),
    }
}

fn required_text(value: &str, key: &str, at: &Locator<'_>) -> Result<(), ConfigError> {
    if value.trim().is_empty() {
        return Err(at.error(key, key, "must not be empty"));
    }
    Ok(())
}

fn policy(config: &Config, at: &Locator<'_>) -> Result<(), ConfigError> {
    required_text(&config.practice.name, "practice.name", at)?;
    required_text(&config.practice.ods_code, "practice.ods_code", at)?;
    let p = &config.policy;
    required_text(&p.preferred_method, "policy.preferred_method", at)?;
    required_text(&p.urgent_route, "policy.urgent_route", at)?;
    if p.persistent_after == 0 {
        let key = "policy.persistent_after";
        return Err(at.error(key, key, "must be at least 1 (rejections in 30 days)"));
    }
    for (i, word) in p.safeguarding_words.iter().enumerate() {
        // A word with no letters or digits would never match, silently turning the pause off.
        if !word.chars().any(char::is_alphanumeric) {
            let key = format!("policy.safeguarding_words[{i}]");
            return Err(at.error(
                &key,
                &key,
                "is blank: give a word or phrase (safeguarding words must have letters in them)",
            ));
        }
    }
    let mut ids = HashSet::new();
    for (i, category) in p.categories.iter().enumerate() {
        let key = format!("policy.categories[{i}].id");
        if !ids.insert(category.id.as_str()) {
            let msg = format!("category \"{}\" is defined twice", category.id);
            return Err(at.error(&key, &key, msg));
        }
        if category.keywords.iter().all(|k| k.trim().is_empty()) {
            let key = format!("policy.categories[{i}].keywords");
            return Err(at.error(
                &key,
                &key,
                "needs at least one keyword, or it never matches",
            ));
        }
    }
    Ok(())
}

fn working_time(config: &Config, at: &Locator<'_>) -> Result<(), ConfigError> {
    let wt = &config.working_time;
    if wt.days.is_empty() {
        let key = "working_time.days";
        return Err(at.error(key, key, "needs at least one working day"));
    }
    let mut seen = HashSet::new();
    for (i, day) in wt.days.iter().enumerate() {
        if !seen.insert(*day) {
            let key = format!("working_time.days[{i}]");
            return Err(at.error(&key, &key, format!("{day} is listed twice")));
        }
    }
    if wt.end <= wt.start {
        let key = "working_time.end";
        let msg = format!(
            "{} is not after start {}; working hours must start and end on the same day",
            wt.end.format("%H:%M"),
            wt.start.format("%H:%M")
        );
        return Err(at.error(key, key, msg));
    }
    Ok(())
}

/// Ids are typed on the command line (`assign ID STAFF_ID`) and shared between people and
/// groups in the picker, so they must be unique across both and free of spaces.
fn check_id(
    id: &str,
    key: &str,
    taken: &mut HashSet<String>,
    at: &Locator<'_>,
) -> Result<(), ConfigError> {
    if id.is_empty() || id.chars().any(char::is_whitespace) {
        return Err(at.error(
            key,
            key,
            format!("\"{id}\" is not a usable id (no spaces, not empty)"),
        ));
    }
    if !taken.insert(id.to_owned()) {
        return Err(at.error(
            key,
            key,
            format!("\"{id}\" is already used by another staff member or group"),
        ));
    }
    Ok(())
}

fn staff_and_groups(config: &Config, at: &Locator<'_>) -> Result<(), ConfigError> {
    let mut ids = HashSet::new();
    let mut logins = HashSet::new();
    for (i, person) in config.staff.iter().enumerate() {
        check_id(&person.id, &format!("staff[{i}].id"), &mut ids, at)?;
        if let Some(login) = &person.login
            && !logins.insert(login.to_ascii_lowercase())
        {
            let key = format!("staff[{i}].login");
            let msg =
                format!("login \"{login}\" belongs to two staff members; it must name one person");
            return Err(at.error(&key, &key, msg));
        }
    }
    let staff_ids: HashSet<&str> = config.staff.iter().map(|s| s.id.as_str()).collect();
    for (g, group) in config.groups.iter().enumerate() {
        check_id(&group.id, &format!("groups[{g}].id"), &mut ids, at)?;
        for (m, member) in group.members.iter().enumerate() {
            if !staff_ids.contains(member.as_str()) {
                let key = format!("groups[{g}].members[{m}]");
                let mut known: Vec<&str> = staff_ids.iter().copied().collect();
                known.sort_unstable();
                let msg = format!(
                    "\"{member}\" is not a [[staff]] id (known: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                );
                return Err(at.error(&key, &key, msg));
            }
        }
    }
    Ok(())
}

fn providers(config: &Config, at: &Locator<'_>) -> Result<(), ConfigError> {
    let mut codes = HashSet::new();
    for (i, p) in config.providers.iter().enumerate() {
        let code_key = format!("providers[{i}].ods_code");
        required_text(&p.ods_code, &code_key, at)?;
        if !codes.insert(p.ods_code.to_ascii_uppercase()) {
            let msg = format!("provider {} is listed twice", p.ods_code);
            return Err(at.error(&code_key, &code_key, msg));
        }
        let since_key = format!("providers[{i}].agreement_since");
        let kind_key = format!("providers[{i}].agreement");
        match (p.agreement, p.agreement_since) {
            (AgreementKind::Sop, None) => {
                let msg = "is required when agreement = \"sop\" (the date the SOP took effect, YYYY-MM-DD)";
                return Err(at.error(&since_key, &kind_key, msg));
            }
            (AgreementKind::None, Some(_)) => {
                let msg =
                    "is set but agreement is \"none\"; set agreement = \"sop\" or remove the date";
                return Err(at.error(&since_key, &since_key, msg));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The variable's name, not its value: a token pasted here would sit in a file that is
/// copied between desks and into backups.
fn looks_like_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn source(config: &Config, at: &Locator<'_>) -> Result<(), ConfigError> {
    let s = &config.source;
    match s.kind {
        SourceKind::Fhir => {
            match &s.base_url {
                None => {
                    let msg = "is required when kind = \"fhir\" (the FHIR R4 base URL)";
                    return Err(at.error("source.base_url", "source.kind", msg));
                }
                Some(url) if !(url.starts_with("https://") || url.starts_with("http://")) => {
                    let msg = format!("\"{url}\" is not an http:// or https:// URL");
                    return Err(at.error("source.base_url", "source.base_url", msg));
                }
                Some(_) => {}
            }
            match s.auth {
                AuthMethod::Bearer => bearer(s, at)?,
                AuthMethod::ClientCredentials => client_credentials(s, at)?,
            }
            if let Some(path) = &s.ca_file
                && let Err(e) = crate::sync::read_ca_file(path)
            {
                let key = "source.ca_file";
                return Err(at.error(key, key, format!("{}: {}", path.display(), e.reason)));
            }
        }
        SourceKind::File if s.folder.is_none() => {
            let msg = "is required when kind = \"file\" (the folder exports are dropped in)";
            return Err(at.error("source.folder", "source.kind", msg));
        }
        SourceKind::File | SourceKind::Demo => {}
    }
    for (key, value) in [
        ("source.poll_interval", s.poll_interval),
        ("source.request_timeout", s.request_timeout),
        ("sync.stale_after", config.sync.stale_after),
    ] {
        if value.is_zero() {
            return Err(at.error(key, key, "must be longer than zero"));
        }
    }
    Ok(())
}

/// The keys that belong to client credentials, for refusing them under `auth = "bearer"`.
fn client_keys(s: &Source) -> [(&'static str, bool); 6] {
    [
        ("source.token_url", s.token_url.is_some()),
        ("source.client_id", s.client_id.is_some()),
        ("source.client_secret_env", s.client_secret_env.is_some()),
        ("source.private_key_file", s.private_key_file.is_some()),
        ("source.key_id", s.key_id.is_some()),
        ("source.scope", s.scope.is_some()),
    ]
}

fn bearer(s: &Source, at: &Locator<'_>) -> Result<(), ConfigError> {
    if let Some((key, _)) = client_keys(s).into_iter().find(|(_, set)| *set) {
        let msg = "is only used with auth = \"client-credentials\" (auth is \"bearer\", the \
                   default): set source.auth or remove this key";
        return Err(at.error(key, key, msg));
    }
    match &s.token_env {
        None => {
            let msg = "is required when kind = \"fhir\" with auth = \"bearer\": the NAME of \
                       the environment variable holding the bearer token";
            Err(at.error("source.token_env", "source.kind", msg))
        }
        Some(name) if !looks_like_env_name(name) => {
            let msg = "must be the NAME of an environment variable (e.g. \
                       TASKGATE_FHIR_TOKEN), never the token itself";
            Err(at.error("source.token_env", "source.token_env", msg))
        }
        Some(_) => Ok(()),
    }
}

fn client_credentials(s: &Source, at: &Locator<'_>) -> Result<(), ConfigError> {
    if s.token_env.is_some() {
        let msg = "is only used with auth = \"bearer\"; client credentials get their tokens \
                   from source.token_url: remove this key";
        return Err(at.error("source.token_env", "source.token_env", msg));
    }
    match &s.token_url {
        None => {
            let msg = "is required when auth = \"client-credentials\" (the OAuth2 token \
                       endpoint)";
            return Err(at.error("source.token_url", "source.auth", msg));
        }
        // The secret or the signed assertion must never cross the network in the clear.
        Some(url) if !url.starts_with("https://") => {
            let msg = format!(
                "\"{url}\" is not an https:// URL: the client's secret or signed assertion \
                 must not cross the network unencrypted"
            );
            return Err(at.error("source.token_url", "source.token_url", msg));
        }
        Some(_) => {}
    }
    match &s.client_id {
        None => {
            let msg = "is required when auth = \"client-credentials\" (the id the server \
                       registered for this practice)";
            return Err(at.error("source.client_id", "source.auth", msg));
        }
        Some(id) => required_text(id, "source.client_id", at)?,
    }
    match (&s.client_secret_env, &s.private_key_file) {
        (None, None) => {
            let msg = "client credentials need a proof: set source.client_secret_env (the NAME \
                       of the variable holding the secret) or source.private_key_file (a key \
                       that signs JWT assertions)";
            Err(at.error("source.client_secret_env", "source.auth", msg))
        }
        (Some(_), Some(_)) => {
            let msg = "is set as well as source.client_secret_env: use one, the secret or the \
                       key";
            Err(at.error("source.private_key_file", "source.private_key_file", msg))
        }
        (Some(name), None) => {
            if s.key_id.is_some() {
                let msg = "names a signing key, but there is no source.private_key_file";
                return Err(at.error("source.key_id", "source.key_id", msg));
            }
            if looks_like_env_name(name) {
                Ok(())
            } else {
                let msg = "must be the NAME of an environment variable (e.g. \
                           TASKGATE_CLIENT_SECRET), never the secret itself";
                Err(at.error("source.client_secret_env", "source.client_secret_env", msg))
            }
        }
        (None, Some(path)) => match crate::sync::SigningKey::load(path, None) {
            Ok(_) => Ok(()),
            Err(reason) => {
                let key = "source.private_key_file";
                Err(at.error(key, key, format!("{}: {reason}", path.display())))
            }
        },
    }
}

/// Zero is allowed (changes go at the next sync, and `u` works only until then); more than
/// `MAX_UNDO_WINDOW` is refused.
fn undo_window(config: &Config, at: &Locator<'_>) -> Result<(), ConfigError> {
    if config.sync.undo_window > MAX_UNDO_WINDOW {
        let key = "sync.undo_window";
        let msg = format!(
            "is longer than {}: every change waits this long before it is sent upstream",
            humantime::format_duration(MAX_UNDO_WINDOW)
        );
        return Err(at.error(key, key, msg));
    }
    Ok(())
}

fn logging(config: &Config, at: &Locator<'_>) -> Result<(), ConfigError> {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    let level = &config.logging.level;
    let ok = !level.trim().is_empty()
        && level.split(',').all(|directive| {
            let wanted = directive
                .rsplit_once('=')
                .map_or(directive, |(_, l)| l)
                .trim();
            LEVELS.iter().any(|l| l.eq_ignore_ascii_case(wanted))
        });
    if !ok {
        let key = "logging.level";
        let msg = format!(
            "\"{level}\" is not a log level (expected one of: {}, or target=level directives)",
            LEVELS.join(", ")
        );
        return Err(at.error(key, key, msg));
    }
    Ok(())
}
