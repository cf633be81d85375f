//! Invoices as the finance team reads them, within the caller's portfolio,
//! and the team's annotations: disputes, promises to pay, dunning pauses.

use chrono::{NaiveDate, Utc};
use relance_api::{ApiError, InvoiceQuery};
use relance_ledger::invoice::{Dispute, PromiseToPay};
use relance_ledger::money::Money;
use relance_store::invoices::{self as store, InvoiceRecord};
use relance_web::{authenticate, json_response, open_database, read_json};
use serde::{Deserialize, Deserializer};
use spin_sdk::http::{Params, Request, Response};

use crate::path_id;

/// The largest `PATCH` body.
const EDIT_LIMIT_BYTES: usize = 64 * 1024;

/// `GET /api/v1/invoices`: filtered, sorted, one page at a time.
pub fn list_invoices(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let query = InvoiceQuery::parse(request.query(), Utc::now().date_naive())?;

    let listing = store::list_invoices(&db, &principal.scope, &query.filter, &query.page)?;
    json_response(200, &listing)
}

/// `GET /api/v1/invoices/:id`.
pub fn get_invoice(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let id = path_id(params, "invoice")?;

    let invoice = store::get_invoice(&db, &principal.scope, id)?.ok_or_else(|| not_found(id))?;
    json_response(200, &invoice)
}

/// What a `PATCH /api/v1/invoices/:id` body may change; see docs/api.md.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InvoiceEdit {
    /// Open or close the dispute.
    #[serde(default)]
    dispute: Option<DisputeEdit>,
    /// Record a promise to pay, or clear it with `null`.
    #[serde(default, deserialize_with = "present")]
    promise_to_pay: Option<Option<PromiseEdit>>,
    /// Pause dunning until a day (inclusive), or lift the pause with `null`.
    #[serde(default, deserialize_with = "present")]
    dunning_paused_until: Option<Option<NaiveDate>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DisputeEdit {
    open: bool,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PromiseEdit {
    date: NaiveDate,
    amount: String,
}

/// Tells a field given as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `PATCH /api/v1/invoices/:id`: every change given is made, in the order
/// dispute, promise to pay, dunning pause; the answer is the invoice after.
/// An invoice outside the caller's portfolio is a 404 whatever their role,
/// so its existence is never revealed.
pub fn edit_invoice(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let id = path_id(params, "invoice")?;
    let scope = &principal.scope;
    let mut invoice = store::get_invoice(&db, scope, id)?.ok_or_else(|| not_found(id))?;
    principal.require_ledger_write()?;
    let edit: InvoiceEdit = read_json(request, EDIT_LIMIT_BYTES)?;

    let now = Utc::now();
    let today = now.date_naive();
    let dispute = edit
        .dispute
        .map(|dispute| dispute_change(dispute, today))
        .transpose()?;
    let promise = match edit.promise_to_pay {
        Some(Some(promise)) => Some(Some(promise_for(&invoice, promise, today)?)),
        Some(None) => Some(None),
        None => None,
    };
    if dispute.is_none() && promise.is_none() && edit.dunning_paused_until.is_none() {
        return Err(ApiError::bad_request(
            "nothing to change: give dispute, promise_to_pay or dunning_paused_until",
        )
        .with_code("empty_edit"));
    }

    match dispute {
        Some(Some(dispute)) => invoice = store::open_dispute(&db, scope, id, &dispute, now)?,
        Some(None) => invoice = store::close_dispute(&db, scope, id, now)?,
        None => {}
    }
    match promise {
        Some(Some(promise)) => {
            invoice = store::record_promise_to_pay(&db, scope, id, &promise, now)?
        }
        Some(None) => invoice = store::clear_promise_to_pay(&db, scope, id, now)?,
        None => {}
    }
    if let Some(until) = edit.dunning_paused_until {
        invoice = store::pause_dunning(&db, scope, id, until, now)?;
    }

    json_response(200, &invoice)
}

/// The dispute to open (`Some`) or `None` to close it.
fn dispute_change(edit: DisputeEdit, today: NaiveDate) -> Result<Option<Dispute>, ApiError> {
    if !edit.open {
        return Ok(None);
    }

    let reason = edit.reason.map(|r| r.trim().to_owned()).unwrap_or_default();
    if reason.is_empty() {
        return Err(ApiError::bad_request(
            "a dispute needs a `reason` saying what the customer contests",
        )
        .with_code("invalid_edit"));
    }
    Ok(Some(Dispute {
        opened_on: today,
        reason,
    }))
}

/// The promise, its amount read in the invoice's currency.
fn promise_for(
    invoice: &InvoiceRecord,
    edit: PromiseEdit,
    today: NaiveDate,
) -> Result<PromiseToPay, ApiError> {
    let currency = invoice.total.currency();
    let amount = Money::parse(&edit.amount, currency).map_err(|error| {
        ApiError::bad_request(format!(
            "promise_to_pay.amount {:?} is not an amount in {}: {error}",
            edit.amount,
            currency.code()
        ))
        .with_code("invalid_edit")
    })?;

    Ok(PromiseToPay {
        promised_on: edit.date,
        amount,
        recorded_on: today,
    })
}

fn not_found(id: i64) -> ApiError {
    ApiError::not_found(format!(
        "invoice {id} does not exist or is outside your portfolio"
    ))
}
