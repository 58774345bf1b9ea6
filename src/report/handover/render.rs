//! The handover report as Markdown, as one self-contained printable HTML page (inline CSS, no
//! external assets, so it prints the same from a USB stick as from the practice drive), and as
//! stable JSON. Every text that came from a sender is escaped for the format it lands in: a
//! subject is data, never markup, and terminal controls and bidi controls in it are shown as
//! visible escapes (`terminal_text`), whether the report is read in a terminal or a browser.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::{AwayHolder, HandoverReport, HolderKind, SinceFrom, TaskLine};
use crate::report::text::local_stamp;
use crate::terminal_text;

/// Section headings, shared by both human formats so they never drift apart.
const H_OVERDUE: &str = "Overdue unactioned tasks";
const H_UNACTIONED: &str = "All unactioned tasks";
const H_AWAY: &str = "Tasks held by staff who are away";
const H_CONFLICTS: &str = "Sync conflicts";
const H_ACTIONS: &str = "Actions this shift";
const H_SIGN_OFF: &str = "Last sign-off";

fn since_words(r: &HandoverReport) -> String {
    let from = match r.since_from {
        SinceFrom::Given => "as asked",
        SinceFrom::LastSignOff => "the last sign-off",
        SinceFrom::Default => "no sign-off yet: the last 12 hours",
    };
    format!("{} ({from})", local_stamp(r.since))
}

fn holder_words(h: &AwayHolder) -> String {
    let kind = match h.kind {
        HolderKind::Staff => "",
        HolderKind::Group => " (group: every member away)",
    };
    format!(
        "{} — {}{kind}, away until {} ({})",
        h.id,
        h.name,
        h.until.format("%a %d %b %Y"),
        h.reason
    )
}

fn stamp(at: DateTime<Utc>) -> String {
    local_stamp(at)
}

// ---------------------------------------------------------------------------------------------
// Markdown

/// Escapes what Markdown would read as markup, and keeps a cell on one line.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if terminal_text::is_steering(c) => terminal_text::push_visible(&mut out, c),
            _ => out.push(c),
        }
    }
    out
}

fn md_tasks(out: &mut String, tasks: &[TaskLine]) {
    if tasks.is_empty() {
        return;
    }
    out.push_str("\n| ID | Patient | Priority | Provider | Subject | Owner | Age |\n");
    out.push_str("|---:|---|---|---|---|---|---|\n");
    for t in tasks {
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            t.id,
            md(&t.patient_initials),
            t.priority,
            md(&t.provider),
            md(&t.subject),
            md(t.owner.as_deref().unwrap_or("-")),
            md(&t.age)
        );
    }
}

pub fn to_markdown(r: &HandoverReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Shift handover — {}\n", md(&r.practice));
    let _ = writeln!(
        o,
        "Generated {}. Actions counted since {}.\n",
        stamp(r.generated_at),
        since_words(r)
    );
    if let Some(w) = &r.stale_warning {
        let _ = writeln!(o, "> **⚠ STALE MIRROR: {}**\n", md(w));
    }
    let _ = writeln!(o, "**Sync:** {}\n", md(&r.sync.summary));

    let _ = writeln!(o, "## {H_OVERDUE}\n\n**{}**", md(&r.overdue_summary));
    md_tasks(&mut o, &r.overdue.tasks);

    let _ = writeln!(
        o,
        "\n## {H_UNACTIONED}\n\n{} unactioned.",
        r.unactioned.count
    );
    if let Some(t) = &r.unactioned.oldest {
        let _ = writeln!(
            o,
            "Oldest: task {} ({}), received {}, {} of working time ago.",
            t.id,
            md(&t.provider),
            stamp(t.received_at),
            md(&t.age)
        );
    }

    let _ = writeln!(o, "\n## {H_AWAY}\n\n{} open tasks.", r.held_by_away.count);
    if r.held_by_away.holders.is_empty() {
        o.push_str("Nobody is recorded as away today.\n");
    }
    for h in &r.held_by_away.holders {
        let _ = writeln!(
            o,
            "\n### {}\n\n{} open tasks.",
            md(&holder_words(h)),
            h.tasks.len()
        );
        md_tasks(&mut o, &h.tasks);
    }

    let _ = writeln!(
        o,
        "\n## {H_CONFLICTS}\n\n{} tasks in conflict.",
        r.conflicts.count
    );
    md_tasks(&mut o, &r.conflicts.tasks);

    let _ = writeln!(o, "\n## {H_ACTIONS}\n");
    if r.actions.is_empty() {
        o.push_str("No actions recorded since then.\n");
    }
    for a in &r.actions {
        let _ = writeln!(
            o,
            "- {}: {} × {} ({} tasks)",
            md(&a.actor),
            md(&a.action),
            a.events,
            a.tasks
        );
    }

    let _ = writeln!(o, "\n## {H_SIGN_OFF}\n");
    match &r.last_sign_off {
        Some(s) => {
            let _ = writeln!(o, "{} by {}: {}", stamp(s.at), md(&s.by), md(&s.detail));
        }
        None => o.push_str("No sign-off recorded yet.\n"),
    }
    o
}

// ---------------------------------------------------------------------------------------------
// HTML

