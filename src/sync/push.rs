//! Push: the outbox, oldest change first, each as `PUT Task/<id>` with `If-Match` on the
//! version the change was made against. Changes younger than `sync.undo_window` are not read
//! for pushing at all (`Store::push_queue`), so `u` can take them back unseen.
//!
//! - 2xx: the entry is confirmed; the task keeps the server's answer as its copy and version,
//!   and its later changes are re-based on that version.
//! - 409/412: another desk changed the task first. The server's current version is read and
//!   kept beside our changes, the task is marked `conflict`, and its changes wait for a person.
//!   If the server's version is exactly what we sent (or what this change and the task's next
//!   ones make of it), it is our own earlier write whose answer never reached the mirror: a
//!   dropped connection, or a kill or power cut between the server taking the change and the
//!   mirror recording it. That is a confirmation, not a conflict, and nothing is sent again.
//! - No answer, or a 5xx: the entry stays pending and backs off; the push stops there, since a
//!   server that is down or failing does not improve by being asked again at once.
//! - Any other refusal (400, 401, 403, 404): the set-up needs a person; the entry stays pending,
//!   backs off, and carries the server's reason.

use chrono::{DateTime, Utc};
use percent_encoding::utf8_percent_encode;
use serde_json::Value;

use super::backoff::wait_after;
use super::client::{FhirClient, RemoteError, Trouble, URL_VALUE};
use super::{CycleReport, Stop, SyncConfig};
use crate::domain::TaskId;
use crate::fhir::{MapContext, PushChange, incoming_from_resource, resource_for_push};
use crate::store::{Actor, NewConflict, OutboxEntry, PushQueue, Store};

/// What to do with a task's remaining changes after one of them.
enum Next {
    /// Go on past this many of the task's changes (this one, and any later ones the server
    /// turned out to hold already).
    Continue(usize),
    /// Leave the task's later changes for another cycle (they must follow this one).
    HoldTask,
}

pub(super) fn push(
    client: &mut FhirClient,
    store: &mut Store,
    config: &SyncConfig,
    by: &Actor<'_>,
    report: &mut CycleReport,
) -> Result<(), Stop> {
    let ctx = MapContext::new(&config.practice_ods).with_groups(&config.group_ids);
    for task in store.push_queue(by.now, config.undo_window)? {
        let mut copy = ServerCopy::of(&task);
        let mut rest = task.entries.as_slice();
        while let Some((entry, later)) = rest.split_first() {
            let step = PushStep {
                task_id: task.task_id,
                url: format!(
                    "{}/Task/{}",
                    client.base(),
                    utf8_percent_encode(&task.source_id, URL_VALUE)
                ),
                entry,
                later,
            };
            match step.send(client, store, &ctx, by, &mut copy, report)? {
                Next::Continue(settled) => rest = rest.get(settled..).unwrap_or_default(),
                Next::HoldTask => break,
            }
        }
    }
    Ok(())
}

/// The task as the server last gave it to us, updated as its changes are confirmed.
struct ServerCopy {
    raw: Option<String>,
    /// The version the server gave our last confirmed change in this cycle. The queue was read
    /// before it was sent, so the later entries in hand still name the version before it; sent
    /// against that, the task's second change would be refused as stale and reported as a
    /// conflict with our own first change.
    version: Option<String>,
}

impl ServerCopy {
    fn of(task: &PushQueue) -> ServerCopy {
        ServerCopy {
            raw: task.raw.clone(),
            version: None,
        }
    }

    fn confirmed(&mut self, raw: String, version: Option<String>) {
        self.raw = Some(raw);
        self.version = version;
    }
}

struct PushStep<'a> {
    task_id: TaskId,
    url: String,
    entry: &'a OutboxEntry,
    /// The task's changes after this one, oldest first.
    later: &'a [OutboxEntry],
}

