//! The Reassign picker's state and keys: a fuzzy-ranked list of staff and groups, an optional
//! note, and the second-Enter confirmation that stands between a task and someone who is away
//! (the LMC's first hazard). Pure like `update`: no I/O and no clock; the caller works out each
//! entry's presence for today before opening the picker, and draws it with `ui::picker`.

use std::cmp::Reverse;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::domain::staff::Presence;

/// One person or group that tasks can be reassigned to, as the picker lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerEntry {
    pub id: String,
    pub name: String,
    /// The person's role, or for a group "group: 3 members".
    pub detail: String,
    pub is_group: bool,
    pub presence: Presence,
}

/// Which line of the picker receives typed characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerField {
    Query,
    Note,
}

/// What a key press in the picker means for whoever opened it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerOutcome {
    /// Still picking: redraw and wait for the next key.
    Stay,
    Cancel,
    /// Reassign to `id`; `note` is the trimmed note, `None` when nothing was typed.
    Chosen {
        id: String,
        note: Option<String>,
    },
}

/// The first Enter on someone away: which entry it was for, and what the user was told.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AwayConfirmation {
    id: String,
    message: String,
}

#[derive(Debug, Clone)]
pub struct PickerState {
    entries: Vec<PickerEntry>,
    task_count: usize,
    query: String,
    /// Indices into `entries`, best match first; every entry in config order when the query is
    /// empty.
    matches: Vec<usize>,
    /// Index into `matches`.
    cursor: usize,
    note: String,
    focus: PickerField,
    pending: Option<AwayConfirmation>,
    /// Choosing the colleague a handover goes to rather than reassigning tasks: no note (the
    /// sign-off records what was handed over), and the words say "hand over".
    hand_over: bool,
    /// Kept between key presses because it owns a sizeable scratch buffer.
    matcher: Matcher,
}

impl PickerState {
    /// Opens the picker over `entries` (people and groups in the order the config lists them)
    /// for reassigning `task_count` tasks.
    pub fn new(entries: Vec<PickerEntry>, task_count: usize) -> Self {
        let matches = (0..entries.len()).collect();
        PickerState {
            entries,
            task_count,
            query: String::new(),
            matches,
            cursor: 0,
            note: String::new(),
            focus: PickerField::Query,
            pending: None,
            hand_over: false,
            matcher: Matcher::new(Config::DEFAULT),
        }
    }

    /// Opens the picker over `entries` (staff) to choose the colleague taking over the shift.
    pub fn for_hand_over(entries: Vec<PickerEntry>) -> Self {
        PickerState {
            hand_over: true,
            ..PickerState::new(entries, 0)
        }
    }

    /// Whether this picker chooses who takes over a handover (no note field).
    pub fn is_hand_over(&self) -> bool {
        self.hand_over
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> PickerOutcome {
        if key.kind == KeyEventKind::Release {
            return PickerOutcome::Stay;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return PickerOutcome::Cancel,
            KeyCode::Enter => return self.choose(),
            KeyCode::Up => self.move_cursor(-1),
            KeyCode::Down => self.move_cursor(1),
            KeyCode::Char('p') if ctrl => self.move_cursor(-1),
            KeyCode::Char('n') if ctrl => self.move_cursor(1),
            KeyCode::Char('u') if ctrl => self.edit_focused(String::clear),
            KeyCode::Tab | KeyCode::BackTab if !self.hand_over => {
                self.focus = match self.focus {
                    PickerField::Query => PickerField::Note,
                    PickerField::Note => PickerField::Query,
                };
            }
            KeyCode::Backspace => self.edit_focused(|s| {
                s.pop();
            }),
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
                self.edit_focused(|s| s.push(c));
            }
            _ => {}
        }
        PickerOutcome::Stay
    }

    /// "Reassign 1 task" / "Reassign 3 tasks".
    pub fn title(&self) -> String {
        if self.hand_over {
            return "Hand over to the colleague taking over".to_owned();
        }
        let s = if self.task_count == 1 { "" } else { "s" };
        format!("Reassign {} task{s}", self.task_count)
    }

    pub fn task_count(&self) -> usize {
        self.task_count
    }

    pub fn query(&self) -> &str {
        &self.query
    }

    pub fn note(&self) -> &str {
        &self.note
    }

