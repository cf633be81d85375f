//! The reads every endpoint is built from: open balances on a day by aging
//! bucket, sales by period, payments over a period. Sums stay by currency
//! until the caller converts them.

use std::collections::HashMap;

use chrono::NaiveDate;
use relance_ledger::money::Currency;
use relance_store::{Database, Row, StoreError, Value};

use super::{Conditions, open_on, stored_currency};
use crate::aging::AgingBucket;
use crate::collection::PaymentDelay;
use crate::fx::{CurrencyAmounts, ExchangeRates, FxError};
use crate::period::Period;

/// What a slice of the ledger owed on a day, by aging bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Balance {
    /// Owed in each bucket, in the order of [`AgingBucket::ALL`].
    pub buckets: [CurrencyAmounts; 5],
    /// Invoices with something owed.
    pub invoices: i64,
}

impl Balance {
    /// Everything owed.
    pub fn total(&self) -> CurrencyAmounts {
        let mut total = CurrencyAmounts::default();
        for bucket in &self.buckets {
            total.merge(bucket);
        }
        total
    }

    /// Everything owed past its due date.
    pub fn overdue(&self) -> CurrencyAmounts {
        let mut overdue = CurrencyAmounts::default();
        for bucket in &self.buckets[1..] {
            overdue.merge(bucket);
        }
        overdue
    }

    /// Owed and not yet due.
    pub fn not_due(&self) -> &CurrencyAmounts {
        &self.buckets[AgingBucket::NotDue.index()]
    }

    /// Adds a row of [`BUCKET_SUMS`] in `currency`.
    fn add_row(&mut self, row: &Row<'_>, currency: Currency) -> Result<(), StoreError> {
        for (index, column) in ["b0", "b1", "b2", "b3", "b4"].into_iter().enumerate() {
            self.buckets[index].add_minor_units(currency, row.integer(column)?);
        }
        self.invoices += row.integer("invoices")?;
        Ok(())
    }
}

/// What the whole portfolio owed on a day: its balance, and how much of it
/// is disputed or at risk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortfolioBalance {
    /// Owed by aging bucket.
    pub owed: Balance,
    /// Owed on invoices the customer disputes (also counted in their bucket).
    pub disputed: CurrencyAmounts,
    /// Owed more than 90 days past due, or disputed.
    pub at_risk: CurrencyAmounts,
}

/// What balances are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// Each customer; the group's key is its id.
    Customer,
    /// A column of the customers table `c`, such as `c.region`; the key is
    /// its value, `None` for customers without one.
    Column(&'static str),
}

/// The sums of open runs `s` by aging bucket (`b0` to `b4`) and their count
/// (`invoices`), with [`bucket_bounds`] as parameters.
const BUCKET_SUMS: &str = "SUM(CASE WHEN s.due_date >= ? THEN s.open_minor ELSE 0 END) AS b0,
    SUM(CASE WHEN s.due_date < ? AND s.due_date >= ? THEN s.open_minor ELSE 0 END) AS b1,
    SUM(CASE WHEN s.due_date < ? AND s.due_date >= ? THEN s.open_minor ELSE 0 END) AS b2,
    SUM(CASE WHEN s.due_date < ? AND s.due_date >= ? THEN s.open_minor ELSE 0 END) AS b3,
    SUM(CASE WHEN s.due_date < ? THEN s.open_minor ELSE 0 END) AS b4,
    COUNT(*) AS invoices";

/// The parameters of [`BUCKET_SUMS`] on `day`.
fn bucket_bounds(day: NaiveDate) -> Vec<Value> {
    let bound = |bucket: AgingBucket| Value::from(bucket.earliest_due_date(day));
    vec![
        bound(AgingBucket::NotDue),
        bound(AgingBucket::NotDue),
        bound(AgingBucket::Days1To30),
        bound(AgingBucket::Days1To30),
        bound(AgingBucket::Days31To60),
        bound(AgingBucket::Days31To60),
        bound(AgingBucket::Days61To90),
        bound(AgingBucket::Days61To90),
    ]
}

