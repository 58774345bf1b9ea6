//! The Reassign modal, drawn over whatever is beneath it: the query with its cursor, the ranked
//! staff and groups with anyone away marked in amber, the optional note, and the warning that
//! asks for a second Enter before a task goes to someone away.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::report::text::fit;
use crate::tui::picker::{PickerEntry, PickerField, PickerState, away_label};
use crate::tui::theme;

/// Room for about a dozen names and a two-line warning inside the 80×24 minimum screen, and
/// wide enough for name, role and "away until Fri 27 Nov" on one row.
const WIDTH: u16 = 64;
const HEIGHT: u16 = 18;
/// Names and roles longer than this are cut so the "away until" column stays on screen.
const NAME_MAX: usize = 24;
const DETAIL_MAX: usize = 18;
/// Narrower than this a name is too cut to recognise; the row is clipped at the edge instead.
const NAME_MIN: usize = 8;
const HIGHLIGHT: &str = "> ";
const CURSOR: &str = "█";

pub fn draw(frame: &mut Frame, area: Rect, picker: &PickerState) {
    let modal = centred(area, WIDTH, HEIGHT);
    if modal.is_empty() {
        return;
    }
    frame.render_widget(Clear, modal);
    let block = Block::new()
        .borders(Borders::ALL)
        .title(format!(" {} ", picker.title()))
        .title_style(theme::column_title());
    let inner = block.inner(modal);
    frame.render_widget(block, modal);

    let warning = picker.confirmation();
    let warning_height = warning.map_or(0, |w| wrapped_height(w, inner.width));
    let [query_area, list_area, note_area, warning_area, hint_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(warning_height),
        Constraint::Length(1),
    ])
    .areas(inner);

    let focus = picker.focus();
    let query = field_line(
        "To:   ",
        picker.query(),
        focus == PickerField::Query,
        "type a name",
    );
    frame.render_widget(Paragraph::new(query), query_area);
    draw_list(frame, list_area, picker);
    // A handover has no note: the sign-off records what was handed over.
    if !picker.is_hand_over() {
        let note = field_line(
            "Note: ",
            picker.note(),
            focus == PickerField::Note,
            "optional",
        );
        frame.render_widget(Paragraph::new(note), note_area);
    }
    if let Some(w) = warning {
        let style = Style::new()
            .fg(theme::DUE_SOON)
            .add_modifier(Modifier::BOLD);
        let text = Paragraph::new(Span::styled(w, style)).wrap(Wrap { trim: true });
        frame.render_widget(text, warning_area);
    }
    let hint = if picker.is_hand_over() {
        Line::from(vec![
            Span::styled("Enter", theme::label()),
            Span::raw(" hand over and sign off · "),
            Span::styled("Esc", theme::label()),
            Span::raw(" cancel"),
        ])
    } else {
        Line::from(vec![
            Span::styled("Enter", theme::label()),
            Span::raw(" assign · "),
            Span::styled("Tab", theme::label()),
            Span::raw(" note · "),
            Span::styled("Esc", theme::label()),
            Span::raw(" cancel"),
        ])
    };
    frame.render_widget(Paragraph::new(hint), hint_area);
}

/// A `width`×`height` rectangle in the middle of `area`, shrunk to fit when `area` is smaller.
fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// Lines `text` needs when wrapped greedily at spaces, as `Wrap` does, so the warning gets the
/// room it needs and the list keeps the rest.
fn wrapped_height(text: &str, width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let mut lines = 1;
    let mut used = 0;
    for word in text.split_whitespace() {
        let w = word.width();
        if used > 0 && used + 1 + w <= width {
            used += 1 + w;
            continue;
        }
        if used > 0 {
            lines += 1;
        }
        // A word wider than the line is broken across as many lines as it fills.
        lines += w.saturating_sub(1) / width;
        used = w.saturating_sub(1) % width + 1;
    }
    u16::try_from(lines).unwrap_or(u16::MAX)
}

/// "To:   jo█": the label, what has been typed, the cursor when this field has the keys, and a
/// dim hint while nothing has been typed.
fn field_line<'a>(label: &'a str, text: &'a str, focused: bool, placeholder: &'a str) -> Line<'a> {
    let mut spans = vec![Span::styled(label, theme::label()), Span::raw(text)];
    if focused {
        spans.push(Span::raw(CURSOR));
    }
    if text.is_empty() {
        let gap = if focused { " " } else { "" };
        spans.push(Span::styled(format!("{gap}{placeholder}"), theme::dim()));
    }
    Line::from(spans)
}

fn draw_list(frame: &mut Frame, area: Rect, picker: &PickerState) {
    if picker.matches().len() == 0 {
        let text = format!("No one matches \"{}\".", picker.query());
        frame.render_widget(Paragraph::new(Span::styled(text, theme::dim())), area);
        return;
    }
    let (name_width, detail_width) = column_widths(picker, usize::from(area.width));
    let rows = picker
        .matches()
        .map(|e| ListItem::new(row(e, name_width, detail_width)));
    let list = List::new(rows)
        .highlight_style(theme::selected())
        .highlight_symbol(HIGHLIGHT);
    // Built afresh each frame, so the list scrolls only as far as needed to show the cursor.
    let mut list_state = ListState::default().with_selected(Some(picker.cursor()));
    frame.render_stateful_widget(list, area, &mut list_state);
}

/// Widths of the name and role columns. Whether someone is away matters more than their role,
/// so when a row would not fit, the role is cut first, then the name, to keep "away until" seen.
fn column_widths(picker: &PickerState, width: usize) -> (usize, usize) {
    let widest =
        |cells: &mut dyn Iterator<Item = usize>, max: usize| cells.max().unwrap_or(0).min(max);
    let mut name = widest(&mut picker.matches().map(|e| e.name.width()), NAME_MAX);
    let mut detail = widest(&mut picker.matches().map(|e| e.detail.width()), DETAIL_MAX);
    let away = picker
        .matches()
        .filter_map(|e| away_label(&e.presence))
        .map(|a| a.width())
        .max();
    let Some(away) = away else {
        return (name, detail);
    };
    let room = width.saturating_sub(HIGHLIGHT.width());
    let mut over = (name + 1 + detail + 1 + away).saturating_sub(room);
    let cut = over.min(detail);
    detail -= cut;
    over -= cut;
    name -= over.min(name.saturating_sub(NAME_MIN));
    (name, detail)
}

fn row(entry: &PickerEntry, name_width: usize, detail_width: usize) -> Line<'static> {
    let mut spans = vec![
        Span::raw(format!("{} ", fit(&entry.name, name_width))),
        Span::styled(
            format!("{} ", fit(&entry.detail, detail_width)),
            theme::dim(),
        ),
    ];
    if let Some(away) = away_label(&entry.presence) {
        spans.push(Span::styled(away, Style::new().fg(theme::DUE_SOON)));
    }
    Line::from(spans)
}
