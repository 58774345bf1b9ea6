//! The header line: practice, acting user, the counts that matter (overdue in red, due soon in
//! amber) and where the tasks come from.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use chrono::{DateTime, Utc};

use super::ViewContext;
use crate::domain::calendar::PRACTICE_TIME_ZONE;
use crate::tui::state::{AppState, Counts, SyncStatus};
use crate::tui::theme;

/// How much the header may shorten to fit: counts are never cut, their words are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fit {
    Full,
    /// "new" for unactioned, "soon" for due soon.
    ShortWords,
    /// Short words, and the practice's name left out (the acting user stays).
    NoPractice,
}

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, _view: &ViewContext) {
    let base = theme::header();
    let width = usize::from(area.width);
    let spans = [Fit::Full, Fit::ShortWords, Fit::NoPractice]
        .into_iter()
        .map(|fit| spans(state, base, fit))
        // The counts must fit whole; the source's words at the end may be cut at the edge.
        .find(|s| s.iter().rev().skip(1).map(Span::width).sum::<usize>() <= width)
        .unwrap_or_else(|| spans(state, base, Fit::NoPractice));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
}

fn spans(state: &AppState, base: Style, fit: Fit) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    if fit != Fit::NoPractice {
        spans.push(Span::styled(format!(" {} ", state.practice), base));
    }
    spans.push(Span::styled(format!("│ {} │ ", state.acting_user), base));
    match &state.counts {
        Some(c) => spans.extend(count_spans(c, base, fit != Fit::Full)),
        // Zeros would claim an empty inbox with nothing overdue; the count is on its way.
        None => spans.push(Span::styled("counting… ", base)),
    }
    if !state.marked.is_empty() {
        spans.push(Span::styled(
            format!(" │ {} marked", state.marked.len()),
            theme::marked().bg(ratatui::style::Color::Cyan),
        ));
    }
    match &state.sync {
        Some(sync) => spans.push(sync_span(sync, state.now, base)),
        None => spans.push(Span::styled(format!(" │ {}", state.source_label), base)),
    }
    spans
}

/// "syncing…", "synced 3 min ago", "offline since 10:02" (red), and conflicts waiting.
fn sync_span(sync: &SyncStatus, now: DateTime<Utc>, base: Style) -> Span<'static> {
    let conflicts = match sync.conflicts {
        0 => String::new(),
        1 => " · 1 conflict".to_owned(),
        n => format!(" · {n} conflicts"),
    };
    if let Some(since) = sync.offline_since {
        let text = format!(" │ offline since {}{conflicts} ", local_time(since, now));
        return Span::styled(text, theme::error());
    }
    let text = if sync.running {
        "syncing…".to_owned()
    } else if let Some(problem) = &sync.problem {
        problem.clone()
    } else {
        match sync.last_ok {
            Some(at) => format!("synced {}", ago(at, now)),
            None => "not synced yet".to_owned(),
        }
    };
    let style = if sync.conflicts > 0 || (sync.problem.is_some() && !sync.running) {
        Style::new()
            .fg(theme::DUE_SOON)
            .bg(ratatui::style::Color::Black)
    } else {
        base
    };
    Span::styled(format!(" │ {text}{conflicts} "), style)
}

fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - at).num_minutes();
    match minutes {
        ..1 => "just now".to_owned(),
        1..60 => format!("{minutes} min ago"),
        _ => format!("at {}", local_time(at, now)),
    }
}

/// 10:02 today, else "Fri 10:02".
fn local_time(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let at = at.with_timezone(&PRACTICE_TIME_ZONE);
    if at.date_naive() == now.with_timezone(&PRACTICE_TIME_ZONE).date_naive() {
        at.format("%H:%M").to_string()
    } else {
        at.format("%a %H:%M").to_string()
    }
}

/// "N unactioned", then the overdue count (red when any) and the due-soon count (amber).
fn count_spans(c: &Counts, base: Style, short: bool) -> Vec<Span<'static>> {
    let (unactioned, due_soon) = if short {
        ("new", "soon")
    } else {
        ("unactioned", "due soon")
    };
    let alarm = |n: u64, colour| {
        if n > 0 {
            Style::new().fg(colour).bg(ratatui::style::Color::Black)
        } else {
            base
        }
    };
    vec![
        Span::styled(format!("{} {unactioned} ", c.unactioned), base),
        Span::styled(
            format!(" {} overdue ", c.overdue),
            alarm(c.overdue, theme::OVERDUE),
        ),
        Span::styled(
            format!(" {} {due_soon} ", c.due_soon),
            alarm(c.due_soon, theme::DUE_SOON),
        ),
    ]
}
