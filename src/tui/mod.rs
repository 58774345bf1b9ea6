//! The terminal app: an event loop that feeds keys, database replies and a slow tick to the pure
//! `update`, carries out the effects it returns, and redraws only when something changed.

pub use crate::keymap;
pub mod letter_pane;
pub mod msg;
pub mod picker;
pub mod state;
mod syncer;
pub mod theme;
pub mod ui;
pub mod update;
mod worker;

use std::time::Duration as StdDuration;

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use self::msg::{Effect, Msg};
use self::msg::{SyncDone, SyncTrouble};
use self::state::AppState;
use self::state::SyncStatus;
use self::syncer::Syncer;
use self::ui::ViewContext;
use self::update::Env;
use self::worker::{Worker, WorkerContext};
use crate::commands::Context;
use crate::config::SourceKind;
use crate::store::Store;
use crate::sync::{self, SyncConfig, Trouble};

/// Ages and overdue counts move in minutes, so a 30-second tick is plenty and costs nothing.
const TICK: StdDuration = StdDuration::from_secs(30);

/// Opens the inbox in the terminal and returns when the user quits. The terminal is restored on
/// every way out: normal return, error (the guard's drop) and panic (ratatui's panic hook).
pub fn run(ctx: &Context) -> Result<()> {
    let user = ctx.acting_user()?;
    let practice = ctx.practice()?;
    let calendar = practice.calendar.clone();
    let thresholds = practice.overdue.thresholds;
    let keymap = practice.keymap.clone();
    // The loop draws on this thread: the palette is chosen once, from the config and NO_COLOR.
    theme::set_palette(theme::Palette::choose(
        ctx.config.display.theme,
        std::env::var("NO_COLOR").ok().as_deref(),
    ));
    let rules = practice.policy.clone();
    let source_label = if ctx.config_source.is_none() {
        "demo mirror (synthetic data)".to_owned()
    } else {
        format!("source: {}", ctx.config.source.kind)
    };
    let mut state = AppState::new(
        ctx.config.practice.name.clone(),
        user.name.clone(),
        source_label,
        ctx.clock.now(),
    );
    let (reply_tx, reply_rx) = mpsc::unbounded_channel();
    let worker_ctx = WorkerContext {
        practice,
        acting: user.clone(),
    };
    let syncer = start_syncer(ctx, &mut state, reply_tx.clone())?;
    let worker = Worker::start(&ctx.paths.db, worker_ctx, reply_tx)
        .wrap_err_with(|| format!("cannot open the mirror {}", ctx.paths.db.display()))?;
    let env = Env {
        keymap: &keymap,
        staff: &ctx.config.staff,
        groups: &ctx.config.groups,
        policy: Some((&rules, &calendar)),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the event loop")?;
    let view = ViewContext {
        calendar: &calendar,
        thresholds,
        keymap: &keymap,
        rules: &rules,
    };
    let mut terminal = TerminalGuard::new();
    tracing::info!("tui opened");
    let result = runtime.block_on(event_loop(
        &mut terminal.0,
        &mut state,
        &view,
        &env,
        &Backends {
            worker: &worker,
            syncer: syncer.as_ref(),
        },
        reply_rx,
        ctx,
    ));
    drop(terminal);
    tracing::info!("tui closed");
    result
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    state: &mut AppState,
    view: &ViewContext<'_>,
    env: &Env<'_>,
    backends: &Backends<'_>,
    mut replies: mpsc::UnboundedReceiver<msg::Reply>,
    ctx: &Context,
) -> Result<()> {
    let size = terminal.size()?;
    update::update(state, Msg::Resize(size.width, size.height), env);
    let effects = update::start(state, env);
    if run_effects(effects, backends) {
        return Ok(());
    }
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.tick().await; // the first tick fires at once; the start effects already did its work
    let mut dirty = true;
    let mut resized = false;
    loop {
        if dirty {
            // A window shrunk and grown back between two frames has lost what it showed, though
            // its size is what ratatui last drew: only a full redraw puts it all back. (Resizing
            // clears without asking the terminal where its cursor is, as `clear` would.)
            if std::mem::take(&mut resized) {
                let size = terminal.size()?;
                terminal.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))?;
            }
            terminal.draw(|frame| ui::draw(frame, state, view))?;
            dirty = false;
            forced_test_panic();
        }
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => Msg::Key(key),
                Some(Ok(Event::Resize(w, h))) => {
                    resized = true;
                    Msg::Resize(w, h)
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e).wrap_err("reading the terminal failed"),
                None => return Ok(()),
            },
            Some(reply) = replies.recv() => Msg::Reply(reply),
            _ = tick.tick() => Msg::Tick(ctx.clock.now()),
        };
        let effects = update::update(state, msg, env);
        dirty = true;
        if run_effects(effects, backends) {
            return Ok(());
        }
    }
}

