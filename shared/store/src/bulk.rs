//! Bulk upsert of invoices: many in one transaction, each item on its own,
//! so one bad invoice never holds back the good ones.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use relance_ledger::customer::SourceRef;
use relance_ledger::invoice::Invoice;
use serde::Serialize;

use crate::apply::{ChangeOutcome, upsert_invoice};
use crate::{Database, StoreError, Value};

/// Customers read per statement, well below SQLite's limit of parameters.
const CUSTOMERS_PER_READ: usize = 500;

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
/// each item on its own: an item that fails is undone alone and reported,
/// the others are kept. Every item is stamped with `occurred_at` for the
/// version check.
pub fn bulk_upsert_invoices(
    db: &impl Database,
    invoices: &[Invoice],
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<BulkItemResult>, StoreError> {
    db.within_transaction(|db| {
        let stored_customers = stored_customer_ids(db, invoices)?;
        let mut results = Vec::with_capacity(invoices.len());

        for (index, invoice) in invoices.iter().enumerate() {
            let attempt = match stored_customers.get(invoice.customer()) {
                // With its customer stored, an item writes a single row,
                // which SQLite writes whole or not at all.
                Some(&customer_id) => {
                    upsert_invoice(db, invoice, Some(customer_id), occurred_at, now)
                }
                None => db.savepoint("bulk_item", |db| {
                    upsert_invoice(db, invoice, None, occurred_at, now)
                }),
            };

            results.push(BulkItemResult {
                index,
                source_ref: invoice.source_ref().clone(),
                outcome: item_outcome(attempt),
            });
        }

        Ok(results)
    })
}

/// The ids of the stored customers the invoices belong to, read a few
/// hundred at a time.
fn stored_customer_ids(
    db: &impl Database,
    invoices: &[Invoice],
) -> Result<HashMap<SourceRef, i64>, StoreError> {
    let mut by_source: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for invoice in invoices {
        let customer = invoice.customer();
        by_source
            .entry(&customer.source)
            .or_default()
            .insert(&customer.external_id);
    }

    let mut ids = HashMap::new();
    for (source, external_ids) in by_source {
        let external_ids: Vec<&str> = external_ids.into_iter().collect();
        for batch in external_ids.chunks(CUSTOMERS_PER_READ) {
            let placeholders = vec!["?"; batch.len()].join(", ");
            let mut params: Vec<Value> = vec![source.into()];
            params.extend(batch.iter().map(|&id| Value::from(id)));

            let rows = db.execute(
                &format!(
                    "SELECT external_id, id FROM customers
                     WHERE source = ? AND external_id IN ({placeholders})"
                ),
                &params,
            )?;
            for row in rows.iter() {
                let customer = SourceRef {
                    source: source.to_owned(),
                    external_id: row.text("external_id")?.to_owned(),
                };
                ids.insert(customer, row.integer("id")?);
            }
        }
    }
    Ok(ids)
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