impl PushStep<'_> {
    fn send(
        &self,
        client: &mut FhirClient,
        store: &mut Store,
        ctx: &MapContext<'_>,
        by: &Actor<'_>,
        copy: &mut ServerCopy,
        report: &mut CycleReport,
    ) -> Result<Next, Stop> {
        let (body, version) = match self.prepare(ctx, copy) {
            Ok(ready) => ready,
            Err(reason) => {
                store.fail_push(self.entry.id, self.task_id, &reason)?;
                report.failed += 1;
                report.note(Trouble::Misconfigured, reason);
                return Ok(Next::HoldTask);
            }
        };
        let what = format!("the update of task {}", self.task_id);
        let reply = match client.put_json(&self.url, &body, &version, &what) {
            Ok(reply) => reply,
            Err(e) => return self.not_sent(store, by.now, e, report),
        };
        match reply.status {
            200..=299 => {
                let fresh = match reply.body {
                    Ok(resource) if is_task(&resource) => resource,
                    // An answer we cannot read proves nothing: the change counts as taken only
                    // if the server now holds exactly what we sent.
                    unreadable => match client.get_json(&self.url, &what) {
                        Ok(now_held) if same_apart_from_meta(&now_held, &body) => now_held,
                        Ok(_) | Err(_) => {
                            let detail = unreadable
                                .err()
                                .unwrap_or_else(|| "the answer is not the updated Task".to_owned());
                            let e = RemoteError::Malformed { what, detail };
                            return self.not_sent(store, by.now, e, report);
                        }
                    },
                };
                let new_version = version_of(&fresh).or(reply.etag_version);
                let raw = fresh.to_string();
                store.confirm_push(
                    self.entry.id,
                    self.task_id,
                    Some(&raw),
                    new_version.as_deref(),
                )?;
                report.pushed += 1;
                // Without the new version a later change would be refused as stale: it waits
                // for the next cycle.
                let next = if new_version.is_some() {
                    Next::Continue(1)
                } else {
                    Next::HoldTask
                };
                copy.confirmed(raw, new_version);
                Ok(next)
            }
            404 => {
                let e = RemoteError::Refused {
                    what,
                    status: 404,
                    detail: "the server has no such task (deleted, or another server)".to_owned(),
                };
                self.not_sent(store, by.now, e, report)
            }
            status => self.stale(client, store, ctx, by, &body, status, copy, report),
        }
    }

    /// The PUT body and the version for `If-Match`, or why this change can never be sent.
    fn prepare(&self, ctx: &MapContext<'_>, copy: &ServerCopy) -> Result<(Value, String), String> {
        let task = self.task_id;
        let raw = copy.raw.as_deref().ok_or_else(|| {
            format!(
                "task {task} did not come from the FHIR server, so its change cannot be sent \
                 there; it stays in this mirror only"
            )
        })?;
        let raw: Value = serde_json::from_str(raw)
            .map_err(|e| format!("the server's copy of task {task} is unreadable: {e}"))?;
        let change = PushChange::from_payload(&self.entry.payload)
            .map_err(|e| format!("the change to task {task} cannot be read: {e}"))?;
        let body = resource_for_push(&raw, &change, ctx)
            .map_err(|e| format!("the change to task {task} cannot be written as FHIR: {e}"))?;
        let version = copy
            .version
            .clone()
            .or_else(|| self.entry.base_source_version.clone())
            .or_else(|| version_of(&raw))
            .ok_or_else(|| {
                format!("task {task} has no server version to send the change against")
            })?;
        Ok((body, version))
    }

    /// 409 or 412: read what the server has now and keep both, unless it is our own write.
    #[allow(clippy::too_many_arguments)] // one call site; a struct for it would only rename them
    fn stale(
        &self,
        client: &mut FhirClient,
        store: &mut Store,
        ctx: &MapContext<'_>,
        by: &Actor<'_>,
        sent: &Value,
        status: u16,
        copy: &mut ServerCopy,
        report: &mut CycleReport,
    ) -> Result<Next, Stop> {
        let what = format!("reading task {} after its update was refused", self.task_id);
        let theirs = match client.get_json(&self.url, &what) {
            Ok(theirs) if is_task(&theirs) => theirs,
            Ok(_) => {
                let e = RemoteError::Malformed {
                    what,
                    detail: "the answer is not a Task".to_owned(),
                };
                return self.not_sent(store, by.now, e, report);
            }
            Err(e) => return self.not_sent(store, by.now, e, report),
        };
        let raw = theirs.to_string();
        let version = version_of(&theirs);
        let ours = self.ours_on_server(ctx, &theirs, sent);
        if ours > 0 {
            let settled = std::iter::once(self.entry).chain(self.later.iter().take(ours - 1));
            for entry in settled {
                store.confirm_push(entry.id, self.task_id, Some(&raw), version.as_deref())?;
                report.pushed += 1;
            }
            // As after a 2xx: without the version, a later change would be refused as stale.
            let next = if version.is_some() {
                Next::Continue(ours)
            } else {
                Next::HoldTask
            };
            copy.confirmed(raw, version);
            return Ok(next);
        }
        let theirs_task = incoming_from_resource(&theirs, ctx).ok();
        store.record_conflict(
            by,
            &NewConflict {
                task_id: self.task_id,
                http_status: status,
                theirs_raw: &raw,
                theirs_version: version.as_deref(),
                theirs_task: theirs_task.as_ref(),
            },
        )?;
        report.conflicts += 1;
        report.conflicted_tasks.push(self.task_id);
        Ok(Next::HoldTask)
    }

    /// How many of the task's changes, from this one on, make up the server's version: 1 when
    /// it is exactly what we sent, 2 when it is that with our next change applied on top, and so
    /// on; 0 when it is not ours (someone else wrote, and it is a real conflict). More than one
    /// when the mirror lost several commits at once, as a power cut can take the last few
    /// commits of a WAL database with `synchronous = NORMAL`.
    fn ours_on_server(&self, ctx: &MapContext<'_>, theirs: &Value, sent: &Value) -> usize {
        if same_apart_from_meta(theirs, sent) {
            return 1;
        }
        let mut body = sent.clone();
        for (n, entry) in self.later.iter().enumerate() {
            let Ok(change) = PushChange::from_payload(&entry.payload) else {
                return 0;
            };
            let Ok(next) = resource_for_push(&body, &change, ctx) else {
                return 0;
            };
            if same_apart_from_meta(theirs, &next) {
                return n + 2;
            }
            body = next;
        }
        0
    }

    /// The change did not get through: it waits and backs off. A server that cannot be reached
    /// or is failing stops the push; a refusal stops only this task.
    fn not_sent(
        &self,
        store: &mut Store,
        now: DateTime<Utc>,
        e: RemoteError,
        report: &mut CycleReport,
    ) -> Result<Next, Stop> {
        let attempts = u32::try_from(self.entry.attempts + 1).unwrap_or(u32::MAX);
        store.defer_push(self.entry.id, &e.to_string(), now + wait_after(attempts))?;
        report.retrying += 1;
        match e.trouble() {
            Trouble::Offline | Trouble::ServerFault => Err(Stop::Remote(e)),
            Trouble::Misconfigured if e.blocks_every_request() => Err(Stop::Remote(e)),
            Trouble::Misconfigured => {
                report.note(Trouble::Misconfigured, e.to_string());
                Ok(Next::HoldTask)
            }
        }
    }
}

fn is_task(resource: &Value) -> bool {
    resource.get("resourceType").and_then(Value::as_str) == Some("Task")
}

fn version_of(resource: &Value) -> Option<String> {
    resource
        .pointer("/meta/versionId")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Whether the server's resource is the one we sent, apart from what the server owns (`meta`).
fn same_apart_from_meta(theirs: &Value, sent: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(map) = v.as_object_mut() {
            map.remove("meta");
        }
        v
    };
    strip(theirs) == strip(sent)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn our_own_write_is_recognised_whatever_the_server_put_in_meta() {
        let sent = json!({"resourceType": "Task", "id": "a", "status": "rejected",
                          "meta": {"versionId": "1"}});
        let theirs = json!({"resourceType": "Task", "id": "a", "status": "rejected",
                            "meta": {"versionId": "2", "lastUpdated": "2026-03-02T10:00:00Z"}});
        assert!(same_apart_from_meta(&theirs, &sent));
        let other = json!({"resourceType": "Task", "id": "a", "status": "accepted",
                           "meta": {"versionId": "2"}});
        assert!(!same_apart_from_meta(&other, &sent));
    }
}
