//! `GET /api/v1/kpi/collectors`: each collector's work over a period: money
//! collected from their customers, dunning actions done, tasks closed and
//! promises to pay kept, beside what their customers still owe.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use relance_api::Scope;
use relance_ledger::money::{Currency, Money};
use relance_store::{Database, Value};
use rust_decimal::Decimal;
use serde::Serialize;

use super::reads::{Grouping, balances};
use super::{Conditions, KpiError, rates::rates_on, stored_currency};
use crate::collection::share_percent;
use crate::fx::CurrencyAmounts;
use crate::period::{Period, months_to};
use crate::query::KpiFilter;
use crate::store::summary::one_decimal;

/// One collector's line; `collector` is `null` for customers nobody is
/// assigned to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectorLine {
    /// The collector.
    pub collector: Option<String>,
    /// Received from their customers over the period.
    #[serde(with = "rust_decimal::serde::str")]
    pub collected: Decimal,
    /// Their customers owe on `as_of`.
    #[serde(with = "rust_decimal::serde::str")]
    pub outstanding: Decimal,
    /// Of which past due.
    #[serde(with = "rust_decimal::serde::str")]
    pub overdue: Decimal,
    /// Dunning steps taken for their customers (messages, letters, tasks made).
    pub steps_taken: i64,
    /// Tasks they closed.
    pub tasks_done: i64,
    /// Tasks still open on `as_of`.
    pub tasks_open: i64,
    /// Promises to pay they obtained that fell due over the period.
    pub promises_due: i64,
    /// Of those, paid in full by the promised day.
    pub promises_kept: i64,
    /// Kept over due, in percent.
    pub promises_kept_percent: Option<f64>,
}

/// The collectors' work.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectorWork {
    /// The last day counted.
    pub as_of: NaiveDate,
    /// The currency amounts are in.
    pub currency: &'static str,
    /// The period work is counted over.
    pub period: Period,
    /// One line per collector, most collected first.
    pub collectors: Vec<CollectorLine>,
}

#[derive(Default)]
struct Tally {
    collected: CurrencyAmounts,
    steps_taken: i64,
    tasks_done: i64,
    tasks_open: i64,
    promises_due: i64,
    promises_kept: i64,
}

/// Each collector's work over the `months` months ending on `as_of`.
pub fn collector_work(
    db: &impl Database,
    scope: &Scope,
    filter: &KpiFilter,
    reporting: Currency,
    months: u32,
) -> Result<CollectorWork, KpiError> {
    let as_of = filter.as_of;
    let portfolio = Conditions::portfolio(scope, &filter.segments);
    let rates = rates_on(db, reporting, as_of)?;
    let period = months_to(as_of, months);
    let mut tallies: BTreeMap<Option<String>, Tally> = BTreeMap::new();

    collected(db, &portfolio, &period, &mut tallies)?;
    actions(db, &portfolio, &period, &mut tallies)?;
    promises(db, &portfolio, &period, &mut tallies)?;

    let owed = balances(db, &portfolio, as_of, Grouping::Column("c.collector"))?;
    for (collector, _) in &owed {
        tallies.entry(collector.clone()).or_default();
    }

    let mut collectors = Vec::with_capacity(tallies.len());
    for (collector, tally) in tallies {
        let balance = owed
            .iter()
            .find(|(group, _)| *group == collector)
            .map(|(_, balance)| balance.clone())
            .unwrap_or_default();
        collectors.push(CollectorLine {
            collected: rates.shown_total(&tally.collected)?,
            outstanding: rates.shown_total(&balance.total())?,
            overdue: rates.shown_total(&balance.overdue())?,
            steps_taken: tally.steps_taken,
            tasks_done: tally.tasks_done,
            tasks_open: tally.tasks_open,
            promises_due: tally.promises_due,
            promises_kept: tally.promises_kept,
            promises_kept_percent: share_percent(
                Decimal::from(tally.promises_kept),
                Decimal::from(tally.promises_due),
            )
            .map(one_decimal),
            collector,
        });
    }
    collectors.sort_by(|a, b| {
        b.collected
            .cmp(&a.collected)
            .then_with(|| a.collector.cmp(&b.collector))
    });

    Ok(CollectorWork {
        as_of,
        currency: reporting.code(),
        period,
        collectors,
    })
}

