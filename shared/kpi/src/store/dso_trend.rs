//! `GET /api/v1/kpi/dso`: DSO month after month up to the `as_of` day, by
//! the countback or the standard method.

use chrono::NaiveDate;
use relance_api::Scope;
use relance_ledger::money::Currency;
use relance_store::Database;
use rust_decimal::Decimal;
use serde::Serialize;

use super::reads::receivables;
use super::summary::{COUNTBACK_MONTHS, FIRST_MONTHS, one_decimal, sales_back_to};
use super::{Conditions, KpiError, rates::rates_on};
use crate::dso::{countback_dso, standard_dso};
use crate::period::months_before;
use crate::query::KpiFilter;

/// Months the standard method averages sales over.
pub const STANDARD_MONTHS: u32 = 3;

/// How DSO is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DsoMethod {
    /// Receivables counted back against each month's sales, latest first.
    Countback,
    /// Receivables over the average daily sales of the last three months.
    Standard,
}

impl DsoMethod {
    /// Every method with the name the query string uses.
    pub const CHOICES: [(&'static str, DsoMethod); 2] = [
        ("countback", DsoMethod::Countback),
        ("standard", DsoMethod::Standard),
    ];
}

/// DSO at the end of one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DsoPoint {
    /// The day DSO is measured on: `as_of`, then the same day of each earlier month.
    pub on: NaiveDate,
    /// What was owed that day.
    #[serde(with = "rust_decimal::serde::str")]
    pub receivables: Decimal,
    /// DSO, 1 decimal; `null` when nothing was invoiced before.
    pub days: Option<f64>,
    /// False when a countback figure is only a lower bound.
    pub complete: bool,
}

/// The DSO trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DsoTrend {
    /// The last day of the trend.
    pub as_of: NaiveDate,
    /// The currency amounts are in.
    pub currency: &'static str,
    /// The method used.
    pub method: DsoMethod,
    /// One point per month, oldest first.
    pub points: Vec<DsoPoint>,
}

/// DSO on `as_of` and the same day of each of the `months − 1` months before.
pub fn dso_trend(
    db: &impl Database,
    scope: &Scope,
    filter: &KpiFilter,
    reporting: Currency,
    method: DsoMethod,
    months: u32,
) -> Result<DsoTrend, KpiError> {
    let portfolio = Conditions::portfolio(scope, &filter.segments);
    let rates = rates_on(db, reporting, filter.as_of)?;
    let lookback = match method {
        DsoMethod::Countback => COUNTBACK_MONTHS,
        DsoMethod::Standard => STANDARD_MONTHS,
    };

    let first = months + lookback.min(FIRST_MONTHS);
    let mut sales = sales_back_to(db, &portfolio, filter.as_of, 0, first, &rates)?;
    let mut extended = first >= months + lookback;

    let mut points = Vec::with_capacity(months as usize);
    for back in (0..months).rev() {
        let on = months_before(filter.as_of, back);
        let receivables = rates.shown_total(&receivables(db, &portfolio, on)?)?;
        let mut earlier = &sales[back as usize..sales.len().min((back + lookback) as usize)];
        if method == DsoMethod::Countback
            && !extended
            && !countback_dso(receivables, earlier).complete
        {
            let more = sales_back_to(
                db,
                &portfolio,
                filter.as_of,
                first,
                months + lookback,
                &rates,
            )?;
            sales.extend(more);
            extended = true;
            earlier = &sales[back as usize..(back + lookback) as usize];
        }

        let (days, complete) = match method {
            DsoMethod::Countback => {
                let dso = countback_dso(receivables, earlier);
                let any_sales = earlier.iter().any(|p| !p.sales.is_zero());
                (any_sales.then_some(dso.days), dso.complete)
            }
            DsoMethod::Standard => (standard_dso(receivables, earlier), true),
        };
        points.push(DsoPoint {
            on,
            receivables,
            days: days.map(one_decimal),
            complete,
        });
    }

    Ok(DsoTrend {
        as_of: filter.as_of,
        currency: reporting.code(),
        method,
        points,
    })
}
