//! Background sync as the screen sees it: the header's status, and a reload when a cycle
//! brought changes in. The cycle itself runs on its own thread (`tui::syncer`), so the screen
//! never waits on the network.

use super::super::msg::{Effect, Request, SyncEvent};
use super::super::state::AppState;
use super::navigate;

pub(super) fn on_event(state: &mut AppState, event: SyncEvent) -> Vec<Effect> {
    let status = state.sync.get_or_insert_with(Default::default);
    let changed = match event {
        SyncEvent::Started => {
            status.running = true;
            false
        }
        SyncEvent::Finished { at, outcome } => {
            status.running = false;
            match outcome {
                Ok(done) => {
                    status.last_ok = Some(at);
                    status.offline_since = None;
                    status.problem = done
                        .retrying
                        .then(|| "some changes wait to be sent".to_owned());
                    status.conflicts = done.conflicts;
                    done.changed
                }
                Err(trouble) => {
                    if trouble.offline {
                        status.offline_since.get_or_insert(at);
                    }
                    status.problem = Some(trouble.message);
                    trouble.changed
                }
            }
        }
    };
    if !changed || state.acting {
        return Vec::new();
    }
    // New or changed tasks: the rows under the cursor, the counts and the detail are re-read,
    // keeping the reader's place.
    state.detail = None;
    let mut effects = navigate::refresh_in_place(state);
    effects.push(Effect::Request(Request::ProviderFacts { now: state.now }));
    effects
}
