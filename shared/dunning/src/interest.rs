//! Late-payment charges under French and EU law (Code de commerce L441-10,
//! Directive 2011/7/EU): interest from the day after the due date at the ECB
//! main refinancing rate in force on 1 January or 1 July of each half-year,
//! plus 10 points, unless the contract sets another rate; and a fixed €40
//! recovery indemnity per late invoice.
//!
//! The ECB rates are data ([`ReferenceRates`]), read from the database and
//! updated through the API when a new half-year starts.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use relance_ledger::money::{Currency, Money, MoneyError};
use rust_decimal::Decimal;
use serde::Serialize;

/// Points added to the ECB rate for the legal late-interest rate.
pub const LEGAL_MARGIN_POINTS: Decimal = Decimal::TEN;

/// Days in the year interest is counted over: exact days late over 365.
const DAYS_IN_YEAR: i64 = 365;

/// What is wrong with a reference rate or a late-interest calculation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterestError {
    /// Rates are set for half-years, starting 1 January or 1 July.
    #[error(
        "{day} does not start a half-year; ECB reference rates apply from 1 January or 1 July \
         (YYYY-01-01 or YYYY-07-01)"
    )]
    NotAHalfYear {
        /// The day received.
        day: NaiveDate,
    },

    /// Rates are percentages a year.
    #[error("the reference rate {rate} is not a percentage from -5 to 50")]
    ImplausibleRate {
        /// The rate received.
        rate: Decimal,
    },

    /// No rate is known for a day before the first half-year of the table.
    #[error(
        "no ECB reference rate is known on or before {day}; add the rate of that half-year \
         with PUT /api/v1/dunning/interest-rates"
    )]
    NoRateKnown {
        /// The day interest is counted for.
        day: NaiveDate,
    },

    /// The amounts overflowed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// The ECB main refinancing rate in force at the start of each half-year.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReferenceRates {
    rates: BTreeMap<NaiveDate, Decimal>,
}

impl ReferenceRates {
    /// A table of `(half-year start, rate in percent)`.
    pub fn new(
        entries: impl IntoIterator<Item = (NaiveDate, Decimal)>,
    ) -> Result<ReferenceRates, InterestError> {
        let mut rates = BTreeMap::new();
        for (day, rate) in entries {
            check_rate(day, rate)?;
            rates.insert(day, rate);
        }
        Ok(ReferenceRates { rates })
    }

    /// The rate for the half-year containing `day`: the one set for its
    /// start, or, until that is entered, the latest rate known before it.
    pub fn rate_on(&self, day: NaiveDate) -> Result<Decimal, InterestError> {
        self.rates
            .range(..=half_year_start(day))
            .next_back()
            .map(|(_, rate)| *rate)
            .ok_or(InterestError::NoRateKnown { day })
    }

    /// Every `(half-year start, rate)`, oldest first.
    pub fn entries(&self) -> impl Iterator<Item = (NaiveDate, Decimal)> + '_ {
        self.rates.iter().map(|(day, rate)| (*day, *rate))
    }
}

/// Checks one entry of the rate table.
pub fn check_rate(day: NaiveDate, rate: Decimal) -> Result<(), InterestError> {
    if day != half_year_start(day) {
        return Err(InterestError::NotAHalfYear { day });
    }
    if rate < Decimal::from(-5) || rate > Decimal::from(50) {
        return Err(InterestError::ImplausibleRate { rate });
    }
    Ok(())
}

/// 1 January or 1 July of the half-year containing `day`.
pub fn half_year_start(day: NaiveDate) -> NaiveDate {
    let month = if day.month() >= 7 { 7 } else { 1 };
    NaiveDate::from_ymd_opt(day.year(), month, 1).unwrap_or(day)
}

/// A stretch of lateness within one half-year, at one rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterestPeriod {
    /// First late day of the stretch.
    pub from: NaiveDate,
    /// Last late day of the stretch.
    pub to: NaiveDate,
    /// Days in the stretch.
    pub days: i64,
    /// Yearly rate applied, in percent.
    pub annual_rate: Decimal,
}

