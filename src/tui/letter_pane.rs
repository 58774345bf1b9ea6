//! The Letter pane's state and keys: which template is chosen, the rendering the loop sent back
//! for it (or the error that refused it), the user's edit of that text, and the refusals shown on
//! the pane when a letter cannot be copied or sent. Pure like `update`: the pane never renders a
//! template itself; it asks for one with [`LetterOutcome::RenderTemplate`] and is told the result
//! with [`LetterPaneState::set_rendered`]. `ui::letter` draws it.

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::style::Style;
use ratatui_textarea::{TextArea, WrapMode};

/// What a key press in the letter pane means for whoever opened it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LetterOutcome {
    /// Still in the pane: redraw and wait for the next key.
    Stay,
    Close,
    /// The user chose another template: render it for the task and call `set_rendered`.
    RenderTemplate(String),
    /// Copy this text (the letter as shown, edits included) to the clipboard.
    Copy(String),
    /// Reject the task(s) with this letter; `body` includes the user's edits.
    Reject {
        template: String,
        body: String,
    },
}

/// Whether the keys go to the pane (preview) or to the text editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterMode {
    Preview,
    Edit,
}

/// What the body of the pane shows for the selected template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterBody<'a> {
    /// Asked for, not back yet.
    Rendering,
    /// The letter as it would be sent: the rendering, or the user's edit of it.
    Text(&'a str),
    /// The template was refused; the message names the variable and the config key to set.
    Error(&'a str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rendering {
    Pending,
    Ready(String),
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct LetterPaneState {
    templates: Vec<String>,
    selected: usize,
    rendering: Rendering,
    task_count: usize,
    recipient: String,
    mode: LetterMode,
    /// Created from the rendering on the first `e`, then kept until the template changes, so an
    /// edit survives going back to the preview to read it through. Boxed: the editor is large
    /// and the pane lives inline in the app's modal enum.
    editor: Option<Box<TextArea<'static>>>,
    /// The edited text, kept in step with the editor so the preview can borrow it.
    edited: Option<String>,
    /// First preview line shown.
    scroll: u16,
    /// Set by drawing, which alone knows the width the letter wraps to: how far the preview can
    /// scroll and how many lines a page is. Read back by the keys so `k` moves at once after
    /// many `j`s at the bottom. `u16::MAX` and 0 until the first draw.
    max_scroll: Cell<u16>,
    page: Cell<u16>,
    /// Why the last key did nothing (a refusal), until the next key.
    notice: Option<String>,
}

impl LetterPaneState {
    /// Opens the pane on `templates[selected]` with its rendering already in hand: the letter
    /// text, or the error message naming the variable and the config key that fills it.
    /// `recipient` is the sender organisation and team, shown so a wrong recipient is seen
    /// before the letter goes.
    pub fn new(
        templates: Vec<String>,
        selected: usize,
        rendered: Result<String, String>,
        task_count: usize,
        recipient: String,
    ) -> Self {
        let mut pane = Self::waiting_for_render(templates, selected, task_count, recipient);
        pane.rendering = rendering_from(rendered);
        pane
    }

    /// Opens the pane while the first rendering is still being produced: it shows "Rendering…"
    /// and refuses to copy, edit or reject until `set_rendered` brings the letter.
    pub fn waiting_for_render(
        templates: Vec<String>,
        selected: usize,
        task_count: usize,
        recipient: String,
    ) -> Self {
        let selected = selected.min(templates.len().saturating_sub(1));
        LetterPaneState {
            templates,
            selected,
            rendering: Rendering::Pending,
            task_count,
            recipient,
            mode: LetterMode::Preview,
            editor: None,
            edited: None,
            scroll: 0,
            max_scroll: Cell::new(u16::MAX),
            page: Cell::new(0),
            notice: None,
        }
    }

    /// A rendering came back. One for a template the user has since moved away from is
    /// dropped: showing it under another template's name would send the wrong letter.
    pub fn set_rendered(&mut self, template: &str, rendered: Result<String, String>) {
        if self.selected_template() != Some(template) {
            return;
        }
        self.rendering = rendering_from(rendered);
        // An unchanged editor only mirrors the old text, so it follows the new one; a real edit
        // is the user's work and stays.
        if self.edited.is_none() {
            self.editor = None;
            if self.mode == LetterMode::Edit {
                self.mode = LetterMode::Preview;
                self.start_editing();
            }
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> LetterOutcome {
        if key.kind == KeyEventKind::Release {
            return LetterOutcome::Stay;
        }
        self.notice = None;
        match self.mode {
            LetterMode::Preview => self.preview_key(key),
            LetterMode::Edit => {
                self.edit_key(key);
                LetterOutcome::Stay
            }
        }
    }

    pub fn templates(&self) -> &[String] {
        &self.templates
    }

    /// Index of the chosen template in `templates()`.
    pub fn selected(&self) -> usize {
        self.selected
    }

    pub fn selected_template(&self) -> Option<&str> {
        self.templates.get(self.selected).map(String::as_str)
    }

    pub fn recipient(&self) -> &str {
        &self.recipient
    }

    pub fn task_count(&self) -> usize {
        self.task_count
    }

    pub fn mode(&self) -> LetterMode {
        self.mode
    }

    /// The text the pane shows, copies and sends.
    pub fn body(&self) -> LetterBody<'_> {
        if let Some(edited) = &self.edited {
            return LetterBody::Text(edited);
        }
        match &self.rendering {
            Rendering::Pending => LetterBody::Rendering,
            Rendering::Ready(text) => LetterBody::Text(text),
            Rendering::Failed(message) => LetterBody::Error(message),
        }
    }

    /// True once the user has changed the rendered text.
    pub fn is_edited(&self) -> bool {
        self.edited.is_some()
    }

    /// The editor, while it holds the text (drawn in edit mode).
    pub fn editor(&self) -> Option<&TextArea<'static>> {
        self.editor.as_deref()
    }

    /// The first preview line on screen.
    pub fn scroll(&self) -> u16 {
        self.scroll.min(self.max_scroll.get())
    }

    /// Called by drawing with the preview's wrapped length and height, so scrolling stops at
    /// the end of the letter and a page is a screenful.
    pub fn record_viewport(&self, wrapped_lines: u16, height: u16) {
        self.max_scroll.set(wrapped_lines.saturating_sub(height));
        self.page.set(height);
    }

    /// Why the last key was refused, shown on the pane until the next key.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    fn preview_key(&mut self, key: KeyEvent) -> LetterOutcome {
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return LetterOutcome::Stay;
        }
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => return LetterOutcome::Close,
            KeyCode::Left | KeyCode::Char('h' | '[') => return self.cycle_template(-1),
            KeyCode::Right | KeyCode::Char('l' | ']') => return self.cycle_template(1),
            KeyCode::Char('e') => self.start_editing(),
            KeyCode::Char('y') => return self.copy(),
            KeyCode::Char('r') => return self.reject(),
            KeyCode::Down | KeyCode::Char('j') => self.scroll_by(1),
            KeyCode::Up | KeyCode::Char('k') => self.scroll_by(-1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll_by(self.page_step()),
            KeyCode::PageUp => self.scroll_by(-self.page_step()),
            KeyCode::Home | KeyCode::Char('g') => self.scroll = 0,
            KeyCode::End | KeyCode::Char('G') => self.scroll = self.max_scroll.get(),
            _ => {}
        }
        LetterOutcome::Stay
    }

    fn edit_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => self.mode = LetterMode::Preview,
            KeyCode::Char('s') if ctrl => self.mode = LetterMode::Preview,
            _ => {
                if let Some(editor) = self.editor.as_mut()
                    && editor.input(key)
                {
                    self.edited = edited_text(editor, &self.rendering);
                }
            }
        }
    }

    fn cycle_template(&mut self, by: isize) -> LetterOutcome {
        let count = self.templates.len();
        if count < 2 {
            return LetterOutcome::Stay;
        }
        let next = self.selected.cast_signed() + by;
        self.selected = next.rem_euclid(count.cast_signed()).cast_unsigned();
        // The edit was of the old template's text; carrying it over would send one letter
        // under another's name.
        self.rendering = Rendering::Pending;
        self.editor = None;
        self.edited = None;
        self.scroll = 0;
        self.max_scroll.set(u16::MAX);
        LetterOutcome::RenderTemplate(self.templates[self.selected].clone())
    }

    fn start_editing(&mut self) {
        if self.editor.is_none() {
            let Some(text) = self.usable_text() else {
                return;
            };
            self.editor = Some(Box::new(editor_for(text)));
        }
        self.mode = LetterMode::Edit;
    }

    fn copy(&mut self) -> LetterOutcome {
        match self.usable_text() {
            Some(text) => LetterOutcome::Copy(text.to_owned()),
            None => LetterOutcome::Stay,
        }
    }

    fn reject(&mut self) -> LetterOutcome {
        let Some(body) = self.usable_text() else {
            return LetterOutcome::Stay;
        };
        if body.trim().is_empty() {
            self.notice = Some(
                "The letter is blank: write it (e) or switch template (←/→) before rejecting."
                    .into(),
            );
            return LetterOutcome::Stay;
        }
        let body = body.to_owned();
        let template = self.templates[self.selected].clone();
        LetterOutcome::Reject { template, body }
    }

    /// The letter text when there is one to copy, edit or send; otherwise sets the notice that
    /// says why not.
    fn usable_text(&mut self) -> Option<&str> {
        let refusal = match self.body() {
            LetterBody::Text(_) => None,
            LetterBody::Rendering => {
                Some("The letter is still being rendered: try again in a moment.".to_owned())
            }
            LetterBody::Error(_) => Some(
                "This letter cannot be produced until the error above is fixed; no letter was \
                 copied or sent."
                    .to_owned(),
            ),
        };
        if refusal.is_some() {
            self.notice = refusal;
            return None;
        }
        match self.body() {
            LetterBody::Text(text) => Some(text),
            LetterBody::Rendering | LetterBody::Error(_) => None,
        }
    }

    fn page_step(&self) -> i32 {
        i32::from(self.page.get().saturating_sub(1).max(1))
    }

    fn scroll_by(&mut self, by: i32) {
        let from = i32::from(self.scroll());
        let to = (from + by).clamp(0, i32::from(self.max_scroll.get()));
        self.scroll = u16::try_from(to).unwrap_or(0);
    }
}

