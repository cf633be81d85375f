//! `POST /api/v1/invoices`: the bulk upsert of canonical invoices.

use chrono::Utc;
use relance_api::ApiError;
use relance_ingest::{InputKind, declared_source, receive_and_apply};
use relance_web::{authenticate, json_response, open_database, read_body};
use spin_sdk::http::{Request, Response};

/// The largest bulk request: about ten thousand invoices.
const BULK_LIMIT_BYTES: usize = 16 * 1024 * 1024;

/// `POST /api/v1/invoices`.
pub fn upsert_invoices(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?.require_ledger_write()?;
    let body = read_body(request, BULK_LIMIT_BYTES)?;

    let source = declared_source(body);
    let answer = receive_and_apply(&db, &source, InputKind::BulkInvoices, body, Utc::now())?;
    json_response(200, &answer)
}
