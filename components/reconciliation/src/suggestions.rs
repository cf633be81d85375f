//! The review queue: `GET /api/v1/reconciliation/suggestions` lists the
//! matches waiting for a person (or, with `status`, those already decided),
//! and each is accepted or rejected by its id.

use chrono::Utc;
use relance_api::{ApiError, QueryParameters, invalid_parameter};
use relance_store::reconciliation::{
    MatchStatus, accept_suggestion, list_matches, reject_suggestion,
};
use relance_web::{json_response, open_database};
use serde_json::json;
use spin_sdk::http::{Params, Request, Response};

use crate::{id_parameter, whole_ledger_caller};

/// Lists matches: `status` (default `suggested`), `limit`, `cursor`.
pub fn list(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    whole_ledger_caller(request, &db)?;
    let mut parameters = QueryParameters::parse(request.query(), &["status", "limit", "cursor"])?;

    let status = match parameters.take("status")? {
        None => MatchStatus::default(),
        Some(text) => MatchStatus::parse(&text).ok_or_else(|| {
            let allowed: Vec<&str> = MatchStatus::ALL.iter().map(|s| s.as_str()).collect();
            invalid_parameter(
                "status",
                &text,
                &format!("is not a match status; use {}", allowed.join(", ")),
            )
        })?,
    };
    let page = parameters.page("m.id")?;

    json_response(200, &list_matches(&db, status, &page)?)
}

/// Accepts a suggestion: its allocations are made at once.
pub fn accept(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = whole_ledger_caller(request, &db)?;
    principal.require_ledger_write()?;
    let id = id_parameter(params, "suggestion")?;

    let applied = accept_suggestion(&db, id, principal.token_id, Utc::now())?;
    json_response(200, &applied)
}

/// Rejects a suggestion: it is never proposed again for that payment.
pub fn reject(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = whole_ledger_caller(request, &db)?;
    principal.require_ledger_write()?;
    let id = id_parameter(params, "suggestion")?;

    reject_suggestion(&db, id, principal.token_id, Utc::now())?;
    json_response(200, &json!({ "id": id, "status": "rejected" }))
}
