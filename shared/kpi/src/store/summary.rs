//! `GET /api/v1/kpi/summary`: the morning figures of a portfolio on one day.

use chrono::{Datelike, NaiveDate};
use relance_api::Scope;
use relance_store::Database;
use rust_decimal::Decimal;
use serde::Serialize;

use super::reads::{PortfolioBalance, balance, collections, receivables, sales_by_period};
use super::{Conditions, KpiError, rates::rates_on};
use crate::collection::{collection_effectiveness_index, share_percent};
use crate::dso::{
    PeriodSales, average_days_delinquent, best_possible_dso, countback_dso, standard_dso,
};
use crate::fx::{CurrencyAmounts, ExchangeRates};
use crate::period::{Period, months_ending, months_to};
use crate::query::KpiFilter;
use relance_ledger::money::Currency;

/// How many months countback DSO looks back before giving a lower bound.
pub const COUNTBACK_MONTHS: u32 = 12;

/// The summary of a portfolio on the `as_of` day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The day the figures are as of.
    pub as_of: NaiveDate,
    /// The currency amounts are in.
    pub currency: &'static str,
    /// What is owed.
    pub outstanding: Outstanding,
    /// Overdue over outstanding, in percent, 1 decimal.
    pub overdue_share_percent: Option<f64>,
    /// The period standard DSO, Best Possible DSO and CEI are computed over.
    pub period: Period,
    /// Days sales outstanding.
    pub dso: DsoFigures,
    /// Collection effectiveness index over the period, in percent.
    pub collection_effectiveness_index_percent: Option<f64>,
    /// Amount-weighted days paid after the due date over the period
    /// (negative when paid early on average).
    pub average_payment_delay_days: Option<f64>,
    /// Owed more than 90 days past due, or disputed.
    pub at_risk: AtRisk,
    /// Overdue invoices being chased: not disputed, not under a promise to
    /// pay in force, not paused.
    pub in_dunning: InDunning,
    /// Payments received since the first of the `as_of` month.
    pub collected_this_month: Collected,
}

/// What is owed, by state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outstanding {
    /// Everything owed.
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    /// Not yet due.
    #[serde(with = "rust_decimal::serde::str")]
    pub not_due: Decimal,
    /// Past the due date.
    #[serde(with = "rust_decimal::serde::str")]
    pub overdue: Decimal,
    /// Disputed by the customer (also counted as not due or overdue).
    #[serde(with = "rust_decimal::serde::str")]
    pub disputed: Decimal,
    /// Invoices with something owed.
    pub invoices: i64,
}

/// DSO by each method.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DsoFigures {
    /// Countback DSO over months ending on the `as_of` day.
    pub countback_days: Option<f64>,
    /// False when the receivables exceed the last twelve months of sales:
    /// the countback figure is then a lower bound.
    pub countback_complete: bool,
    /// Standard DSO over the period.
    pub standard_days: Option<f64>,
    /// Best Possible DSO over the period.
    pub best_possible_days: Option<f64>,
    /// Standard DSO less Best Possible DSO.
    pub average_days_delinquent: Option<f64>,
}

/// The receivables at risk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtRisk {
    /// Owed more than 90 days past due, or disputed.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// That amount over outstanding, in percent.
    pub rate_percent: Option<f64>,
}

/// Overdue invoices being chased and their customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InDunning {
    /// Customers with at least one.
    pub customers: i64,
    /// Invoices.
    pub invoices: i64,
}

/// Money received over a run of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Collected {
    /// The first day counted.
    pub from: NaiveDate,
    /// The last day counted.
    pub to: NaiveDate,
    /// Received, in the reporting currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// The summary of the caller's portfolio, with standard DSO, Best Possible
/// DSO and CEI over the `period_months` months ending on `as_of`.
pub fn summary(
    db: &impl Database,
    scope: &Scope,
    filter: &KpiFilter,
    reporting: Currency,
    period_months: u32,
) -> Result<Summary, KpiError> {
    let as_of = filter.as_of;
    let portfolio = Conditions::portfolio(scope, &filter.segments);
    let rates = rates_on(db, reporting, as_of)?;

    let now = balance(db, &portfolio, as_of)?;
    let outstanding = outstanding(&now, &rates)?;
    let period = months_to(as_of, period_months);
    let dso = dso_figures(db, &portfolio, as_of, period_months, &outstanding, &rates)?;

    let beginning = rates.total(&receivables(db, &portfolio, period.after)?)?;
    let period_sales = rates.total(&sales_by_period(db, &portfolio, &[period])?.remove(0))?;
    let cei = collection_effectiveness_index(
        beginning,
        period_sales,
        outstanding.total,
        outstanding.not_due,
    );

    let delay = collections(db, &portfolio, &period, as_of)?.delay(&rates)?;
    let month = Period::between(
        as_of
            .with_day(1)
            .and_then(|first| first.pred_opt())
            .unwrap_or(as_of),
        as_of,
    );
    let collected = rates.shown_total(&collections(db, &portfolio, &month, as_of)?.received)?;

    let at_risk = rates.shown_total(&now.at_risk)?;
    Ok(Summary {
        as_of,
        currency: reporting.code(),
        overdue_share_percent: share_percent(outstanding.overdue, outstanding.total)
            .map(one_decimal),
        period,
        dso,
        collection_effectiveness_index_percent: cei.map(one_decimal),
        average_payment_delay_days: delay.average_days().map(one_decimal),
        at_risk: AtRisk {
            amount: at_risk,
            rate_percent: share_percent(at_risk, outstanding.total).map(one_decimal),
        },
        in_dunning: in_dunning(db, &portfolio, as_of)?,
        collected_this_month: Collected {
            from: month.from,
            to: month.to,
            amount: collected,
        },
        outstanding,
    })
}

