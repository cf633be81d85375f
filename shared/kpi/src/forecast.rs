//! The cash forecast: what open invoices are expected to bring in, placed in
//! weeks and months starting on the `as_of` day.
//!
//! Each open amount's expected payment date comes, in this order, from a
//! promise to pay still in force, the scoring model's expected payment date,
//! the due date moved by the customer's own average delay, or the due date
//! itself; [`ForecastBasis`] names which.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

/// Where an expected payment date comes from, most trusted first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ForecastBasis {
    /// The customer promised to pay that day.
    Promise,
    /// The scoring model's expected payment date.
    Score,
    /// The due date moved by the customer's own average payment delay.
    CustomerHistory,
    /// The due date, for lack of anything better.
    DueDate,
}

impl ForecastBasis {
    /// Every basis, most trusted first.
    pub const ALL: [ForecastBasis; 4] = [
        ForecastBasis::Promise,
        ForecastBasis::Score,
        ForecastBasis::CustomerHistory,
        ForecastBasis::DueDate,
    ];

    /// The name stored in queries and shown in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ForecastBasis::Promise => "promise",
            ForecastBasis::Score => "score",
            ForecastBasis::CustomerHistory => "customer_history",
            ForecastBasis::DueDate => "due_date",
        }
    }

    /// The basis named `text`, as [`ForecastBasis::as_str`] writes it.
    pub fn parse(text: &str) -> Option<ForecastBasis> {
        Self::ALL.into_iter().find(|basis| basis.as_str() == text)
    }
}

/// A run of days in the forecast, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayRange {
    /// The first day.
    pub from: NaiveDate,
    /// The last day.
    pub to: NaiveDate,
}

/// Expected amounts placed in consecutive ranges of days from `as_of`, with
/// what falls after the last range kept apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buckets {
    as_of: NaiveDate,
    /// The ranges, in order.
    pub ranges: Vec<DayRange>,
    /// The amount expected in each range.
    pub amounts: Vec<Decimal>,
    /// The amount expected after the last range.
    pub later: Decimal,
}

impl Buckets {
    /// `weeks` weeks of seven days, the first starting on `as_of`.
    pub fn weekly(as_of: NaiveDate, weeks: u32) -> Buckets {
        let ranges = (0..u64::from(weeks))
            .map(|week| {
                let from = as_of
                    .checked_add_days(Days::new(week * 7))
                    .unwrap_or(NaiveDate::MAX);
                DayRange {
                    from,
                    to: from
                        .checked_add_days(Days::new(6))
                        .unwrap_or(NaiveDate::MAX),
                }
            })
            .collect();
        Buckets::over(as_of, ranges)
    }

    /// `months` months, the first starting on `as_of`: from the 15th to the
    /// 14th of the next month.
    pub fn monthly(as_of: NaiveDate, months: u32) -> Buckets {
        let start = |month: u32| {
            as_of
                .checked_add_months(chrono::Months::new(month))
                .unwrap_or(NaiveDate::MAX)
        };
        let ranges = (0..months)
            .map(|month| DayRange {
                from: start(month),
                to: start(month + 1).pred_opt().unwrap_or(NaiveDate::MAX),
            })
            .collect();
        Buckets::over(as_of, ranges)
    }

    fn over(as_of: NaiveDate, ranges: Vec<DayRange>) -> Buckets {
        Buckets {
            as_of,
            amounts: vec![Decimal::ZERO; ranges.len()],
            ranges,
            later: Decimal::ZERO,
        }
    }

    /// Places `amount` expected on `day`; a day already past (an overdue
    /// invoice expected earlier) counts as expected at once, in the first range.
    pub fn add(&mut self, day: NaiveDate, amount: Decimal) {
        let day = day.max(self.as_of);

        match self
            .ranges
            .iter()
            .position(|r| r.from <= day && day <= r.to)
        {
            Some(index) => self.amounts[index] += amount,
            None => self.later += amount,
        }
    }

    /// The last day the ranges cover.
    pub fn last_day(&self) -> NaiveDate {
        self.ranges.last().map_or(self.as_of, |r| r.to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("valid date")
    }

    fn amount(text: &str) -> Decimal {
        text.parse().expect("valid amount")
    }

    #[test]
    fn thirteen_weeks_start_on_the_as_of_day_and_the_rest_comes_later() {
        let mut weeks = Buckets::weekly(day("2026-03-31"), 13);
        weeks.add(day("2026-03-31"), amount("100"));
        weeks.add(day("2026-04-06"), amount("10"));
        weeks.add(day("2026-04-07"), amount("20"));
        weeks.add(day("2026-06-29"), amount("30"));
        weeks.add(day("2026-06-30"), amount("40"));

        assert_eq!(weeks.ranges.len(), 13);
        assert_eq!(
            weeks.ranges[1],
            DayRange {
                from: day("2026-04-07"),
                to: day("2026-04-13")
            }
        );
        assert_eq!(weeks.amounts[0], amount("110"));
        assert_eq!(weeks.amounts[1], amount("20"));
        assert_eq!(weeks.amounts[12], amount("30"));
        assert_eq!(weeks.later, amount("40"));
        assert_eq!(weeks.last_day(), day("2026-06-29"));
    }

    #[test]
    fn an_amount_expected_in_the_past_is_expected_at_once() {
        let mut months = Buckets::monthly(day("2026-03-15"), 3);
        months.add(day("2025-12-01"), amount("70"));

        assert_eq!(months.amounts[0], amount("70"));
    }

    #[test]
    fn months_run_from_the_as_of_day_to_the_day_before_it_a_month_later() {
        let months = Buckets::monthly(day("2026-01-31"), 3);

        let bounds: Vec<(NaiveDate, NaiveDate)> =
            months.ranges.iter().map(|r| (r.from, r.to)).collect();
        assert_eq!(
            bounds,
            [
                (day("2026-01-31"), day("2026-02-27")),
                (day("2026-02-28"), day("2026-03-30")),
                (day("2026-03-31"), day("2026-04-29")),
            ]
        );
    }
}
