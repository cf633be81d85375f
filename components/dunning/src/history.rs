//! `GET /api/v1/dunning/history?customer_id=&invoice_id=&limit=&cursor=`:
//! every action on the caller's customers, newest first — who, when, what
//! and the result, with the invoices concerned.

use relance_api::{ApiError, QueryParameters};
use relance_dunning::store::history::{HistoryFilter, list_history};
use relance_web::{authenticate, json_response, open_database};
use serde_json::json;
use spin_sdk::http::{Request, Response};

use crate::id_cursor;
use crate::tasks::whole_number;

/// Lists the history.
pub fn list(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let mut parameters = QueryParameters::parse(
        request.query(),
        &["customer_id", "invoice_id", "limit", "cursor"],
    )?;

    let filter = HistoryFilter {
        customer_id: whole_number(&mut parameters, "customer_id")?,
        invoice_id: whole_number(&mut parameters, "invoice_id")?,
    };
    let page = parameters.page("-id")?;

    let (items, next) = list_history(&db, &principal.scope, &filter, &page)?;
    json_response(
        200,
        &json!({ "items": items, "next_cursor": id_cursor(next, "-id") }),
    )
}
