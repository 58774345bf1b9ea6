//! Colours and styles in one place, so that "red means overdue" is decided once.

use ratatui::style::{Color, Modifier, Style};

pub const OVERDUE: Color = Color::Red;
/// Amber: ratatui's named yellow renders as amber on most terminal palettes.
pub const DUE_SOON: Color = Color::Yellow;

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
