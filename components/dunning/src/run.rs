//! `POST /jobs/dunning/run`: records every step due on `as_of` (today by
//! default) and delivers the outbox; `POST /jobs/dunning/deliver` only
//! delivers what waits; `GET /api/v1/dunning/preview` shows what the run
//! would do, without doing it. Running the job twice the same day records
//! and sends nothing more.

use chrono::{NaiveDate, Utc};
use relance_api::{ApiError, QueryParameters};
use relance_dunning::store::run::{Delivery, preview as preview_run, run_dunning};
use relance_web::{authenticate, json_response, open_database};
use serde_json::json;
use spin_sdk::http::{Request, Response};

use crate::delivery::{Sender, deliver_due};
use crate::{id_cursor, job_caller};

/// The order preview pages follow, as their cursors record it.
const PREVIEW_SORT: &str = "customer_id";

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
/// run would record for the caller's customers, with each message rendered,
/// about `limit` steps a page.
pub fn preview(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let mut parameters = QueryParameters::parse(request.query(), &["as_of", "limit", "cursor"])?;

    let as_of = parameters
        .date("as_of")?
        .unwrap_or_else(|| Utc::now().date_naive());
    let page = parameters.page(PREVIEW_SORT)?;
    let after = page.cursor.as_ref().map(|cursor| cursor.id);
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);

    let preview = preview_run(&db, &principal.scope, as_of, after, limit)?;
    json_response(
        200,
        &json!({
            "as_of": preview.as_of,
            "steps": preview.steps,
            "held": preview.held,
            "next_cursor": id_cursor(preview.next_customer, PREVIEW_SORT),
        }),
    )
}

/// The day judged: `?as_of=YYYY-MM-DD`, today when absent.
fn as_of(request: &Request) -> Result<NaiveDate, ApiError> {
    let mut parameters = QueryParameters::parse(request.query(), &["as_of"])?;
    Ok(parameters
        .date("as_of")?
        .unwrap_or_else(|| Utc::now().date_naive()))
}
