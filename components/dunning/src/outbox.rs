//! `GET /api/v1/outbox` (the caller's portfolio, newest first; `status`,
//! `customer_id`, `limit`, `cursor`): every message and where it stands;
//! `GET /api/v1/outbox/:id` one message; `GET /api/v1/outbox/:id/print` a
//! letter as the page to print.

use relance_api::{ApiError, QueryParameters, invalid_parameter};
use relance_dunning::store::outbox::{OutboxFilter, STATUSES, get_message, list_outbox};
use relance_web::{authenticate, json_response, open_database};
use serde_json::json;
use spin_sdk::http::{Params, Request, Response};

use crate::tasks::whole_number;
use crate::{id_cursor, id_parameter};

/// Lists messages.
pub fn list(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let mut parameters = QueryParameters::parse(
        request.query(),
        &["status", "customer_id", "limit", "cursor"],
    )?;

    let status = parameters.take("status")?;
    if let Some(text) = &status
        && !STATUSES.contains(&text.as_str())
    {
        return Err(invalid_parameter(
            "status",
            text,
            &format!("is not a message status; use {}", STATUSES.join(", ")),
        ));
    }
    let filter = OutboxFilter {
        status,
        customer_id: whole_number(&mut parameters, "customer_id")?,
    };
    let page = parameters.page("-id")?;

    let (items, next) = list_outbox(&db, &principal.scope, &filter, &page)?;
    json_response(
        200,
        &json!({ "items": items, "next_cursor": id_cursor(next, "-id") }),
    )
}

/// One message.
pub fn get(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let id = id_parameter(params, "message")?;

    json_response(200, &get_message(&db, &principal.scope, id)?)
}

/// The message's HTML as a page: the letter to print, or the email as sent.
pub fn print(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let id = id_parameter(params, "message")?;

    let message = get_message(&db, &principal.scope, id)?;
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/html; charset=utf-8")
        .body(message.html_body)
        .build())
}
