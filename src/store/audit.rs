//! The append-only, hash-chained audit log. Each event's hash covers the previous event's hash
//! and every field of the event, so altering, removing or reordering an event is detectable by
//! `verify_audit`; triggers in the schema refuse UPDATE and DELETE outright. Events are written
//! only from inside store operations, in the same transaction as the change they describe.
//!
//! Free text that may name a patient (a note) is not a field of the event: the event carries a
//! salted hash of it, and the text itself lives beside the log (`audit_text`) where purge can
//! erase it; see `audit_text.rs` for how events written before that stay verifiable.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::audit_text::{self, KeptText, Seal};
use super::{Result, Store, to_sql_count};
use crate::domain::TaskId;

/// The `prev_hash` of the very first event.
pub(super) const GENESIS_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

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
        self.append_committed(conn, e, None)
    }

    /// Appends an event with free text kept apart: the chain commits to `text` by a salted
    /// hash, and the text is stored where purge can erase it.
    pub(super) fn append_with_text(
        &mut self,
        conn: &Connection,
        e: &NewEvent<'_>,
        text: Option<&str>,
    ) -> Result<i64> {
        let kept = text.map(KeptText::new);
        let id = self.append_committed(conn, e, kept.as_ref().map(|k| k.commitment.as_str()))?;
        if let (Some(kept), Some(text)) = (&kept, text) {
            conn.prepare_cached("INSERT INTO audit_text (event_id, salt, text) VALUES (?, ?, ?)")?
                .execute(params![id, kept.salt, text])?;
        }
        Ok(id)
    }

    /// Appends a format 2 event carrying `commitment`.
    pub(super) fn append_committed(
        &mut self,
        conn: &Connection,
        e: &NewEvent<'_>,
        commitment: Option<&str>,
    ) -> Result<i64> {
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
        let hash = event_hash(&self.prev_hash, &fields, Format::TextApart(commitment));
        conn.prepare_cached(
            "INSERT INTO audit_log (id, at, actor, task_id, target, action, from_value, \
             to_value, detail, prev_hash, hash, format, text_commitment) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 2, ?)",
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
            hash,
            commitment
        ])?;
        self.next_id += 1;
        self.prev_hash = hash;
        Ok(id)
    }
}

/// The hashed fields of one event, exactly as stored.
pub(super) struct Fields<'a> {
    pub id: i64,
    pub at: &'a str,
    pub actor: &'a str,
    pub task_id: Option<TaskId>,
    pub target: Option<&'a str>,
    pub action: &'a str,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub detail: Option<&'a str>,
}

/// How an event's hash is made (the `format` column).
#[derive(Clone, Copy)]
pub(super) enum Format<'a> {
    /// 1: the fields alone, as every event was hashed before free text was kept apart.
    Fields,
    /// 2: the fields, then the commitment to the event's free text (NULL when it has none).
    TextApart(Option<&'a str>),
}

/// Adds one field to a hash in the chain's encoding (see [`event_hash`]).
pub(super) fn put(h: &mut Sha256, value: Option<&str>) {
    match value {
        None => h.update(b"n"),
        Some(s) => {
            h.update(b"s");
            h.update(u64::try_from(s.len()).unwrap_or(u64::MAX).to_be_bytes());
            h.update(s.as_bytes());
        }
    }
}

/// A finished hash as lower-case hex.
pub(super) fn hex(h: Sha256) -> String {
    let mut hex = String::with_capacity(64);
    for byte in h.finalize() {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// SHA-256 (lower-case hex) over the previous hash and the event's fields. Encoding, so that an
/// outside tool can re-check the chain: for each field in order (`prev_hash`, `id`, `at`, `actor`,
/// `task_id`, `target`, `action`, `from`, `to`, `detail`), a NULL is the byte `n`; a value is the byte `s`,
/// its UTF-8 length as 8 bytes big-endian, then its UTF-8 bytes (integers in decimal). The
/// length prefix makes the encoding unambiguous whatever the texts contain. Format 2 events
/// add one more field, `text_commitment`, in the same encoding.
pub(super) fn event_hash(prev_hash: &str, f: &Fields<'_>, format: Format<'_>) -> String {
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
    if let Format::TextApart(commitment) = format {
        put(&mut h, commitment);
    }
    hex(h)
}

/// An event's columns about its free text, as `verify_audit` reads them.
struct KeptColumns<'a> {
    /// It has a row in `audit_text`.
    apart: bool,
    commitment: Option<&'a str>,
    salt: Option<&'a str>,
    text: Option<&'a str>,
}

/// Whether one event's content matches its hash, by the rule of its format; `Err` names a
/// break of another kind, in words.
fn content_check<'a>(
    fields: &mut Fields<'a>,
    prev_hash: &str,
    hash: &str,
    format: i64,
    kept: &KeptColumns<'a>,
    seal: &mut Seal,
) -> std::result::Result<bool, String> {
    let id = fields.id;
    match (format, kept.apart) {
        (1, false) => Ok(event_hash(prev_hash, fields, Format::Fields) == hash),
        // Written before free text was kept apart: its text was the detail. While the text is
        // there the old rule re-checks it; once purged, the seal written when it was moved
        // vouches for every other field.
        (1, true) => {
            seal.add(fields, prev_hash, hash);
            Ok(match kept.text {
                Some(t) => {
                    fields.detail = Some(t);
                    event_hash(prev_hash, fields, Format::Fields) == hash
                }
                None => true,
            })
        }
        (2, _) => {
            let fields_match =
                event_hash(prev_hash, fields, Format::TextApart(kept.commitment)) == hash;
            if fields.action == audit_text::SEAL_ACTION
                && let Some(reason) = seal.check(kept.commitment)
            {
                return Err(reason);
            }
            let text_matches = match (kept.text, kept.salt, kept.commitment) {
                (Some(t), Some(salt), Some(c)) => audit_text::commit(salt, t) == c,
                (Some(_), _, _) => false,
                (None, _, _) => true,
            };
            if fields_match && !text_matches {
                return Err(format!(
                    "event {id}'s note text does not match what the log committed to \
                     (altered after it was written)"
                ));
            }
            Ok(fields_match)
        }
        _ => Err(format!("event {id} has an unknown format {format}")),
    }
}