fn rendering_from(rendered: Result<String, String>) -> Rendering {
    match rendered {
        Ok(text) => Rendering::Ready(text),
        Err(message) => Rendering::Failed(message),
    }
}

/// A text editor holding `text`, wrapping at words as the preview does: a letter's paragraphs
/// are single long lines.
fn editor_for(text: &str) -> TextArea<'static> {
    let mut editor = TextArea::new(text.lines().map(str::to_owned).collect());
    editor.set_wrap_mode(WrapMode::Word);
    // The default underline on the cursor's line reads as part of the letter.
    editor.set_cursor_line_style(Style::new());
    editor
}

/// The editor's text, or `None` while it still says what the rendering says, so an editor
/// opened and left alone sends the rendering byte for byte.
fn edited_text(editor: &TextArea<'_>, rendering: &Rendering) -> Option<String> {
    let original = match rendering {
        Rendering::Ready(text) => text.as_str(),
        Rendering::Pending | Rendering::Failed(_) => "",
    };
    if editor
        .lines()
        .iter()
        .map(String::as_str)
        .eq(original.lines())
    {
        return None;
    }
    let mut text = editor.lines().join("\n");
    // Keep the letter's final newline, which a line editor has no place to show.
    if original.ends_with('\n') {
        text.push('\n');
    }
    Some(text)
}