    pub fn focus(&self) -> PickerField {
        self.focus
    }

    /// The entries that match the query, best first.
    pub fn matches(&self) -> impl ExactSizeIterator<Item = &PickerEntry> {
        self.matches.iter().map(|&i| &self.entries[i])
    }

    /// Position of the highlighted entry within `matches()`.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn selected(&self) -> Option<&PickerEntry> {
        self.matches.get(self.cursor).map(|&i| &self.entries[i])
    }

    /// The warning shown after a first Enter on someone away, until the second Enter or until
    /// the selection changes.
    pub fn confirmation(&self) -> Option<&str> {
        self.pending.as_ref().map(|p| p.message.as_str())
    }

    fn choose(&mut self) -> PickerOutcome {
        let Some(entry) = self.selected() else {
            return PickerOutcome::Stay;
        };
        if let Presence::Away { .. } = entry.presence {
            let confirmed = self.pending.as_ref().is_some_and(|p| p.id == entry.id);
            if !confirmed {
                let verb = if self.hand_over {
                    "hand over"
                } else {
                    "assign"
                };
                self.pending = Some(AwayConfirmation {
                    id: entry.id.clone(),
                    message: away_warning(entry, verb),
                });
                return PickerOutcome::Stay;
            }
        }
        let id = entry.id.clone();
        let note = self.note.trim();
        let note = (!note.is_empty()).then(|| note.to_owned());
        PickerOutcome::Chosen { id, note }
    }

    fn move_cursor(&mut self, by: isize) {
        let last = self.matches.len().saturating_sub(1);
        let to = self.cursor.saturating_add_signed(by).min(last);
        if to != self.cursor {
            self.cursor = to;
            self.pending = None;
        }
    }

    fn edit_focused(&mut self, edit: impl FnOnce(&mut String)) {
        match self.focus {
            PickerField::Query => {
                edit(&mut self.query);
                self.refilter();
            }
            // The note does not change who is selected, so a pending warning still stands
            // (and stays on screen) while the user explains why they are assigning anyway.
            PickerField::Note => edit(&mut self.note),
        }
    }

    fn refilter(&mut self) {
        self.pending = None;
        self.cursor = 0;
        let pattern = Pattern::new(
            &self.query,
            CaseMatching::Smart,
            Normalization::Smart,
            AtomKind::Fuzzy,
        );
        if pattern.atoms.is_empty() {
            self.matches = (0..self.entries.len()).collect();
            return;
        }
        let mut buf = Vec::new();
        let mut scored: Vec<(usize, (bool, u32))> = Vec::new();
        for (i, entry) in self.entries.iter().enumerate() {
            // A match on the name outranks one that needs the id or role, so typing part of a
            // name puts that person first rather than everyone whose role shares the letters.
            let name = pattern.score(Utf32Str::new(&entry.name, &mut buf), &mut self.matcher);
            let key = if let Some(score) = name {
                Some((true, score))
            } else {
                let all = format!("{} {} {}", entry.name, entry.id, entry.detail);
                let score = pattern.score(Utf32Str::new(&all, &mut buf), &mut self.matcher);
                score.map(|s| (false, s))
            };
            if let Some(key) = key {
                scored.push((i, key));
            }
        }
        // A stable sort: equal scores keep the config's order.
        scored.sort_by_key(|&(_, key)| Reverse(key));
        self.matches = scored.into_iter().map(|(i, _)| i).collect();
    }
}

/// The words shown after the first Enter on someone away: who, until when, why, and what to do.
fn away_warning(entry: &PickerEntry, verb: &str) -> String {
    let Presence::Away { until, reason } = &entry.presence else {
        return String::new();
    };
    let who = if entry.is_group {
        format!("Everyone in {} is", entry.name)
    } else {
        format!("{} is", entry.name)
    };
    format!(
        "{who} away until {} ({reason}). Press Enter again to {verb} anyway, or pick someone else.",
        until.format("%a %-d %b")
    )
}

/// How the picker lists an absence beside a name: "away until Fri 27 Nov".
pub fn away_label(presence: &Presence) -> Option<String> {
    match presence {
        Presence::Present => None,
        Presence::Away { until, .. } => Some(format!("away until {}", until.format("%a %-d %b"))),
    }
}
