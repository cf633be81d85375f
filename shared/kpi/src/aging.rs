//! The aged balance: what is owed, by how long it has been overdue on the
//! `as_of` day, in buckets not due / 1–30 / 31–60 / 61–90 / over 90 days.

use chrono::{Days, NaiveDate};
use serde::Serialize;

/// How late an open amount is on the `as_of` day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgingBucket {
    /// Due on or after the `as_of` day.
    NotDue,
    /// 1 to 30 days past the due date.
    Days1To30,
    /// 31 to 60 days past the due date.
    Days31To60,
    /// 61 to 90 days past the due date.
    Days61To90,
    /// More than 90 days past the due date.
    Over90Days,
}

impl AgingBucket {
    /// Every bucket, youngest first.
    pub const ALL: [AgingBucket; 5] = [
        AgingBucket::NotDue,
        AgingBucket::Days1To30,
        AgingBucket::Days31To60,
        AgingBucket::Days61To90,
        AgingBucket::Over90Days,
    ];

    /// The name used in JSON answers.
    pub fn as_str(self) -> &'static str {
        match self {
            AgingBucket::NotDue => "not_due",
            AgingBucket::Days1To30 => "days_1_30",
            AgingBucket::Days31To60 => "days_31_60",
            AgingBucket::Days61To90 => "days_61_90",
            AgingBucket::Over90Days => "over_90_days",
        }
    }

    /// The bucket of an amount `days_overdue` days past its due date
    /// (zero or negative: not yet due).
    pub fn for_days_overdue(days_overdue: i64) -> AgingBucket {
        match days_overdue {
            ..=0 => AgingBucket::NotDue,
            1..=30 => AgingBucket::Days1To30,
            31..=60 => AgingBucket::Days31To60,
            61..=90 => AgingBucket::Days61To90,
            _ => AgingBucket::Over90Days,
        }
    }

    /// The bucket of an amount due on `due_date`, seen on `as_of`.
    pub fn on(as_of: NaiveDate, due_date: NaiveDate) -> AgingBucket {
        AgingBucket::for_days_overdue((as_of - due_date).num_days())
    }

    /// The earliest due date still in this bucket on `as_of` (`None` for
    /// over 90 days, which has no earliest). Queries bucket due dates with it.
    pub fn earliest_due_date(self, as_of: NaiveDate) -> Option<NaiveDate> {
        let days_back = match self {
            AgingBucket::NotDue => 0,
            AgingBucket::Days1To30 => 30,
            AgingBucket::Days31To60 => 60,
            AgingBucket::Days61To90 => 90,
            AgingBucket::Over90Days => return None,
        };
        Some(
            as_of
                .checked_sub_days(Days::new(days_back))
                .unwrap_or(NaiveDate::MIN),
        )
    }

    /// Its position in [`AgingBucket::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("valid date")
    }

    #[test]
    fn buckets_follow_days_past_the_due_date() {
        // (due date, bucket on 2026-03-31)
        let table = [
            ("2026-04-30", AgingBucket::NotDue),
            ("2026-03-31", AgingBucket::NotDue),
            ("2026-03-30", AgingBucket::Days1To30),
            ("2026-03-01", AgingBucket::Days1To30),
            ("2026-02-28", AgingBucket::Days31To60),
            ("2026-01-30", AgingBucket::Days31To60),
            ("2026-01-29", AgingBucket::Days61To90),
            ("2025-12-31", AgingBucket::Days61To90),
            ("2025-12-30", AgingBucket::Over90Days),
        ];

        for (due, bucket) in table {
            assert_eq!(
                AgingBucket::on(day("2026-03-31"), day(due)),
                bucket,
                "{due}"
            );
        }
    }

    #[test]
    fn earliest_due_dates_agree_with_the_buckets() {
        let as_of = day("2026-03-31");

        for bucket in AgingBucket::ALL {
            if let Some(earliest) = bucket.earliest_due_date(as_of) {
                assert_eq!(AgingBucket::on(as_of, earliest), bucket, "{bucket:?}");
                let before = earliest.pred_opt().expect("a day before");
                assert_ne!(AgingBucket::on(as_of, before), bucket, "{bucket:?}");
            }
        }
    }
}
