//! The inbox: every external input (webhook event, bulk request, statement
//! file) stored raw with its source and hash, before it is applied or in the
//! transaction that applies it, with the outcome of applying it. A failed
//! input stays here with its error until it is replayed.

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{ApplyOutcome, Database, Row, StoreError, Value};

/// Where an inbox entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxStatus {
    /// Stored, not applied yet (or the process stopped while applying it).
    Received,
    /// Applied to the ledger.
    Applied,
    /// Already applied under the same event id; nothing changed.
    Duplicate,
    /// Older than what is stored; nothing changed.
    Stale,
    /// Applying it failed; `error` says why. It can be replayed.
    Failed,
}

impl InboxStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            InboxStatus::Received => "received",
            InboxStatus::Applied => "applied",
            InboxStatus::Duplicate => "duplicate",
            InboxStatus::Stale => "stale",
            InboxStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<InboxStatus, StoreError> {
        [
            InboxStatus::Received,
            InboxStatus::Applied,
            InboxStatus::Duplicate,
            InboxStatus::Stale,
            InboxStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
        .ok_or_else(|| StoreError::UnexpectedValue {
            column: "status".to_owned(),
            expected: "an inbox status",
            found: format!("{text:?}"),
        })
    }
}

impl From<ApplyOutcome> for InboxStatus {
    fn from(outcome: ApplyOutcome) -> Self {
        match outcome {
            ApplyOutcome::Applied => InboxStatus::Applied,
            ApplyOutcome::Duplicate => InboxStatus::Duplicate,
            ApplyOutcome::Stale => InboxStatus::Stale,
        }
    }
}

/// One received input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxEntry {
    /// The inbox's own identifier.
    pub id: i64,
    /// Who sent it (`stripe`, `sellsy`, `api`, a bank's name).
    pub source: String,
    /// What it is (`webhook`, `bulk_invoices`, `ledger_import`, ...).
    pub kind: String,
    /// SHA-256 of the body, lower-case hex.
    pub content_hash: String,
    /// The body exactly as received.
    #[serde(skip)]
    pub body: Vec<u8>,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Where it stands.
    pub status: InboxStatus,
    /// Why applying it failed, for failed entries.
    pub error: Option<String>,
    /// When it was last applied (or found duplicate or stale).
    pub applied_at: Option<DateTime<Utc>>,
}

const ENTRY_COLUMNS: &str =
    "id, source, kind, content_hash, body, received_at, status, error, applied_at";

impl InboxEntry {
    fn from_row(row: &Row<'_>) -> Result<InboxEntry, StoreError> {
        Ok(InboxEntry {
            id: row.integer("id")?,
            source: row.text("source")?.to_owned(),
            kind: row.text("kind")?.to_owned(),
            content_hash: row.text("content_hash")?.to_owned(),
            body: row.blob("body")?.to_vec(),
            received_at: row.timestamp("received_at")?,
            status: InboxStatus::parse(row.text("status")?)?,
            error: row.optional_text("error")?.map(str::to_owned),
            applied_at: row.optional_timestamp("applied_at")?,
        })
    }
}

/// Lower-case hex SHA-256 of a body.
pub fn content_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Stores an input raw, before anything is done with it.
pub fn receive(
    db: &impl Database,
    source: &str,
    kind: &str,
    body: &[u8],
    received_at: DateTime<Utc>,
) -> Result<InboxEntry, StoreError> {
    // Stored instants keep microseconds: the entry says what a read gives back.
    let received_at = received_at.trunc_subsecs(6);
    let content_hash = content_hash(body);

    let rows = db.execute(
        "INSERT INTO inbox (source, kind, content_hash, body, received_at)
         VALUES (?, ?, ?, ?, ?) RETURNING id",
        &[
            source.into(),
            kind.into(),
            content_hash.as_str().into(),
            Value::Blob(body.to_vec()),
            received_at.into(),
        ],
    )?;

    Ok(InboxEntry {
        id: returned_id(&rows, 0)?,
        source: source.to_owned(),
        kind: kind.to_owned(),
        content_hash,
        body: body.to_vec(),
        received_at,
        status: InboxStatus::Received,
        error: None,
        applied_at: None,
    })
}

/// Stores an input raw together with what applying it did: in the
/// transaction that applied it, so neither is ever kept without the other,
/// or on its own for an input that could not be applied. Returns the
/// entry's id.
pub fn store_applied(
    db: &impl Database,
    source: &str,
    kind: &str,
    body: &[u8],
    status: InboxStatus,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let rows = db.execute(
        "INSERT INTO inbox (source, kind, content_hash, body, received_at, status, error,
            applied_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        &[
            source.into(),
            kind.into(),
            content_hash(body).into(),
            Value::Blob(body.to_vec()),
            at.into(),
            status.as_str().into(),
            error.into(),
            at.into(),
        ],
    )?;
    returned_id(&rows, 0)
}

/// Records what applying the entry did (applied, duplicate or stale) and
/// clears any earlier error.
pub fn mark_applied(
    db: &impl Database,
    id: i64,
    outcome: ApplyOutcome,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let status = InboxStatus::from(outcome);
    set_status(db, id, status, None, at)
}

