//! Who is acting: every audit event names a member of staff, so taskgate must know who is at
//! the keyboard. `--user` wins, then `$TASKGATE_USER`, then the operating-system login matched
//! against `[[staff]] login`.

use super::Config;
use crate::domain::Staff;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error(
        "{given_by} names \"{id}\", who is not in [[staff]] (known ids: {})",
        list(known)
    )]
    UnknownId {
        id: String,
        given_by: &'static str,
        known: Vec<String>,
    },
    #[error(
        "cannot tell who you are{}: pass --user STAFF_ID, set TASKGATE_USER, or add \
         login = \"{}\" to your [[staff]] entry in the config",
        os_login.as_deref().map(|l| format!(" (no [[staff]] entry has login = \"{l}\")")).unwrap_or_default(),
        os_login.as_deref().unwrap_or("your-login")
    )]
    NotIdentified { os_login: Option<String> },
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        "none; add [[staff]] entries to the config".to_owned()
    } else {
        ids.join(", ")
    }
}

fn by_id(config: &Config, id: &str, given_by: &'static str) -> Result<Staff, UserError> {
    config
        .staff_by_id(id)
        .cloned()
        .ok_or_else(|| UserError::UnknownId {
            id: id.to_owned(),
            given_by,
            known: config.staff.iter().map(|s| s.id.clone()).collect(),
        })
}

/// The acting member of staff. An empty `$TASKGATE_USER` counts as unset.
pub fn acting_user(
    config: &Config,
    flag: Option<&str>,
    env_user: Option<&str>,
    os_login: Option<&str>,
) -> Result<Staff, UserError> {
    if let Some(id) = flag {
        return by_id(config, id, "--user");
    }
    if let Some(id) = env_user.filter(|v| !v.is_empty()) {
        return by_id(config, id, "TASKGATE_USER");
    }
    let os_login = os_login.filter(|l| !l.is_empty());
    // Windows logins are case-insensitive, and people type them as they please in the config.
    os_login
        .and_then(|login| {
            config.staff.iter().find(|s| {
                s.login
                    .as_deref()
                    .is_some_and(|l| l.eq_ignore_ascii_case(login))
            })
        })
        .cloned()
        .ok_or_else(|| UserError::NotIdentified {
            os_login: os_login.map(str::to_owned),
        })
}
