//! The Letter modal, drawn over most of the screen: the task letters as tabs with the chosen one
//! highlighted, who the letter goes to, the letter itself (a scrolling preview, or the editor),
//! an error in the error style when the template was refused, the pane's latest refusal, and the
//! keys. Drawing only: the preview's wrapped length is the one thing it reports back, through
//! `record_viewport`, so that scrolling stops at the end of the letter.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Padding, Paragraph, Tabs, Wrap};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::tui::letter_pane::{LetterBody, LetterMode, LetterPaneState};
use crate::tui::theme;

/// The modal takes this share of each side of the screen: a letter wants room.
const SHARE_PERCENT: u16 = 90;

pub fn draw(frame: &mut Frame, area: Rect, pane: &LetterPaneState) {
    let modal = centred_share(area, SHARE_PERCENT);
    if modal.is_empty() {
        return;
    }
    frame.render_widget(Clear, modal);
    let title = match pane.mode() {
        LetterMode::Preview => " Letter ",
        LetterMode::Edit => " Letter — editing ",
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .title(title)
        .title_style(theme::column_title())
        .padding(Padding::horizontal(1));
    let inner = block.inner(modal);
    frame.render_widget(block, modal);
    if inner.is_empty() {
        return;
    }

    let hint = hint(pane);
    let hint_height = wrapped_height(&line_text(&hint), inner.width);
    let notice_height = pane.notice().map_or(0, |n| wrapped_height(n, inner.width));
    let [tabs_area, header_area, body_area, notice_area, hint_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(notice_height),
        Constraint::Length(hint_height),
    ])
    .areas(inner);

    draw_tabs(frame, tabs_area, pane.templates(), pane.selected());
    frame.render_widget(Paragraph::new(header(pane)), header_area);
    draw_body(frame, body_area, pane);
    if let Some(notice) = pane.notice() {
        frame.render_widget(
            Paragraph::new(Span::styled(notice, theme::error())).wrap(Wrap { trim: true }),
            notice_area,
        );
    }
    frame.render_widget(Paragraph::new(hint).wrap(Wrap { trim: true }), hint_area);
}

/// "To: Ward 7 discharge team, Hull Royal Infirmary · 1 task", and whether the text is edited.
fn header(pane: &LetterPaneState) -> Line<'_> {
    let count = pane.task_count();
    let tasks = if count == 1 {
        "1 task".to_owned()
    } else {
        format!("{count} tasks")
    };
    let mut spans = vec![
        Span::styled("To: ", theme::label()),
        Span::styled(pane.recipient(), Style::new().add_modifier(Modifier::BOLD)),
        Span::raw(format!(" · {tasks}")),
    ];
    if pane.is_edited() {
        spans.push(Span::styled(" · edited", Style::new().fg(theme::DUE_SOON)));
    }
    Line::from(spans)
}

fn draw_body(frame: &mut Frame, area: Rect, pane: &LetterPaneState) {
    // A rule between the address lines and the letter.
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme::dim());
    let inner = block.inner(area);
    if pane.mode() == LetterMode::Edit
        && let Some(editor) = pane.editor()
    {
        frame.render_widget(block, area);
        frame.render_widget(editor, inner);
        return;
    }
    let lines: Vec<Line> = match pane.body() {
        LetterBody::Rendering => vec![Line::styled("Rendering the letter…", theme::dim())],
        LetterBody::Text(text) => wrap(text, inner.width).into_iter().map(Line::raw).collect(),
        LetterBody::Error(message) => {
            let template = pane.selected_template().unwrap_or("this");
            let mut lines = vec![
                Line::styled(
                    format!("The {template} letter cannot be produced:"),
                    theme::error().add_modifier(Modifier::BOLD),
                ),
                Line::raw(""),
            ];
            lines.extend(
                wrap(message, inner.width)
                    .into_iter()
                    .map(|l| Line::styled(l, theme::error())),
            );
            lines
        }
    };
    let total = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    frame.render_widget(block, area);
    // A letter longer than the pane gets a last row saying where the reader is, taken from
    // the letter's own height.
    let overflows = total > inner.height;
    let [text_area, position_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(u16::from(overflows))])
            .areas(inner);
    pane.record_viewport(total, text_area.height);
    let scroll = pane.scroll();
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), text_area);
    if overflows {
        let last = total.min(scroll.saturating_add(text_area.height));
        let position = format!("lines {}–{last} of {total}", scroll + 1);
        frame.render_widget(
            Paragraph::new(Line::styled(position, theme::dim()).right_aligned()),
            position_area,
        );
    }
}

/// The keys for the mode the pane is in, drawn like the picker's: key in the label colour,
/// then what it does.
fn hint(pane: &LetterPaneState) -> Line<'static> {
    let has_letter = matches!(pane.body(), LetterBody::Text(_));
    let keys: &[(&str, &str)] = match pane.mode() {
        // Nothing to scroll, edit, copy or send: only the ways out are offered.
        LetterMode::Preview if !has_letter => &[("←/→", "template"), ("Esc", "close")],
        LetterMode::Preview if pane.is_edited() => &[
            ("←/→", "template (discards your edit)"),
            ("j/k", "scroll"),
            ("e", "edit"),
            ("y", "copy"),
            ("r", "reject with this letter"),
            ("Esc", "close"),
        ],
        LetterMode::Preview => &[
            ("←/→", "template"),
            ("j/k", "scroll"),
            ("e", "edit"),
            ("y", "copy"),
            ("r", "reject with this letter"),
            ("Esc", "close"),
        ],
        LetterMode::Edit => &[("Esc/Ctrl-s", "done editing"), ("Ctrl-u", "undo")],
    };
    let mut spans = Vec::new();
    for (i, (key, what)) in keys.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" · "));
        }
        spans.push(Span::styled(*key, theme::label()));
        spans.push(Span::raw(format!(" {what}")));
    }
    if pane.mode() == LetterMode::Edit {
        // Said here, before the user leaves the editor, because ←/→ in the preview is where
        // the edit would be lost.
        spans.push(Span::styled(
            " · switching template discards edits",
            theme::dim(),
        ));
    }
    Line::from(spans)
}