/// Records that applying the entry failed, and why.
pub fn mark_failed(
    db: &impl Database,
    id: i64,
    error: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    set_status(db, id, InboxStatus::Failed, Some(error), at)
}

/// Records where an entry stands, with the error for a failed one, and
/// when it was applied.
pub fn set_status(
    db: &impl Database,
    id: i64,
    status: InboxStatus,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows = db.execute(
        "UPDATE inbox SET status = ?, error = ?, applied_at = ? WHERE id = ? RETURNING id",
        &[
            status.as_str().into(),
            error.into(),
            at.into(),
            Value::Integer(id),
        ],
    )?;

    returned_id(&rows, id).map(drop)
}

/// The id a `RETURNING id` gave back; no row means no entry `id`.
fn returned_id(rows: &crate::Rows, id: i64) -> Result<i64, StoreError> {
    let row = rows.first().ok_or_else(|| StoreError::NotFound {
        what: "inbox entry",
        id: id.to_string(),
    })?;
    row.integer("id")
}

/// One entry with its body, to inspect or replay it.
pub fn get(db: &impl Database, id: i64) -> Result<Option<InboxEntry>, StoreError> {
    let rows = db.execute(
        &format!("SELECT {ENTRY_COLUMNS} FROM inbox WHERE id = ?"),
        &[Value::Integer(id)],
    )?;

    rows.first()
        .map(|row| InboxEntry::from_row(&row))
        .transpose()
}

/// Entries in `status`, oldest first, after the entry `after_id` (0 to start).
///
/// `Received` lists what was stored but never applied (the process stopped
/// in between): replaying those finishes the work.
pub fn list_by_status(
    db: &impl Database,
    status: InboxStatus,
    after_id: i64,
    limit: u32,
) -> Result<Vec<InboxEntry>, StoreError> {
    let rows = db.execute(
        &format!(
            "SELECT {ENTRY_COLUMNS} FROM inbox WHERE status = ? AND id > ?
             ORDER BY id LIMIT ?"
        ),
        &[
            status.as_str().into(),
            Value::Integer(after_id),
            limit.into(),
        ],
    )?;

    rows.iter().map(|row| InboxEntry::from_row(&row)).collect()
}

/// Failed entries, oldest first, after the entry `after_id` (0 to start).
pub fn list_failures(
    db: &impl Database,
    after_id: i64,
    limit: u32,
) -> Result<Vec<InboxEntry>, StoreError> {
    list_by_status(db, InboxStatus::Failed, after_id, limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NativeDatabase;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("RFC 3339 instant")
    }

    #[test]
    fn received_body_is_kept_byte_for_byte_with_its_hash() {
        let db = NativeDatabase::open_in_memory().expect("database");
        let body = b"{\"id\": \"evt_1\", \"amount\": \"12.50\"}\xff";

        let entry =
            receive(&db, "sellsy", "webhook", body, at("2026-03-02T09:15:00Z")).expect("receive");

        let stored = get(&db, entry.id).expect("get").expect("stored");
        assert_eq!(stored.body, body);
        assert_eq!(stored.content_hash, content_hash(body));
        assert_eq!(stored.content_hash.len(), 64);
        assert_eq!(stored.status, InboxStatus::Received);
    }

    #[test]
    fn received_entry_is_what_a_read_gives_back() {
        let db = NativeDatabase::open_in_memory().expect("database");

        let entry = receive(
            &db,
            "stripe",
            "stripe_event",
            b"{}",
            at("2026-03-02T09:15:00.123456789Z"),
        )
        .expect("receive");

        assert_eq!(get(&db, entry.id).expect("get"), Some(entry));
    }

    #[test]
    fn failed_entry_is_listed_until_replayed() {
        let db = NativeDatabase::open_in_memory().expect("database");
        let first = receive(&db, "sellsy", "webhook", b"a", at("2026-03-02T09:15:00Z")).expect("a");
        let second =
            receive(&db, "sellsy", "webhook", b"b", at("2026-03-02T09:16:00Z")).expect("b");

        mark_failed(
            &db,
            first.id,
            "invoice sellsy:inv_1 is not known",
            at("2026-03-02T09:15:01Z"),
        )
        .expect("mark failed");
        mark_applied(
            &db,
            second.id,
            ApplyOutcome::Applied,
            at("2026-03-02T09:16:01Z"),
        )
        .expect("mark applied");

        let failures = list_failures(&db, 0, 10).expect("failures");
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].id, first.id);
        assert_eq!(
            failures[0].error.as_deref(),
            Some("invoice sellsy:inv_1 is not known")
        );

        mark_applied(
            &db,
            first.id,
            ApplyOutcome::Duplicate,
            at("2026-03-03T08:00:00Z"),
        )
        .expect("replay");
        let replayed = get(&db, first.id).expect("get").expect("stored");
        assert_eq!(replayed.status, InboxStatus::Duplicate);
        assert_eq!(replayed.error, None);
        assert!(list_failures(&db, 0, 10).expect("failures").is_empty());
    }

    #[test]
    fn marking_an_unknown_entry_says_not_found() {
        let db = NativeDatabase::open_in_memory().expect("database");

        let error = mark_failed(&db, 42, "x", at("2026-03-02T09:15:00Z")).expect_err("no entry 42");

        assert!(matches!(error, StoreError::NotFound { .. }), "{error}");
    }
}
