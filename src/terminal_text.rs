//! How text from outside reaches a terminal: as data, never as instructions. A task's subject,
//! body, sender team, provider name and patient name are written by people outside the
//! practice; printed as they came, an `ESC ] 0 ;` sequence retitles the terminal, an OSC 52
//! sequence may fill the clipboard, and a right-to-left override shows a number or a dose in an
//! order other than the one stored. Every character that can steer a terminal or reorder what it
//! shows is written instead as a visible escape in Rust's form, `\u{1b}`, `\u{202e}` (lower-case
//! hex, no leading zeros):
//!
//! - C0 controls (U+0000–U+001F), except line feed and tab in text that may span lines, and a
//!   carriage return directly before a line feed (a Windows line end);
//! - DEL (U+007F) and the C1 controls (U+0080–U+009F);
//! - the bidirectional controls U+061C, U+200E, U+200F, U+202A–U+202E and U+2066–U+2069.
//!
//! Everything else, backslashes included, is shown as it is: a subject that spells out
//! `\u{1b}` in plain letters reads the same as one that held the character, which is harmless,
//! since neither reaches the terminal as a control.
//!
//! The command line prints through this module only: `print!`, `println!` and `eprintln!` here shadow the standard ones in each module that imports them, and
//! [`Escaping`] wraps a writer for the table, Markdown, HTML and CSV formats. JSON goes around it,
//! byte for byte (serde already writes every C0 control as `\u00XX`), so programs read exactly what
//! was stored.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Whether `c` can steer a terminal or reorder the text around it (see the module's list);
/// line feed and tab count, since a one-line field must not break or shift a table row.
pub fn is_steering(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// A one-line field (subject, provider, name, a table cell): every steering character escaped,
/// line feeds and tabs too, so a row stays one row.
pub fn line(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Text that may span lines (a body, a note, a letter, a whole report): line feeds, tabs and
/// Windows line ends are kept; every other steering character is escaped.
pub fn block(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, multi_line: bool) -> Cow<'_, str> {
    let keeps = |c: char, next: Option<char>| {
        multi_line && (c == '\n' || c == '\t' || (c == '\r' && next == Some('\n')))
    };
    let mut chars = text.chars().peekable();
    let mut clean = true;
    while let Some(c) = chars.next() {
        if is_steering(c) && !keeps(c, chars.peek().copied()) {
            clean = false;
            break;
        }
    }
    if clean {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if is_steering(c) && !keeps(c, chars.peek().copied()) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Appends `c` as its visible escape, `\u{1b}`: for escapers of other formats (Markdown, HTML)
/// that look at one character at a time.
pub fn push_visible(out: &mut String, c: char) {
    // Writing to a String cannot fail.
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

/// A writer that shows steering characters as escapes ([`block`]'s rule) before they reach
/// `inner`. Bytes may arrive split anywhere: an incomplete character (or a carriage return that
/// may yet be followed by a line feed) waits for the next write; bytes that are not UTF-8 at
/// all are shown as U+FFFD.
pub struct Escaping<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> Escaping<W> {
    pub fn new(inner: W) -> Self {
        Escaping {
            inner,
            pending: Vec::new(),
        }
    }

    fn emit(&mut self, text: &str) -> io::Result<()> {
        self.inner.write_all(block(text).as_bytes())
    }

    /// Writes whatever is still held back (a lone carriage return, a cut-off character).
    fn drain(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let held = std::mem::take(&mut self.pending);
        let text = String::from_utf8_lossy(&held).into_owned();
        self.emit(&text)
    }
}

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        let mut bytes = std::mem::take(&mut self.pending);
        let mut start = 0;
        loop {
            match std::str::from_utf8(&bytes[start..]) {
                Ok(text) => {
                    // A carriage return at the very end may be half of a Windows line end.
                    let (now, later) = match text.strip_suffix('\r') {
                        Some(before) => (before, "\r"),
                        None => (text, ""),
                    };
                    self.emit(now)?;
                    self.pending.extend_from_slice(later.as_bytes());
                    break;
                }
                Err(e) => {
                    let valid = start + e.valid_up_to();
                    let text = std::str::from_utf8(&bytes[start..valid]).unwrap_or_default();
                    self.emit(text)?;
                    match e.error_len() {
                        // Cut off mid-character: the rest comes with the next write.
                        None => {
                            self.pending.extend_from_slice(&bytes[valid..]);
                            break;
                        }
                        Some(n) => {
                            self.inner.write_all("\u{fffd}".as_bytes())?;
                            start = valid + n;
                        }
                    }
                }
            }
        }
        bytes.clear();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // A flush is the end of what the caller has to say for now: nothing may stay held back.
        self.drain()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for Escaping<W> {
    fn drop(&mut self) {
        let _ = self.drain();
        let _ = self.inner.flush();
    }
}

/// `print!` for text a person reads: steering characters shown as escapes.
macro_rules! print {
    ($($arg:tt)*) => {
        ::std::print!("{}", $crate::terminal_text::block(&::std::format!($($arg)*)))
    };
}

/// `println!` for text a person reads: steering characters shown as escapes.
macro_rules! println {
    () => { ::std::println!() };
    ($($arg:tt)*) => {
        ::std::println!("{}", $crate::terminal_text::block(&::std::format!($($arg)*)))
    };
}

/// `eprintln!` for messages a person reads: steering characters shown as escapes.
macro_rules! eprintln {
    () => { ::std::eprintln!() };
    ($($arg:tt)*) => {
        ::std::eprintln!("{}", $crate::terminal_text::block(&::std::format!($($arg)*)))
    };
}

pub(crate) use {eprintln, print, println};

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::{Escaping, block, line};

    #[test]
    fn escapes_what_steers_a_terminal_and_keeps_the_rest() {
        assert_eq!(line("\u{1b}]0;PWNED\u{7}"), "\\u{1b}]0;PWNED\\u{7}");
        assert_eq!(line("10\u{202e}gm 5"), "10\\u{202e}gm 5");
        assert_eq!(line("a\nb\tc"), "a\\u{a}b\\u{9}c");
        assert_eq!(block("a\nb\tc\r\nd\re"), "a\nb\tc\r\nd\\u{d}e");
        assert_eq!(line("\u{85}\u{9b}\u{7f}\0"), "\\u{85}\\u{9b}\\u{7f}\\u{0}");
        assert_eq!(
            line("Zoë – naïve ‘quotes’ 日本"),
            "Zoë – naïve ‘quotes’ 日本"
        );
        assert!(matches!(line("plain"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn the_writer_escapes_across_split_writes() {
        let mut out = Vec::new();
        {
            let mut w = Escaping::new(&mut out);
            let text = "é\u{1b}[2J\r\nok\r".as_bytes();
            // Byte by byte: every character and the Windows line end arrive in pieces.
            for b in text {
                w.write_all(std::slice::from_ref(b)).expect("write");
            }
            w.write_all(b"\xff!").expect("write");
            w.flush().expect("flush");
        }
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "é\\u{1b}[2J\r\nok\\u{d}\u{fffd}!"
        );
    }
}
