//! A sync conflict in the detail pane: another desk changed the task on the server before our
//! change reached it. Theirs and ours side by side, so the person at the desk can choose which
//! stands; nothing is decided for them.

use std::fmt::Write as _;

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use serde_json::Value;

use crate::report::text::{fit, local_stamp};
use crate::store::{Conflict, OutboxEntry};
use crate::tui::keymap::{Action, Keymap};
use crate::tui::theme;

/// Each side's column, in characters.
const COLUMN: usize = 44;

pub fn lines(c: &Conflict, keys: &Keymap) -> Vec<Line<'static>> {
    let mut out = vec![
        Line::styled(
            format!(
                "SYNC CONFLICT: another desk changed this task first (found {}, server answered {})",
                local_stamp(c.detected_at),
                c.http_status
            ),
            theme::error().add_modifier(Modifier::BOLD),
        ),
        Line::from(vec![
            Span::styled(
                fit(
                    &format!(
                        "Theirs (server, version {})",
                        c.theirs_version.as_deref().unwrap_or("?")
                    ),
                    COLUMN,
                ),
                theme::label(),
            ),
            Span::styled(
                format!(
                    "Ours (this desk, made on version {})",
                    c.base_version.as_deref().unwrap_or("?")
                ),
                theme::label(),
            ),
        ]),
    ];
    let theirs = theirs_lines(c);
    let ours: Vec<String> = c.ours.iter().map(our_change).collect();
    for i in 0..theirs.len().max(ours.len()) {
        let left = theirs.get(i).map_or("", String::as_str);
        let right = ours.get(i).map_or("", String::as_str);
        out.push(Line::raw(format!("{}{right}", fit(left, COLUMN))));
    }
    out.push(Line::styled(
        format!(
            "{} keep theirs (our changes are dropped; notes and letters stay here) · {} re-apply \
             ours (sent again on top of theirs)",
            keys.hint(Action::KeepTheirs),
            keys.hint(Action::ReapplyOurs)
        ),
        theme::dim(),
    ));
    out.push(Line::raw(""));
    out
}

/// What the server's version says: status, owner and when it was changed.
fn theirs_lines(c: &Conflict) -> Vec<String> {
    let mut lines = Vec::new();
    match &c.theirs_task {
        Some(t) => {
            lines.push(format!("status {}", t.status.as_str()));
            lines.push(format!(
                "owner {}",
                t.owner.as_deref().unwrap_or("none (practice inbox)")
            ));
        }
        None => lines.push("(their version could not be read)".to_owned()),
    }
    if let Some(at) = c.theirs.get("lastModified").and_then(Value::as_str) {
        lines.push(format!("changed {at}"));
    }
    let notes = c
        .theirs
        .get("note")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if notes > 0 {
        lines.push(format!("{notes} note(s) on the server"));
    }
    lines
}

/// One waiting change: "reject by aclarke → rejected, with a letter".
fn our_change(e: &OutboxEntry) -> String {
    let p = &e.payload;
    let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("");
    let mut line = format!("{} by {} → {}", e.kind, text("by"), text("status"));
    if let Some(owner) = p.get("owner").and_then(Value::as_str) {
        let _ = write!(line, " ({owner})");
    }
    if p.get("letter").is_some_and(|l| !l.is_null()) {
        line.push_str(", with a letter");
    }
    if p.get("note").is_some_and(|n| !n.is_null()) {
        line.push_str(", with a note");
    }
    line
}
