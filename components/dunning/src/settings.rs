//! What dunning follows, read by anyone signed in and changed by managers:
//! policies (`/api/v1/dunning/policies[/{code}]`), templates
//! (`/api/v1/dunning/templates[/{name}/{fr|en}]`), the company's signature
//! and sender (`/api/v1/dunning/settings`) and the ECB reference rates
//! (`/api/v1/dunning/interest-rates`).

use chrono::{NaiveDate, Utc};
use relance_api::ApiError;
use relance_dunning::compose::{CompanySettings, MessageTemplate};
use relance_dunning::policy::{DunningPolicy, DunningStep};
use relance_dunning::store::{policies, rates, settings, templates};
use relance_ledger::customer::Language;
use relance_web::{authenticate, json_response, open_database, read_json};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::{Params, Request, Response};

/// The largest settings body.
const BODY_LIMIT_BYTES: usize = 256 * 1024;

/// `GET /api/v1/dunning/policies`.
pub fn list_policies(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?;

    json_response(200, &json!({ "items": policies::list_policies(&db)? }))
}

/// `GET /api/v1/dunning/policies/:code`.
pub fn get_policy(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?;

    let code = params.get("code").unwrap_or_default();
    json_response(200, &policies::get_policy(&db, code)?)
}

/// A policy as `PUT` receives it; the code comes from the path.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyBody {
    name: String,
    steps: Vec<DunningStep>,
    #[serde(default)]
    contract_interest_rate: Option<Decimal>,
    #[serde(default)]
    segments: Vec<String>,
    #[serde(default)]
    customer_ids: Vec<i64>,
}

/// `PUT /api/v1/dunning/policies/:code`: creates or replaces the policy and
/// moves the segments and customers it names to it.
pub fn put_policy(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    principal.require_settings()?;
    let body: PolicyBody = read_json(request, BODY_LIMIT_BYTES)?;

    let policy = DunningPolicy {
        code: params.get("code").unwrap_or_default().to_owned(),
        name: body.name,
        steps: body.steps,
        contract_interest_rate: body.contract_interest_rate,
    };
    let saved = policies::put_policy(
        &db,
        &policy,
        &body.segments,
        &body.customer_ids,
        principal.token_id,
        Utc::now(),
    )?;
    json_response(200, &saved)
}

/// `GET /api/v1/dunning/templates`: every template, built-in or edited.
pub fn list_templates(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?;

    json_response(200, &json!({ "items": templates::list_templates(&db)? }))
}

/// `GET /api/v1/dunning/templates/:name/:language`.
pub fn get_template(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?;
    let (name, language) = template_path(params)?;

    json_response(200, &templates::get_template(&db, name, language)?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateBody {
    subject: String,
    body: String,
}

/// `PUT /api/v1/dunning/templates/:name/:language`: saves the team's text,
/// refused if it uses a variable messages do not provide.
pub fn put_template(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    principal.require_settings()?;
    let (name, language) = template_path(params)?;
    let body: TemplateBody = read_json(request, BODY_LIMIT_BYTES)?;

    let template = MessageTemplate {
        name: name.to_owned(),
        language,
        subject: body.subject,
        body: body.body,
        built_in: false,
    };
    let saved = templates::put_template(&db, &template, principal.token_id, Utc::now())?;
    json_response(200, &saved)
}

fn template_path(params: &Params) -> Result<(&str, Language), ApiError> {
    let name = params.get("name").unwrap_or_default();
    let code = params.get("language").unwrap_or_default();
    let language = Language::parse(code).map_err(|_| {
        ApiError::not_found(format!(
            "templates are written in fr or en, not {code:?}: use /api/v1/dunning/templates/{name}/fr"
        ))
    })?;
    Ok((name, language))
}

/// `GET /api/v1/dunning/settings`.
pub fn get_settings(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?;

    json_response(200, &settings::get_settings(&db)?)
}

/// `PUT /api/v1/dunning/settings`: the company name, sender, reply-to,
/// signature and postal address.
pub fn put_settings(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?.require_settings()?;
    let body: CompanySettings = read_json(request, BODY_LIMIT_BYTES)?;

    json_response(200, &settings::put_settings(&db, &body, Utc::now())?)
}

/// `GET /api/v1/dunning/interest-rates`: the ECB rate of each half-year.
pub fn list_rates(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?;

    json_response(200, &rates_json(&rates::load_rates(&db)?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateBody {
    half_year_start: NaiveDate,
    rate: Decimal,
}

/// `PUT /api/v1/dunning/interest-rates`: `{"half_year_start": "2027-01-01",
/// "rate": "2.15"}` sets the ECB rate in force that day.
pub fn put_rate(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?.require_settings()?;
    let body: RateBody = read_json(request, BODY_LIMIT_BYTES)?;

    let table = rates::put_rate(&db, body.half_year_start, body.rate, Utc::now())?;
    json_response(200, &rates_json(&table))
}

fn rates_json(table: &relance_dunning::interest::ReferenceRates) -> serde_json::Value {
    let items: Vec<_> = table
        .entries()
        .map(|(day, rate)| {
            json!({
                "half_year_start": day,
                "ecb_rate": rate,
                "legal_late_interest_rate": rate + relance_dunning::interest::LEGAL_MARGIN_POINTS,
            })
        })
        .collect();
    json!({ "items": items })
}
