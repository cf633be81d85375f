//! `GET /api/v1/tasks` (the caller's portfolio; `status`, `collector`,
//! `customer_id`, `kind`, `due_by`, `limit`, `cursor`), `GET` one, and
//! `PATCH /api/v1/tasks/:id` to record what happened: reached, a promise to
//! pay (`promise: {date, amount}`), a dispute (`dispute_reason`), a wrong
//! contact, a letter posted, or done.

use chrono::{NaiveDate, Utc};
use relance_api::{ApiError, QueryParameters, invalid_parameter};
use relance_dunning::store::tasks::{
    OutcomeInput, TaskFilter, get_task, list_tasks, record_outcome as record,
};
use relance_dunning::tasks::{OutcomeKind, TaskKind};
use relance_web::{authenticate, json_response, open_database, read_json};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::{Params, Request, Response};

use crate::{id_cursor, id_parameter};

/// The largest outcome body.
const OUTCOME_LIMIT_BYTES: usize = 16 * 1024;

/// Lists tasks.
pub fn list(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let mut parameters = QueryParameters::parse(
        request.query(),
        &[
            "status",
            "collector",
            "customer_id",
            "kind",
            "due_by",
            "limit",
            "cursor",
        ],
    )?;

    let status = parameters.take("status")?;
    if let Some(text) = &status
        && !matches!(text.as_str(), "open" | "done")
    {
        return Err(invalid_parameter("status", text, "must be open or done"));
    }
    let kind = match parameters.take("kind")? {
        None => None,
        Some(text) => Some(TaskKind::parse(&text).ok_or_else(|| {
            invalid_parameter(
                "kind",
                &text,
                "is not a task kind; use call, letter, registered_letter, formal_notice, \
                 litigation or update_contact",
            )
        })?),
    };
    let filter = TaskFilter {
        status,
        collector: parameters.take("collector")?,
        customer_id: whole_number(&mut parameters, "customer_id")?,
        kind,
        due_by: parameters.date("due_by")?,
    };
    let page = parameters.page("id")?;

    let (items, next) = list_tasks(&db, &principal.scope, &filter, &page)?;
    json_response(
        200,
        &json!({ "items": items, "next_cursor": id_cursor(next, "id") }),
    )
}

/// One task.
pub fn get(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let id = id_parameter(params, "task")?;

    json_response(200, &get_task(&db, &principal.scope, id)?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutcomeBody {
    outcome: OutcomeKind,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    promise: Option<PromiseBody>,
    #[serde(default)]
    dispute_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PromiseBody {
    date: NaiveDate,
    amount: String,
}

/// Records a task's outcome; collectors may within their portfolio.
pub fn record_outcome(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let id = id_parameter(params, "task")?;
    get_task(&db, &principal.scope, id)?;
    principal.require_ledger_write()?;
    let body: OutcomeBody = read_json(request, OUTCOME_LIMIT_BYTES)?;

    let input = OutcomeInput {
        outcome: body.outcome,
        note: body.note,
        promise: body.promise.map(|p| (p.date, p.amount)),
        dispute_reason: body.dispute_reason,
    };
    let task = record(
        &db,
        &principal.scope,
        id,
        &input,
        principal.token_id,
        Utc::now(),
    )?;
    tracing::info!(
        target: "relance.dunning.task",
        task_id = id,
        customer_id = task.customer_id,
        outcome = input.outcome.as_str(),
        "task outcome recorded"
    );
    json_response(200, &task)
}

/// A whole-number parameter such as `customer_id`.
pub fn whole_number(parameters: &mut QueryParameters, name: &str) -> Result<Option<i64>, ApiError> {
    parameters
        .take(name)?
        .map(|text| {
            text.parse()
                .map_err(|_| invalid_parameter(name, &text, "must be a whole number"))
        })
        .transpose()
}
