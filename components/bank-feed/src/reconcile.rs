//! New transactions are reconciled as soon as they arrive: the bank feed
//! calls the `reconciliation` component through Spin's service chaining,
//! with the job token, and reports what the run did beside its own answer.

use serde_json::{Value, json};
use spin_sdk::http::{Method, Request, Response};

/// The reconciliation run, reached in-process.
const RECONCILE_URL: &str = "http://reconciliation.spin.internal/jobs/reconcile";

/// Runs the reconciliation and returns its summary, or `{"error": ...}`
/// saying why it did not run; the transactions stay stored either way and
/// the scheduled run picks them up.
pub fn reconcile_new_transactions() -> Value {
    let token = match spin_sdk::variables::get("job_token") {
        Ok(token) => token,
        Err(error) => return failure(format!("the job token is not available: {error}")),
    };
    let request = Request::builder()
        .method(Method::Post)
        .uri(RECONCILE_URL)
        .header("authorization", format!("Bearer {token}"))
        .build();

    let response: Response = match spin_sdk::http::run(spin_sdk::http::send(request)) {
        Ok(response) => response,
        Err(error) => return failure(format!("the reconciliation could not be reached: {error}")),
    };
    let status = *response.status();
    let body = response.into_body();
    if (200..300).contains(&status) {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    } else {
        failure(format!(
            "the reconciliation answered {status}: {}",
            String::from_utf8_lossy(&body)
        ))
    }
}

fn failure(message: String) -> Value {
    tracing::warn!(target: "relance.bank_feed.reconcile", error = %message, "reconciliation after import failed");
    json!({ "error": message })
}
