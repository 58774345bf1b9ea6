//! Pull: the practice's Tasks changed since the watermark, page by page into the mirror.
//!
//! The search is by owner (the practice, each member of staff, each group) and `_lastUpdated`
//! above the watermark less a small overlap, sorted by `_lastUpdated`. Pages follow the server's
//! `next` link verbatim; a server that gives none (Medplum) is paged with `_offset`, and each page
//! after the first asks for one resource more, starting at the previous page's last: if that one
//! is not where it was, a resource moved to the end while we paged (an update) and the rest of
//! the list shifted under us, so the pull starts again from the last committed watermark rather
//! than skip a task. Each page is committed with its watermark in one transaction, and the
//! watermark is the server's own `meta.lastUpdated`, never this desk's clock.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use percent_encoding::utf8_percent_encode;
use serde_json::Value;

use super::client::{FhirClient, RemoteError, URL_VALUE};
use super::{CycleReport, Stop, SyncConfig};
use crate::fhir::{MapContext, incoming_from_resource};
use crate::store::{PulledPage, QuarantinedRow, Store};

/// Resources per page.
pub const PAGE_SIZE: usize = 100;

/// How far below the watermark each pull starts again. `lastUpdated` ties (a bundle of tasks
/// stored in the same millisecond) and database-backed servers that make a write visible a
/// moment after stamping it would otherwise slip through; re-reading a few seconds costs only
/// tasks the mirror already holds, which the version check counts as unchanged.
pub const WATERMARK_OVERLAP: Duration = Duration::seconds(5);

/// How often one pull starts over because the list moved while it paged.
const MAX_RESTARTS: u32 = 3;

pub(super) fn pull(
    client: &mut FhirClient,
    store: &mut Store,
    config: &SyncConfig,
    actor: &str,
    now: DateTime<Utc>,
    report: &mut CycleReport,
) -> Result<(), Stop> {
    let ctx = MapContext::new(&config.practice_ods).with_groups(&config.group_ids);
    let key = watermark_key(client.base(), config);
    let mut restarts = 0;
    'from_watermark: loop {
        let since = match store.sync_value(&key)? {
            Some(text) => Some(parse_instant(&text).ok_or_else(|| {
                crate::store::StoreError::Corrupt(format!("the sync watermark `{text}`"))
            })?),
            None => None,
        };
        let mut url = search_url(client.base(), config, since, 0);
        let mut offset = 0;
        let mut previous_last: Option<String> = None;
        loop {
            let what = "the search for the practice's tasks";
            let bundle = client.get_json(&url, what)?;
            let mut resources = tasks_of(&bundle, what)?;
            let next_link = next_link(&bundle);
            if let Some(expected) = &previous_last {
                if resources.first().and_then(resource_id) != Some(expected.as_str()) {
                    restarts += 1;
                    if restarts > MAX_RESTARTS {
                        return Err(Stop::Remote(RemoteError::Malformed {
                            what: what.to_owned(),
                            detail: "the list kept changing while it was read page by page; \
                                     the next sync starts again where this one stopped"
                                .to_owned(),
                        }));
                    }
                    tracing::info!(restarts, "the task list moved while paging; starting again");
                    continue 'from_watermark;
                }
                resources.remove(0);
            }
            let full_page = resources.len() >= PAGE_SIZE;
            previous_last = resources.last().and_then(resource_id).map(str::to_owned);
            report.pulled += resources.len() as u64;
            let page = read_page(&resources, &ctx, client.base(), now);
            report.quarantined += page.quarantined.len() as u64;
            let summary = store.commit_pulled_page(page, &key, actor, now)?;
            report.inserted += summary.inserted;
            report.updated += summary.updated;
            report.unchanged += summary.unchanged;
            match next_link {
                Some(next) => {
                    url = next;
                    previous_last = None;
                }
                None if full_page => {
                    offset += PAGE_SIZE;
                    url = search_url(client.base(), config, since, offset);
                }
                None => return Ok(()),
            }
        }
    }
}

