//! The handover screen: the handover report's data (the same `taskgate handover` prints) laid
//! out as sections the incoming shift reads top to bottom, each with its count in its title.
//! Task rows carry a cursor; the task under it is the one actions apply to, and Enter opens it
//! in the detail pane below. Nothing here is Markdown: the report is drawn from its fields.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::domain::TaskId;
use crate::report::handover::{AwayHolder, HandoverReport, SinceFrom, TaskLine};
use crate::report::text::fit;
use crate::tui::keymap::{Action, Keymap};
use crate::tui::state::AppState;
use crate::tui::theme;

/// Which kind of task row a line is, for its marker and colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowKind {
    Overdue,
    DueSoon,
    Other,
}

/// One line of the screen: text, or the `row`-th task row (an index into the state's window).
struct ScreenLine {
    line: Line<'static>,
    row: Option<(usize, TaskId)>,
}

/// The tasks of the screen, in the order their rows appear: the inbox's window holds them in
/// this order, so the cursor, marks and actions work on them as on any list.
pub fn task_order(report: &HandoverReport) -> Vec<TaskId> {
    sections(report)
        .iter()
        .flat_map(|(_, tasks)| tasks.iter().map(|(_, t)| t.id))
        .collect()
}

/// Leaves out of the report's task lists every task not in `kept` (one deleted between reading
/// the report and reading its tasks), so the rows drawn match the tasks loaded.
pub fn retain_tasks<S: std::hash::BuildHasher>(
    report: &mut HandoverReport,
    kept: &std::collections::HashSet<TaskId, S>,
) {
    report.overdue.tasks.retain(|t| kept.contains(&t.id));
    report.due_soon.tasks.retain(|t| kept.contains(&t.id));
    report.conflicts.tasks.retain(|t| kept.contains(&t.id));
    if report
        .unactioned
        .oldest
        .as_ref()
        .is_some_and(|t| !kept.contains(&t.id))
    {
        report.unactioned.oldest = None;
    }
    for h in &mut report.held_by_away.holders {
        h.tasks.retain(|t| kept.contains(&t.id));
    }
}

type Section<'a> = Vec<(RowKind, &'a TaskLine)>;

/// The task rows of each section, in screen order; the text around them is laid out by `lines`
/// in the same order.
fn rows(kind: RowKind, tasks: &[TaskLine]) -> Section<'_> {
    tasks.iter().map(|t| (kind, t)).collect()
}

fn sections(report: &HandoverReport) -> Vec<(&'static str, Section<'_>)> {
    vec![
        ("overdue", rows(RowKind::Overdue, &report.overdue.tasks)),
        ("due soon", rows(RowKind::DueSoon, &report.due_soon.tasks)),
        (
            "oldest",
            report
                .unactioned
                .oldest
                .iter()
                .map(|t| (RowKind::Other, t))
                .collect(),
        ),
        (
            "away",
            report
                .held_by_away
                .holders
                .iter()
                .flat_map(|h| h.tasks.iter().map(|t| (RowKind::Other, t)))
                .collect(),
        ),
        ("conflicts", rows(RowKind::Other, &report.conflicts.tasks)),
    ]
}