fn outstanding(balance: &PortfolioBalance, rates: &ExchangeRates) -> Result<Outstanding, KpiError> {
    let owed = &balance.owed;
    Ok(Outstanding {
        total: rates.shown_total(&owed.total())?,
        not_due: rates.shown_total(owed.not_due())?,
        overdue: rates.shown_total(&owed.overdue())?,
        disputed: rates.shown_total(&balance.disputed)?,
        invoices: owed.invoices,
    })
}

/// DSO on `as_of`: countback over up to [`COUNTBACK_MONTHS`] months, the
/// standard method and Best Possible DSO over the first `period_months`.
fn dso_figures(
    db: &impl Database,
    portfolio: &Conditions,
    as_of: NaiveDate,
    period_months: u32,
    outstanding: &Outstanding,
    rates: &ExchangeRates,
) -> Result<DsoFigures, KpiError> {
    let mut sales = sales_back_to(
        db,
        portfolio,
        as_of,
        0,
        period_months.max(FIRST_MONTHS),
        rates,
    )?;
    let mut countback = countback_dso(outstanding.total, &sales);
    if !countback.complete {
        let more = sales_back_to(
            db,
            portfolio,
            as_of,
            sales.len() as u32,
            COUNTBACK_MONTHS,
            rates,
        )?;
        sales.extend(more);
        countback = countback_dso(outstanding.total, &sales);
    }

    let standard_periods = &sales[..period_months as usize];
    let standard = standard_dso(outstanding.total, standard_periods);
    let best = best_possible_dso(outstanding.not_due, standard_periods);
    let delinquent = standard
        .zip(best)
        .map(|(dso, best)| average_days_delinquent(dso, best));

    let any_sales = sales.iter().any(|p| !p.sales.is_zero());
    Ok(DsoFigures {
        countback_days: any_sales.then(|| one_decimal(countback.days)),
        countback_complete: countback.complete,
        standard_days: standard.map(one_decimal),
        best_possible_days: best.map(one_decimal),
        average_days_delinquent: delinquent.map(one_decimal),
    })
}

/// Months of sales read first: countback rarely needs more, and reads the
/// rest only when it does.
pub(crate) const FIRST_MONTHS: u32 = 4;

/// Sales of the months ending on `as_of`, from the `skip`-th (0 is the most
/// recent) up to the `until`-th excluded, most recent first.
pub(crate) fn sales_back_to(
    db: &impl Database,
    portfolio: &Conditions,
    as_of: NaiveDate,
    skip: u32,
    until: u32,
    rates: &ExchangeRates,
) -> Result<Vec<PeriodSales>, KpiError> {
    let months: Vec<Period> = months_ending(as_of, until)
        .into_iter()
        .skip(skip as usize)
        .collect();
    period_sales(&months, &sales_by_period(db, portfolio, &months)?, rates)
}

/// Sales of each period in the reporting currency, with its days.
pub(crate) fn period_sales(
    periods: &[Period],
    sales: &[CurrencyAmounts],
    rates: &ExchangeRates,
) -> Result<Vec<PeriodSales>, KpiError> {
    periods
        .iter()
        .zip(sales)
        .map(|(period, sales)| {
            Ok(PeriodSales {
                sales: rates.total(sales)?,
                days: period.days,
            })
        })
        .collect()
}

fn in_dunning(
    db: &impl Database,
    portfolio: &Conditions,
    as_of: NaiveDate,
) -> Result<InDunning, KpiError> {
    let (open, open_params) = super::open_on(db, as_of)?;
    let mut params = open_params;
    params.extend([
        as_of.into(),
        as_of.into(),
        as_of.into(),
        as_of.into(),
        as_of.into(),
    ]);
    params.extend(portfolio.params.iter().cloned());

    let rows = db.execute(
        &format!(
            "SELECT COUNT(*) AS invoices, COUNT(DISTINCT s.customer_id) AS customers
             FROM {open} s
             WHERE s.due_date < ?
               AND (s.disputed_on IS NULL OR s.disputed_on > ?)
               AND NOT (s.promised_on IS NOT NULL AND s.promise_recorded_on <= ?
                        AND s.promised_on >= ?)
               AND (s.paused_until IS NULL OR s.paused_until < ?){}",
            portfolio.customers_in("s.customer_id")
        ),
        &params,
    )?;

    let row = rows.first();
    Ok(InDunning {
        customers: row
            .map(|r| r.integer("customers"))
            .transpose()?
            .unwrap_or(0),
        invoices: row.map(|r| r.integer("invoices")).transpose()?.unwrap_or(0),
    })
}

/// A day figure or percentage as shown: rounded half away from zero to one
/// decimal.
pub fn one_decimal(value: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;

    value
        .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_f64()
        .unwrap_or(0.0)
}
