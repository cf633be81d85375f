//! `GET /api/v1/alerts`: the customers a person should look at (risk past
//! the threshold, rising sharply, a habit broken), newest first, within the
//! caller's portfolio; `POST /api/v1/alerts/{id}/review` records that a
//! person looked.

use chrono::Utc;
use relance_api::{ApiError, QueryParameters, invalid_parameter};
use relance_scoring::alerts::AlertKind;
use relance_scoring::store::{self, ALERT_SORT, AlertFilter, AlertStatus};
use relance_web::{authenticate, json_response, open_database};
use spin_sdk::http::{Params, Request, Response};

use crate::id_parameter;

/// Lists alerts: `status` (`open` by default, `reviewed`, or `all`),
/// `kind`, `customer_id`, `limit`, `cursor`.
pub fn list(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let mut parameters = QueryParameters::parse(
        request.query(),
        &["status", "kind", "customer_id", "limit", "cursor"],
    )?;

    let filter = AlertFilter {
        status: status(parameters.take("status")?)?,
        kind: parameters
            .take("kind")?
            .map(|text| kind(&text))
            .transpose()?,
        customer_id: parameters
            .take("customer_id")?
            .map(|text| {
                text.parse().map_err(|_| {
                    invalid_parameter(
                        "customer_id",
                        &text,
                        "is not a customer id (a whole number)",
                    )
                })
            })
            .transpose()?,
    };
    let page = parameters.page(ALERT_SORT)?;

    let alerts = store::list_alerts(&db, &principal.scope, &filter, &page)?;
    json_response(200, &alerts)
}

/// Marks an alert reviewed; for the roles that work the ledger.
pub fn review(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    principal.require_ledger_write()?;
    let id = id_parameter(params, "alert")?;

    let alert = store::review_alert(&db, &principal.scope, id, principal.token_id, Utc::now())?;
    json_response(200, &alert)
}

fn status(text: Option<String>) -> Result<Option<AlertStatus>, ApiError> {
    match text.as_deref() {
        None => Ok(Some(AlertStatus::Open)),
        Some("all") => Ok(None),
        Some(name) => AlertStatus::parse(name).map(Some).ok_or_else(|| {
            invalid_parameter(
                "status",
                name,
                "is not an alert status; use open, reviewed or all",
            )
        }),
    }
}

fn kind(text: &str) -> Result<AlertKind, ApiError> {
    AlertKind::parse(text).ok_or_else(|| {
        let allowed: Vec<&str> = AlertKind::ALL.iter().map(|kind| kind.as_str()).collect();
        invalid_parameter(
            "kind",
            text,
            &format!("is not an alert kind; use {}", allowed.join(", ")),
        )
    })
}
