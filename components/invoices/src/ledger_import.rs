//! `POST /api/v1/imports/ledger`: the customer ledger as a FEC or CSV file.

use chrono::Utc;
use relance_api::ApiError;
use relance_ledger::ledger_file::{self, ImportOptions};
use relance_ledger::money::Currency;
use relance_web::{authenticate, json_response, open_database, read_body};
use serde_json::json;
use spin_sdk::http::{Request, Response};

use relance_ingest::{InputKind, receive_and_apply};

/// The largest ledger file accepted.
const LEDGER_LIMIT_BYTES: usize = 64 * 1024 * 1024;

/// `POST /api/v1/imports/ledger?currency=EUR&payment_terms_days=30`.
pub fn import_ledger(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?.require_ledger_write()?;
    let options = import_options(request.query())?;
    let body = read_body(request, LEDGER_LIMIT_BYTES)?;

    let kind = InputKind::LedgerImport(options);
    let answer = receive_and_apply(&db, ledger_file::SOURCE, kind, body, Utc::now())?;
    json_response(200, &answer)
}

/// Reads `currency` (default EUR) and `payment_terms_days` (default: due on
/// the issue date) from the query string.
fn import_options(query: &str) -> Result<ImportOptions, ApiError> {
    let mut options = ImportOptions::default();

    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "currency" => {
                options.currency = Currency::parse(&value)
                    .map_err(|error| invalid_option("currency", &value, &error.to_string()))?;
            }
            "payment_terms_days" => {
                let days = value.parse().map_err(|_| {
                    invalid_option(
                        "payment_terms_days",
                        &value,
                        "is not a whole number of days",
                    )
                })?;
                options.payment_terms_days = Some(days);
            }
            _ => {
                return Err(invalid_option(
                    &name,
                    &value,
                    "is not a parameter of this endpoint; it accepts currency and \
                     payment_terms_days",
                ));
            }
        }
    }

    Ok(options)
}

fn invalid_option(name: &str, value: &str, problem: &str) -> ApiError {
    ApiError::bad_request(format!("`{name}={value}` {problem}"))
        .with_code("invalid_parameter")
        .with_details(json!({ "parameter": name, "value": value }))
}
