//! The `scoring` component: the weekly training of the payment model, the
//! frequent refresh that rescores what changed, each customer's score with
//! its trend and reasons, and the alerts a person reviews. A score never
//! acts by itself.

// `#[http_component]` expands to the component's exported C ABI, which is unsafe code.
#![allow(unsafe_code)]

mod alerts;
mod jobs;
mod scores;

use chrono::{NaiveDate, Utc};
use relance_api::{ApiError, QueryParameters};
use relance_web::respond;
use spin_sdk::http::{Params, Request, Response, Router};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    relance_web::init_logging();
    let mut router = Router::new();
    router.post("/jobs/scoring/train", |r: Request, _: Params| {
        respond(jobs::train(&r))
    });
    router.post("/jobs/scoring/refresh", |r: Request, _: Params| {
        respond(jobs::refresh(&r))
    });
    router.get("/api/v1/scores/customers/:id", |r: Request, p: Params| {
        respond(scores::customer(&r, &p))
    });
    router.get("/api/v1/scores/models", |r: Request, _: Params| {
        respond(scores::models(&r))
    });
    router.get("/api/v1/alerts", |r: Request, _: Params| {
        respond(alerts::list(&r))
    });
    router.post("/api/v1/alerts/:id/review", |r: Request, p: Params| {
        respond(alerts::review(&r, &p))
    });
    router.handle(request)
}

/// The numeric id in the route's `:id` segment.
fn id_parameter(params: &Params, what: &str) -> Result<i64, ApiError> {
    let text = params.get("id").unwrap_or_default();
    text.parse().map_err(|_| {
        ApiError::not_found(format!(
            "{what} {text:?} does not exist: ids are whole numbers, as listed by the API"
        ))
    })
}

/// The `as_of` day of a job (today when absent); no other parameter.
fn job_day(request: &Request) -> Result<NaiveDate, ApiError> {
    let mut parameters = QueryParameters::parse(request.query(), &["as_of"])?;
    Ok(parameters
        .date("as_of")?
        .unwrap_or_else(|| Utc::now().date_naive()))
}
