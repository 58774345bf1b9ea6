//! The README's picture of the inbox, taken from the real binary: runs `taskgate --demo` on a
//! fresh demo mirror in a pseudo-terminal, waits until the screen has settled, and writes the
//! terminal's cells (characters, colours, bold and reverse video) as an SVG. `scripts/screenshot`
//! runs it, so the picture is regenerated from the program, never drawn by hand.
//!
//! Usage: `cargo run --release --example screenshot -- TASKGATE_BINARY OUT.svg [COLS ROWS]`

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// The instant the demo is generated and shown at, so the picture does not change with the day.
const NOW: &str = "2026-11-24T10:30:00Z";
const CELL_W: f32 = 8.4;
const CELL_H: f32 = 17.0;

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [binary, out, rest @ ..] = args.as_slice() else {
        return Err("usage: screenshot TASKGATE_BINARY OUT.svg [COLS ROWS]".into());
    };
    let cols: u16 = rest.first().map_or(Ok(120), |c| c.parse())?;
    let rows: u16 = rest.get(1).map_or(Ok(32), |r| r.parse())?;
    let home = tempfile::tempdir()?;
    let screen = settled_screen(binary, home.path(), cols, rows)?;
    std::fs::write(out, svg(&screen, cols, rows))?;
    eprintln!("wrote {out} ({cols}×{rows})");
    Ok(())
}

/// Starts the inbox and returns its screen once nothing has changed for a second and the header
/// has finished counting.
fn settled_screen(
    binary: &str,
    home: &Path,
    cols: u16,
    rows: u16,
) -> Result<vt100::Screen, Failure> {
    let pty = native_pty_system().openpty(PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    })?;
    // The pty spawner looks a relative name up in PATH; the caller means this folder's file.
    let mut cmd = CommandBuilder::new(std::fs::canonicalize(binary)?);
    cmd.args(["--demo", "--now", NOW]);
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", home);
    cmd.env("XDG_DATA_HOME", home.join("data"));
    cmd.env("XDG_CONFIG_HOME", home.join("config"));
    cmd.env_remove("NO_COLOR");
    cmd.env_remove("TASKGATE_CONFIG");
    let mut child = pty.slave.spawn_command(cmd)?;
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader()?;
    let mut writer = pty.master.take_writer()?;
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut parser = vt100::Parser::new(
        std::num::NonZeroU16::new(rows).ok_or("rows must be above 0")?,
        std::num::NonZeroU16::new(cols).ok_or("cols must be above 0")?,
        0,
    );
    let deadline = Instant::now() + Duration::from_mins(1);
    let mut quiet_since = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(bytes) => {
                parser.process(&bytes);
                quiet_since = Instant::now();
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(
                    format!("taskgate ended early:\n{}", parser.screen().contents()).into(),
                );
            }
        }
        let text = parser.screen().contents();
        let ready = text.contains("unactioned") && !text.contains("counting");
        if ready && quiet_since.elapsed() > Duration::from_secs(1) {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("the inbox did not settle:\n{text}").into());
        }
    }
    let screen = parser.screen().clone();
    writer.write_all(b"q")?;
    let _ = child.wait();
    Ok(screen)
}

/// One `<text>` per run of cells of the same style, over one `<rect>` per run of background.
fn svg(screen: &vt100::Screen, cols: u16, rows: u16) -> String {
    let width = f32::from(cols) * CELL_W;
    let height = f32::from(rows) * CELL_H;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="100%" height="100%" fill="{DEFAULT_BG}"/>"#
    );
    for row in 0..rows {
        let mut col = 0;
        while col < cols {
            let Some(cell) = screen.cell(row, col) else {
                break;
            };
            let style = Style::of(cell);
            let start = col;
            let mut text = String::new();
            while col < cols {
                let Some(c) = screen.cell(row, col) else {
                    break;
                };
                if Style::of(c) != style {
                    break;
                }
                if !c.is_wide_continuation() {
                    text.push_str(if c.has_contents() { c.contents() } else { " " });
                }
                col += 1;
            }
            let x = f32::from(start) * CELL_W;
            let y = f32::from(row) * CELL_H;
            let run_width = f32::from(col - start) * CELL_W;
            if style.bg != DEFAULT_BG {
                let _ = writeln!(
                    out,
                    r#"<rect x="{x}" y="{y}" width="{run_width}" height="{CELL_H}" fill="{}"/>"#,
                    style.bg
                );
            }
            if !text.trim().is_empty() {
                let weight = if style.bold {
                    r#" font-weight="bold""#
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    r#"<text x="{x}" y="{}" fill="{}"{weight} xml:space="preserve" textLength="{run_width}" lengthAdjust="spacingAndGlyphs">{}</text>"#,
                    y + CELL_H * 0.78,
                    style.fg,
                    escape(&text)
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

const DEFAULT_FG: &str = "#d0d0d0";
const DEFAULT_BG: &str = "#1c1c1c";

#[derive(Clone, Copy, PartialEq, Eq)]
struct Style {
    fg: &'static str,
    bg: &'static str,
    bold: bool,
}

impl Style {
    fn of(cell: &vt100::Cell) -> Style {
        let mut fg = colour(cell.fgcolor(), DEFAULT_FG);
        let mut bg = colour(cell.bgcolor(), DEFAULT_BG);
        if cell.inverse() {
            std::mem::swap(&mut fg, &mut bg);
        }
        Style {
            fg,
            bg,
            bold: cell.bold(),
        }
    }
}

/// The sixteen ANSI colours as xterm draws them; other colours fall back to the nearest of
/// these, which is all the inbox's theme uses.
fn colour(c: vt100::Color, default: &'static str) -> &'static str {
    const ANSI: [&str; 16] = [
        "#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
        "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
    ];
    match c {
        vt100::Color::Default => default,
        vt100::Color::Idx(i) => ANSI[usize::from(i % 16)],
        vt100::Color::Rgb(r, g, b) => {
            let grey = (u16::from(r) + u16::from(g) + u16::from(b)) / 3;
            if grey > 128 { ANSI[15] } else { ANSI[8] }
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
