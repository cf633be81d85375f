//! The ECB reference rates by half-year, as the migration seeded them and
//! the team updates them.

use chrono::{DateTime, NaiveDate, Utc};
use relance_store::Database;
use rust_decimal::Decimal;

use crate::DunningError;
use crate::interest::{ReferenceRates, check_rate};

/// Every known rate.
pub fn load_rates(db: &impl Database) -> Result<ReferenceRates, DunningError> {
    let rows = db.execute(
        "SELECT half_year_start, rate FROM late_interest_reference_rates
         ORDER BY half_year_start",
        &[],
    )?;
    let entries = rows
        .iter()
        .map(|row| Ok((row.date("half_year_start")?, row.decimal("rate")?)))
        .collect::<Result<Vec<_>, DunningError>>()?;
    Ok(ReferenceRates::new(entries)?)
}

/// Sets the rate of a half-year (1 January or 1 July).
pub fn put_rate(
    db: &impl Database,
    half_year_start: NaiveDate,
    rate: Decimal,
    now: DateTime<Utc>,
) -> Result<ReferenceRates, DunningError> {
    check_rate(half_year_start, rate)?;

    db.execute(
        "INSERT INTO late_interest_reference_rates (half_year_start, rate, updated_at)
         VALUES (?, ?, ?)
         ON CONFLICT (half_year_start) DO UPDATE SET rate = excluded.rate,
            updated_at = excluded.updated_at",
        &[half_year_start.into(), rate.into(), now.into()],
    )?;
    load_rates(db)
}

#[cfg(test)]
mod tests {
    use relance_store::NativeDatabase;

    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    #[test]
    fn the_seeded_table_gives_the_rates_published_for_each_half_year() {
        let db = NativeDatabase::open_in_memory().expect("database");
        let rates = load_rates(&db).expect("rates");

        let table = [
            ("2019-03-01", "0.00"),
            ("2023-02-15", "2.50"),
            ("2023-09-30", "4.00"),
            ("2024-01-01", "4.50"),
            ("2024-12-31", "4.25"),
            ("2025-05-01", "3.15"),
            ("2025-07-01", "2.15"),
        ];
        for (on, expected) in table {
            assert_eq!(
                rates.rate_on(day(on)).expect(on).to_string(),
                expected,
                "{on}"
            );
        }
    }

    #[test]
    fn a_new_half_year_is_added_and_a_wrong_day_refused() {
        let db = NativeDatabase::open_in_memory().expect("database");

        let rates =
            put_rate(&db, day("2027-01-01"), Decimal::new(175, 2), Utc::now()).expect("saved");
        assert_eq!(
            rates.rate_on(day("2027-03-01")).expect("known").to_string(),
            "1.75"
        );

        let error = put_rate(&db, day("2027-02-01"), Decimal::ONE, Utc::now()).expect_err("day");
        assert!(error.to_string().contains("half-year"), "{error}");
    }
}
