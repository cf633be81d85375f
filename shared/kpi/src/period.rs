//! Reporting periods counted back from the `as_of` day: "the month ending on
//! the 15th of March" runs from the 16th of February to the 15th of March.

use chrono::{Months, NaiveDate};
use serde::Serialize;

/// A run of days, the first excluded and the last included, as sales and
/// collections are summed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// The day before the first day of the period.
    #[serde(skip)]
    pub after: NaiveDate,
    /// The first day of the period.
    pub from: NaiveDate,
    /// The last day of the period.
    pub to: NaiveDate,
    /// How many days it covers.
    pub days: u32,
}

impl Period {
    /// The days after `after` up to and including `to`.
    pub fn between(after: NaiveDate, to: NaiveDate) -> Period {
        let days = u32::try_from((to - after).num_days()).unwrap_or(0);
        Period {
            after,
            from: after.succ_opt().unwrap_or(after),
            to,
            days,
        }
    }

    /// Whether `day` falls in the period.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.after < day && day <= self.to
    }
}

/// The day `months` calendar months before `day`, clamped to the end of a
/// shorter month (31 March less one month is 28 or 29 February).
pub fn months_before(day: NaiveDate, months: u32) -> NaiveDate {
    day.checked_sub_months(Months::new(months))
        .unwrap_or(NaiveDate::MIN)
}

/// `count` consecutive one-month periods ending on `as_of`, the most recent
/// first: the period ending on `as_of`, then the one before it, and so on.
pub fn months_ending(as_of: NaiveDate, count: u32) -> Vec<Period> {
    (0..count)
        .map(|back| Period::between(months_before(as_of, back + 1), months_before(as_of, back)))
        .collect()
}

/// The period of `months` months ending on `as_of`, as one run of days.
pub fn months_to(as_of: NaiveDate, months: u32) -> Period {
    Period::between(months_before(as_of, months), as_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("valid date")
    }

    #[test]
    fn a_month_ending_mid_month_starts_the_day_after_the_same_day_a_month_before() {
        let periods = months_ending(day("2026-03-15"), 2);

        assert_eq!(
            (periods[0].from, periods[0].to, periods[0].days),
            (day("2026-02-16"), day("2026-03-15"), 28)
        );
        assert_eq!(
            (periods[1].from, periods[1].to, periods[1].days),
            (day("2026-01-16"), day("2026-02-15"), 31)
        );
    }

    #[test]
    fn month_ends_are_clamped_to_shorter_months() {
        // (as_of, months back, expected)
        let table = [
            ("2026-03-31", 1, "2026-02-28"),
            ("2024-03-31", 1, "2024-02-29"),
            ("2026-05-31", 3, "2026-02-28"),
            ("2026-01-15", 1, "2025-12-15"),
        ];

        for (as_of, months, expected) in table {
            assert_eq!(months_before(day(as_of), months), day(expected), "{as_of}");
        }
    }

    #[test]
    fn a_period_holds_its_last_day_but_not_the_day_before_its_first() {
        let period = months_to(day("2026-03-31"), 3);

        assert_eq!(period.days, 90);
        assert!(period.contains(day("2026-03-31")));
        assert!(period.contains(day("2026-01-01")));
        assert!(!period.contains(day("2025-12-31")));
    }
}
