//! The Reassign modal, drawn over whatever is beneath it: the query with its cursor, the ranked
//! staff and groups with anyone away marked in amber, the optional note, and the warning that
//! asks for a second Enter before a task goes to someone away.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::tui::picker::{PickerEntry, PickerField, PickerState, away_label};
use crate::tui::theme;

/// Room for about a dozen names and a two-line warning, inside the 80×24 minimum screen.
const WIDTH: u16 = 60;
const HEIGHT: u16 = 18;
/// Names and roles longer than this are cut so the "away until" column stays on screen.
const NAME_MAX: usize = 24;
const DETAIL_MAX: usize = 18;
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
    frame.render_widget(
        Paragraph::new(field_line(
            "To:   ",
            picker.query(),
            focus == PickerField::Query,
            "",
        )),
        query_area,
    );
    draw_list(frame, list_area, picker);
    frame.render_widget(
        Paragraph::new(field_line(
            "Note: ",
            picker.note(),
            focus == PickerField::Note,
            "optional, Tab to write one",
        )),
        note_area,
    );
    if let Some(w) = warning {
        let style = Style::new()
            .fg(theme::DUE_SOON)
            .add_modifier(Modifier::BOLD);
        frame.render_widget(
            Paragraph::new(Span::styled(w, style)).wrap(Wrap { trim: true }),
            warning_area,
        );
    }
    let hint = Line::from(vec![
        Span::styled("Enter", theme::label()),
        Span::raw(" assign · "),
        Span::styled("Tab", theme::label()),
        Span::raw(" note · "),
        Span::styled("Esc", theme::label()),
        Span::raw(" cancel"),
    ]);
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

/// Lines a word-wrapped message needs at this width; one spare for words that do not pack.
fn wrapped_height(text: &str, width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let lines = text.width().div_ceil(width) + 1;
    u16::try_from(lines).unwrap_or(u16::MAX)
}

/// "To:   jo█": the label, what has been typed, and the cursor when this field has the keys.
fn field_line<'a>(label: &'a str, text: &'a str, focused: bool, placeholder: &'a str) -> Line<'a> {
    let mut spans = vec![Span::styled(label, theme::label()), Span::raw(text)];
    if focused {
        spans.push(Span::raw(CURSOR));
    } else if text.is_empty() {
        spans.push(Span::styled(placeholder, theme::dim()));
    }
    Line::from(spans)
}

fn draw_list(frame: &mut Frame, area: Rect, picker: &PickerState) {
    if picker.matches().len() == 0 {
        let text = format!("No one matches \"{}\".", picker.query());
        frame.render_widget(Paragraph::new(Span::styled(text, theme::dim())), area);
        return;
    }
    let name_width = column_width(picker.matches().map(|e| e.name.as_str()), NAME_MAX);
    let detail_width = column_width(picker.matches().map(|e| e.detail.as_str()), DETAIL_MAX);
    let items: Vec<ListItem> = picker
        .matches()
        .map(|e| ListItem::new(row(e, name_width, detail_width)))
        .collect();
    let list = List::new(items)
        .highlight_style(theme::selected())
        .highlight_symbol("> ");
    // Built afresh each frame, so the list scrolls only as far as needed to show the cursor.
    let mut list_state = ListState::default().with_selected(Some(picker.cursor()));
    frame.render_stateful_widget(list, area, &mut list_state);
}

fn column_width<'a>(cells: impl Iterator<Item = &'a str>, max: usize) -> usize {
    cells
        .map(UnicodeWidthStr::width)
        .max()
        .unwrap_or(0)
        .min(max)
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

/// `text` cut or padded to exactly `width` columns, with "…" where it was cut.
fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return format!("{text}{}", " ".repeat(width - text.width()));
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    used += 1;
    out.push_str(&" ".repeat(width.saturating_sub(used)));
    out
}
