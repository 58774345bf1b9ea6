//! Keys as data: the defaults in `assets/keymap.toml`, merged per key with `[keys]` from the
//! config, turned into a lookup from key press to action. The help screen, footer hints and
//! toasts are generated from the same map, so they always show the keys actually in force. It
//! lives outside `tui` because the config's validation loads it too: `config check` refuses a
//! `[keys]` table exactly as the inbox would.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const DEFAULT_KEYMAP: &str = include_str!("../assets/keymap.toml");

/// Everything a key can ask the inbox to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Mark,
    ClearMarks,
    Search,
    FilterStatus,
    FilterFlag,
    FilterProvider,
    FilterOwner,
    ClearFilters,
    Reject,
    Letter,
    Assign,
    Unassign,
    Complete,
    Note,
    Undo,
    Reload,
    NextView,
    ViewTriage,
    ViewOverdue,
    ViewHandover,
    ViewProviders,
    EscalateUp,
    EscalateDown,
    KeepTheirs,
    ReapplyOurs,
    SignOff,
    Help,
    Quit,
}

impl Action {
    pub const ALL: [Action; 34] = [
        Action::Down,
        Action::Up,
        Action::PageDown,
        Action::PageUp,
        Action::Top,
        Action::Bottom,
        Action::Mark,
        Action::ClearMarks,
        Action::Search,
        Action::FilterStatus,
        Action::FilterFlag,
        Action::FilterProvider,
        Action::FilterOwner,
        Action::ClearFilters,
        Action::Reject,
        Action::Letter,
        Action::Assign,
        Action::Unassign,
        Action::Complete,
        Action::Note,
        Action::Undo,
        Action::Reload,
        Action::NextView,
        Action::ViewTriage,
        Action::ViewOverdue,
        Action::ViewHandover,
        Action::ViewProviders,
        Action::EscalateUp,
        Action::EscalateDown,
        Action::KeepTheirs,
        Action::ReapplyOurs,
        Action::SignOff,
        Action::Help,
        Action::Quit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::Down => "down",
            Action::Up => "up",
            Action::PageDown => "page-down",
            Action::PageUp => "page-up",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Mark => "mark",
            Action::ClearMarks => "clear-marks",
            Action::Search => "search",
            Action::FilterStatus => "filter-status",
            Action::FilterFlag => "filter-flag",
            Action::FilterProvider => "filter-provider",
            Action::FilterOwner => "filter-owner",
            Action::ClearFilters => "clear-filters",
            Action::Reject => "reject",
            Action::Letter => "letter",
            Action::Assign => "assign",
            Action::Unassign => "unassign",
            Action::Complete => "complete",
            Action::Note => "note",
            Action::Undo => "undo",
            Action::Reload => "reload",
            Action::NextView => "next-view",
            Action::ViewTriage => "view-triage",
            Action::ViewOverdue => "view-overdue",
            Action::ViewHandover => "view-handover",
            Action::ViewProviders => "view-providers",
            Action::EscalateUp => "escalate",
            Action::EscalateDown => "de-escalate",
            Action::KeepTheirs => "keep-theirs",
            Action::ReapplyOurs => "reapply-ours",
            Action::SignOff => "sign-off",
            Action::Help => "help",
            Action::Quit => "quit",
        }
    }

    /// What the help screen says the action does.
    pub fn description(self) -> &'static str {
        match self {
            Action::Down => "next task",
            Action::Up => "previous task",
            Action::PageDown => "a screenful down",
            Action::PageUp => "a screenful up",
            Action::Top => "first (oldest) task",
            Action::Bottom => "last (newest) task",
            Action::Mark => "mark or unmark the task for a bulk action",
            Action::ClearMarks => "unmark every task",
            Action::Search => "search subject, body, provider and patient",
            Action::FilterStatus => "show another status (new, assigned, open, closed, all)",
            Action::FilterFlag => "only tasks raising the next LMC flag (cycles; then all)",
            Action::FilterProvider => "only this task's provider (again: all providers)",
            Action::FilterOwner => "only tasks held by this task's owner (again: everyone)",
            Action::ClearFilters => "clear search and filters",
            Action::Reject => "reject with the LMC letter: stored, copied, queued upstream",
            Action::Letter => "letter pane; on the providers screen, the escalation letter",
            Action::Assign => "reassign to a colleague or group",
            Action::Unassign => "return to the unassigned inbox",
            Action::Complete => "mark as completed",
            Action::Note => "add a note",
            Action::Undo => "undo your last action while it is not yet sent upstream",
            Action::Reload => "reload from the mirror",
            Action::NextView => "next screen (inbox, overdue, handover, providers)",
            Action::ViewTriage => "the inbox",
            Action::ViewOverdue => {
                "overdue: past or near threshold, most overdue first; stalled below"
            }
            Action::ViewHandover => "handover: what the next shift inherits",
            Action::ViewProviders => "providers: figures per sender and the escalation ladder",
            Action::EscalateUp => "on the providers screen: move the provider one stage up",
            Action::EscalateDown => "on the providers screen: move the provider one stage down",
            Action::KeepTheirs => "sync conflict: keep the other desk's version, drop ours",
            Action::ReapplyOurs => "sync conflict: send our change again on top of theirs",
            Action::SignOff => "on the handover screen: sign the handover off to a colleague",
            Action::Help => "this help",
            Action::Quit => "quit",
        }
    }
}

