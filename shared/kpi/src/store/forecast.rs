//! `GET /api/v1/kpi/forecast`: the cash expected from the invoices open on
//! the `as_of` day, week by week and month by month, beside what the due
//! dates alone would say.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use relance_api::Scope;
use relance_ledger::money::Currency;
use relance_store::Database;
use rust_decimal::Decimal;
use serde::Serialize;

use super::forecast_days::placed_amounts;
use super::{Conditions, KpiError, rates::rates_on};
use crate::forecast::{Buckets, DayRange, ForecastBasis};
use crate::fx::{CurrencyAmounts, ExchangeRates};
use crate::query::KpiFilter;

/// Months of payments a customer's own average delay is measured over.
pub const HISTORY_MONTHS: u32 = 12;

/// One range of the forecast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForecastLine {
    /// The days covered.
    #[serde(flatten)]
    pub range: DayRange,
    /// Expected to be received, from the best date known for each invoice.
    #[serde(with = "rust_decimal::serde::str")]
    pub expected: Decimal,
    /// What would be received if every invoice were paid on its due date
    /// (overdue ones at once).
    #[serde(with = "rust_decimal::serde::str")]
    pub due_date_baseline: Decimal,
}

/// What is expected after the last range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Later {
    /// Expected after the horizon.
    #[serde(with = "rust_decimal::serde::str")]
    pub expected: Decimal,
    /// Due after the horizon.
    #[serde(with = "rust_decimal::serde::str")]
    pub due_date_baseline: Decimal,
}

/// The cash forecast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forecast {
    /// The first day forecast.
    pub as_of: NaiveDate,
    /// The currency amounts are in.
    pub currency: &'static str,
    /// Everything open on `as_of`.
    #[serde(with = "rust_decimal::serde::str")]
    pub open: Decimal,
    /// Week by week from `as_of`.
    pub weeks: Vec<ForecastLine>,
    /// After the last week.
    pub after_weeks: Later,
    /// Month by month from `as_of`.
    pub months: Vec<ForecastLine>,
    /// After the last month.
    pub after_months: Later,
    /// How much of the open amount each source of expected dates covers.
    pub by_basis: BTreeMap<ForecastBasis, String>,
}

/// The forecast over `weeks` weeks and `months` months from `as_of`.
///
/// Each open invoice is expected, in this order: on its promised date for
/// the promised amount, while the promise is in force; on the scoring
/// model's expected date, when it was scored by `as_of`; on its due date
/// moved by its customer's own amount-weighted average delay over the
/// [`HISTORY_MONTHS`] months before `as_of`, in its currency; else on its due
/// date. A date already past counts as expected at once.
///
/// The first forecast of an `as_of` day places every open amount of the
/// ledger on its days and keeps them; the forecasts after it sum the amounts
/// already placed, in the caller's portfolio.
pub fn forecast(
    db: &impl Database,
    scope: &Scope,
    filter: &KpiFilter,
    reporting: Currency,
    weeks: u32,
    months: u32,
) -> Result<Forecast, KpiError> {
    let as_of = filter.as_of;
    let portfolio = Conditions::portfolio(scope, &filter.segments);
    let rates = rates_on(db, reporting, as_of)?;

    let placed = placed_amounts(db, &portfolio, as_of)?;

    let mut by_week = (Buckets::weekly(as_of, weeks), Buckets::weekly(as_of, weeks));
    let mut by_month = (
        Buckets::monthly(as_of, months),
        Buckets::monthly(as_of, months),
    );
    let mut open = CurrencyAmounts::default();
    let mut by_basis: BTreeMap<ForecastBasis, CurrencyAmounts> = BTreeMap::new();
    for (basis, on_day) in &placed.expected {
        let amount = rates.convert(on_day.currency, on_day.amount)?;
        open.add(on_day.currency, on_day.amount);
        by_basis
            .entry(*basis)
            .or_default()
            .add(on_day.currency, on_day.amount);

        by_week.0.add(on_day.day, amount);
        by_month.0.add(on_day.day, amount);
    }
    for on_day in &placed.due {
        let amount = rates.convert(on_day.currency, on_day.amount)?;
        by_week.1.add(on_day.day, amount);
        by_month.1.add(on_day.day, amount);
    }

    let by_basis = by_basis
        .into_iter()
        .map(|(basis, amounts)| Ok((basis, rates.shown_total(&amounts)?.to_string())))
        .collect::<Result<_, KpiError>>()?;
    Ok(Forecast {
        as_of,
        currency: reporting.code(),
        open: rates.shown_total(&open)?,
        weeks: lines(&by_week, &rates),
        after_weeks: later(&by_week, &rates),
        months: lines(&by_month, &rates),
        after_months: later(&by_month, &rates),
        by_basis,
    })
}

