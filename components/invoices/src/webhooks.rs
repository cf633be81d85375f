//! The webhooks invoicing platforms call: Stripe's, signed with
//! `Stripe-Signature`, and the canonical one, signed with
//! `X-Relance-Signature`. A request is verified before anything else, then
//! stored raw, then applied.

use chrono::Utc;
use relance_api::ApiError;
use relance_ledger::signature;
use relance_ledger::stripe;
use relance_web::{header, json_response, open_database, read_body};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::variables;

use relance_ingest::{InputKind, declared_source, receive_and_apply};

/// The largest event accepted: Stripe's largest invoices stay well below.
pub const EVENT_LIMIT_BYTES: usize = 1024 * 1024;

/// The variable holding Stripe's endpoint secrets, separated by commas.
const STRIPE_SECRET_VARIABLE: &str = "stripe_webhook_secret";

/// The variable holding the canonical webhook's secrets, separated by commas.
const CANONICAL_SECRET_VARIABLE: &str = "invoices_webhook_secret";

/// `POST /webhooks/stripe`.
pub fn receive_stripe_event(request: &Request) -> Result<Response, ApiError> {
    let body = read_body(request, EVENT_LIMIT_BYTES)?;
    verify(request, "stripe-signature", STRIPE_SECRET_VARIABLE, body)?;

    if let Some(event_type) = unhandled_stripe_type(body) {
        tracing::info!(target: "relance.invoices.stripe", event_type, "event ignored");
        return json_response(200, &json!({ "result": "ignored", "type": event_type }));
    }

    let db = open_database()?;
    let answer = receive_and_apply(
        &db,
        stripe::SOURCE,
        InputKind::StripeEvent,
        body,
        Utc::now(),
    )?;
    json_response(200, &answer)
}

/// `POST /webhooks/invoices`.
pub fn receive_canonical_event(request: &Request) -> Result<Response, ApiError> {
    let body = read_body(request, EVENT_LIMIT_BYTES)?;
    verify(
        request,
        "x-relance-signature",
        CANONICAL_SECRET_VARIABLE,
        body,
    )?;

    let db = open_database()?;
    let source = declared_source(body);
    let answer = receive_and_apply(&db, &source, InputKind::CanonicalEvent, body, Utc::now())?;
    json_response(200, &answer)
}

/// The `type` of a Stripe event that does not change the ledger. Such an
/// event is acknowledged without being stored, so Stripe stops resending it.
fn unhandled_stripe_type(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Envelope {
        #[serde(rename = "type")]
        event_type: String,
    }

    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    let handled = stripe::HANDLED_EVENT_TYPES.contains(&envelope.event_type.as_str());
    (!handled).then_some(envelope.event_type)
}

/// Accepts the request when one of the configured secrets (comma-separated,
/// so a secret can be rotated) verifies its signature header.
fn verify(
    request: &Request,
    header_name: &str,
    secret_variable: &str,
    body: &[u8],
) -> Result<(), ApiError> {
    let signed = header(request, header_name).ok_or_else(|| {
        invalid_signature(format!(
            "the `{header_name}` header is missing; sign each request with the endpoint secret \
             as docs/canonical-events.md describes"
        ))
    })?;
    let secrets = variables::get(secret_variable).map_err(|error| {
        ApiError::internal(&format!(
            "variable `{secret_variable}` is unreadable: {error}"
        ))
    })?;

    let now = Utc::now().timestamp();
    let mut refusal = None;
    for secret in secrets.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match signature::verify(signed, body, secret.as_bytes(), now) {
            Ok(_) => return Ok(()),
            Err(error) => refusal = Some(error),
        }
    }

    Err(match refusal {
        Some(error) => invalid_signature(error.to_string()),
        None => ApiError::internal(&format!("variable `{secret_variable}` holds no secret")),
    })
}

fn invalid_signature(message: String) -> ApiError {
    ApiError::unauthorized(message).with_code("invalid_signature")
}
