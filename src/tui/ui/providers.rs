//! The providers screen: every sender with its last year's figures and its stage on the LMC
//! escalation ladder, and for the one under the cursor a bar chart of tasks received a month,
//! the work it sends by category, and the keys that move the ladder and open the letter.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Bar, BarChart, BarGroup, Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap,
};

use super::ViewContext;
use crate::domain::calendar::format_working_age;
use crate::domain::letter::escalation_letter;
use crate::domain::{Agreement, EscalationStage};
use crate::report::providers::{MonthCount, ProviderFigures, ProvidersOverview};
use crate::report::text::local_stamp;
use crate::terminal_text::line; // bidi and other controls shown, not obeyed
use crate::tui::keymap::Action;
use crate::tui::state::AppState;
use crate::tui::theme;

/// One row per provider above, the selected one's chart and details below.
pub fn draw(
    frame: &mut Frame,
    table_area: Rect,
    detail_area: Rect,
    state: &AppState,
    view: &ViewContext,
) {
    let Some(overview) = &state.providers else {
        let block = Block::new().borders(Borders::ALL).title(" Providers ");
        frame.render_widget(Paragraph::new("Loading…").block(block), table_area);
        return;
    };
    draw_table(frame, table_area, overview, state.provider_selected, view);
    let Some(figures) = overview.providers.get(state.provider_selected) else {
        let block = Block::new().borders(Borders::ALL);
        let text = "No providers yet: senders appear here once the mirror holds their tasks or \
                    the config's [[providers]] registry names them.";
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }).block(block),
            detail_area,
        );
        return;
    };
    let [chart_area, facts_area] =
        Layout::horizontal([Constraint::Length(52), Constraint::Fill(1)]).areas(detail_area);
    draw_chart(frame, chart_area, &figures.months);
    draw_facts(frame, facts_area, figures, view);
}

fn draw_table(
    frame: &mut Frame,
    area: Rect,
    overview: &ProvidersOverview,
    selected: usize,
    view: &ViewContext,
) {
    let day = view.calendar.day_length();
    let rows: Vec<Row> = overview
        .providers
        .iter()
        .map(|f| {
            let c = &f.counts;
            let rate = c
                .rejection_rate
                .map_or_else(|| "-".to_owned(), |r| format!("{:.0}%", r * 100.0));
            let median = c.median_first_action_minutes.map_or_else(
                || "-".to_owned(),
                |m| format_working_age(chrono::Duration::minutes(m), day),
            );
            Row::new([
                Cell::from(f.provider.ods_code.clone()),
                Cell::from(line(&f.provider.name).into_owned()),
                Cell::from(stage_text(f.provider.escalation))
                    .style(stage_style(f.provider.escalation)),
                Cell::from(c.received.to_string()),
                Cell::from(c.rejected.to_string()),
                Cell::from(rate),
                Cell::from(median),
                Cell::from(sparkline(&f.months)).style(theme::label()),
            ])
        })
        .collect();
    let header = Row::new([
        "ODS",
        "PROVIDER",
        "STAGE",
        "RECVD",
        "REJ",
        "RATE",
        "1ST ACT",
        "12 MONTHS",
    ])
    .style(theme::column_title());
    let title = format!(
        " Providers · since {} · {} of {} · most rejections first ",
        overview.from.format("%b %Y"),
        (selected + 1).min(overview.providers.len()),
        overview.providers.len()
    );
    let table = Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Fill(1),
            Constraint::Length(14),
            Constraint::Length(6),
            Constraint::Length(5),
            Constraint::Length(5),
            Constraint::Length(8),
            Constraint::Length(12),
        ],
    )
    .header(header)
    .block(Block::new().borders(Borders::ALL).title(title))
    .row_highlight_style(theme::selected());
    let mut table_state = TableState::default().with_selected(Some(selected));
    frame.render_stateful_widget(table, area, &mut table_state);
}

