//! Exchange rates: `GET /api/v1/fx-rates` lists them, `PUT /api/v1/fx-rates`
//! stores the rates given, each replacing the one of the same pair and day.

use chrono::{NaiveDate, Utc};
use relance_api::ApiError;
use relance_kpi::query::parse_currency;
use relance_kpi::store::rates::{FxRate, list_rates, put_rates};
use relance_web::{authenticate, json_response, open_database, read_json};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::{Request, Response};

/// The largest body accepted: thousands of rates.
const BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// `{"rates": [{"currency": "USD", "reporting_currency": "EUR",
/// "valid_from": "2026-01-01", "rate": "0.92"}]}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RatesRequest {
    rates: Vec<RateRequest>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateRequest {
    currency: String,
    reporting_currency: String,
    valid_from: NaiveDate,
    rate: String,
}

/// Lists every rate; any authenticated caller may read them.
pub fn list(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?;

    json_response(200, &json!({ "rates": list_rates(&db)? }))
}

/// Stores rates; admins and managers only. Answers with every rate.
pub fn replace(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?.require_settings()?;
    let body: RatesRequest = read_json(request, BODY_LIMIT_BYTES)?;

    let rates = body
        .rates
        .iter()
        .enumerate()
        .map(|(index, rate)| parse_rate(index, rate))
        .collect::<Result<Vec<_>, _>>()?;
    put_rates(&db, &rates, Utc::now())?;

    json_response(200, &json!({ "rates": list_rates(&db)? }))
}

fn parse_rate(index: usize, rate: &RateRequest) -> Result<FxRate, ApiError> {
    let field = |name: &str| format!("rates[{index}].{name}");
    let currency = parse_currency(&field("currency"), &rate.currency)?;
    let reporting = parse_currency(&field("reporting_currency"), &rate.reporting_currency)?;
    if currency == reporting {
        return Err(ApiError::bad_request(format!(
            "{} converts {} into itself; give a rate between two different currencies",
            field("rate"),
            currency.code()
        )));
    }

    let value = rate
        .rate
        .trim()
        .parse::<Decimal>()
        .ok()
        .filter(|value| *value > Decimal::ZERO)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "{} is {:?}; give a positive decimal written as text, such as \"0.92\"",
                field("rate"),
                rate.rate
            ))
        })?;

    Ok(FxRate {
        currency: currency.code(),
        reporting_currency: reporting.code(),
        valid_from: rate.valid_from,
        rate: value,
    })
}
