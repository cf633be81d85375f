//! The forecast's open amounts placed on their expected days, kept for each
//! `as_of` day asked for: placed for the whole ledger when the day is first
//! asked for, placed again customer by customer when their invoices are
//! rebuilt or scored, and summed by day for each forecast, in the caller's
//! portfolio.

use chrono::{Days, NaiveDate};
use relance_ledger::money::{Currency, Money};
use relance_store::{Database, Row, StoreError, Value};
use rust_decimal::Decimal;

use super::forecast::HISTORY_MONTHS;
use super::{Conditions, KpiError, open_on, stored_currency};
use crate::forecast::ForecastBasis;
use crate::period::months_before;

/// Days kept placed; placing one more drops the one placed first.
pub const DAYS_KEPT: usize = 3;

/// An open amount of one currency on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DayAmount {
    pub currency: Currency,
    pub day: NaiveDate,
    pub amount: Decimal,
}

/// The open amounts on `as_of`, summed by day.
#[derive(Debug, Default)]
pub(crate) struct PlacedAmounts {
    /// By the day each is expected, and where that day comes from.
    pub expected: Vec<(ForecastBasis, DayAmount)>,
    /// By due day.
    pub due: Vec<DayAmount>,
}

/// The open amounts of `portfolio` on `as_of`, placed first if the day is
/// not placed yet or some of its customers changed since.
pub(crate) fn placed_amounts(
    db: &impl Database,
    portfolio: &Conditions,
    as_of: NaiveDate,
) -> Result<PlacedAmounts, KpiError> {
    if !is_placed(db, as_of)? {
        db.transaction(|db| place(db, as_of))?;
    }

    let customers = portfolio.customers_in("customer_id");
    let mut params: Vec<Value> = vec![as_of.into()];
    params.extend(portfolio.params.iter().cloned());
    params.push(as_of.into());
    params.extend(portfolio.params.iter().cloned());

    // One statement, so that both sums are read from the same state.
    let rows = db.execute(
        &format!(
            "SELECT currency, basis, expected_day AS day, SUM(amount_minor) AS amount
             FROM kpi_forecast_legs WHERE as_of = ?{customers}
             GROUP BY currency, basis, expected_day
             UNION ALL
             SELECT currency, NULL, due_day, SUM(amount_minor)
             FROM kpi_forecast_legs WHERE as_of = ?{customers}
             GROUP BY currency, due_day"
        ),
        &params,
    )?;

    let mut placed = PlacedAmounts::default();
    for row in rows.iter() {
        let currency = stored_currency(row.text("currency")?)?;
        let amount = DayAmount {
            currency,
            day: stored_day(&row, "day")?,
            amount: Money::from_minor_units(row.integer("amount")?, currency).amount(),
        };
        match row.optional_text("basis")? {
            Some(basis) => placed.expected.push((stored_basis(basis)?, amount)),
            None => placed.due.push(amount),
        }
    }
    Ok(placed)
}

/// Whether `as_of` is placed, with no customer to place again.
fn is_placed(db: &impl Database, as_of: NaiveDate) -> Result<bool, StoreError> {
    let rows = db.execute(
        "SELECT EXISTS (SELECT 1 FROM kpi_forecast_days WHERE as_of = ?)
            AND NOT EXISTS (SELECT 1 FROM kpi_forecast_stale_customers WHERE as_of = ?)
            AS placed",
        &[as_of.into(), as_of.into()],
    )?;
    Ok(rows
        .first()
        .map(|row| row.boolean("placed"))
        .transpose()?
        .unwrap_or(false))
}

/// Places the whole ledger's open amounts on `as_of`, or again those of the
/// customers marked since it was placed; run in the caller's transaction, so
/// that two forecasts asking at once place the day once.
fn place(db: &impl Database, as_of: NaiveDate) -> Result<(), KpiError> {
    let first_time = !db
        .execute(
            "INSERT INTO kpi_forecast_days (as_of) VALUES (?)
             ON CONFLICT (as_of) DO NOTHING RETURNING as_of",
            &[as_of.into()],
        )?
        .is_empty();

    if first_time {
        drop_days_beyond_kept(db)?;
        write_legs(db, as_of, "", &[])
    } else {
        place_marked_customers_again(db, as_of)
    }
}

