//! The KPI figures' SQL: the ledger's history kept up to date, exchange
//! rates, and the reads each endpoint is made of.
//!
//! Every read is scoped to the caller's portfolio and to the requested
//! segments inside the query, on the customers table (alias `c`).
//!
//! - [`refresh`]: rebuilds the history of invoices written since the last read.
//! - [`reads`]: balances by aging bucket, sales by period, payments.
//! - [`rates`]: exchange rates, as managed through the API.
//! - `forecast_days`: the forecast's open amounts placed on their expected
//!   days, kept for the days asked for.
//! - [`summary`], [`aged_balance`], [`dso_trend`], [`forecast`],
//!   [`customers`], [`collectors`]: the figures of each endpoint.

pub mod aged_balance;
pub mod collectors;
pub mod customers;
pub mod dso_trend;
pub mod forecast;
mod forecast_days;
pub mod rates;
pub mod reads;
pub mod refresh;
pub mod summary;
#[cfg(test)]
mod test_ledger;

use chrono::{Days, NaiveDate};
use relance_api::{ApiError, Scope, SegmentFilter};
use relance_ledger::money::Currency;
use relance_store::{Database, StoreError, Value};
use serde_json::json;

use crate::fx::FxError;
use crate::history::BalanceOverflow;

/// Why figures cannot be given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KpiError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Amounts cannot be brought into the reporting currency.
    #[error(transparent)]
    Fx(#[from] FxError),
    /// An invoice's documents do not add up within the counts kept.
    #[error("invoice {invoice_id}: {source}")]
    Balance {
        /// The invoice at fault.
        invoice_id: i64,
        /// What overflowed.
        source: BalanceOverflow,
    },
}

impl From<KpiError> for ApiError {
    fn from(error: KpiError) -> ApiError {
        match error {
            KpiError::Store(error) => ApiError::from(error),
            KpiError::Fx(missing @ FxError::MissingRate { from, to, on }) => {
                ApiError::conflict(missing.to_string())
                    .with_code("missing_exchange_rate")
                    .with_details(json!({ "from": from, "to": to, "on": on }))
            }
            other => ApiError::internal(&other),
        }
    }
}

/// SQL conditions on customers `c` (each starting with ` AND `) and their
/// parameters: the caller's portfolio and the requested segments.
#[derive(Debug, Default, Clone)]
pub struct Conditions {
    /// The conditions, to append to a `WHERE` clause.
    pub sql: String,
    /// Their parameters, in order.
    pub params: Vec<Value>,
}

impl Conditions {
    /// The caller's scope and the requested segments, on customers `c`.
    pub fn portfolio(scope: &Scope, segments: &SegmentFilter) -> Conditions {
        let mut conditions = Conditions::default();
        match scope {
            Scope::Everything => {}
            Scope::Owner(person) => conditions.add("c.owner = ?", [person.into()]),
            Scope::Collector(person) => conditions.add("c.collector = ?", [person.into()]),
        }

        let dimensions = [
            ("c.legal_entity", &segments.entity),
            ("c.region", &segments.region),
            ("c.segment", &segments.segment),
            ("c.owner", &segments.owner),
            ("c.collector", &segments.collector),
        ];
        for (column, wanted) in dimensions {
            if let Some(value) = wanted {
                conditions.add(&format!("{column} = ?"), [value.into()]);
            }
        }
        conditions
    }

    /// ` AND <column> IN (the portfolio's customer ids)`, or nothing for the
    /// whole ledger; it takes [`Conditions::params`].
    pub fn customers_in(&self, column: &str) -> String {
        if self.sql.is_empty() {
            return String::new();
        }
        format!(
            " AND {column} IN (SELECT c.id FROM customers c WHERE 1 = 1{})",
            self.sql
        )
    }

    /// Appends ` AND <condition>` with its parameters.
    pub fn add(&mut self, condition: &str, params: impl IntoIterator<Item = Value>) {
        self.sql.push_str(" AND ");
        self.sql.push_str(condition);
        self.params.extend(params);
    }
}

/// The `open_until` of a run of days that has not ended.
pub(crate) const STILL_OPEN: &str = "9999-12-31";

