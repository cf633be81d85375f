//! `GET /api/v1/scores/customers/{id}`: a customer's risk of paying late,
//! how it moved and the reasons in plain words, with its open invoices'
//! predictions; `GET /api/v1/scores/models`: the model versions and what
//! their training measured.

use relance_api::{ApiError, QueryParameters};
use relance_scoring::store;
use relance_web::{authenticate, json_response, open_database};
use serde_json::json;
use spin_sdk::http::{Params, Request, Response};

use crate::id_parameter;
use crate::jobs::alert_policy;

/// One customer's score, within the caller's portfolio.
pub fn customer(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    QueryParameters::parse(request.query(), &[])?;
    let id = id_parameter(params, "customer")?;

    let score = store::customer_score(&db, &principal.scope, id, &alert_policy()?)?;
    json_response(200, &score)
}

/// Every model version, newest first. Models describe the whole ledger,
/// not one portfolio, so every role may read them.
pub fn models(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?;
    QueryParameters::parse(request.query(), &[])?;

    let models = store::list_models(&db)?;
    json_response(200, &json!({ "items": models }))
}
