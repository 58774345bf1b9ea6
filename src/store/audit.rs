//! The append-only, hash-chained audit log. Each event's hash covers the previous event's hash
//! and every field of the event, so altering, removing or reordering an event is detectable by
//! `verify_audit`; triggers in the schema refuse UPDATE and DELETE outright. Events are written
//! only from inside store operations, in the same transaction as the change they describe.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Result, Store, to_sql_count};
use crate::domain::TaskId;

/// The `prev_hash` of the very first event.
const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One event in the audit log, as `audit show` and the history pane present it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub task_id: Option<TaskId>,
    /// What a non-task event is about, e.g. `provider:RV9` or `handover`.
    pub target: Option<String>,
    pub action: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The answer of `audit verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "lowercase")]
pub enum AuditVerification {
    Intact { events: u64, last_hash: String },
    Broken { event_id: i64, reason: String },
}

/// An event about to be written; the writer adds id, hashes and the time's text form.
pub(super) struct NewEvent<'a> {
    pub actor: &'a str,
    pub at: DateTime<Utc>,
    pub task_id: Option<TaskId>,
    pub target: Option<&'a str>,
    pub action: &'a str,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub detail: Option<&'a str>,
}

/// Appends events inside an open write transaction, carrying the chain forward in memory so a
/// batch of a thousand tasks reads the log's tail once.
pub(super) struct AuditWriter {
    next_id: i64,
    prev_hash: String,
}

impl AuditWriter {
    /// Must be called inside a write transaction, so nobody else can append in between.
    pub(super) fn begin(conn: &Connection) -> Result<Self> {
        let tail: Option<(i64, String)> = conn
            .prepare_cached("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(match tail {
            Some((id, hash)) => AuditWriter {
                next_id: id + 1,
                prev_hash: hash,
            },
            None => AuditWriter {
                next_id: 1,
                prev_hash: GENESIS_HASH.to_owned(),
            },
        })
    }

    pub(super) fn append(&mut self, conn: &Connection, e: &NewEvent<'_>) -> Result<i64> {
        let id = self.next_id;
        let at = e.at.to_rfc3339_opts(SecondsFormat::Micros, true);
        let fields = Fields {
            id,
            at: &at,
            actor: e.actor,
            task_id: e.task_id,
            target: e.target,
            action: e.action,
            from: e.from,
            to: e.to,
            detail: e.detail,
        };
        let hash = event_hash(&self.prev_hash, &fields);
        conn.prepare_cached(
            "INSERT INTO audit_log (id, at, actor, task_id, target, action, from_value, \
             to_value, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )?
        .execute(params![
            id,
            at,
            e.actor,
            e.task_id,
            e.target,
            e.action,
            e.from,
            e.to,
            e.detail,
            self.prev_hash,
            hash
        ])?;
        self.next_id += 1;
        self.prev_hash = hash;
        Ok(id)
    }
}

/// The hashed fields of one event, exactly as stored.
struct Fields<'a> {
    id: i64,
    at: &'a str,
    actor: &'a str,
    task_id: Option<TaskId>,
    target: Option<&'a str>,
    action: &'a str,
    from: Option<&'a str>,
    to: Option<&'a str>,
    detail: Option<&'a str>,
}

/// SHA-256 (lower-case hex) over the previous hash and the event's fields. Encoding, so that an
/// outside tool can re-check the chain: for each field in order (`prev_hash`, `id`, `at`, `actor`,
/// `task_id`, `target`, `action`, `from`, `to`, `detail`), a NULL is the byte `n`; a value is the byte `s`,
/// its UTF-8 length as 8 bytes big-endian, then its UTF-8 bytes (integers in decimal). The
/// length prefix makes the encoding unambiguous whatever the texts contain.
fn event_hash(prev_hash: &str, f: &Fields<'_>) -> String {
    fn put(h: &mut Sha256, value: Option<&str>) {
        match value {
            None => h.update(b"n"),
            Some(s) => {
                h.update(b"s");
                h.update(u64::try_from(s.len()).unwrap_or(u64::MAX).to_be_bytes());
                h.update(s.as_bytes());
            }
        }
    }
    let mut h = Sha256::new();
    put(&mut h, Some(prev_hash));
    put(&mut h, Some(&f.id.to_string()));
    put(&mut h, Some(f.at));
    put(&mut h, Some(f.actor));
    put(&mut h, f.task_id.map(|t| t.to_string()).as_deref());
    put(&mut h, f.target);
    put(&mut h, Some(f.action));
    put(&mut h, f.from);
    put(&mut h, f.to);
    put(&mut h, f.detail);
    let mut hex = String::with_capacity(64);
    for byte in h.finalize() {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

pub(super) const EVENT_COLUMNS: &str =
    "id, at, actor, task_id, target, action, from_value, to_value, detail, prev_hash, hash";

pub(super) fn event_from_row(r: &Row<'_>) -> rusqlite::Result<AuditEvent> {
    let at: String = r.get(1)?;
    let at = DateTime::parse_from_rfc3339(&at).map_err(|e| super::bad_column(1, e))?;
    Ok(AuditEvent {
        id: r.get(0)?,
        at: at.with_timezone(&Utc),
        actor: r.get(2)?,
        task_id: r.get(3)?,
        target: r.get(4)?,
        action: r.get(5)?,
        from: r.get(6)?,
        to: r.get(7)?,
        detail: r.get(8)?,
        prev_hash: r.get(9)?,
        hash: r.get(10)?,
    })
}

impl Store {
    /// Walks the whole chain from the first event and reports the first break, in words.
    pub fn verify_audit(&self) -> Result<AuditVerification> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM audit_log ORDER BY id"
        ))?;
        let mut rows = stmt.query([])?;
        let mut last_id = 0_i64;
        let mut expected_prev = GENESIS_HASH.to_owned();
        let mut events = 0_u64;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let at: String = r.get(1)?;
            let actor: String = r.get(2)?;
            let target: Option<String> = r.get(4)?;
            let action: String = r.get(5)?;
            let from: Option<String> = r.get(6)?;
            let to: Option<String> = r.get(7)?;
            let detail: Option<String> = r.get(8)?;
            let prev_hash: String = r.get(9)?;
            let hash: String = r.get(10)?;
            if id != last_id + 1 {
                let reason = if last_id == 0 {
                    format!(
                        "event {id} is the first in the log: events 1 to {} are missing (removed)",
                        id - 1
                    )
                } else {
                    format!(
                        "event {id} follows event {last_id}: the event(s) in between are \
                         missing (removed from the log)"
                    )
                };
                return Ok(AuditVerification::Broken {
                    event_id: id,
                    reason,
                });
            }
            let fields = Fields {
                id,
                at: &at,
                actor: &actor,
                task_id: r.get(3)?,
                target: target.as_deref(),
                action: &action,
                from: from.as_deref(),
                to: to.as_deref(),
                detail: detail.as_deref(),
            };
            if event_hash(&prev_hash, &fields) != hash {
                let reason = format!(
                    "event {id}'s content does not match its hash (altered after it was written)"
                );
                return Ok(AuditVerification::Broken {
                    event_id: id,
                    reason,
                });
            }
            if prev_hash != expected_prev {
                let reason = if last_id == 0 {
                    format!("event {id} should start the chain but names a previous event")
                } else {
                    format!(
                        "event {id} does not follow event {last_id} (prev_hash mismatch: an \
                         event was removed or reordered)"
                    )
                };
                return Ok(AuditVerification::Broken {
                    event_id: id,
                    reason,
                });
            }
            last_id = id;
            expected_prev = hash;
            events += 1;
        }
        Ok(AuditVerification::Intact {
            events,
            last_hash: expected_prev,
        })
    }

    /// The most recent `limit` events (for one task, or all), oldest first.
    pub fn audit_events(&self, task_id: Option<TaskId>, limit: usize) -> Result<Vec<AuditEvent>> {
        let limit = to_sql_count(limit);
        let mut events: Vec<AuditEvent> = match task_id {
            Some(task) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {EVENT_COLUMNS} FROM audit_log WHERE task_id = ? \
                     ORDER BY id DESC LIMIT ?"
                ))?
                .query_map(params![task, limit], event_from_row)?
                .collect::<rusqlite::Result<_>>()?,
            None => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {EVENT_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?"
                ))?
                .query_map(params![limit], event_from_row)?
                .collect::<rusqlite::Result<_>>()?,
        };
        events.reverse();
        Ok(events)
    }

    /// Everything that happened to one task, oldest first: the detail pane's history.
    pub fn history(&self, task_id: TaskId) -> Result<Vec<AuditEvent>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM audit_log WHERE task_id = ? ORDER BY id"
            ))?
            .query_map(params![task_id], event_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Records an event that is not about one task (handover sign-off, escalation of a
    /// provider): `target` names what it is about, e.g. `handover` or `provider:RV9`.
    /// Returns the event's id.
    pub fn record_event(
        &mut self,
        actor: &str,
        now: DateTime<Utc>,
        target: &str,
        action: &str,
        detail: &str,
    ) -> Result<i64> {
        let tx = self.write_tx()?;
        let mut audit = AuditWriter::begin(&tx)?;
        let id = audit.append(
            &tx,
            &NewEvent {
                actor,
                at: now,
                task_id: None,
                target: Some(target),
                action,
                from: None,
                to: None,
                detail: Some(detail),
            },
        )?;
        tx.commit()?;
        Ok(id)
    }
}
