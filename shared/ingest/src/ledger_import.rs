//! The customer ledger import: a FEC or CSV file. Each change the file
//! yields is applied as its own event, identified by its content, so
//! importing the same file again changes nothing and a file that overlaps an
//! earlier one applies only what is new. A change that is refused is undone
//! alone; the others are kept.

use chrono::{DateTime, Utc};
use relance_api::ApiError;
use relance_ledger::change::{IncomingEvent, LedgerChange};
use relance_ledger::ledger_file::{self, ImportOptions};
use relance_store::{ApplyOutcome, Database, inbox};
use serde::Serialize;
use serde_json::json;

use crate::receive::Applied;

/// A change of the file that could not be applied.
#[derive(Debug, Serialize)]
struct Unapplied {
    /// Position of the change among those the file yields, from 0.
    index: usize,
    /// What it is about (`ledger:F2026-0001`).
    subject: String,
    /// Why, and how to fix it.
    error: String,
}

/// Reads the file into the changes it yields.
pub fn read(body: &[u8], options: ImportOptions) -> Result<Vec<LedgerChange>, ApiError> {
    ledger_file::parse_ledger_file(body, options).map_err(|error| {
        ApiError::bad_request(format!("the ledger file cannot be read: {error}"))
            .with_code("invalid_ledger_file")
    })
}

/// Applies each change [`read`] yielded.
pub fn apply(
    db: &impl Database,
    changes: &[LedgerChange],
    now: DateTime<Utc>,
) -> Result<Applied, ApiError> {
    let (mut applied, mut unchanged) = (0, 0);
    let mut unapplied = Vec::new();
    for (index, change) in changes.iter().enumerate() {
        match apply_change(db, change, now) {
            Ok(ApplyOutcome::Applied) => applied += 1,
            Ok(ApplyOutcome::Duplicate | ApplyOutcome::Stale) => unchanged += 1,
            Err(error) if error.status < 500 => unapplied.push(Unapplied {
                index,
                subject: change.subject().to_string(),
                error: error.message,
            }),
            Err(error) => return Err(error),
        }
    }

    Ok(summary(applied, unchanged, unapplied))
}

/// Applies one change as an event whose id is the hash of the change.
fn apply_change(
    db: &impl Database,
    change: &LedgerChange,
    now: DateTime<Utc>,
) -> Result<ApplyOutcome, ApiError> {
    let content = serde_json::to_vec(change).map_err(|error| ApiError::internal(&error))?;
    let event = IncomingEvent {
        event_id: inbox::content_hash(&content),
        source: ledger_file::SOURCE.to_owned(),
        occurred_at: now,
        changes: vec![change.clone()],
    };

    // A change refused is undone alone: the file's other changes go on.
    Ok(db.savepoint("ledger_change", |db| relance_store::apply(db, &event, now))?)
}

fn summary(applied: usize, unchanged: usize, unapplied: Vec<Unapplied>) -> Applied {
    let outcome = if applied > 0 {
        ApplyOutcome::Applied
    } else {
        ApplyOutcome::Duplicate
    };
    let reason = (!unapplied.is_empty()).then(|| {
        format!(
            "{} change(s) of the file could not be applied, the first: {} ({})",
            unapplied.len(),
            unapplied[0].subject,
            unapplied[0].error
        )
    });

    Applied {
        outcome,
        answer: json!({
            "applied": applied,
            "unchanged": unchanged,
            "failed": unapplied.len(),
            "failures": unapplied,
        }),
        unapplied: reason,
    }
}
