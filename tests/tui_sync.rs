//! Background sync as the screen shows it: the header says syncing, how long ago the last good
//! sync was, or since when the server has been out of reach (in the error colour); a cycle that
//! brought changes reloads the rows in place. The cycle itself is tested against the real peer
//! in sync.rs and, end to end, in e2e_sync.rs.

mod support;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use taskgate::config::Config;
use taskgate::report::overdue::OverdueRules;
use taskgate::tui::keymap::Keymap;
use taskgate::tui::msg::{Effect, Msg, Reply, Request, SyncDone, SyncEvent, SyncTrouble};
use taskgate::tui::state::{AppState, SyncStatus};
use taskgate::tui::ui::{ViewContext, draw};
use taskgate::tui::update::{Env, update};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .expect("instant")
}

fn header(state: &AppState, keys: &Keymap) -> (String, Vec<Color>) {
    let cal = support::calendar::weekdays_8_to_17();
    let config = Config::example();
    let rules = config.policy_rules();
    let view = ViewContext {
        calendar: &cal,
        thresholds: OverdueRules::from_config(&config, &cal).thresholds,
        keymap: keys,
        rules: &rules,
    };
    let mut terminal = Terminal::new(TestBackend::new(140, 30)).expect("terminal");
    terminal.draw(|f| draw(f, state, &view)).expect("draw");
    let buf = terminal.backend().buffer();
    let text = (0..buf.area.width).map(|x| buf[(x, 0)].symbol()).collect();
    let bg = (0..buf.area.width).map(|x| buf[(x, 0)].bg).collect();
    (text, bg)
}

fn sync(state: &mut AppState, keys: &Keymap, event: SyncEvent) -> Vec<Effect> {
    let env = Env {
        keymap: keys,
        staff: &[],
        groups: &[],
        policy: None,
    };
    update(state, Msg::Reply(Reply::Sync(event)), &env)
}

#[test]
fn the_header_follows_sync_from_syncing_to_synced_to_offline_and_back() {
    let keys = Keymap::load(&BTreeMap::new()).expect("keys");
    let mut state = AppState::new("Riverside".into(), "Alex".into(), "fhir".into(), now());
    state.sync = Some(SyncStatus::default());
    assert!(header(&state, &keys).0.contains("not synced yet"));

    sync(&mut state, &keys, SyncEvent::Started);
    assert!(header(&state, &keys).0.contains("syncing…"));

    let effects = sync(
        &mut state,
        &keys,
        SyncEvent::Finished {
            at: now() - Duration::minutes(3),
            outcome: Ok(SyncDone {
                changed: true,
                conflicts: 1,
                retrying: false,
            }),
        },
    );
    let (text, _) = header(&state, &keys);
    assert!(text.contains("synced 3 min ago · 1 conflict"), "{text}");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Request(Request::Page { .. }))),
        "new tasks reload the rows: {effects:?}"
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Request(Request::Counts { .. }))),
        "and the counts: {effects:?}"
    );

    // The server goes away: the header says since when, in the error colour, and stays so
    // through further failures.
    let down_at = now() - Duration::minutes(2);
    for at in [down_at, now()] {
        let effects = sync(
            &mut state,
            &keys,
            SyncEvent::Finished {
                at,
                outcome: Err(SyncTrouble {
                    message: "the server did not answer".into(),
                    offline: true,
                    changed: false,
                }),
            },
        );
        assert!(effects.is_empty(), "nothing to reload: {effects:?}");
    }
    let (text, bg) = header(&state, &keys);
    let at = text.find("offline since 11:58").expect(&text);
    assert_eq!(bg[text[..at].chars().count() + 2], Color::Red);

    // Back: the offline warning goes, nothing changed so nothing reloads.
    let effects = sync(
        &mut state,
        &keys,
        SyncEvent::Finished {
            at: now(),
            outcome: Ok(SyncDone {
                changed: false,
                conflicts: 0,
                retrying: false,
            }),
        },
    );
    assert!(effects.is_empty());
    let (text, _) = header(&state, &keys);
    assert!(text.contains("synced just now"), "{text}");
    assert!(!text.contains("offline"), "{text}");
}

#[test]
fn a_setting_to_fix_is_said_without_claiming_the_server_is_down() {
    let keys = Keymap::load(&BTreeMap::new()).expect("keys");
    let mut state = AppState::new("Riverside".into(), "Alex".into(), "fhir".into(), now());
    sync(
        &mut state,
        &keys,
        SyncEvent::Finished {
            at: now(),
            outcome: Err(SyncTrouble {
                message: "the server refused the token (401)".into(),
                offline: false,
                changed: false,
            }),
        },
    );
    let (text, _) = header(&state, &keys);
    assert!(text.contains("refused the token"), "{text}");
    assert!(!text.contains("offline"), "{text}");
}