/// The threads that do the slow work: the database worker, and background sync if any.
struct Backends<'a> {
    worker: &'a Worker,
    syncer: Option<&'a Syncer>,
}

/// Starts background sync when the source is a FHIR server; other sources have nothing to
/// sync while the TUI runs.
fn start_syncer(
    ctx: &Context,
    state: &mut AppState,
    replies: mpsc::UnboundedSender<msg::Reply>,
) -> Result<Option<Syncer>> {
    if ctx.config.source.kind != SourceKind::Fhir {
        return Ok(None);
    }
    let status = state.sync.insert(SyncStatus::default());
    let config = match SyncConfig::from_config(&ctx.config) {
        Ok(config) => config,
        Err(e) => {
            // The inbox still works on the mirror; the header says why nothing syncs.
            status.problem = Some(format!("not syncing: {e}"));
            status.offline_since = None;
            return Ok(None);
        }
    };
    let mut store = Store::open(&ctx.paths.db)
        .wrap_err_with(|| format!("cannot open the mirror {}", ctx.paths.db.display()))?;
    let actor = ctx.acting_user()?.id.clone();
    let undo_window = config.undo_window;
    let cycle: syncer::Cycle = Box::new(move |now| {
        let report = match sync::run_cycle(&mut store, &config, now, &actor) {
            Ok(report) => report,
            Err(e) => {
                return syncer::Ran {
                    outcome: Err(SyncTrouble {
                        message: format!("sync failed: {e}"),
                        offline: false,
                        changed: false,
                    }),
                    held_until: None,
                };
            }
        };
        let conflicts = store.conflicted_tasks().map_or(0, |t| t.len() as u64);
        let changed = report.inserted + report.updated + report.pushed + report.conflicts > 0;
        let outcome = match report.trouble() {
            None => Ok(SyncDone {
                changed,
                conflicts,
                // Changes the undo window holds are not waiting on the server.
                retrying: report.waiting > 0,
            }),
            Some(trouble) => Err(SyncTrouble {
                message: report
                    .problems
                    .first()
                    .map_or_else(|| "the server did not answer".to_owned(), |p| p.1.clone()),
                // Down or failing: retried on the next cycle. Misconfigured: a person must act.
                offline: trouble != Trouble::Misconfigured,
                changed,
            }),
        };
        syncer::Ran {
            outcome,
            held_until: report.held.first_release,
        }
    });
    Ok(Some(Syncer::start(
        cycle,
        ctx.clock,
        ctx.config.source.poll_interval,
        undo_window,
        replies,
    )?))
}

/// Debug builds only: `TASKGATE_TEST_PANIC=after-first-frame` panics once the first frame is on
/// screen, so a test in a pseudo-terminal can show that a crash still gives the user their
/// terminal back (cooked mode, main screen, cursor shown) and the panic message once.
fn forced_test_panic() {
    #[cfg(debug_assertions)]
    assert!(
        std::env::var_os("TASKGATE_TEST_PANIC").is_none_or(|v| v != "after-first-frame"),
        "forced test panic (TASKGATE_TEST_PANIC=after-first-frame)"
    );
}

/// Carries out effects; returns true when the user asked to quit.
fn run_effects(effects: Vec<Effect>, backends: &Backends<'_>) -> bool {
    let mut quit = false;
    for effect in effects {
        match effect {
            Effect::Request(r) => backends.worker.send(r),
            Effect::Copy(text) => copy_to_clipboard(&text),
            Effect::SyncSoon => {
                if let Some(s) = backends.syncer {
                    s.soon();
                }
            }
            Effect::Quit => quit = true,
        }
    }
    quit
}

/// OSC 52 asks the terminal itself to set the clipboard, so it works over SSH and remote
/// desktops where no display server is reachable. A terminal that ignores it loses nothing: the
/// letter is stored with the task and `taskgate letter ID` prints it.
fn copy_to_clipboard(text: &str) {
    use crossterm::clipboard::CopyToClipboard;
    let _ = crossterm::execute!(std::io::stdout(), CopyToClipboard::to_clipboard_from(text));
}

/// Restores the terminal when dropped, so an early `?` return cannot leave it in raw mode.
struct TerminalGuard(DefaultTerminal);

impl TerminalGuard {
    fn new() -> Self {
        TerminalGuard(ratatui::init())
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // While unwinding from a panic, ratatui's panic hook has restored the terminal already
        // and the panic message is on screen: leaving the alternate screen a second time would
        // move the cursor back over that message, and the user's shell would overwrite it.
        if !std::thread::panicking() {
            ratatui::restore();
        }
    }
}