/// The late charges on one invoice on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LateCharges {
    /// Days since the due date.
    pub days_late: i64,
    /// Late interest on what remains, rounded half up to minor units.
    pub interest: Money,
    /// The fixed recovery indemnity (€40), once the invoice is late.
    pub indemnity: Option<Money>,
    /// How the interest was counted.
    pub periods: Vec<InterestPeriod>,
}

/// The fixed recovery indemnity per late invoice (Code de commerce D441-5).
pub fn recovery_indemnity() -> Money {
    Money::from_minor_units(4000, Currency::EUR)
}

/// Late interest and indemnity on `remaining`, for an invoice due on
/// `due_date`, counted on `as_of`: from the day after the due date to
/// `as_of` included, each half-year at its own rate (the contract's rate
/// when given, else the ECB rate plus 10 points), exact days over 365.
pub fn late_charges(
    remaining: Money,
    due_date: NaiveDate,
    as_of: NaiveDate,
    rates: &ReferenceRates,
    contract_rate: Option<Decimal>,
) -> Result<LateCharges, InterestError> {
    let currency = remaining.currency();
    let days_late = (as_of - due_date).num_days();
    if days_late <= 0 {
        return Ok(LateCharges {
            days_late: 0,
            interest: Money::zero(currency),
            indemnity: None,
            periods: Vec::new(),
        });
    }

    let periods = periods(due_date, as_of, rates, contract_rate)?;
    let mut interest = Decimal::ZERO;
    for period in &periods {
        let share = remaining.amount() * period.annual_rate / Decimal::ONE_HUNDRED
            * Decimal::from(period.days)
            / Decimal::from(DAYS_IN_YEAR);
        interest += share;
    }

    Ok(LateCharges {
        days_late,
        interest: Money::round_half_up(interest.max(Decimal::ZERO), currency),
        indemnity: Some(recovery_indemnity()),
        periods,
    })
}

/// Splits the late days (due date excluded, `as_of` included) at each
/// 1 January and 1 July.
fn periods(
    due_date: NaiveDate,
    as_of: NaiveDate,
    rates: &ReferenceRates,
    contract_rate: Option<Decimal>,
) -> Result<Vec<InterestPeriod>, InterestError> {
    let mut periods = Vec::new();
    let mut from = next_day(due_date);

    while from <= as_of {
        let next_half_year = next_half_year_start(from);
        let to = as_of.min(next_half_year.pred_opt().unwrap_or(as_of));
        let annual_rate = match contract_rate {
            Some(rate) => rate,
            None => rates.rate_on(from)? + LEGAL_MARGIN_POINTS,
        };

        periods.push(InterestPeriod {
            from,
            to,
            days: (to - from).num_days() + 1,
            annual_rate,
        });
        from = next_half_year;
    }
    Ok(periods)
}

fn next_day(day: NaiveDate) -> NaiveDate {
    day.checked_add_days(Days::new(1)).unwrap_or(day)
}

