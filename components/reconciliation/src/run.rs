//! `POST /jobs/reconcile`: matches every booked bank credit not yet
//! reconciled. Called by the scheduler, right after new transactions
//! arrive, or by a manager who wants it now; running it twice changes
//! nothing.

use chrono::Utc;
use relance_api::ApiError;
use relance_matching::MatchingPolicy;
use relance_store::reconciliation::reconcile;
use relance_web::{authenticate, json_response, open_database, require_job_token};
use spin_sdk::http::{Request, Response};

/// The Spin variable holding the confidence from which a match is applied
/// without review.
const THRESHOLD_VARIABLE: &str = "reconciliation_auto_apply_threshold";

/// Runs the reconciliation and answers with what it did.
pub fn run(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    if require_job_token(request).is_err() {
        authenticate(request, &db)?.require_settings()?;
    }
    let policy = policy()?;

    let summary = reconcile(&db, policy, Utc::now())?;
    tracing::info!(
        target: "relance.reconciliation.run",
        considered = summary.considered,
        auto_applied = summary.auto_applied,
        sent_to_review = summary.sent_to_review,
        unmatched = summary.unmatched,
        failures = summary.failures.len(),
        "reconciliation run"
    );
    json_response(200, &summary)
}

/// The matching policy, with the team's auto-apply threshold.
fn policy() -> Result<MatchingPolicy, ApiError> {
    let mut policy = MatchingPolicy::default();
    let Ok(text) = spin_sdk::variables::get(THRESHOLD_VARIABLE) else {
        return Ok(policy);
    };

    policy.auto_apply_threshold = text
        .trim()
        .parse()
        .ok()
        .filter(|threshold| (0.5..=1.0).contains(threshold))
        .ok_or_else(|| {
            ApiError::internal(&format!(
                "the Spin variable `{THRESHOLD_VARIABLE}` is {text:?}; set it to a number \
                 from 0.5 to 1"
            ))
        })?;
    Ok(policy)
}
