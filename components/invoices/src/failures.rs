//! Inputs that could not be applied: listed with their error, and replayed
//! from their stored raw body once the cause is fixed (the customer now
//! exists, the configuration was corrected).

use chrono::Utc;
use relance_api::{ApiError, Page};
use relance_store::inbox::{self, InboxStatus};
use relance_web::{authenticate, json_response, open_database};
use serde_json::json;
use spin_sdk::http::{Params, Request, Response};

use crate::path_id;
use relance_ingest::{InputKind, apply_and_record};

/// `GET /api/v1/ingestion/failures?after=<id>&limit=<n>`: oldest first.
pub fn list_failures(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?.require_settings()?;
    let (after, limit) = listing_window(request.query())?;

    let failures = inbox::list_failures(&db, after, limit)?;
    let next_after = (failures.len() == limit as usize)
        .then(|| failures.last().map(|entry| entry.id))
        .flatten();
    json_response(200, &json!({ "items": failures, "next_after": next_after }))
}

/// Reads `after` (an inbox id, default 0) and `limit` (default 100).
fn listing_window(query: &str) -> Result<(i64, u32), ApiError> {
    let (mut after, mut limit) = (0, Page::DEFAULT_LIMIT);

    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let invalid = |problem: &str| {
            ApiError::bad_request(format!("`{name}={value}` {problem}"))
                .with_code("invalid_parameter")
                .with_details(json!({ "parameter": name, "value": value }))
        };
        match name.as_ref() {
            "after" => after = value.parse().map_err(|_| invalid("is not an inbox id"))?,
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|limit| (1..=Page::MAX_LIMIT).contains(limit))
                    .ok_or_else(|| invalid("must be a whole number from 1 to 1000"))?;
            }
            _ => return Err(invalid("is not a parameter; use after and limit")),
        }
    }

    Ok((after, limit))
}

/// `POST /api/v1/ingestion/failures/:id/replay`: applies the stored input
/// again and records the new outcome.
pub fn replay_failure(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?.require_settings()?;
    let id = path_id(params, "inbox entry")?;

    let entry = inbox::get(&db, id)?
        .ok_or_else(|| ApiError::not_found(format!("inbox entry {id} does not exist")))?;
    if !matches!(entry.status, InboxStatus::Failed | InboxStatus::Received) {
        return Err(ApiError::conflict(format!(
            "inbox entry {id} is {}; only failed entries are replayed",
            entry.status.as_str()
        )));
    }

    let kind = InputKind::from_stored_name(&entry.kind)?;
    let answer = apply_and_record(&db, id, kind, &entry.body, Utc::now())?;
    json_response(200, &answer)
}