/// The longest runs, and those not ended, share the last span class.
pub(crate) const LAST_SPAN_CLASS: u32 = 12;

/// The span class of a run from `from` to `until` (excluded): the number of
/// bits of its length in days, so a run of class `k` is shorter than 2^k days.
pub(crate) fn span_class(from: NaiveDate, until: Option<NaiveDate>) -> u32 {
    let Some(until) = until else {
        return LAST_SPAN_CLASS;
    };
    let days = u64::try_from((until - from).num_days()).unwrap_or(0);
    (u64::BITS - days.leading_zeros()).min(LAST_SPAN_CLASS)
}

/// The runs of days open on `day`, as a subquery to select from, and its
/// parameters: when no run starts or ends after `day` (as of today,
/// normally), the runs not ended, read from their own index in currency
/// and customer order; otherwise [`open_by_span_class`].
pub(crate) fn open_on(
    db: &impl Database,
    day: NaiveDate,
) -> Result<(String, Vec<Value>), StoreError> {
    if nothing_changes_after(db, day)? {
        return Ok((still_open(), Vec::new()));
    }
    Ok(open_by_span_class(day))
}

/// The runs not ended. The condition is written out, not bound, for SQLite
/// to pick the index that holds only those runs.
pub(crate) fn still_open() -> String {
    format!("(SELECT * FROM kpi_open_periods WHERE open_until = '{STILL_OPEN}')")
}

/// The runs open on `day`: for each span class, one index range of the
/// runs starting on `day` or in the class's length before it, kept when not
/// ended by `day`.
pub(crate) fn open_by_span_class(day: NaiveDate) -> (String, Vec<Value>) {
    let mut ranges = Vec::new();
    let mut params = Vec::new();

    for class in 0..LAST_SPAN_CLASS {
        let earliest = day
            .checked_sub_days(Days::new(1 << class))
            .unwrap_or(NaiveDate::MIN);
        ranges.push(
            "SELECT * FROM kpi_open_periods WHERE span_class = ? AND open_from > ?
             AND open_from <= ? AND open_until > ?",
        );
        params.extend([Value::from(class), earliest.into(), day.into(), day.into()]);
    }
    ranges.push(
        "SELECT * FROM kpi_open_periods WHERE span_class = ? AND open_from <= ?
         AND open_until > ?",
    );
    params.extend([Value::from(LAST_SPAN_CLASS), day.into(), day.into()]);

    (format!("({})", ranges.join(" UNION ALL ")), params)
}

/// Whether no run of days starts or ends after `day`: every day a run
/// starts or ends has its line in `kpi_ledger_days`.
pub(crate) fn nothing_changes_after(
    db: &impl Database,
    day: NaiveDate,
) -> Result<bool, StoreError> {
    let later = db.execute(
        "SELECT 1 FROM kpi_ledger_days WHERE day > ? AND day < ? LIMIT 1",
        &[day.into(), STILL_OPEN.into()],
    )?;
    Ok(later.is_empty())
}

/// Reads a stored currency code.
pub(crate) fn stored_currency(code: &str) -> Result<Currency, StoreError> {
    Currency::parse(code).map_err(|_| StoreError::UnexpectedValue {
        column: "currency".to_owned(),
        expected: "an ISO 4217 currency",
        found: format!("{code:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("valid date")
    }

    #[test]
    fn span_classes_bound_the_length_of_each_run() {
        // (from, until, class)
        let table = [
            ("2026-01-01", Some("2026-01-02"), 1),
            ("2026-01-01", Some("2026-01-04"), 2),
            ("2026-01-01", Some("2026-01-05"), 3),
            ("2026-01-01", Some("2026-03-02"), 6),
            ("2000-01-01", Some("2026-01-01"), LAST_SPAN_CLASS),
            ("2026-01-01", None, LAST_SPAN_CLASS),
        ];

        for (from, until, class) in table {
            let got = span_class(day(from), until.map(day));
            assert_eq!(got, class, "{from} {until:?}");
            if let Some(until) = until.map(day)
                && class < LAST_SPAN_CLASS
            {
                assert!((until - day(from)).num_days() < 1 << class);
            }
        }
    }
}
