//! Exchange rates into reporting currencies, managed through the API: each
//! rate holds from its `valid_from` day until the next rate of the pair.

use chrono::{DateTime, NaiveDate, Utc};
use relance_ledger::money::Currency;
use relance_store::{Database, StoreError, Value};
use rust_decimal::Decimal;
use serde::Serialize;

use super::stored_currency;
use crate::fx::ExchangeRates;

/// One stored rate: one unit of `currency` is worth `rate` units of
/// `reporting_currency` from `valid_from` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FxRate {
    /// The currency converted.
    pub currency: &'static str,
    /// The currency converted into.
    pub reporting_currency: &'static str,
    /// The first day the rate holds.
    pub valid_from: NaiveDate,
    /// Units of the reporting currency per unit of `currency`, as a decimal string.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
}

/// Every stored rate, by pair then day.
pub fn list_rates(db: &impl Database) -> Result<Vec<FxRate>, StoreError> {
    let rows = db.execute(
        "SELECT currency, reporting_currency, valid_from, rate FROM fx_rates
         ORDER BY reporting_currency, currency, valid_from",
        &[],
    )?;

    rows.iter()
        .map(|row| {
            let rate = row.text("rate")?;
            Ok(FxRate {
                currency: stored_currency(row.text("currency")?)?.code(),
                reporting_currency: stored_currency(row.text("reporting_currency")?)?.code(),
                valid_from: row.date("valid_from")?,
                rate: rate.parse().map_err(|_| StoreError::UnexpectedValue {
                    column: "rate".to_owned(),
                    expected: "a decimal rate",
                    found: format!("{rate:?}"),
                })?,
            })
        })
        .collect()
}

/// Stores each rate, replacing the one of the same pair and day: sending
/// the same rates again changes nothing.
pub fn put_rates(
    db: &impl Database,
    rates: &[FxRate],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    db.transaction(|db| {
        for rate in rates {
            db.execute(
                "INSERT INTO fx_rates (currency, reporting_currency, valid_from, rate, updated_at)
                 VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (reporting_currency, currency, valid_from)
                 DO UPDATE SET rate = excluded.rate, updated_at = excluded.updated_at",
                &[
                    rate.currency.into(),
                    rate.reporting_currency.into(),
                    rate.valid_from.into(),
                    rate.rate.into(),
                    now.into(),
                ],
            )?;
        }
        Ok(())
    })
}

/// The rates into `reporting` in force on `on`.
pub fn rates_on(
    db: &impl Database,
    reporting: Currency,
    on: NaiveDate,
) -> Result<ExchangeRates, StoreError> {
    let rows = db.execute(
        "SELECT f.currency, f.rate FROM fx_rates f
         WHERE f.reporting_currency = ? AND f.valid_from = (
            SELECT MAX(g.valid_from) FROM fx_rates g
            WHERE g.reporting_currency = f.reporting_currency AND g.currency = f.currency
              AND g.valid_from <= ?)",
        &[reporting.code().into(), Value::from(on)],
    )?;

    let mut rates = Vec::new();
    for row in rows.iter() {
        let currency = stored_currency(row.text("currency")?)?;
        rates.push((currency, row.decimal("rate")?));
    }
    Ok(ExchangeRates::new(reporting, on, rates))
}

#[cfg(test)]
mod tests {
    use relance_store::NativeDatabase;

    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("valid date")
    }

    fn usd_to_eur(valid_from: &str, rate: &str) -> FxRate {
        FxRate {
            currency: "USD",
            reporting_currency: "EUR",
            valid_from: day(valid_from),
            rate: rate.parse().expect("rate"),
        }
    }

    #[test]
    fn the_rate_in_force_is_the_latest_one_on_or_before_the_day() {
        let db = NativeDatabase::open_in_memory().expect("database");
        let now = Utc::now();
        put_rates(
            &db,
            &[
                usd_to_eur("2026-01-01", "0.90"),
                usd_to_eur("2026-03-01", "0.95"),
            ],
            now,
        )
        .expect("stored");
        put_rates(&db, &[usd_to_eur("2026-03-01", "0.92")], now).expect("replaced");

        let usd = Currency::parse("USD").expect("USD");
        let eur = Currency::EUR;
        let convert = |on: &str| {
            rates_on(&db, eur, day(on))
                .expect("rates")
                .convert(usd, Decimal::ONE_HUNDRED)
        };

        assert!(convert("2025-12-31").is_err());
        assert_eq!(
            convert("2026-02-28"),
            Ok("90.0000".parse().expect("amount"))
        );
        assert_eq!(
            convert("2026-03-01"),
            Ok("92.0000".parse().expect("amount"))
        );
        assert_eq!(list_rates(&db).expect("listed").len(), 2);
    }
}
