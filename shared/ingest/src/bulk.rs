//! Bulk invoices (`POST /api/v1/invoices`): many canonical invoices in one
//! request, each stored or refused on its own, with a result per item in
//! request order.

use chrono::{DateTime, Utc};
use relance_api::ApiError;
use relance_ledger::canonical;
use relance_ledger::invoice::Invoice;
use relance_store::{ApplyOutcome, BulkOutcome, Database, bulk_upsert_invoices};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::receive::Applied;

/// The request body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkRequest {
    /// The platform the invoices come from, part of their identity.
    source: String,
    /// When the platform produced this state; defaults to the receipt time.
    /// An invoice stored with a later state is left as it is.
    #[serde(default)]
    occurred_at: Option<DateTime<Utc>>,
    /// Canonical invoice objects.
    invoices: Vec<Value>,
}

/// The result of one item.
#[derive(Debug, Serialize)]
struct ItemResult {
    index: usize,
    external_id: Option<String>,
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// A bulk request read: the invoices to store, and the items that could
/// not be read, already reported.
pub struct BulkInput {
    occurred_at: Option<DateTime<Utc>>,
    readable: Vec<(usize, Invoice)>,
    unreadable: Vec<ItemResult>,
}

/// Reads a bulk request. Items that cannot be read are reported alongside
/// those the store refuses; neither holds back the others, and neither
/// fails the request.
pub fn read(body: &[u8]) -> Result<BulkInput, ApiError> {
    let request: BulkRequest = serde_json::from_slice(body).map_err(|error| {
        ApiError::bad_request(format!(
            "the body is not a bulk request ({error}); send \
             {{\"source\": \"<platform>\", \"invoices\": [<canonical invoice>, ...]}}"
        ))
        .with_code("invalid_json")
    })?;

    let mut unreadable = Vec::new();
    let mut readable = Vec::with_capacity(request.invoices.len());
    for (index, object) in request.invoices.iter().enumerate() {
        match canonical::parse_invoice(object, &request.source) {
            Ok(invoice) => readable.push((index, invoice)),
            Err(error) => unreadable.push(unreadable_item(index, object, error.to_string())),
        }
    }

    Ok(BulkInput {
        occurred_at: request.occurred_at,
        readable,
        unreadable,
    })
}

/// Upserts the invoices of a bulk request read by [`read`].
pub fn apply(
    db: &impl Database,
    input: BulkInput,
    now: DateTime<Utc>,
) -> Result<Applied, ApiError> {
    let BulkInput {
        occurred_at,
        readable,
        unreadable: mut results,
    } = input;
    let (indexes, invoices): (Vec<usize>, Vec<Invoice>) = readable.into_iter().unzip();

    let stored = bulk_upsert_invoices(db, &invoices, occurred_at.unwrap_or(now), now)?;
    for (item, index) in stored.into_iter().zip(indexes) {
        results.push(stored_result(
            index,
            item.source_ref.external_id,
            item.outcome,
        ));
    }
    results.sort_by_key(|result| result.index);

    Ok(summary(results))
}

fn unreadable_item(index: usize, object: &Value, error: String) -> ItemResult {
    ItemResult {
        index,
        external_id: object["external_id"].as_str().map(str::to_owned),
        result: "failed",
        error: Some(error),
    }
}

fn stored_result(index: usize, external_id: String, outcome: BulkOutcome) -> ItemResult {
    let (result, error) = match outcome {
        BulkOutcome::Applied => ("applied", None),
        BulkOutcome::Stale => ("stale", None),
        BulkOutcome::Failed { error } => ("failed", Some(error)),
    };
    ItemResult {
        index,
        external_id: Some(external_id),
        result,
        error,
    }
}

/// Counts by result, then every item. The inbox records the request as
/// applied: refused items are the sender's to correct and send again.
fn summary(results: Vec<ItemResult>) -> Applied {
    let count = |wanted: &str| results.iter().filter(|r| r.result == wanted).count();
    let (applied, stale, failed) = (count("applied"), count("stale"), count("failed"));

    let outcome = if applied > 0 {
        ApplyOutcome::Applied
    } else {
        ApplyOutcome::Stale
    };
    Applied {
        outcome,
        answer: json!({
            "applied": applied,
            "stale": stale,
            "failed": failed,
            "results": results,
        }),
        unapplied: None,
    }
}