impl FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Action::ALL
            .into_iter()
            .find(|a| a.name() == s.trim())
            .ok_or_else(|| {
                let known: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                format!("unknown action `{s}` (known: {})", known.join(", "))
            })
    }
}

/// A key as the keymap writes it: a code and whether Control is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    /// The key a terminal event stands for. Shift is folded into the character ('G'), so it
    /// is ignored here; BackTab arrives as its own code.
    pub fn of(event: &KeyEvent) -> Key {
        Key {
            code: event.code,
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
        }
    }
}

impl FromStr for Key {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let (ctrl, rest) = match text.strip_prefix("ctrl-") {
            Some(rest) if !rest.is_empty() => (true, rest),
            _ => (false, text),
        };
        let mut chars = rest.chars();
        let code = match (rest, chars.next(), chars.next()) {
            ("space", ..) => KeyCode::Char(' '),
            ("enter", ..) => KeyCode::Enter,
            ("esc", ..) => KeyCode::Esc,
            ("tab", ..) => KeyCode::Tab,
            ("backtab", ..) => KeyCode::BackTab,
            ("backspace", ..) => KeyCode::Backspace,
            ("up", ..) => KeyCode::Up,
            ("down", ..) => KeyCode::Down,
            ("left", ..) => KeyCode::Left,
            ("right", ..) => KeyCode::Right,
            ("pageup", ..) => KeyCode::PageUp,
            ("pagedown", ..) => KeyCode::PageDown,
            ("home", ..) => KeyCode::Home,
            ("end", ..) => KeyCode::End,
            (_, Some(one), None) => KeyCode::Char(one),
            (other, ..) => return Err(format!("`{other}` is not a key taskgate knows")),
        };
        Ok(Key { code, ctrl })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The keys in force, and what was noticed while merging them.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: HashMap<Key, Action>,
    /// Overrides that took a key from another action, or left an action without a key: said
    /// once at start.
    pub notices: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[keys] \"{key}\": {message}")]
pub struct KeymapError {
    pub key: String,
    pub message: String,
}

fn parse_binding(k: &str, a: &str) -> Result<(Key, Action), KeymapError> {
    let err = |message| KeymapError {
        key: k.to_owned(),
        message,
    };
    Ok((
        k.parse::<Key>().map_err(err)?,
        a.parse::<Action>().map_err(err)?,
    ))
}