/// Balances owed on `day` in the portfolio, one per group, in key order.
pub fn balances(
    db: &impl Database,
    portfolio: &Conditions,
    day: NaiveDate,
    grouping: Grouping,
) -> Result<Vec<(Option<String>, Balance)>, StoreError> {
    let (open, open_params) = open_on(db, day)?;
    let mut params = bucket_bounds(day);
    params.extend(open_params);
    params.extend(portfolio.params.iter().cloned());

    // Sum by customer first, so customers are read once each, not once per
    // invoice; by customer, they are not read at all.
    let by_customer = format!(
        "SELECT s.customer_id, s.currency, {BUCKET_SUMS}
         FROM {open} s WHERE 1 = 1{}
         GROUP BY s.currency, s.customer_id",
        portfolio.customers_in("s.customer_id")
    );
    let sql = match grouping {
        Grouping::Customer => format!("SELECT s.* FROM ({by_customer}) s ORDER BY s.customer_id"),
        Grouping::Column(column) => format!(
            "SELECT CAST({column} AS TEXT) AS group_key, s.currency,
                SUM(s.b0) AS b0, SUM(s.b1) AS b1, SUM(s.b2) AS b2, SUM(s.b3) AS b3,
                SUM(s.b4) AS b4, SUM(s.invoices) AS invoices
             FROM ({by_customer}) s JOIN customers c ON c.id = s.customer_id
             GROUP BY group_key, s.currency ORDER BY group_key"
        ),
    };
    let rows = db.execute(&sql, &params)?;

    // A group's rows, one per currency, come one after the other.
    let mut groups: Vec<(Option<String>, Balance)> = Vec::new();
    for row in rows.iter() {
        let currency = stored_currency(row.text("currency")?)?;
        let key = match grouping {
            Grouping::Customer => Some(row.integer("customer_id")?.to_string()),
            Grouping::Column(_) => row.optional_text("group_key")?.map(str::to_owned),
        };
        match groups.last_mut() {
            Some((last, balance)) if *last == key => balance.add_row(&row, currency)?,
            _ => {
                let mut balance = Balance::default();
                balance.add_row(&row, currency)?;
                groups.push((key, balance));
            }
        }
    }
    Ok(groups)
}

/// The whole portfolio's balance on `day`.
pub fn balance(
    db: &impl Database,
    portfolio: &Conditions,
    day: NaiveDate,
) -> Result<PortfolioBalance, StoreError> {
    let disputed = "(s.disputed_on IS NOT NULL AND s.disputed_on <= ?)";
    let bound_of_90_days = AgingBucket::Days61To90.earliest_due_date(day);
    let (open, open_params) = open_on(db, day)?;

    let mut params = bucket_bounds(day);
    params.extend([day.into(), bound_of_90_days.into(), day.into()]);
    params.extend(open_params);
    params.extend(portfolio.params.iter().cloned());

    let rows = db.execute(
        &format!(
            "SELECT s.currency, {BUCKET_SUMS},
                SUM(CASE WHEN {disputed} THEN s.open_minor ELSE 0 END) AS disputed,
                SUM(CASE WHEN s.due_date < ? OR {disputed} THEN s.open_minor ELSE 0 END)
                    AS at_risk
             FROM {open} s WHERE 1 = 1{}
             GROUP BY s.currency",
            portfolio.customers_in("s.customer_id")
        ),
        &params,
    )?;

    let mut whole = PortfolioBalance::default();
    for row in rows.iter() {
        let currency = stored_currency(row.text("currency")?)?;
        whole.owed.add_row(&row, currency)?;
        whole
            .disputed
            .add_minor_units(currency, row.integer("disputed")?);
        whole
            .at_risk
            .add_minor_units(currency, row.integer("at_risk")?);
    }
    Ok(whole)
}

/// The names of the customers `ids`, for the lines shown.
pub fn customer_names(db: &impl Database, ids: &[i64]) -> Result<HashMap<i64, String>, StoreError> {
    let mut names = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(names);
    }
    let (list, id_values) = id_list(ids);

    let rows = db.execute(
        &format!("SELECT id, name FROM customers WHERE id IN ({list})"),
        &id_values,
    )?;
    for row in rows.iter() {
        names.insert(row.integer("id")?, row.text("name")?.to_owned());
    }
    Ok(names)
}

/// The placeholders of an `IN (…)` list of ids, and their values.
pub fn id_list(ids: &[i64]) -> (String, Vec<Value>) {
    let list = vec!["?"; ids.len()].join(", ");
    (list, ids.iter().map(|id| Value::Integer(*id)).collect())
}

/// Everything the portfolio owed on `day`, by currency: [`balance`]'s total
/// without the buckets, for reads that need nothing more.
pub fn receivables(
    db: &impl Database,
    portfolio: &Conditions,
    day: NaiveDate,
) -> Result<CurrencyAmounts, StoreError> {
    let rows = if portfolio.sql.is_empty() {
        db.execute(
            "SELECT currency, SUM(owed_change_minor) AS owed FROM kpi_ledger_days
             WHERE day <= ? GROUP BY currency HAVING SUM(runs_change) > 0",
            &[day.into()],
        )?
    } else {
        let (open, mut params) = open_on(db, day)?;
        params.extend(portfolio.params.iter().cloned());
        db.execute(
            &format!(
                "SELECT s.currency, SUM(s.open_minor) AS owed FROM {open} s
                 WHERE 1 = 1{} GROUP BY s.currency",
                portfolio.customers_in("s.customer_id")
            ),
            &params,
        )?
    };

    let mut owed = CurrencyAmounts::default();
    for row in rows.iter() {
        owed.add_minor_units(
            stored_currency(row.text("currency")?)?,
            row.integer("owed")?,
        );
    }
    Ok(owed)
}

