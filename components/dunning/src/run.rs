//! `POST /jobs/dunning/run`: records every step due on `as_of` (today by
//! default) and delivers the outbox; `POST /jobs/dunning/deliver` only
//! delivers what waits; `GET /api/v1/dunning/preview` shows what the run
//! would do, without doing it. Running the job twice the same day records
//! and sends nothing more.

use chrono::{NaiveDate, Utc};
use relance_api::{ApiError, QueryParameters, invalid_parameter};
use relance_dunning::store::run::{Delivery, preview as preview_run, run_dunning};
use relance_web::{authenticate, json_response, open_database};
use serde_json::json;
use spin_sdk::http::{Request, Response};

use crate::delivery::{Sender, deliver_due};
use crate::job_caller;

/// Steps shown per preview page when `limit` is not given.
const PREVIEW_LIMIT: usize = 100;

/// Runs dunning, then delivers.
pub fn run(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    job_caller(request, &db)?;
    let as_of = as_of(request)?;
    let sender = Sender::configured()?;

    let delivery = if sender.is_some() {
        Delivery::Provider
    } else {
        Delivery::LocalOutbox
    };
    let summary = run_dunning(&db, as_of, delivery, Utc::now())?;
    tracing::info!(
        target: "relance.dunning.run",
        run_id = summary.run_id,
        as_of = %as_of,
        invoices = summary.invoices_considered,
        steps = summary.steps_taken,
        emails = summary.emails,
        letters = summary.letters,
        tasks = summary.tasks,
        "dunning run recorded"
    );

    let delivered = match &sender {
        Some(sender) => Some(deliver_due(&db, sender)?),
        None => None,
    };
    json_response(200, &json!({ "run": summary, "delivery": delivered }))
}

/// Delivers the emails waiting in the outbox.
pub fn deliver(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    job_caller(request, &db)?;

    let delivered = match Sender::configured()? {
        Some(sender) => Some(deliver_due(&db, &sender)?),
        None => None,
    };
    json_response(200, &json!({ "delivery": delivered }))
}

/// `GET /api/v1/dunning/preview?as_of=&limit=&cursor=`: the steps the next
/// run would record for the caller's customers, with each message rendered.
pub fn preview(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let mut parameters = QueryParameters::parse(request.query(), &["as_of", "limit", "cursor"])?;

    let as_of = parameters
        .date("as_of")?
        .unwrap_or_else(|| Utc::now().date_naive());
    let limit = match parameters.take("limit")? {
        None => PREVIEW_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=1000).contains(limit))
            .ok_or_else(|| {
                invalid_parameter("limit", &text, "must be a whole number from 1 to 1000")
            })?,
    };
    let cursor = match parameters.take("cursor")? {
        None => None,
        Some(text) => Some(text.parse::<i64>().map_err(|_| {
            invalid_parameter(
                "cursor",
                &text,
                "is not a cursor this API issued; pass next_cursor",
            )
        })?),
    };

    let preview = preview_run(&db, &principal.scope, as_of, cursor, limit)?;
    json_response(200, &preview)
}

/// The day judged: `?as_of=YYYY-MM-DD`, today when absent.
fn as_of(request: &Request) -> Result<NaiveDate, ApiError> {
    let mut parameters = QueryParameters::parse(request.query(), &["as_of"])?;
    Ok(parameters
        .date("as_of")?
        .unwrap_or_else(|| Utc::now().date_naive()))
}
