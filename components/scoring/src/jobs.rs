//! `POST /jobs/scoring/train` trains the payment model on the ledger's
//! history and stores it as a new version (weekly); `POST
//! /jobs/scoring/refresh` rescores the customers whose ledger changed
//! (every few minutes). Both take the job token or a manager's, and both
//! change nothing when run again on an unchanged ledger.

use chrono::Utc;
use relance_api::ApiError;
use relance_scoring::alerts::AlertPolicy;
use relance_scoring::model::TrainingSettings;
use relance_scoring::store;
use relance_store::SpinDatabase;
use relance_web::{authenticate, json_response, open_database, require_job_token};
use spin_sdk::http::{Request, Response};

use crate::job_day;

/// The Spin variable holding the risk from which an alert is raised.
const THRESHOLD_VARIABLE: &str = "scoring_alert_threshold";

/// Trains and answers with the model in use and its metrics.
pub fn train(request: &Request) -> Result<Response, ApiError> {
    let db = job_caller(request)?;
    let as_of = job_day(request)?;

    let outcome = store::train(&db, as_of, &TrainingSettings::default(), Utc::now())?;
    tracing::info!(
        target: "relance.scoring.train",
        as_of = %as_of,
        trained = outcome.trained,
        version = outcome.model.version,
        classifier = outcome.model.classifier,
        regressor = outcome.model.regressor,
        "payment model"
    );
    json_response(200, &outcome)
}

/// Rescores what changed and answers with what was done.
pub fn refresh(request: &Request) -> Result<Response, ApiError> {
    let db = job_caller(request)?;
    let as_of = job_day(request)?;
    let policy = alert_policy()?;

    let summary = store::refresh(&db, as_of, &policy, Utc::now())?;
    tracing::info!(
        target: "relance.scoring.refresh",
        as_of = %as_of,
        complete = summary.complete,
        customers = summary.customers_scored,
        invoices = summary.invoices_scored,
        alerts = summary.alerts_raised,
        "scores refreshed"
    );
    json_response(200, &summary)
}

/// The database, once the caller holds the job token or may change settings.
fn job_caller(request: &Request) -> Result<SpinDatabase, ApiError> {
    let db = open_database()?;
    if require_job_token(request).is_err() {
        authenticate(request, &db)?.require_settings()?;
    }
    Ok(db)
}

/// The alert rules, with the team's risk threshold.
pub fn alert_policy() -> Result<AlertPolicy, ApiError> {
    let mut policy = AlertPolicy::default();
    let Ok(text) = spin_sdk::variables::get(THRESHOLD_VARIABLE) else {
        return Ok(policy);
    };

    policy.risk_threshold = text
        .trim()
        .parse()
        .ok()
        .filter(|threshold| (0.0..=1.0).contains(threshold))
        .ok_or_else(|| {
            ApiError::internal(&format!(
                "the Spin variable `{THRESHOLD_VARIABLE}` is {text:?}; set it to a number from \
                 0 to 1"
            ))
        })?;
    Ok(policy)
}
