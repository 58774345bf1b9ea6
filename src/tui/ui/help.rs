//! The help screen, generated from the keymap in force: every action with its keys, so the
//! help never disagrees with what the keys do.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::centred;
use crate::tui::keymap::{Action, Keymap};
use crate::tui::theme;

pub fn draw(frame: &mut Frame, area: Rect, keymap: &Keymap, scroll: u16) {
    // Tall enough for every action on a 40-row terminal; shorter ones scroll.
    let rect = centred(area, 78, 34);
    let lines: Vec<Line> = Action::ALL
        .iter()
        .map(|&action| {
            let keys: Vec<String> = keymap
                .keys_for(action)
                .iter()
                .map(ToString::to_string)
                .collect();
            let keys = if keys.is_empty() {
                "(no key)".to_owned()
            } else {
                keys.join(" ")
            };
            Line::from(vec![
                Span::styled(format!("{keys:<16}"), theme::label()),
                Span::raw(action.description()),
            ])
        })
        .collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).scroll((scroll, 0)).block(
            Block::new()
                .borders(Borders::ALL)
                .title(" Help: keys in force ")
                // At the bottom edge, so it shows however far the list is scrolled.
                .title_bottom(Line::styled(
                    " j/k scroll · any other key closes · keys can be changed in [keys] ",
                    theme::dim(),
                )),
        ),
        rect,
    );
}
