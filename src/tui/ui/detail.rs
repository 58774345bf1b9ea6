//! The detail pane: the whole body (so nothing urgent is rejected unread), the patient with the
//! NHS number in 3-3-4 beside name and date of birth (to catch a wrong patient), when it is due
//! and why, and the task's history.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::ViewContext;
use crate::domain::Status;
use crate::domain::Task;
use crate::domain::calendar::format_working_age;
use crate::domain::overdue::{DueState, assess};
use crate::report::text::local_stamp;
use crate::terminal_text::{self, line};
use crate::tui::state::{AppState, Detail, View};
use crate::tui::theme;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, view: &ViewContext) {
    let block = Block::new().borders(Borders::ALL).title(" Task ");
    let Some(t) = state.window.selected_task() else {
        let text = if state.window.total == 0 && state.page_request.is_none() {
            "No task in this view."
        } else {
            "Loading…"
        };
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    };
    let mut lines = Vec::new();
    // A conflict comes first: until someone chooses, this desk and the server disagree.
    if let Some(conflict) = state
        .detail
        .as_ref()
        .filter(|d| d.task_id == t.id)
        .and_then(|d| d.conflict.as_ref())
    {
        lines.extend(super::conflict::lines(conflict, view.keymap));
    }
    lines.extend(identity_lines(t));
    if let Some(why) = state
        .overdue_why
        .get(&t.id)
        .filter(|_| state.view == View::Overdue)
    {
        lines.push(Line::from(vec![
            label("Why       "),
            Span::raw(why.clone()),
        ]));
    }
    lines.extend(due_lines(t, state, view));
    for raised in view.flags(state, t) {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<18}", raised.flag.tag()), theme::flag()),
            Span::raw(raised.explanation.clone()),
            Span::styled(format!(" → {}", raised.suggestion.describe()), theme::dim()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.extend(
        t.body
            .lines()
            .map(|l| Line::raw(terminal_text::block(l).into_owned())),
    );
    if let Some(d) = state.detail.as_ref().filter(|d| d.task_id == t.id) {
        lines.extend(record_lines(d));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn label(s: &'static str) -> Span<'static> {
    Span::styled(s, theme::label())
}

/// Who the task is about and who sent it: the lines that catch a wrong patient or sender.
fn identity_lines(t: &Task) -> Vec<Line<'_>> {
    let p = &t.patient;
    let nhs = p
        .nhs_number
        // Labelled NHS, CHI or H&C by range, so each nation's number reads as its own.
        .map_or_else(|| "no valid patient number".to_owned(), |n| n.labelled());
    let dob = p
        .birth_date
        .map_or_else(|| "unknown".into(), |d| d.format("%d %b %Y").to_string());
    let team = t
        .sender_team
        .as_deref()
        .map(|s| format!(" — {}", line(s)))
        .unwrap_or_default();
    vec![
        Line::from(vec![label("Subject   "), Span::raw(line(&t.subject))]),
        Line::from(vec![
            label("Patient   "),
            Span::raw(format!("{}   {nhs}   DOB {dob}", line(&p.name))),
        ]),
        Line::from(vec![
            label("From      "),
            Span::raw(format!(
                "{} ({}){team}",
                line(&t.provider_name),
                line(&t.provider_ods)
            )),
        ]),
        Line::from(vec![
            label("Received  "),
            Span::raw(format!(
                "{}   {} · {}",
                local_stamp(t.received_at),
                t.priority,
                t.status
            )),
            Span::raw(
                t.owner
                    .as_deref()
                    .map(|o| format!(" to {o}"))
                    .unwrap_or_default(),
            ),
        ]),
    ]
}

/// When an unactioned task is due and why, and what the sender asked for.
fn due_lines(t: &Task, state: &AppState, view: &ViewContext) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if t.status == Status::New {
        let a = assess(
            view.calendar,
            &view.thresholds,
            t.priority,
            t.received_at,
            state.now,
        );
        let (word, style) = match a.state {
            DueState::Overdue => ("OVERDUE since", Style::new().fg(theme::OVERDUE)),
            DueState::DueSoon => ("due soon, at", Style::new().fg(theme::DUE_SOON)),
            DueState::OnTime => ("due", Style::new()),
        };
        let threshold = view.thresholds.for_priority(t.priority);
        lines.push(Line::from(vec![
            label("Due       "),
            Span::styled(format!("{word} {}", local_stamp(a.due_at)), style),
            Span::styled(
                format!(
                    "   ({} threshold: {} of working time)",
                    t.priority,
                    format_working_age(threshold, view.calendar.day_length())
                ),
                theme::dim(),
            ),
        ]));
        if let Some(w) = a.warning {
            lines.push(Line::from(Span::styled(
                format!("          {w}"),
                theme::error(),
            )));
        }
    }
    if let Some(named) = &t.addressed_to {
        lines.push(Line::from(vec![
            label("Addressed "),
            Span::raw(format!("to {named}, not the unassigned inbox")),
        ]));
    }
    if let Some(due) = t.due_by {
        lines.push(Line::from(vec![
            label("Sender due"),
            Span::raw(format!(" {}", local_stamp(due))),
        ]));
    }
    lines
}

/// Notes still standing and the audit history, oldest first.
fn record_lines(d: &Detail) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    for n in d.notes.iter().filter(|n| n.withdrawn_by_action.is_none()) {
        lines.push(Line::from(vec![
            label("Note      "),
            Span::raw(format!(
                "{} {}: {}",
                local_stamp(n.at),
                n.author,
                line(&n.text)
            )),
        ]));
    }
    if !d.history.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::from(label("History")));
        for e in &d.history {
            let change = match (&e.from, &e.to) {
                (Some(f), Some(to)) => format!(" {f} → {to}"),
                (None, Some(to)) => format!(" → {to}"),
                _ => String::new(),
            };
            lines.push(Line::styled(
                format!("  {} {} {}{change}", local_stamp(e.at), e.actor, e.action),
                theme::dim(),
            ));
        }
    }
    lines
}
