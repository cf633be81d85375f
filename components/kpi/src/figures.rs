//! The KPI endpoints: each reads its query string, brings the ledger's
//! history up to date, and answers the figures of the caller's portfolio.

use chrono::{NaiveDate, Utc};
use relance_api::{ApiError, Principal};
use relance_kpi::query::{KpiFilter, KpiQuery, parse_currency};
use relance_kpi::store::aged_balance::{GroupBy, aged_balance as grouped_balance};
use relance_kpi::store::collectors::collector_work;
use relance_kpi::store::customers::{CustomerRanking, rank_customers};
use relance_kpi::store::dso_trend::{DsoMethod, dso_trend};
use relance_kpi::store::forecast::forecast as cash_forecast;
use relance_kpi::store::refresh::refresh;
use relance_kpi::store::summary::summary as portfolio_summary;
use relance_ledger::money::Currency;
use relance_store::SpinDatabase;
use relance_web::{authenticate, json_response, open_database};
use spin_sdk::http::{Request, Response};
use spin_sdk::variables;

/// The variable naming the currency figures are reported in by default.
const REPORTING_CURRENCY_VARIABLE: &str = "reporting_currency";

/// `GET /api/v1/kpi/summary`: `period_months` (1–12, default 3).
pub fn summary(request: &Request) -> Result<Response, ApiError> {
    let (db, principal) = caller(request)?;
    let mut query = parse(request, &["period_months"])?;
    let period_months = query.number("period_months", 1, 12, 3)?;
    let (filter, reporting) = prepare(&db, query)?;
    let _span = tracing::info_span!("kpi.summary", as_of = %filter.as_of).entered();

    let summary = portfolio_summary(&db, &principal.scope, &filter, reporting, period_months)?;
    json_response(200, &summary)
}

/// `GET /api/v1/kpi/aged-balance`: `group_by` (default customer), `limit`
/// (1–1000 groups, default 100).
pub fn aged_balance(request: &Request) -> Result<Response, ApiError> {
    let (db, principal) = caller(request)?;
    let mut query = parse(request, &["group_by", "limit"])?;
    let group_by = query.choice("group_by", &GroupBy::CHOICES, GroupBy::Customer)?;
    let limit = query.number("limit", 1, 1000, 100)?;
    let (filter, reporting) = prepare(&db, query)?;
    let _span = tracing::info_span!("kpi.aged_balance", as_of = %filter.as_of).entered();

    let balance = grouped_balance(
        &db,
        &principal.scope,
        &filter,
        reporting,
        group_by,
        limit as usize,
    )?;
    json_response(200, &balance)
}

/// `GET /api/v1/kpi/dso`: `method` (countback or standard, default
/// countback), `months` (1–36, default 12).
pub fn dso(request: &Request) -> Result<Response, ApiError> {
    let (db, principal) = caller(request)?;
    let mut query = parse(request, &["method", "months"])?;
    let method = query.choice("method", &DsoMethod::CHOICES, DsoMethod::Countback)?;
    let months = query.number("months", 1, 36, 12)?;
    let (filter, reporting) = prepare(&db, query)?;
    let _span = tracing::info_span!("kpi.dso", as_of = %filter.as_of).entered();

    let trend = dso_trend(&db, &principal.scope, &filter, reporting, method, months)?;
    json_response(200, &trend)
}

/// `GET /api/v1/kpi/forecast`: `horizon_weeks` (1–52, default 13),
/// `horizon_months` (1–12, default 3).
pub fn forecast(request: &Request) -> Result<Response, ApiError> {
    let (db, principal) = caller(request)?;
    let mut query = parse(request, &["horizon_weeks", "horizon_months"])?;
    let weeks = query.number("horizon_weeks", 1, 52, 13)?;
    let months = query.number("horizon_months", 1, 12, 3)?;
    let (filter, reporting) = prepare(&db, query)?;
    let _span = tracing::info_span!("kpi.forecast", as_of = %filter.as_of).entered();

    let forecast = cash_forecast(&db, &principal.scope, &filter, reporting, weeks, months)?;
    json_response(200, &forecast)
}

/// `GET /api/v1/kpi/customers`: `sort` (overdue or risk, default overdue),
/// `limit` (1–1000, default 50).
pub fn customers(request: &Request) -> Result<Response, ApiError> {
    let (db, principal) = caller(request)?;
    let mut query = parse(request, &["sort", "limit"])?;
    let ranking = query.choice("sort", &CustomerRanking::CHOICES, CustomerRanking::Overdue)?;
    let limit = query.number("limit", 1, 1000, 50)?;
    let (filter, reporting) = prepare(&db, query)?;
    let _span = tracing::info_span!("kpi.customers", as_of = %filter.as_of).entered();

    let ranks = rank_customers(
        &db,
        &principal.scope,
        &filter,
        reporting,
        ranking,
        limit as usize,
    )?;
    json_response(200, &ranks)
}

/// `GET /api/v1/kpi/collectors`: `period_months` (1–12, default 1).
pub fn collectors(request: &Request) -> Result<Response, ApiError> {
    let (db, principal) = caller(request)?;
    let mut query = parse(request, &["period_months"])?;
    let months = query.number("period_months", 1, 12, 1)?;
    let (filter, reporting) = prepare(&db, query)?;
    let _span = tracing::info_span!("kpi.collectors", as_of = %filter.as_of).entered();

    let work = collector_work(&db, &principal.scope, &filter, reporting, months)?;
    json_response(200, &work)
}

fn parse(request: &Request, extra: &[&str]) -> Result<KpiQuery, ApiError> {
    KpiQuery::parse(request.query(), extra, today())
}

/// The database and the authenticated caller.
fn caller(request: &Request) -> Result<(SpinDatabase, Principal), ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    Ok((db, principal))
}

/// Brings the ledger's history up to date and settles the reporting
/// currency: what every endpoint does once its query is read.
fn prepare(db: &SpinDatabase, query: KpiQuery) -> Result<(KpiFilter, Currency), ApiError> {
    let filter = query.finish();
    refresh(db)?;

    let reporting = match filter.currency {
        Some(currency) => currency,
        None => default_reporting_currency()?,
    };
    Ok((filter, reporting))
}

fn default_reporting_currency() -> Result<Currency, ApiError> {
    let code = variables::get(REPORTING_CURRENCY_VARIABLE).map_err(|e| ApiError::internal(&e))?;
    parse_currency(REPORTING_CURRENCY_VARIABLE, &code).map_err(|e| ApiError::internal(&e))
}

/// Today, the default `as_of`.
fn today() -> NaiveDate {
    Utc::now().date_naive()
}