fn collected(
    db: &impl Database,
    portfolio: &Conditions,
    period: &Period,
    tallies: &mut BTreeMap<Option<String>, Tally>,
) -> Result<(), KpiError> {
    let mut params = vec![
        Value::from(period.after),
        Value::from(period.to),
        Value::from(period.to),
    ];
    params.extend(portfolio.params.iter().cloned());

    // Summed by customer first, so that each customer is read once rather
    // than once per payment.
    let rows = db.execute(
        &format!(
            "SELECT c.collector, s.currency, SUM(s.received) AS received
             FROM (SELECT customer_id, currency, SUM(amount_minor) AS received
                   FROM kpi_payments
                   WHERE paid_on > ? AND paid_on <= ? AND (undone_on IS NULL OR undone_on > ?)
                   GROUP BY customer_id, currency) s
             JOIN customers c ON c.id = s.customer_id
             WHERE 1 = 1{}
             GROUP BY c.collector, s.currency",
            portfolio.sql
        ),
        &params,
    )?;
    for row in rows.iter() {
        let collector = row.optional_text("collector")?.map(str::to_owned);
        let currency = stored_currency(row.text("currency")?)?;
        tallies
            .entry(collector)
            .or_default()
            .collected
            .add_minor_units(currency, row.integer("received")?);
    }
    Ok(())
}

/// Steps taken (by the action's collector), tasks closed in the period and
/// tasks open at its end (by the task's collector).
fn actions(
    db: &impl Database,
    portfolio: &Conditions,
    period: &Period,
    tallies: &mut BTreeMap<Option<String>, Tally>,
) -> Result<(), KpiError> {
    let mut params = vec![Value::from(period.after), Value::from(period.to)];
    params.extend(portfolio.params.iter().cloned());
    let rows = db.execute(
        &format!(
            "SELECT a.collector, COUNT(*) AS steps FROM dunning_actions a
             JOIN customers c ON c.id = a.customer_id
             WHERE a.kind = 'step' AND a.result NOT IN ('skipped', 'failed')
               AND a.as_of > ? AND a.as_of <= ?{}
             GROUP BY a.collector",
            portfolio.sql
        ),
        &params,
    )?;
    for row in rows.iter() {
        let collector = row.optional_text("collector")?.map(str::to_owned);
        tallies.entry(collector).or_default().steps_taken += row.integer("steps")?;
    }

    let mut params = vec![
        Value::from(period.after),
        Value::from(period.to),
        Value::from(period.to),
        Value::from(period.to),
    ];
    params.extend(portfolio.params.iter().cloned());
    let rows = db.execute(
        &format!(
            "SELECT t.collector,
                SUM(CASE WHEN substr(t.done_at, 1, 10) > ?
                    AND substr(t.done_at, 1, 10) <= ? THEN 1 ELSE 0 END) AS done,
                SUM(CASE WHEN substr(t.created_at, 1, 10) <= ?
                    AND (t.done_at IS NULL OR substr(t.done_at, 1, 10) > ?)
                    THEN 1 ELSE 0 END) AS still_open
             FROM dunning_tasks t JOIN customers c ON c.id = t.customer_id
             WHERE 1 = 1{}
             GROUP BY t.collector",
            portfolio.sql
        ),
        &params,
    )?;
    for row in rows.iter() {
        let tally = tallies
            .entry(row.optional_text("collector")?.map(str::to_owned))
            .or_default();
        tally.tasks_done += row.integer("done")?;
        tally.tasks_open += row.integer("still_open")?;
    }
    Ok(())
}

/// Promises to pay recorded on tasks and falling due over the period; a
/// promise is kept when the task's invoices received at least the promised
/// amount between the day it was made and the promised day.
fn promises(
    db: &impl Database,
    portfolio: &Conditions,
    period: &Period,
    tallies: &mut BTreeMap<Option<String>, Tally>,
) -> Result<(), KpiError> {
    let mut params = vec![Value::from(period.after), Value::from(period.to)];
    params.extend(portfolio.params.iter().cloned());
    let rows = db.execute(
        &format!(
            "SELECT t.collector, t.promise_amount, t.promise_currency,
                (SELECT COALESCE(SUM(p.amount_minor), 0) FROM dunning_task_invoices ti
                 JOIN kpi_payments p ON p.invoice_id = ti.invoice_id
                 WHERE ti.task_id = t.id AND p.currency = t.promise_currency
                   AND p.paid_on >= substr(t.done_at, 1, 10) AND p.paid_on <= t.promise_date
                   AND (p.undone_on IS NULL OR p.undone_on > t.promise_date)) AS paid_minor
             FROM dunning_tasks t JOIN customers c ON c.id = t.customer_id
             WHERE t.outcome = 'promise_to_pay' AND t.promise_date > ? AND t.promise_date <= ?
               AND t.promise_amount IS NOT NULL AND t.promise_currency IS NOT NULL{}",
            portfolio.sql
        ),
        &params,
    )?;

    for row in rows.iter() {
        let currency = stored_currency(row.text("promise_currency")?)?;
        let promised = row.decimal("promise_amount")?;
        let paid = Money::from_minor_units(row.integer("paid_minor")?, currency).amount();

        let tally = tallies
            .entry(row.optional_text("collector")?.map(str::to_owned))
            .or_default();
        tally.promises_due += 1;
        if paid >= promised {
            tally.promises_kept += 1;
        }
    }
    Ok(())
}
