//! `GET` and `POST /api/v1/bank/connections`: the bank APIs the poller reads.

use chrono::{NaiveDate, Utc};
use relance_api::ApiError;
use relance_bank_feed::settings::ConnectionSettings;
use relance_store::bank::{NewConnection, Provider, create_connection, list_connections};
use relance_web::{authenticate, json_response, open_database, read_json};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::{Request, Response};

/// Connection requests are small.
const CONNECTION_BODY_LIMIT: usize = 16 * 1024;

/// What a manager sends to connect a bank API.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewConnectionBody {
    name: String,
    provider: String,
    config: serde_json::Value,
    #[serde(default)]
    consent_expires_on: Option<NaiveDate>,
}

/// Creates a connection, its settings checked; it is polled from the next run.
pub fn create(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?.require_settings()?;
    let body: NewConnectionBody = read_json(request, CONNECTION_BODY_LIMIT)?;

    let provider = Provider::parse(&body.provider).ok_or_else(|| {
        ApiError::bad_request(format!(
            "`provider` {:?} is unknown; use gocardless, berlin_group or plaid",
            body.provider
        ))
        .with_code("invalid_connection")
    })?;
    let name = body.name.trim();
    if name.is_empty() {
        return Err(ApiError::bad_request(
            "`name` is empty; say which account the connection is for",
        )
        .with_code("invalid_connection"));
    }
    let settings = ConnectionSettings::parse(provider, &body.config)?;

    let new = NewConnection {
        name: name.to_owned(),
        provider,
        config: serde_json::to_value(&settings).map_err(|error| ApiError::internal(&error))?,
        consent_expires_on: body.consent_expires_on,
    };
    let connection = create_connection(&db, &new, Utc::now())?;
    json_response(201, &connection)
}

/// Lists every connection with the outcome of its last poll.
pub fn list(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?.require_settings()?;
    json_response(200, &json!({ "connections": list_connections(&db)? }))
}
