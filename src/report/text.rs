//! Small helpers for plain-text tables on the command line: fixed-width columns that never split
//! a character and mark what they cut.

use unicode_width::UnicodeWidthChar;

use crate::terminal_text;

/// `text` cut or padded to exactly `width` terminal columns; a cut ends with `…`. Steering
/// characters (terminal controls, line breaks, bidi controls) are shown as escapes first, so a
/// cell stays one cell and its width is the width shown.
pub fn fit(text: &str, width: usize) -> String {
    let text = &*terminal_text::line(text);
    let mut out = String::new();
    let mut used = 0;
    let total: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        out.push_str(text);
        used = total;
    } else if width > 0 {
        for c in text.chars() {
            let w = c.width().unwrap_or(0);
            if used + w + 1 > width {
                break;
            }
            out.push(c);
            used += w;
        }
        out.push('…');
        used += 1;
    }
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

/// A receipt time as staff read it: local (Europe/London) weekday, date and time.
pub fn local_stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::London)
        .format("%a %d %b %Y %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn fits_pads_and_marks_cuts() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("", 2), "  ");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(fit("a\u{1b}b", 9), "a\\u{1b}b ");
    }
}