/// "1 reminder": the stage's number and the first word of its label, to fit a column.
fn stage_text(stage: EscalationStage) -> String {
    let label = stage.label();
    let word = label.split_whitespace().next().unwrap_or(label);
    format!("{} {word}", stage.number())
}

/// Amber once the ladder has started, red from the ICB onwards.
fn stage_style(stage: EscalationStage) -> Style {
    match stage.number() {
        0 => Style::new(),
        1 | 2 => Style::new().fg(theme::DUE_SOON),
        _ => Style::new().fg(theme::OVERDUE).add_modifier(Modifier::BOLD),
    }
}

/// Twelve months in twelve cells: the shape of a sender's year at a glance in the table.
fn sparkline(months: &[MonthCount]) -> String {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = months.iter().map(|m| m.received).max().unwrap_or(0);
    months
        .iter()
        .map(|m| {
            if m.received == 0 || max == 0 {
                ' '
            } else {
                let level = (m.received * 7).div_ceil(max);
                LEVELS[usize::try_from(level).unwrap_or(7).min(7)]
            }
        })
        .collect()
}

fn draw_chart(frame: &mut Frame, area: Rect, months: &[MonthCount]) {
    let bars: Vec<Bar> = months
        .iter()
        .map(|m| {
            let style = if m.rejected > 0 {
                Style::new().fg(theme::DUE_SOON)
            } else {
                theme::label()
            };
            Bar::with_label(m.month.format("%b").to_string(), m.received).style(style)
        })
        .collect();
    let chart = BarChart::default()
        .block(
            Block::new()
                .borders(Borders::ALL)
                .title(" Tasks received a month ")
                .title_bottom(Line::styled(" amber: some rejected ", theme::dim())),
        )
        .bar_width(3)
        .bar_gap(1)
        .data(BarGroup::default().bars(&bars));
    frame.render_widget(chart, area);
}

fn draw_facts(frame: &mut Frame, area: Rect, figures: &ProviderFigures, view: &ViewContext) {
    let p = &figures.provider;
    let c = &figures.counts;
    let keys = view.keymap;
    let mut lines = vec![Line::from(vec![
        Span::styled("Stage ", theme::label()),
        Span::styled(p.escalation.to_string(), stage_style(p.escalation)),
        Span::raw(match &p.escalation_changed {
            Some((at, by)) => format!(" · moved {} by {by}", local_stamp(*at)),
            None => " · never moved".to_owned(),
        }),
    ])];
    lines.push(Line::from(vec![
        Span::styled("Agreement ", theme::label()),
        Span::raw(match p.agreement {
            Agreement::None => "none: the LMC guidance applies in full".to_owned(),
            Agreement::Sop { since } => format!("SOP since {}", since.format("%-d %b %Y")),
        }),
    ]));
    let rate = c
        .rejection_rate
        .map_or_else(String::new, |r| format!(" ({:.1}%)", r * 100.0));
    let median = c.median_first_action_minutes.map_or_else(
        || "no first action yet".to_owned(),
        |m| {
            format!(
                "median {} to first action",
                format_working_age(chrono::Duration::minutes(m), view.calendar.day_length())
            )
        },
    );
    lines.push(Line::raw(format!(
        "{} received · {} rejected{rate} · {} open · {median}",
        c.received, c.rejected, c.open
    )));
    lines.push(Line::styled("By category", theme::label()));
    if figures.categories.is_empty() {
        lines.push(Line::styled("  nothing received this year", theme::dim()));
    }
    for (name, n) in &figures.categories {
        lines.push(Line::raw(format!("  {n:>5}  {name}")));
    }
    let letter = match escalation_letter(p.escalation) {
        Some(_) => format!("{} letter", keys.hint(Action::Letter)),
        None => "no letter at stage 0".to_owned(),
    };
    let title = format!(
        " {} · {} escalate · {} step back · {letter} ",
        line(&p.name),
        keys.hint(Action::EscalateUp),
        keys.hint(Action::EscalateDown)
    );
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::new().borders(Borders::ALL).title(title)),
        area,
    );
}
