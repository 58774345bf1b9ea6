//! A finished text over the screen (an escalation letter): read it, copy it, close it. It is
//! not stored; the practice manager prints or sends it from wherever it is pasted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::centred;
use crate::tui::state::Document;
use crate::tui::theme;

pub fn draw(frame: &mut Frame, area: Rect, doc: &Document) {
    let rect = centred(area, 90, area.height.saturating_sub(2));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(doc.text.as_str())
            .wrap(Wrap { trim: false })
            .scroll((doc.scroll, 0))
            .block(
                Block::new()
                    .borders(Borders::ALL)
                    .title(format!(" {} ", doc.title))
                    .title_bottom(Line::styled(
                        " j/k scroll · y copy · Esc close ",
                        theme::dim(),
                    )),
            ),
        rect,
    );
}