fn line_text(line: &Line) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}

/// A rectangle `percent` of `area` on each side, in its middle.
fn centred_share(area: Rect, percent: u16) -> Rect {
    let width = u16::try_from(u32::from(area.width) * u32::from(percent) / 100).unwrap_or(0);
    let height = u16::try_from(u32::from(area.height) * u32::from(percent) / 100).unwrap_or(0);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// Lines a word-wrapped message needs at this width.
fn wrapped_height(text: &str, width: u16) -> u16 {
    u16::try_from(wrap(text, width).len()).unwrap_or(u16::MAX)
}

/// `text` broken into screen lines of at most `width` columns, at spaces where it can be and
/// inside a word only when the word alone is wider. Wrapped here rather than by `Paragraph` so
/// the preview knows its own length and can stop scrolling at the last line.
fn wrap(text: &str, width: u16) -> Vec<String> {
    let width = usize::from(width.max(1));
    let mut out = Vec::new();
    for line in text.lines() {
        if line.width() <= width {
            out.push(line.to_owned());
            continue;
        }
        let mut current = String::new();
        let mut used = 0;
        for word in line.split(' ') {
            let word_width = word.width();
            let gap = usize::from(used > 0);
            if used + gap + word_width <= width {
                if gap == 1 {
                    current.push(' ');
                }
                current.push_str(word);
                used += gap + word_width;
                continue;
            }
            if used > 0 {
                out.push(std::mem::take(&mut current));
                used = 0;
            }
            for c in word.chars() {
                let w = c.width().unwrap_or(0);
                if used + w > width && used > 0 {
                    out.push(std::mem::take(&mut current));
                    used = 0;
                }
                current.push(c);
                used += w;
            }
        }
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrapping_breaks_at_spaces_and_splits_only_overlong_words() {
        assert_eq!(
            wrap("Dear Colleague, your task", 10),
            ["Dear", "Colleague,", "your task"]
        );
        assert_eq!(wrap("abcdefghij-klm x", 5), ["abcde", "fghij", "-klm", "x"]);
        assert_eq!(wrap("one\n\ntwo", 10), ["one", "", "two"]);
    }
}

/// The letters as tabs. When they do not all fit, a window of them around the chosen one, with
/// `‹` and `›` where more lie beyond, so the chosen letter's name is never cut.
fn draw_tabs(frame: &mut Frame, area: Rect, names: &[String], selected: usize) {
    let (start, end) = tab_window(names, selected, usize::from(area.width));
    let [before, tabs_area, after] = Layout::horizontal([
        Constraint::Length(if start > 0 { 2 } else { 0 }),
        Constraint::Min(1),
        Constraint::Length(if end < names.len() { 2 } else { 0 }),
    ])
    .areas(area);
    if start > 0 {
        frame.render_widget(Paragraph::new("‹ "), before);
    }
    let tabs = Tabs::new(names[start..end].iter().map(String::as_str))
        .select(selected.saturating_sub(start))
        .highlight_style(theme::selected())
        // Flush with the lines below rather than indented by the default padding.
        .padding("", "")
        .divider(" │ ");
    frame.render_widget(tabs, tabs_area);
    if end < names.len() {
        frame.render_widget(Paragraph::new(" ›"), after);
    }
}

/// The widest run of tabs `start..end` holding `selected` that fits in `width` columns, markers
/// included; it grows to the right first, the order the letters are read in.
fn tab_window(names: &[String], selected: usize, width: usize) -> (usize, usize) {
    if names.is_empty() {
        return (0, 0);
    }
    let selected = selected.min(names.len() - 1);
    let fits = |start: usize, end: usize| {
        let names_width: usize = names[start..end].iter().map(|n| n.chars().count()).sum();
        let markers = if start > 0 { 2 } else { 0 } + if end < names.len() { 2 } else { 0 };
        names_width + 3 * (end - start - 1) + markers <= width
    };
    let (mut start, mut end) = (selected, selected + 1);
    loop {
        if end < names.len() && fits(start, end + 1) {
            end += 1;
        } else if start > 0 && fits(start - 1, end) {
            start -= 1;
        } else {
            return (start, end);
        }
    }
}

#[cfg(test)]
mod tab_tests {
    use super::tab_window;

    fn names() -> Vec<String> {
        [
            "lmc-rejection",
            "immediate-action",
            "provider-responsibility",
            "agreed-route-reminder",
        ]
        .map(str::to_owned)
        .to_vec()
    }

    #[test]
    fn every_tab_shows_when_they_fit_and_a_window_around_the_chosen_one_when_not() {
        assert_eq!(tab_window(&names(), 0, 200), (0, 4));
        // 13 + 3 + 16 + 2 (the › marker) = 34 columns: the first two.
        assert_eq!(tab_window(&names(), 0, 34), (0, 2));
        // The last one chosen: the window moves to hold it, whole.
        let (start, end) = tab_window(&names(), 3, 34);
        assert!(start > 0 && end == 4, "{start}..{end}");
        // Too narrow even for one: the chosen one alone.
        assert_eq!(tab_window(&names(), 2, 5), (2, 3));
    }
}