/// How many lines the screen has for this report, for scrolling without a cursor.
pub fn line_count(report: &HandoverReport) -> usize {
    lines(report, &std::collections::BTreeMap::new(), 80).len()
}

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, keymap: &Keymap) {
    let Some(report) = &state.handover else {
        let block = Block::new().borders(Borders::ALL).title(" Handover ");
        frame.render_widget(Paragraph::new("Loading…").block(block), area);
        return;
    };
    let title = format!(
        " Handover: what the next shift inherits · {} sign off · Enter open the task ",
        keymap.hint(Action::SignOff),
    );
    let block = Block::new().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let all = lines(report, &state.marked, width);
    let visible = usize::from(inner.height).max(1);
    let max_top = all.len().saturating_sub(visible);
    let w = &state.window;
    let selected = usize::try_from(w.selected)
        .ok()
        .filter(|_| !w.rows.is_empty());
    let cursor_line = selected.and_then(|s| all.iter().position(|l| l.row.map(|r| r.0) == Some(s)));
    let top = match (cursor_line, selected) {
        // On the last task the rest of the screen (actions, who is away) comes into view.
        (Some(_), Some(s)) if s + 1 >= w.rows.len() => max_top,
        // The cursor stays in the upper third, so the rows after it are in view.
        (Some(line), _) => line.saturating_sub(visible / 3).min(max_top),
        _ => usize::from(state.handover_scroll).min(max_top),
    };
    let shown: Vec<Line> = all
        .into_iter()
        .enumerate()
        .skip(top)
        .take(visible)
        .map(|(i, l)| {
            if Some(i) == cursor_line {
                l.line.patch_style(theme::selected())
            } else {
                l.line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

fn lines(
    report: &HandoverReport,
    marked: &std::collections::BTreeMap<TaskId, i64>,
    width: usize,
) -> Vec<ScreenLine> {
    let mut out: Vec<ScreenLine> = Vec::new();
    let mut text = |line: Line<'static>| out.push(ScreenLine { line, row: None });
    if let Some(warning) = &report.stale_warning {
        text(Line::styled(format!(" STALE: {warning}"), theme::error()));
    }
    text(Line::from(vec![
        Span::styled("Sync: ", theme::label()),
        Span::raw(report.sync.summary.clone()),
    ]));
    text(sign_off_line(report));
    let mut row_index = 0;
    let mut push_rows = |out: &mut Vec<ScreenLine>, rows: &[(RowKind, &TaskLine)]| {
        for (kind, task) in rows {
            let is_marked = marked.contains_key(&task.id);
            out.push(ScreenLine {
                line: task_row(task, *kind, is_marked, width),
                row: Some((row_index, task.id)),
            });
            row_index += 1;
        }
    };
    let sections = sections(report);
    for (name, rows) in &sections {
        out.push(blank());
        match *name {
            "overdue" => {
                out.push(heading(
                    &format!("Overdue ({})", report.overdue.count),
                    &report.overdue_summary,
                ));
                push_rows(&mut out, rows);
            }
            "due soon" => {
                out.push(heading(
                    &format!("Due soon ({})", report.due_soon.count),
                    "unactioned, due within the due-soon margin",
                ));
                if rows.is_empty() {
                    out.push(none("nothing due soon"));
                }
                push_rows(&mut out, rows);
            }
            "oldest" => {
                out.push(heading(
                    &format!("Unactioned ({})", report.unactioned.count),
                    "the oldest, first in the inbox",
                ));
                if rows.is_empty() {
                    out.push(none("the inbox is empty"));
                }
                push_rows(&mut out, rows);
            }
            "away" => {
                out.push(heading(
                    &format!("Held by staff who are away ({})", report.held_by_away.count),
                    "open tasks nobody will pick up",
                ));
                let holders: Vec<_> = report
                    .held_by_away
                    .holders
                    .iter()
                    .filter(|h| !h.tasks.is_empty())
                    .collect();
                if holders.is_empty() {
                    out.push(none("none"));
                }
                let mut rest = rows.as_slice();
                for h in holders {
                    out.push(away_line(h, "away until"));
                    let (theirs, after) = rest.split_at(h.tasks.len().min(rest.len()));
                    push_rows(&mut out, theirs);
                    rest = after;
                }
            }
            _ => {
                out.push(heading(
                    &format!("Sync conflicts ({})", report.conflicts.count),
                    "changed here and on the server",
                ));
                if rows.is_empty() {
                    out.push(none("none"));
                }
                push_rows(&mut out, rows);
            }
        }
    }
    actions_and_absences(report, &mut out);
    out
}

/// What was done since the last sign-off, and who is away today: text, no task rows.
fn actions_and_absences(report: &HandoverReport, out: &mut Vec<ScreenLine>) {
    out.push(blank());
    let events: u64 = report.actions.iter().map(|a| a.events).sum();
    out.push(heading(
        &format!("Actions since the last sign-off ({events})"),
        &format!("since {}", crate::report::text::local_stamp(report.since)),
    ));
    if report.actions.is_empty() {
        out.push(none("nothing done"));
    }
    for a in &report.actions {
        let on = if a.tasks > 0 {
            format!(
                " on {} task{}",
                a.tasks,
                if a.tasks == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        };
        out.push(ScreenLine {
            line: Line::raw(format!("   {}: {} ×{}{on}", a.actor, a.action, a.events)),
            row: None,
        });
    }
    out.push(blank());
    let away = &report.held_by_away.holders;
    out.push(heading(&format!("Away today ({})", away.len()), ""));
    if away.is_empty() {
        out.push(none("everyone is in"));
    }
    for h in away {
        out.push(away_line(h, "until"));
    }
}

fn none(words: &str) -> ScreenLine {
    ScreenLine {
        line: Line::styled(format!("   {words}"), theme::dim()),
        row: None,
    }
}

/// "Bina Patel away until Wed 25 Nov 2026 (annual leave)".
fn away_line(h: &AwayHolder, until: &str) -> ScreenLine {
    ScreenLine {
        line: Line::from(vec![
            Span::raw(format!("   {} ", h.name)),
            Span::styled(
                format!("{until} {}", h.until.format("%a %-d %b %Y")),
                Style::new().fg(theme::DUE_SOON),
            ),
            Span::styled(format!(" ({})", h.reason), theme::dim()),
        ]),
        row: None,
    }
}

fn blank() -> ScreenLine {
    ScreenLine {
        line: Line::raw(""),
        row: None,
    }
}

fn heading(title: &str, note: &str) -> ScreenLine {
    let mut spans = vec![Span::styled(
        format!(" {title}"),
        theme::label().add_modifier(Modifier::BOLD),
    )];
    if !note.is_empty() {
        spans.push(Span::styled(format!("  {note}"), theme::dim()));
    }
    ScreenLine {
        line: Line::from(spans),
        row: None,
    }
}

/// Who signed off to whom and when, or where the window starts without a sign-off.
fn sign_off_line(report: &HandoverReport) -> Line<'static> {
    let words = match (&report.last_sign_off, report.since_from) {
        (Some(s), SinceFrom::LastSignOff | SinceFrom::Given) => {
            // The detail starts with who handed over to whom ("outgoing ID (Name) handed over
            // to incoming ID (Name)"); what was handed over follows and is left out here.
            let who = s.detail.split(';').next().unwrap_or_default();
            let who = who.strip_prefix("outgoing ").unwrap_or(who).replacen(
                " handed over to incoming ",
                " to ",
                1,
            );
            format!("{who}, {}", crate::report::text::local_stamp(s.at))
        }
        _ => format!(
            "no sign-off yet; counting from {}",
            crate::report::text::local_stamp(report.since)
        ),
    };
    Line::from(vec![
        Span::styled("Last handover: ", theme::label()),
        Span::raw(words),
    ])
}

/// Columns a text takes on screen.
fn text_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(&*crate::terminal_text::line(text))
}

/// Shares `room` between the subject and the provider: both whole when they fit; else the
/// provider is cut first (down to a recognisable 12 columns), then the subject.
fn share(subject: usize, provider: usize, room: usize) -> (usize, usize) {
    if subject + provider <= room {
        return (room - provider, provider);
    }
    let provider = room.saturating_sub(subject).max(provider.min(12)).min(room);
    (room - provider, provider)
}

/// A task row: marker (overdue `!`, due soon `~`, so the state shows without colour), mark,
/// age, priority, patient initials, subject and sender. The subject keeps the most room.
fn task_row(task: &TaskLine, kind: RowKind, is_marked: bool, width: usize) -> Line<'static> {
    let (marker, style) = match kind {
        RowKind::Overdue => ("!", Style::new().fg(theme::OVERDUE)),
        RowKind::DueSoon => ("~", Style::new().fg(theme::DUE_SOON)),
        RowKind::Other => (" ", Style::new()),
    };
    let mark = if is_marked { "*" } else { " " };
    let fixed = format!(
        " {marker}{mark} {:>7} {:<7} {:<3} ",
        task.age,
        task.priority.as_str(),
        fit(&task.patient_initials, 3).trim_end()
    );
    let rest = width.saturating_sub(fixed.chars().count());
    let (subject, provider) = share(
        text_width(&task.subject),
        text_width(&task.provider),
        rest.saturating_sub(1),
    );
    Line::from(vec![
        Span::styled(fixed, style.add_modifier(Modifier::BOLD)),
        Span::styled(fit(&task.subject, subject), style),
        Span::raw(" "),
        Span::styled(fit(&task.provider, provider), theme::dim()),
    ])
}
