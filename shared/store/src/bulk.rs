//! Bulk upsert of invoices: many in one transaction, each item on its own,
//! so one bad invoice never holds back the good ones.

use chrono::{DateTime, Utc};
use relance_ledger::customer::SourceRef;
use relance_ledger::invoice::Invoice;
use serde::Serialize;

use crate::apply::{ChangeOutcome, upsert_invoice};
use crate::{Database, StoreError};

/// What happened to one invoice of a bulk request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum BulkOutcome {
    /// Stored.
    Applied,
    /// A newer state of the invoice is stored; nothing changed.
    Stale,
    /// Refused; nothing of this item was stored.
    Failed {
        /// What is wrong and how to fix it.
        error: String,
    },
}

/// The result of one item, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkItemResult {
    /// Position of the item in the request, from 0.
    pub index: usize,
    /// The invoice's identity.
    pub source_ref: SourceRef,
    /// What happened to it.
    pub outcome: BulkOutcome,
}

/// Upserts `invoices` in one transaction (the caller's, if one is open),
/// each inside its own savepoint:
/// an item that fails is undone alone and reported, the others are kept.
/// Every item is stamped with `occurred_at` for the version check.
pub fn bulk_upsert_invoices(
    db: &impl Database,
    invoices: &[Invoice],
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<BulkItemResult>, StoreError> {
    db.within_transaction(|db| {
        let mut results = Vec::with_capacity(invoices.len());

        for (index, invoice) in invoices.iter().enumerate() {
            let attempt = db.savepoint("bulk_item", |db| {
                upsert_invoice(db, invoice, occurred_at, now)
            });

            results.push(BulkItemResult {
                index,
                source_ref: invoice.source_ref().clone(),
                outcome: item_outcome(attempt),
            });
        }

        Ok(results)
    })
}

fn item_outcome(attempt: Result<ChangeOutcome, StoreError>) -> BulkOutcome {
    match attempt {
        Ok(ChangeOutcome::Applied) => BulkOutcome::Applied,
        Ok(ChangeOutcome::Stale) => BulkOutcome::Stale,
        Err(error) if error.is_callers_fault() => BulkOutcome::Failed {
            error: error.to_string(),
        },
        Err(error) => {
            tracing::error!(target: "relance.store.bulk", %error, "bulk item failed");
            BulkOutcome::Failed {
                error: "an internal error occurred on this item; it has been logged".to_owned(),
            }
        }
    }
}