/// Escapes text for HTML element content and quoted attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if terminal_text::is_steering(c) => terminal_text::push_visible(&mut out, c),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
body{font-family:system-ui,sans-serif;margin:2em;color:#111;font-size:11pt}\
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.5em;\
border-bottom:1px solid #999}h3{font-size:1em}\
table{border-collapse:collapse;width:100%;margin:.5em 0}\
th,td{border:1px solid #bbb;padding:.2em .4em;text-align:left;vertical-align:top}\
th{background:#eee}td.num{text-align:right}\
.stale{color:#fff;background:#b00020;padding:.5em;font-weight:bold}\
.overdue{color:#b00020;font-weight:bold}.meta{color:#444}\
@media print{body{margin:0;font-size:10pt}\
.stale{color:#b00020;background:none;border:2px solid #b00020}\
tr{page-break-inside:avoid}h2{page-break-after:avoid}\
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

fn html_tasks(o: &mut String, tasks: &[TaskLine]) {
    if tasks.is_empty() {
        return;
    }
    o.push_str(
        "<table><thead><tr><th>ID</th><th>Patient</th><th>Priority</th><th>Provider</th>\
         <th>Subject</th><th>Owner</th><th>Age</th></tr></thead><tbody>\n",
    );
    for t in tasks {
        let _ = writeln!(
            o,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>",
            t.id,
            esc(&t.patient_initials),
            t.priority,
            esc(&t.provider),
            esc(&t.subject),
            esc(t.owner.as_deref().unwrap_or("-")),
            esc(&t.age)
        );
    }
    o.push_str("</tbody></table>\n");
}

pub fn to_html(r: &HandoverReport) -> String {
    let mut o = String::new();
    let title = format!("Shift handover — {}", r.practice);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n\
         <p class=\"meta\">Generated {}. Actions counted since {}.</p>\n",
        esc(&title),
        esc(&title),
        esc(&stamp(r.generated_at)),
        esc(&since_words(r))
    );
    if let Some(w) = &r.stale_warning {
        let _ = writeln!(o, "<p class=\"stale\">⚠ STALE MIRROR: {}</p>", esc(w));
    }
    let _ = writeln!(o, "<p><strong>Sync:</strong> {}</p>", esc(&r.sync.summary));

    let class = if r.overdue.count > 0 || r.sync.stale {
        " class=\"overdue\""
    } else {
        ""
    };
    let _ = writeln!(
        o,
        "<h2>{H_OVERDUE}</h2>\n<p{class}>{}</p>",
        esc(&r.overdue_summary)
    );
    html_tasks(&mut o, &r.overdue.tasks);

    let _ = writeln!(
        o,
        "<h2>{H_UNACTIONED}</h2>\n<p>{} unactioned.</p>",
        r.unactioned.count
    );
    if let Some(t) = &r.unactioned.oldest {
        let _ = writeln!(
            o,
            "<p>Oldest: task {} ({}), received {}, {} of working time ago.</p>",
            t.id,
            esc(&t.provider),
            esc(&stamp(t.received_at)),
            esc(&t.age)
        );
    }

    html_away(&mut o, r);

    let _ = writeln!(
        o,
        "<h2>{H_CONFLICTS}</h2>\n<p>{} tasks in conflict.</p>",
        r.conflicts.count
    );
    html_tasks(&mut o, &r.conflicts.tasks);

    html_actions_and_sign_off(&mut o, r);
    o.push_str("</body></html>\n");
    o
}

fn html_away(o: &mut String, r: &HandoverReport) {
    let _ = writeln!(
        o,
        "<h2>{H_AWAY}</h2>\n<p>{} open tasks.</p>",
        r.held_by_away.count
    );
    if r.held_by_away.holders.is_empty() {
        o.push_str("<p>Nobody is recorded as away today.</p>\n");
    }
    for h in &r.held_by_away.holders {
        let _ = writeln!(
            o,
            "<h3>{}</h3>\n<p>{} open tasks.</p>",
            esc(&holder_words(h)),
            h.tasks.len()
        );
        html_tasks(o, &h.tasks);
    }
}

fn html_actions_and_sign_off(o: &mut String, r: &HandoverReport) {
    let _ = writeln!(o, "<h2>{H_ACTIONS}</h2>");
    if r.actions.is_empty() {
        o.push_str("<p>No actions recorded since then.</p>\n");
    } else {
        o.push_str(
            "<table><thead><tr><th>Who</th><th>Action</th><th>Events</th><th>Tasks</th>\
             </tr></thead><tbody>\n",
        );
        for a in &r.actions {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&a.actor),
                esc(&a.action),
                a.events,
                a.tasks
            );
        }
        o.push_str("</tbody></table>\n");
    }
    let _ = writeln!(o, "<h2>{H_SIGN_OFF}</h2>");
    match &r.last_sign_off {
        Some(s) => {
            let _ = writeln!(
                o,
                "<p>{} by {}: {}</p>",
                esc(&stamp(s.at)),
                esc(&s.by),
                esc(&s.detail)
            );
        }
        None => o.push_str("<p>No sign-off recorded yet.</p>\n"),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

/// The report's stable JSON (documented in the README): the `HandoverReport` fields as named.
pub fn to_json(r: &HandoverReport) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(r)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::{esc, md};

    #[test]
    fn sender_text_is_data_in_both_formats() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(
            md("a|b <i>*x*</i>\nnext"),
            "a\\|b &lt;i&gt;\\*x\\*&lt;/i&gt; next"
        );
    }
}
