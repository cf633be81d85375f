//! `GET /api/v1/kpi/forecast`: the cash expected from the invoices open on
//! the `as_of` day, week by week and month by month, beside what the due
//! dates alone would say.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use relance_api::Scope;
use relance_ledger::money::{Currency, Money};
use relance_store::{Database, Row, StoreError, Value};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Conditions, KpiError, open_on, rates::rates_on, stored_currency};
use crate::forecast::{Buckets, DayRange, ForecastBasis};
use crate::fx::{CurrencyAmounts, ExchangeRates};
use crate::period::months_before;
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

    let mut by_week = (Buckets::weekly(as_of, weeks), Buckets::weekly(as_of, weeks));
    let mut by_month = (
        Buckets::monthly(as_of, months),
        Buckets::monthly(as_of, months),
    );
    let horizon = by_week.0.last_day().max(by_month.0.last_day());
    let beyond = horizon.checked_add_days(Days::new(1)).unwrap_or(horizon);

    let mut open = CurrencyAmounts::default();
    let mut by_basis: BTreeMap<ForecastBasis, CurrencyAmounts> = BTreeMap::new();
    for leg in expected_legs(db, &portfolio, as_of, beyond)? {
        let amount = rates.convert(leg.currency, leg.amount)?;
        open.add(leg.currency, leg.amount);
        by_basis
            .entry(leg.basis)
            .or_default()
            .add(leg.currency, leg.amount);

        by_week.0.add(leg.expected_on, amount);
        by_week.1.add(leg.due_on, amount);
        by_month.0.add(leg.expected_on, amount);
        by_month.1.add(leg.due_on, amount);
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

/// A part of an open invoice expected on one day.
struct Leg {
    currency: Currency,
    basis: ForecastBasis,
    expected_on: NaiveDate,
    due_on: NaiveDate,
    amount: Decimal,
}

/// The open amounts by expected day, due day and basis; days after the
/// horizon are gathered on `beyond`.
fn expected_legs(
    db: &impl Database,
    portfolio: &Conditions,
    as_of: NaiveDate,
    beyond: NaiveDate,
) -> Result<Vec<Leg>, KpiError> {
    let history_from = months_before(as_of, HISTORY_MONTHS);
    let (open, open_params) = open_on(db, as_of)?;
    let customers = portfolio.customers_in("s.customer_id");
    let in_force = "s.promised_on >= ? AND s.promise_recorded_on <= ?";
    let open_runs = |params: &mut Vec<Value>| {
        params.extend(open_params.iter().cloned());
        params.extend(portfolio.params.iter().cloned());
    };

    // In the order of the statement's placeholders: the delays' payments and
    // runs, the promises in force among the runs, the promised legs' runs
    // and promises, the scores, the bounds of the days.
    let mut params: Vec<Value> = vec![history_from.into(), as_of.into(), as_of.into()];
    open_runs(&mut params);
    params.extend([as_of.into(), as_of.into()]);
    open_runs(&mut params);
    open_runs(&mut params);
    params.extend([as_of.into(), as_of.into(), as_of.into()]);
    let (first, last) = (unix_day(as_of), unix_day(beyond));
    params.extend([first.into(), last.into(), first.into(), last.into()]);

    // Each customer's delay is read once, from its own range of payments in
    // the currency; promised parts are legs of their own. Days are counted
    // from 1970-01-01, so that moving and bounding them is arithmetic.
    let rows = db.execute(
        &format!(
            "WITH delays AS MATERIALIZED (
                SELECT o.customer_id, o.currency,
                    (SELECT CAST(ROUND(CAST(SUM(p.amount_minor * p.days_after_due) AS REAL)
                            / SUM(p.amount_minor)) AS INTEGER)
                     FROM kpi_payments p
                     WHERE p.customer_id = o.customer_id AND p.currency = o.currency
                       AND p.paid_on > ? AND p.paid_on <= ?
                       AND (p.undone_on IS NULL OR p.undone_on > ?)
                     HAVING SUM(p.amount_minor) > 0) AS delay_days
                FROM (SELECT DISTINCT s.customer_id, s.currency
                      FROM {open} s WHERE 1 = 1{customers}) o
            ), promised AS (
                SELECT s.*, unixepoch(s.due_date) / 86400 AS due_day,
                    CASE WHEN {in_force} THEN MIN(s.promised_minor, s.open_minor) ELSE 0 END
                        AS promised
                FROM {open} s WHERE 1 = 1{customers}
            ), legs AS (
                SELECT s.currency, 'promise' AS basis,
                    unixepoch(s.promised_on) / 86400 AS expected_day,
                    unixepoch(s.due_date) / 86400 AS due_day,
                    MIN(s.promised_minor, s.open_minor) AS amount
                FROM {open} s WHERE 1 = 1{customers} AND {in_force}
                UNION ALL
                SELECT s.currency,
                    CASE WHEN sc.expected_payment_date IS NOT NULL THEN 'score'
                         WHEN d.delay_days IS NOT NULL THEN 'customer_history'
                         ELSE 'due_date' END,
                    COALESCE(unixepoch(sc.expected_payment_date) / 86400,
                        s.due_day + d.delay_days, s.due_day),
                    s.due_day, s.open_minor - s.promised
                FROM promised s
                LEFT JOIN invoice_scores sc
                    ON sc.invoice_id = s.invoice_id AND substr(sc.scored_at, 1, 10) <= ?
                LEFT JOIN delays d ON d.customer_id = s.customer_id AND d.currency = s.currency
                WHERE s.open_minor > s.promised
            )
            SELECT currency, basis,
                MIN(MAX(expected_day, ?), ?) AS expected_day,
                MIN(MAX(due_day, ?), ?) AS due_day,
                SUM(amount) AS amount
            FROM legs GROUP BY 1, 2, 3, 4"
        ),
        &params,
    )?;

    let mut legs = Vec::with_capacity(rows.len());
    for row in rows.iter() {
        let currency = stored_currency(row.text("currency")?)?;
        let basis_text = row.text("basis")?;
        let basis =
            ForecastBasis::parse(basis_text).ok_or_else(|| StoreError::UnexpectedValue {
                column: "basis".to_owned(),
                expected: "a forecast basis",
                found: format!("{basis_text:?}"),
            })?;
        legs.push(Leg {
            currency,
            basis,
            expected_on: stored_day(&row, "expected_day")?,
            due_on: stored_day(&row, "due_day")?,
            amount: Money::from_minor_units(row.integer("amount")?, currency).amount(),
        });
    }
    Ok(legs)
}

/// The first day counted by SQLite's `unixepoch()`.
const UNIX_EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");

/// `day` as days since 1970-01-01.
fn unix_day(day: NaiveDate) -> i64 {
    (day - UNIX_EPOCH).num_days()
}

/// A day read as days since 1970-01-01.
fn stored_day(row: &Row<'_>, column: &str) -> Result<NaiveDate, StoreError> {
    let days = row.integer(column)?;
    u64::try_from(days)
        .ok()
        .and_then(|days| UNIX_EPOCH.checked_add_days(Days::new(days)))
        .ok_or_else(|| StoreError::UnexpectedValue {
            column: column.to_owned(),
            expected: "a day after 1970-01-01",
            found: days.to_string(),
        })
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
