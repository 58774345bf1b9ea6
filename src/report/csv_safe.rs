//! Spreadsheet-safe CSV. A cell that a spreadsheet reads as a formula runs when the export is
//! opened: a subject of `=HYPERLINK("http://…","click")` becomes a live link, and worse. As the
//! OWASP guidance on CSV injection recommends, every text cell that begins with `=`, `+`, `-`,
//! `@`, a tab or a carriage return is written with a single quote in front, which spreadsheets
//! read as "this is text". The rule is per column, not per value: cells taskgate writes itself
//! from numbers (ids, counts, minutes, rates), dates and its own fixed words (status, priority)
//! are written as they are, so a number stays a number, a negative one included; every cell
//! that holds text from outside (subject, provider, sender, names, ids from the source, owner,
//! explanations that quote them) goes through [`text`]. Every CSV writer starts from [`writer`],
//! which also shows terminal steering characters as escapes (see `terminal_text`), since a CSV
//! printed without a redirect lands on a terminal.

use std::borrow::Cow;
use std::io::Write;

use crate::terminal_text::Escaping;

/// A text cell a spreadsheet will not read as a formula.
pub fn text(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The same for an owned cell (most rows are built from owned strings).
pub fn owned(cell: String) -> String {
    match text(&cell) {
        Cow::Borrowed(_) => cell,
        Cow::Owned(safe) => safe,
    }
}

/// A CSV writer whose output shows terminal steering characters as escapes.
pub fn writer<W: Write>(out: W) -> csv::Writer<Escaping<W>> {
    csv::Writer::from_writer(Escaping::new(out))
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn formulas_become_text_and_plain_text_is_untouched() {
        for formula in ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(text(formula), format!("'{formula}"));
        }
        for plain in ["Dr Smith", "", "1-2", "a=b", "'quoted", " =1"] {
            assert_eq!(text(plain), plain);
        }
    }
}