/// The watermark belongs to one server and one set of owners: adding a member of staff to the
/// config must bring in their older tasks too, so a new set starts from the beginning.
fn watermark_key(base: &str, config: &SyncConfig) -> String {
    format!("fhir.watermark {base} {}", owners(config).join(","))
}

/// Every owner whose tasks the mirror holds: the practice itself (the unassigned inbox), each
/// member of staff, each group.
fn owners(config: &SyncConfig) -> Vec<String> {
    let mut owners = vec![format!("Organization/{}", config.practice_ods)];
    owners.extend(
        config
            .staff_ids
            .iter()
            .map(|id| format!("Practitioner/{id}")),
    );
    owners.extend(config.group_ids.iter().map(|id| format!("CareTeam/{id}")));
    owners
}

/// The search for page `offset / PAGE_SIZE` (with the one-resource overlap after the first).
pub fn search_url(
    base: &str,
    config: &SyncConfig,
    since: Option<DateTime<Utc>>,
    offset: usize,
) -> String {
    // Each reference is encoded whole; the commas between them are FHIR's "or".
    let owner = owners(config)
        .iter()
        .map(|o| utf8_percent_encode(o, URL_VALUE).to_string())
        .collect::<Vec<_>>()
        .join(",");
    let mut url = format!("{base}/Task?owner={owner}");
    if let Some(since) = since {
        let from = (since - WATERMARK_OVERLAP).to_rfc3339_opts(SecondsFormat::Millis, true);
        let _ = write!(
            url,
            "&_lastUpdated=gt{}",
            utf8_percent_encode(&from, URL_VALUE)
        );
    }
    url.push_str("&_sort=_lastUpdated");
    if offset == 0 {
        let _ = write!(url, "&_count={PAGE_SIZE}");
    } else {
        let _ = write!(url, "&_count={}&_offset={}", PAGE_SIZE + 1, offset - 1);
    }
    url
}

/// The Task resources of a search Bundle, in order; other entries (an OperationOutcome the
/// server adds, included resources) are not ours.
fn tasks_of(bundle: &Value, what: &str) -> Result<Vec<Value>, RemoteError> {
    if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(RemoteError::Malformed {
            what: what.to_owned(),
            detail: "the answer is not a Bundle".to_owned(),
        });
    }
    let Some(entries) = bundle.get("entry") else {
        return Ok(Vec::new());
    };
    let entries = entries.as_array().ok_or_else(|| RemoteError::Malformed {
        what: what.to_owned(),
        detail: "Bundle.entry is not a list".to_owned(),
    })?;
    Ok(entries
        .iter()
        .filter_map(|e| e.get("resource"))
        .filter(|r| r.get("resourceType").and_then(Value::as_str) == Some("Task"))
        .cloned()
        .collect())
}

fn next_link(bundle: &Value) -> Option<String> {
    bundle
        .get("link")?
        .as_array()?
        .iter()
        .find(|l| l.get("relation").and_then(Value::as_str) == Some("next"))?
        .get("url")?
        .as_str()
        .map(str::to_owned)
}

fn resource_id(resource: &Value) -> Option<&str> {
    resource.get("id").and_then(Value::as_str)
}

/// Maps a page's resources: readable ones to tasks, the rest to quarantine with the field at
/// fault, and the page's watermark from the server's own timestamps.
fn read_page(
    resources: &[Value],
    ctx: &MapContext<'_>,
    base: &str,
    now: DateTime<Utc>,
) -> PulledPage {
    let mut page = PulledPage::default();
    let mut newest: Option<DateTime<Utc>> = None;
    for resource in resources {
        if let Some(at) = resource
            .pointer("/meta/lastUpdated")
            .and_then(Value::as_str)
            .and_then(parse_instant)
        {
            newest = newest.max(Some(at));
        }
        match incoming_from_resource(resource, ctx) {
            Ok(task) => page.tasks.push(task),
            Err(e) => page.quarantined.push(QuarantinedRow {
                origin: format!("{base}/Task/{}", resource_id(resource).unwrap_or("(no id)")),
                line: None,
                field: Some(e.field),
                reason: e.reason,
                raw: resource.to_string(),
                at: now,
            }),
        }
    }
    page.watermark = newest.map(|at| at.to_rfc3339_opts(SecondsFormat::AutoSi, true));
    page
}