fn lines((expected, baseline): &(Buckets, Buckets), rates: &ExchangeRates) -> Vec<ForecastLine> {
    expected
        .ranges
        .iter()
        .zip(expected.amounts.iter().zip(&baseline.amounts))
        .map(|(range, (expected, baseline))| ForecastLine {
            range: *range,
            expected: rates.shown(*expected),
            due_date_baseline: rates.shown(*baseline),
        })
        .collect()
}

fn later((expected, baseline): &(Buckets, Buckets), rates: &ExchangeRates) -> Later {
    Later {
        expected: rates.shown(expected.later),
        due_date_baseline: rates.shown(baseline.later),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::nothing_changes_after;
    use crate::store::refresh::refresh;
    use crate::store::test_ledger::{add_invoice, add_payment, database_with_a_customer};

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("valid date")
    }

    #[test]
    fn a_past_day_is_forecast_from_the_customer_delay_of_its_own_twelve_months() {
        // Invoice 1 was paid 40 six days late, on 02-10; 30 of invoice 2 were
        // promised on 02-25 for 03-12, and 40 are paid on 03-20, after the
        // day forecast.
        let db = database_with_a_customer();
        add_invoice(&db, 1, "EUR", "2026-01-05", "2026-02-04");
        add_invoice(&db, 2, "EUR", "2026-02-01", "2026-03-03");
        db.execute(
            "UPDATE invoices SET promised_on = '2026-03-12', promise_recorded_on = '2026-02-25',
                promised_amount = '30.00' WHERE id = 2",
            &[],
        )
        .expect("promise");
        add_payment(&db, 1, "EUR", "2026-02-10");
        add_payment(&db, 2, "EUR", "2026-03-20");
        refresh(&db).expect("rebuild");

        let as_of = day("2026-03-01");
        assert!(!nothing_changes_after(&db, as_of).expect("read"));
        let filter = KpiFilter {
            as_of,
            segments: Default::default(),
            currency: Some(Currency::EUR),
        };

        // On 03-01 invoice 1 owes 60, overdue, expected at once; invoice 2
        // owes 100, due 03-03: 30 expected as promised, the other 70 six days
        // after the due date, on 03-09.
        for scope in [Scope::Everything, Scope::Owner("ana".to_owned())] {
            let forecast = forecast(&db, &scope, &filter, Currency::EUR, 13, 3).expect("forecast");
            let weeks: Vec<(String, String)> = forecast.weeks[..3]
                .iter()
                .map(|w| (w.expected.to_string(), w.due_date_baseline.to_string()))
                .collect();

            assert_eq!(
                weeks,
                [
                    ("60.00".to_owned(), "160.00".to_owned()),
                    ("100.00".to_owned(), "0.00".to_owned()),
                    ("0.00".to_owned(), "0.00".to_owned()),
                ],
                "{scope:?}"
            );
            let by_basis: Vec<(ForecastBasis, &str)> = forecast
                .by_basis
                .iter()
                .map(|(basis, amount)| (*basis, amount.as_str()))
                .collect();
            assert_eq!(
                by_basis,
                [
                    (ForecastBasis::Promise, "30.00"),
                    (ForecastBasis::CustomerHistory, "130.00")
                ]
            );
        }
    }
}