/// What `audit show` reads of an event: its detail is the text kept apart while it is there,
/// and says the text was purged once it is not.
pub(super) const EVENT_SELECT: &str = "SELECT a.id, a.at, a.actor, a.task_id, a.target, a.action, \
     a.from_value, a.to_value, \
     CASE WHEN t.event_id IS NULL THEN a.detail ELSE coalesce(t.text, '[text purged]') END, \
     a.prev_hash, a.hash FROM audit_log a LEFT JOIN audit_text t ON t.event_id = a.id";

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
        let mut stmt = self.conn.prepare(
            "SELECT a.id, a.at, a.actor, a.task_id, a.target, a.action, a.from_value, \
             a.to_value, a.detail, a.prev_hash, a.hash, a.format, a.text_commitment, \
             t.event_id IS NOT NULL, t.salt, t.text \
             FROM audit_log a LEFT JOIN audit_text t ON t.event_id = a.id ORDER BY a.id",
        )?;
        let mut rows = stmt.query([])?;
        let mut last_id = 0_i64;
        let mut expected_prev = GENESIS_HASH.to_owned();
        let mut events = 0_u64;
        let mut seal = Seal::new();
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
            let format: i64 = r.get(11)?;
            let commitment: Option<String> = r.get(12)?;
            let kept_apart: bool = r.get(13)?;
            let salt: Option<String> = r.get(14)?;
            let text: Option<String> = r.get(15)?;
            let broken = |reason: String| {
                Ok(AuditVerification::Broken {
                    event_id: id,
                    reason,
                })
            };
            if id != last_id + 1 {
                return broken(if last_id == 0 {
                    format!(
                        "event {id} is the first in the log: events 1 to {} are missing (removed)",
                        id - 1
                    )
                } else {
                    format!(
                        "event {id} follows event {last_id}: the event(s) in between are \
                         missing (removed from the log)"
                    )
                });
            }
            let mut fields = Fields {
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
            let kept = KeptColumns {
                apart: kept_apart,
                commitment: commitment.as_deref(),
                salt: salt.as_deref(),
                text: text.as_deref(),
            };
            let content_matches =
                match content_check(&mut fields, &prev_hash, &hash, format, &kept, &mut seal) {
                    Ok(matches) => matches,
                    Err(reason) => return broken(reason),
                };
            if !content_matches {
                return broken(format!(
                    "event {id}'s content does not match its hash (altered after it was written)"
                ));
            }
            if prev_hash != expected_prev {
                return broken(if last_id == 0 {
                    format!("event {id} should start the chain but names a previous event")
                } else {
                    format!(
                        "event {id} does not follow event {last_id} (prev_hash mismatch: an \
                         event was removed or reordered)"
                    )
                });
            }
            last_id = id;
            expected_prev = hash;
            events += 1;
        }
        if let Some(reason) = seal.unchecked() {
            return Ok(AuditVerification::Broken {
                event_id: last_id,
                reason,
            });
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
                    "{EVENT_SELECT} WHERE a.task_id = ? ORDER BY a.id DESC LIMIT ?"
                ))?
                .query_map(params![task, limit], event_from_row)?
                .collect::<rusqlite::Result<_>>()?,
            None => self
                .conn
                .prepare_cached(&format!("{EVENT_SELECT} ORDER BY a.id DESC LIMIT ?"))?
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
            .prepare_cached(&format!("{EVENT_SELECT} WHERE a.task_id = ? ORDER BY a.id"))?
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