fn next_half_year_start(day: NaiveDate) -> NaiveDate {
    let start = half_year_start(day);
    let (year, month) = if start.month() == 1 {
        (start.year(), 7)
    } else {
        (start.year() + 1, 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    fn eur(amount: &str) -> Money {
        Money::parse(amount, Currency::EUR).expect("an amount")
    }

    fn rate(text: &str) -> Decimal {
        text.parse().expect("a rate")
    }

    /// The ECB rates of 2024 and 2025, as published.
    fn rates() -> ReferenceRates {
        ReferenceRates::new([
            (day("2024-01-01"), rate("4.50")),
            (day("2024-07-01"), rate("4.25")),
            (day("2025-01-01"), rate("3.15")),
            (day("2025-07-01"), rate("2.15")),
        ])
        .expect("valid table")
    }

    #[test]
    fn interest_and_indemnity_match_figures_checked_by_hand() {
        // (remaining, due, as of, contract rate, days late, interest)
        let table = [
            // 10,000 × 13.15 % × 30/365 = 108.08 (June 2025)
            ("10000.00", "2025-05-31", "2025-06-30", None, 30, "108.08"),
            // + 10,000 × 12.15 % × 15/365 = 49.93 (1-15 July) → 158.01
            ("10000.00", "2025-05-31", "2025-07-15", None, 45, "158.01"),
            // 1,440 × 12.15 % × 1/365 = 0.479 → 0.48
            ("1440.00", "2025-08-01", "2025-08-02", None, 1, "0.48"),
            // across 1 January: 2,000 × 12.15 % × 10/365 + 2,000 × 12.15 % × 10/365
            // (2026 unknown: the latest rate applies) = 13.32
            ("2000.00", "2025-12-21", "2026-01-10", None, 20, "13.32"),
            // contract rate 3 × legal rate: 5,000 × 9 % × 60/365 = 73.97
            (
                "5000.00",
                "2025-03-01",
                "2025-04-30",
                Some("9"),
                60,
                "73.97",
            ),
            // a whole half-year: 3,650 × 14.50 % × 182/365 = 263.90
            ("3650.00", "2023-12-31", "2024-06-30", None, 182, "263.90"),
        ];

        for (remaining, due, as_of, contract, days_late, interest) in table {
            let charges = late_charges(
                eur(remaining),
                day(due),
                day(as_of),
                &rates(),
                contract.map(rate),
            )
            .expect("rates known");

            assert_eq!(
                charges.days_late, days_late,
                "{remaining} due {due} on {as_of}"
            );
            assert_eq!(
                charges.interest,
                eur(interest),
                "{remaining} due {due} on {as_of}"
            );
            assert_eq!(charges.indemnity, Some(eur("40.00")));
        }
    }

    #[test]
    fn each_half_year_has_its_own_rate() {
        let charges = late_charges(
            eur("10000.00"),
            day("2025-05-31"),
            day("2025-07-15"),
            &rates(),
            None,
        )
        .expect("rates known");

        let periods: Vec<(String, i64, String)> = charges
            .periods
            .iter()
            .map(|p| (p.from.to_string(), p.days, p.annual_rate.to_string()))
            .collect();
        assert_eq!(
            periods,
            [
                ("2025-06-01".to_owned(), 30, "13.15".to_owned()),
                ("2025-07-01".to_owned(), 15, "12.15".to_owned())
            ]
        );
    }

    #[test]
    fn nothing_is_charged_on_or_before_the_due_date() {
        for as_of in ["2025-05-30", "2025-05-31"] {
            let charges =
                late_charges(eur("500.00"), day("2025-05-31"), day(as_of), &rates(), None)
                    .expect("no rate needed");

            assert!(charges.interest.is_zero(), "{as_of}");
            assert_eq!(charges.indemnity, None, "{as_of}");
        }
    }

    #[test]
    fn the_rate_table_accepts_half_years_only_and_says_what_is_missing() {
        assert!(ReferenceRates::new([(day("2025-03-01"), rate("2"))]).is_err());
        assert!(ReferenceRates::new([(day("2025-01-01"), rate("80"))]).is_err());

        let error = late_charges(
            eur("1.00"),
            day("2020-01-01"),
            day("2020-02-01"),
            &rates(),
            None,
        )
        .expect_err("2020 is not in the table");

        assert!(error.to_string().contains("2020-01-02"), "{error}");
    }

    #[test]
    fn interest_is_rounded_half_up_to_cents() {
        // 365 × 10 % × 1/365 = 0.10 exactly; 1,825 × 12.15 % / 365 = 0.6075 → 0.61
        let table = [("365.00", "10", "0.10"), ("1825.00", "12.15", "0.61")];

        for (remaining, contract, interest) in table {
            let charges = late_charges(
                eur(remaining),
                day("2025-08-01"),
                day("2025-08-02"),
                &rates(),
                Some(rate(contract)),
            )
            .expect("contract rate");
            assert_eq!(charges.interest, eur(interest), "{remaining} at {contract}");
        }
    }
}
