//! Colours and styles in one place, so that "red means overdue" is decided once, and the
//! palette the screen is drawn with: the default, high contrast, or no colour at all (`NO_COLOR`,
//! as no-color.org asks). Drawing uses the named colours; `finish` then maps the finished frame
//! to the palette in force, so no screen has to know which one it is.

use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

use crate::config::Theme;

pub const OVERDUE: Color = Color::Red;
/// Amber: ratatui's named yellow renders as amber on most terminal palettes.
pub const DUE_SOON: Color = Color::Yellow;

/// The palette a frame is finished with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Palette {
    Default,
    HighContrast,
    /// No colour at all: states show as bold, reverse video and markers.
    NoColor,
}

impl Palette {
    /// The config's theme, unless the environment asks for no colour (`NO_COLOR` set and not
    /// empty, as no-color.org defines it).
    pub fn choose(theme: Theme, no_color: Option<&str>) -> Palette {
        if no_color.is_some_and(|v| !v.is_empty()) {
            return Palette::NoColor;
        }
        match theme {
            Theme::Default => Palette::Default,
            Theme::HighContrast => Palette::HighContrast,
        }
    }
}

thread_local! {
    /// Per thread, so tests drawing with different palettes side by side do not meet.
    static PALETTE: Cell<Palette> = const { Cell::new(Palette::Default) };
}

/// Sets the palette for frames drawn on this thread from now on.
pub fn set_palette(palette: Palette) {
    PALETTE.with(|p| p.set(palette));
}

pub fn palette() -> Palette {
    PALETTE.with(Cell::get)
}

/// Maps a finished frame to the palette in force. Without colour, a coloured background
/// (header, toasts, errors) becomes reverse video, red and amber text becomes bold, and grey
/// text dim, so the cursor row, warnings and alarms still stand out. With high contrast, grey
/// becomes the terminal's own text colour and the alarms bright and bold.
pub fn finish(buf: &mut Buffer) {
    let palette = palette();
    if palette == Palette::Default {
        return;
    }
    for cell in &mut buf.content {
        match palette {
            Palette::NoColor => {
                let mut m = cell.modifier;
                if cell.bg != Color::Reset && !m.contains(Modifier::REVERSED) {
                    m |= Modifier::REVERSED;
                }
                match cell.fg {
                    OVERDUE | DUE_SOON | Color::Magenta => m |= Modifier::BOLD,
                    Color::DarkGray => m |= Modifier::DIM,
                    _ => {}
                }
                cell.modifier = m;
                cell.fg = Color::Reset;
                cell.bg = Color::Reset;
            }
            Palette::HighContrast => {
                cell.fg = match cell.fg {
                    Color::DarkGray => Color::Reset,
                    OVERDUE => {
                        cell.modifier |= Modifier::BOLD;
                        Color::LightRed
                    }
                    DUE_SOON => {
                        cell.modifier |= Modifier::BOLD;
                        Color::LightYellow
                    }
                    other => other,
                };
            }
            Palette::Default => {}
        }
    }
}

pub fn header() -> Style {
    Style::new().fg(Color::Black).bg(Color::Cyan)
}

pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub fn column_title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn label() -> Style {
    Style::new().fg(Color::Cyan)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn error() -> Style {
    Style::new().fg(Color::White).bg(Color::Red)
}

pub fn toast() -> Style {
    Style::new().fg(Color::Black).bg(Color::Green)
}

pub fn marked() -> Style {
    Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD)
}

pub fn flag() -> Style {
    Style::new().fg(Color::Magenta)
}