/// Replaces the legs on `as_of` of the customers marked since it was placed.
fn place_marked_customers_again(db: &impl Database, as_of: NaiveDate) -> Result<(), KpiError> {
    let marked = "SELECT customer_id FROM kpi_forecast_stale_customers WHERE as_of = ?";
    db.execute(
        &format!("DELETE FROM kpi_forecast_legs WHERE as_of = ? AND customer_id IN ({marked})"),
        &[as_of.into(), as_of.into()],
    )?;

    write_legs(
        db,
        as_of,
        &format!(" AND s.customer_id IN ({marked})"),
        &[as_of.into()],
    )?;
    db.execute(
        "DELETE FROM kpi_forecast_stale_customers WHERE as_of = ?",
        &[as_of.into()],
    )?;
    Ok(())
}

/// Drops the days placed before the last [`DAYS_KEPT`].
fn drop_days_beyond_kept(db: &impl Database) -> Result<(), StoreError> {
    let dropped = format!(
        "SELECT as_of FROM kpi_forecast_days ORDER BY rowid DESC LIMIT -1 OFFSET {DAYS_KEPT}"
    );
    for table in ["kpi_forecast_legs", "kpi_forecast_stale_customers"] {
        db.execute(
            &format!("DELETE FROM {table} WHERE as_of IN ({dropped})"),
            &[],
        )?;
    }
    db.execute(
        &format!("DELETE FROM kpi_forecast_days WHERE as_of IN ({dropped})"),
        &[],
    )?;
    Ok(())
}

/// Writes the legs of the invoices open on `as_of` whose runs `s` meet
/// `customers` (with its parameters): each open amount on the day it is
/// expected, as [`super::forecast::forecast`] describes, and on its due day.
fn write_legs(
    db: &impl Database,
    as_of: NaiveDate,
    customers: &str,
    customer_params: &[Value],
) -> Result<(), KpiError> {
    let history_from = months_before(as_of, HISTORY_MONTHS);
    let (open, open_params) = open_on(db, as_of)?;
    let in_force = "s.promised_on >= ? AND s.promise_recorded_on <= ?";
    let open_runs = |params: &mut Vec<Value>| {
        params.extend(open_params.iter().cloned());
        params.extend(customer_params.iter().cloned());
    };

    // In the order of the statement's placeholders: the delays' payments and
    // runs, the promises in force among the runs, the promised legs' runs
    // and promises, the scores, the day placed.
    let mut params: Vec<Value> = vec![history_from.into(), as_of.into(), as_of.into()];
    open_runs(&mut params);
    params.extend([as_of.into(), as_of.into()]);
    open_runs(&mut params);
    open_runs(&mut params);
    params.extend([as_of.into(), as_of.into(), as_of.into(), as_of.into()]);

    // Each customer's delay is read once, from its own range of payments in
    // the currency; promised parts are legs of their own. Days are counted
    // from 1970-01-01, so that moving them is arithmetic.
    db.execute(
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
                SELECT s.customer_id, s.currency, 'promise' AS basis,
                    unixepoch(s.promised_on) / 86400 AS expected_day,
                    unixepoch(s.due_date) / 86400 AS due_day,
                    MIN(s.promised_minor, s.open_minor) AS amount
                FROM {open} s WHERE 1 = 1{customers} AND {in_force}
                UNION ALL
                SELECT s.customer_id, s.currency,
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
            INSERT INTO kpi_forecast_legs
                (as_of, currency, basis, expected_day, due_day, customer_id, amount_minor)
            SELECT ?, currency, basis, expected_day, due_day, customer_id, amount FROM legs"
        ),
        &params,
    )?;
    Ok(())
}

fn stored_basis(text: &str) -> Result<ForecastBasis, StoreError> {
    ForecastBasis::parse(text).ok_or_else(|| StoreError::UnexpectedValue {
        column: "basis".to_owned(),
        expected: "a forecast basis",
        found: format!("{text:?}"),
    })
}

