//! Allocations by hand: `POST /api/v1/allocations` settles invoices with a
//! bank transaction, `DELETE /api/v1/allocations/{id}` undoes an allocation
//! and the match it belongs to.

use chrono::Utc;
use relance_api::ApiError;
use relance_store::reconciliation::{allocate_by_hand, undo_allocation};
use relance_web::{json_response, open_database, read_json};
use rust_decimal::Decimal;
use serde::Deserialize;
use spin_sdk::http::{Params, Request, Response};

use crate::{id_parameter, whole_ledger_caller};

/// The largest body accepted: a payment spread over a few thousand invoices.
const BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// `{"bank_transaction_id": 5, "allocations": [{"invoice_id": 12, "amount": "300.00"}]}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllocationRequest {
    bank_transaction_id: i64,
    allocations: Vec<InvoiceShare>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InvoiceShare {
    invoice_id: i64,
    amount: String,
}

/// Allocates a bank transaction to invoices by hand.
pub fn create(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = whole_ledger_caller(request, &db)?;
    principal.require_ledger_write()?;
    let body: AllocationRequest = read_json(request, BODY_LIMIT_BYTES)?;

    let shares = shares(&body.allocations)?;
    let applied = allocate_by_hand(
        &db,
        body.bank_transaction_id,
        &shares,
        principal.token_id,
        Utc::now(),
    )?;
    json_response(201, &applied)
}

/// Undoes an allocation; one made by a match undoes the whole match.
pub fn undo(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = whole_ledger_caller(request, &db)?;
    principal.require_ledger_write()?;
    let id = id_parameter(params, "allocation")?;

    let undone = undo_allocation(&db, id, principal.token_id, Utc::now())?;
    json_response(200, &undone)
}

/// The invoices and amounts asked for: at least one, each amount a positive
/// decimal written as text.
fn shares(requested: &[InvoiceShare]) -> Result<Vec<(i64, Decimal)>, ApiError> {
    if requested.is_empty() {
        return Err(ApiError::bad_request(
            "`allocations` is empty: give at least one {\"invoice_id\", \"amount\"}",
        ));
    }

    requested
        .iter()
        .enumerate()
        .map(|(index, share)| {
            let amount = share
                .amount
                .trim()
                .parse::<Decimal>()
                .ok()
                .filter(|amount| *amount > Decimal::ZERO)
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "allocations[{index}].amount is {:?}; give a positive amount as text \
                         with a decimal point, such as \"300.00\"",
                        share.amount
                    ))
                })?;
            Ok((share.invoice_id, amount))
        })
        .collect()
}