pub(super) fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config() -> SyncConfig {
        SyncConfig {
            base_url: "http://fhir.test/R4".to_owned(),
            credentials: crate::sync::Credentials::Bearer {
                token: String::new(),
                token_env: "T".to_owned(),
            },
            trust: crate::sync::Trust::built_in(),
            request_timeout: std::time::Duration::from_secs(1),
            practice_ods: "ZZZ01".to_owned(),
            staff_ids: vec!["aclarke".to_owned()],
            group_ids: vec!["admin team".to_owned()],
            undo_window: std::time::Duration::from_secs(20),
        }
    }

    #[test]
    fn the_first_page_asks_for_every_owner_since_the_watermark_less_the_overlap() {
        let since = parse_instant("2026-03-02T10:00:00.250Z");
        let url = search_url("http://fhir.test/R4", &config(), since, 0);
        assert_eq!(
            url,
            "http://fhir.test/R4/Task?owner=Organization%2FZZZ01,Practitioner%2Faclarke,\
             CareTeam%2Fadmin%20team&_lastUpdated=gt2026-03-02T09%3A59%3A55.250Z\
             &_sort=_lastUpdated&_count=100"
        );
    }

    #[test]
    fn later_pages_overlap_the_previous_by_one() {
        let url = search_url("http://fhir.test/R4", &config(), None, 200);
        assert!(
            url.ends_with("&_sort=_lastUpdated&_count=101&_offset=199"),
            "{url}"
        );
        assert!(!url.contains("_lastUpdated=gt"), "{url}");
    }

    #[test]
    fn a_next_link_is_followed_as_given() {
        let bundle = json!({"resourceType": "Bundle", "link": [
            {"relation": "self", "url": "a"}, {"relation": "next", "url": "b?x=1&y=2"}]});
        assert_eq!(next_link(&bundle).as_deref(), Some("b?x=1&y=2"));
        assert_eq!(next_link(&json!({"resourceType": "Bundle"})), None);
    }

    #[test]
    fn only_tasks_are_taken_from_a_bundle() {
        let bundle = json!({"resourceType": "Bundle", "entry": [
            {"resource": {"resourceType": "Task", "id": "1"}},
            {"resource": {"resourceType": "OperationOutcome"}},
            {"fullUrl": "no resource"}]});
        let tasks = tasks_of(&bundle, "x").expect("a bundle");
        assert_eq!(tasks.len(), 1);
        assert!(tasks_of(&json!({"resourceType": "Task"}), "x").is_err());
        assert!(tasks_of(&json!({"resourceType": "Bundle", "entry": 3}), "x").is_err());
    }

    #[test]
    fn the_watermark_is_the_newest_server_time_on_the_page() {
        let resources = [
            json!({"resourceType": "Task", "meta": {"lastUpdated": "2026-03-02T10:00:00.5+01:00"}}),
            json!({"resourceType": "Task", "meta": {"lastUpdated": "2026-03-02T09:30:00Z"}}),
        ];
        let ctx = MapContext::new("ZZZ01");
        let page = read_page(&resources, &ctx, "b", Utc::now());
        // 10:00:00.5 at +01:00 is 09:00:00.5 UTC: older than 09:30, whatever the text says.
        assert_eq!(page.watermark.as_deref(), Some("2026-03-02T09:30:00Z"));
        // Neither resource is a whole Task: both are kept in quarantine, named by the field.
        assert_eq!(page.quarantined.len(), 2);
        assert!(page.quarantined.iter().all(|q| q.field.is_some()));
    }
}