/// Invoiced in each period (tax included), in the order given.
pub fn sales_by_period(
    db: &impl Database,
    portfolio: &Conditions,
    periods: &[Period],
) -> Result<Vec<CurrencyAmounts>, StoreError> {
    let mut sales = vec![CurrencyAmounts::default(); periods.len()];
    let (Some(first), Some(last)) = (
        periods.iter().map(|p| p.after).min(),
        periods.iter().map(|p| p.to).max(),
    ) else {
        return Ok(sales);
    };

    let mut params = vec![Value::from(first), Value::from(last)];
    params.extend(portfolio.params.iter().cloned());

    // Sums by day, kept for the whole ledger or straight off the issue date
    // index; each day is then counted in the first period holding it.
    let sql = if portfolio.sql.is_empty() {
        "SELECT day AS issue_date, currency, sales_minor AS sales FROM kpi_ledger_days
         WHERE day > ? AND day <= ? AND invoices_issued > 0"
            .to_owned()
    } else {
        format!(
            "SELECT s.issue_date, s.currency, SUM(s.total_minor) AS sales
             FROM kpi_invoices s
             WHERE s.issue_date > ? AND s.issue_date <= ?{}
             GROUP BY s.issue_date, s.currency",
            portfolio.customers_in("s.customer_id")
        )
    };
    let rows = db.execute(&sql, &params)?;

    for row in rows.iter() {
        let issued = row.date("issue_date")?;
        let Some(index) = periods
            .iter()
            .position(|p| p.after < issued && issued <= p.to)
        else {
            continue;
        };
        let currency = stored_currency(row.text("currency")?)?;
        sales[index].add_minor_units(currency, row.integer("sales")?);
    }
    Ok(sales)
}

/// Payments received over a period, by currency, with how late they came.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collections {
    /// Amount received.
    pub received: CurrencyAmounts,
    /// Amount received times its days after due, in amount units.
    pub received_days: CurrencyAmounts,
}

impl Collections {
    /// The amount-weighted delay in the reporting currency.
    pub fn delay(&self, rates: &ExchangeRates) -> Result<PaymentDelay, FxError> {
        Ok(PaymentDelay {
            amount: rates.total(&self.received)?,
            amount_days: rates.total(&self.received_days)?,
        })
    }
}

/// Payments made over `period` and not undone by `as_of`.
pub fn collections(
    db: &impl Database,
    portfolio: &Conditions,
    period: &Period,
    as_of: NaiveDate,
) -> Result<Collections, StoreError> {
    let mut params = vec![Value::from(period.after), Value::from(period.to)];

    // For the whole ledger, the payments never undone are summed by day
    // already: only those undone are read one by one.
    let sql = if portfolio.sql.is_empty() {
        params.extend([period.after.into(), period.to.into(), as_of.into()]);
        "SELECT currency, SUM(received) AS received, SUM(received_days) AS received_days
         FROM (SELECT currency, kept_minor AS received, kept_days_minor AS received_days
               FROM kpi_ledger_days WHERE day > ? AND day <= ? AND payments_kept > 0
               UNION ALL
               SELECT currency, amount_minor, amount_minor * days_after_due
               FROM kpi_payments
               WHERE undone_on IS NOT NULL AND paid_on > ? AND paid_on <= ?
                 AND undone_on > ?)
         GROUP BY currency"
            .to_owned()
    } else {
        params.push(as_of.into());
        params.extend(portfolio.params.iter().cloned());
        format!(
            "SELECT s.currency, SUM(s.amount_minor) AS received,
                SUM(s.amount_minor * s.days_after_due) AS received_days
             FROM kpi_payments s
             WHERE s.paid_on > ? AND s.paid_on <= ?
               AND (s.undone_on IS NULL OR s.undone_on > ?){}
             GROUP BY s.currency",
            portfolio.customers_in("s.customer_id")
        )
    };
    let rows = db.execute(&sql, &params)?;

    let mut collections = Collections::default();
    for row in rows.iter() {
        let currency = stored_currency(row.text("currency")?)?;
        collections
            .received
            .add_minor_units(currency, row.integer("received")?);
        collections
            .received_days
            .add_minor_units(currency, row.integer("received_days")?);
    }
    Ok(collections)
}