/// The first day counted by SQLite's `unixepoch()`.
const UNIX_EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");

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
    use crate::query::KpiFilter;
    use crate::store::forecast::{Forecast, forecast};
    use crate::store::refresh::refresh;
    use crate::store::test_ledger::{add_invoice, add_payment, database_with_a_customer};
    use relance_api::Scope;
    use relance_store::NativeDatabase;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("valid date")
    }

    /// Invoice 1 paid 40 six days late; invoice 2 open, due 03-03.
    fn ledger() -> NativeDatabase {
        let db = database_with_a_customer();
        add_invoice(&db, 1, "EUR", "2026-01-05", "2026-02-04");
        add_invoice(&db, 2, "EUR", "2026-02-01", "2026-03-03");
        add_payment(&db, 1, "EUR", "2026-02-10");
        db
    }

    fn forecast_on(db: &NativeDatabase, as_of: &str) -> Forecast {
        refresh(db).expect("rebuild");
        let filter = KpiFilter {
            as_of: day(as_of),
            segments: Default::default(),
            currency: Some(Currency::EUR),
        };
        forecast(db, &Scope::Everything, &filter, Currency::EUR, 13, 3).expect("forecast")
    }

    fn days_placed(db: &NativeDatabase) -> Vec<String> {
        let rows = db
            .execute("SELECT as_of FROM kpi_forecast_days ORDER BY as_of", &[])
            .expect("days");
        rows.iter()
            .map(|row| row.text("as_of").expect("day").to_owned())
            .collect()
    }

    #[test]
    fn a_customer_whose_invoice_is_rebuilt_is_placed_again_on_the_days_placed() {
        let db = ledger();
        let before = forecast_on(&db, "2026-03-01");
        let earlier = forecast_on(&db, "2026-02-15");

        // Invoice 2 is paid 40 on 02-20: after 02-15, before 03-01. On 02-15
        // the runs are now read by span class, as on any day before a change.
        add_payment(&db, 2, "EUR", "2026-02-20");
        let after = forecast_on(&db, "2026-03-01");

        let fresh = ledger();
        add_payment(&fresh, 2, "EUR", "2026-02-20");
        assert_ne!(after, before);
        assert_eq!(after, forecast_on(&fresh, "2026-03-01"));
        assert_eq!(after.open.to_string(), "120.00");
        assert_eq!(forecast_on(&db, "2026-02-15"), earlier);
        assert_eq!(forecast_on(&fresh, "2026-02-15"), earlier);
    }

    #[test]
    fn an_invoice_scored_after_its_day_was_placed_is_expected_on_its_scored_date() {
        let db = ledger();
        let before = forecast_on(&db, "2026-03-01");
        assert!(!before.by_basis.contains_key(&ForecastBasis::Score));

        db.execute(
            "INSERT INTO invoice_scores (invoice_id, model_version, probability_late,
                expected_payment_date, scored_at)
             VALUES (2, 1, 0.5, '2026-04-20', '2026-02-28T06:00:00.000000Z')",
            &[],
        )
        .expect("score");
        let after = forecast_on(&db, "2026-03-01");

        assert_eq!(after.by_basis[&ForecastBasis::Score], "100.00");
        let expected: Vec<String> = after
            .months
            .iter()
            .map(|m| m.expected.to_string())
            .collect();
        assert_eq!(expected, ["60.00", "100.00", "0.00"]);
    }

    #[test]
    fn only_the_last_days_asked_for_stay_placed() {
        let db = ledger();
        let first = forecast_on(&db, "2026-02-01");
        for as_of in ["2026-02-15", "2026-03-01", "2026-03-15"] {
            forecast_on(&db, as_of);
        }

        assert_eq!(days_placed(&db), ["2026-02-15", "2026-03-01", "2026-03-15"]);
        let legs = db
            .execute(
                "SELECT COUNT(*) AS legs FROM kpi_forecast_legs WHERE as_of = '2026-02-01'",
                &[],
            )
            .expect("legs");
        assert_eq!(legs.first().expect("count").integer("legs"), Ok(0));

        assert_eq!(forecast_on(&db, "2026-02-01"), first);
        assert_eq!(days_placed(&db), ["2026-02-01", "2026-03-01", "2026-03-15"]);
    }
}