impl Keymap {
    /// The shipped defaults merged with the config's `[keys]` (key → action name, or "none" to
    /// unbind). A bad key or action name is an error naming it; a key taken from another action
    /// or an action left with no key is a notice shown at start.
    pub fn load(overrides: &BTreeMap<String, String>) -> Result<Keymap, KeymapError> {
        let defaults: BTreeMap<String, String> =
            toml::from_str(DEFAULT_KEYMAP).map_err(|e| KeymapError {
                key: "assets/keymap.toml".into(),
                message: e.to_string(),
            })?;
        let mut bindings = HashMap::new();
        for (k, a) in &defaults {
            let (key, action) = parse_binding(k, a)?;
            bindings.insert(key, action);
        }
        let mut notices = Vec::new();
        for (k, a) in overrides {
            if a.trim() == "none" {
                let key = k.parse::<Key>().map_err(|message| KeymapError {
                    key: k.clone(),
                    message,
                })?;
                bindings.remove(&key);
                continue;
            }
            let (key, action) = parse_binding(k, a)?;
            if let Some(old) = bindings.insert(key, action)
                && old != action
            {
                notices.push(format!(
                    "key {key} now does {} instead of {}",
                    action.name(),
                    old.name()
                ));
            }
        }
        let mut map = Keymap { bindings, notices };
        for action in Action::ALL {
            if map.keys_for(action).is_empty() {
                map.notices
                    .push(format!("{} has no key: bind one in [keys]", action.name()));
            }
        }
        Ok(map)
    }

    pub fn action(&self, event: &KeyEvent) -> Option<Action> {
        self.bindings.get(&Key::of(event)).copied()
    }

    /// The keys bound to `action`, single characters first, then the shortest names (so Tab
    /// comes before Shift-Tab), in a stable order.
    pub fn keys_for(&self, action: Action) -> Vec<Key> {
        let mut keys: Vec<Key> = self
            .bindings
            .iter()
            .filter(|(_, a)| **a == action)
            .map(|(k, _)| *k)
            .collect();
        keys.sort_by_key(|k| {
            let name = k.to_string();
            (
                k.ctrl,
                !matches!(k.code, KeyCode::Char(_)),
                name.len(),
                name,
            )
        });
        keys
    }

    /// The first key for `action` as text, for hints and toasts ("u").
    pub fn hint(&self, action: Action) -> String {
        self.keys_for(action)
            .first()
            .map_or_else(|| "?".into(), ToString::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_default_key_and_the_defaults_parse() {
        let map = Keymap::load(&BTreeMap::new()).expect("defaults");
        assert!(map.notices.is_empty(), "{:?}", map.notices);
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(map.action(&q), Some(Action::Quit));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(map.action(&ctrl_c), Some(Action::Quit));
        let c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(map.action(&c), Some(Action::Complete));
        let shift_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(map.action(&shift_g), Some(Action::Bottom));
    }

    #[test]
    fn an_override_that_takes_a_key_is_reported_and_a_bad_one_is_refused() {
        let mut o = BTreeMap::new();
        o.insert("r".to_owned(), "complete".to_owned());
        let map = Keymap::load(&o).expect("loads");
        let r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::NONE);
        assert_eq!(map.action(&r), Some(Action::Complete));
        assert!(
            map.notices
                .iter()
                .any(|n| n.contains("key r now does complete instead of reject"))
        );
        assert!(map.notices.iter().any(|n| n.contains("reject has no key")));

        let mut bad = BTreeMap::new();
        bad.insert("x".to_owned(), "explode".to_owned());
        let e = Keymap::load(&bad).expect_err("unknown action");
        assert!(
            e.to_string()
                .contains("[keys] \"x\": unknown action `explode`")
        );
        let mut bad = BTreeMap::new();
        bad.insert("hyper-x".to_owned(), "quit".to_owned());
        assert!(Keymap::load(&bad).is_err());
    }
}
