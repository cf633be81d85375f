//! `GET /api/v1/kpi/customers`: the customers to call first, ranked by what
//! they owe past due or by their risk score, each with its own DSO, payment
//! delay and whether that delay is getting worse.

use std::collections::HashMap;

use chrono::NaiveDate;
use relance_api::Scope;
use relance_ledger::money::Currency;
use relance_store::{Database, Value};
use rust_decimal::Decimal;
use serde::Serialize;

use super::aged_balance::Buckets;
use super::reads::{Grouping, balances, id_list};
use super::summary::one_decimal;
use super::{Conditions, KpiError, rates::rates_on, stored_currency};
use crate::collection::PaymentDelay;
use crate::dso::{PeriodSales, standard_dso};
use crate::fx::{CurrencyAmounts, ExchangeRates};
use crate::period::{months_before, months_to};
use crate::query::KpiFilter;

/// Months a customer's own DSO and payment delay are measured over.
pub const CUSTOMER_MONTHS: u32 = 3;

/// A delay trend smaller than this many days either way is stable.
const STABLE_DAYS: Decimal = Decimal::ONE;

/// How customers are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerRanking {
    /// Largest overdue amount first, then highest risk.
    Overdue,
    /// Highest risk score first, then largest overdue amount.
    Risk,
}

impl CustomerRanking {
    /// Every ranking with the name the query string uses.
    pub const CHOICES: [(&'static str, CustomerRanking); 2] = [
        ("overdue", CustomerRanking::Overdue),
        ("risk", CustomerRanking::Risk),
    ];
}

/// Whether a customer pays later than it used to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Pays at least a day later than in the months before.
    Worsening,
    /// Pays within a day of the months before.
    Stable,
    /// Pays at least a day sooner than in the months before.
    Improving,
}

/// One customer's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerLine {
    /// Relance's identifier.
    pub customer_id: i64,
    /// The customer's name.
    pub name: String,
    /// The salesperson owning it.
    pub owner: Option<String>,
    /// The collector assigned to it.
    pub collector: Option<String>,
    /// What it owes, by aging bucket.
    pub balance: Buckets,
    /// Past due, in the reporting currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub overdue: Decimal,
    /// The scoring model's probability that its next invoice is paid late.
    pub risk: Option<f64>,
    /// Its own standard DSO over the last three months.
    pub dso_days: Option<f64>,
    /// Its amount-weighted payment delay over the last three months.
    pub average_payment_delay_days: Option<f64>,
    /// That delay less the delay of the three months before.
    pub delay_change_days: Option<f64>,
    /// Whether it pays later or sooner than it did.
    pub trend: Option<Trend>,
}

/// The ranked customers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRanks {
    /// The day it is as of.
    pub as_of: NaiveDate,
    /// The currency amounts are in.
    pub currency: &'static str,
    /// How they are ranked.
    pub ranking: CustomerRanking,
    /// How many customers owe something.
    pub customer_count: usize,
    /// The first customers in rank order, up to the limit asked for.
    pub customers: Vec<CustomerLine>,
}

/// The `limit` first customers owing something on `as_of`, ranked.
pub fn rank_customers(
    db: &impl Database,
    scope: &Scope,
    filter: &KpiFilter,
    reporting: Currency,
    ranking: CustomerRanking,
    limit: usize,
) -> Result<CustomerRanks, KpiError> {
    let as_of = filter.as_of;
    let portfolio = Conditions::portfolio(scope, &filter.segments);
    let rates = rates_on(db, reporting, as_of)?;

    let by_customer = balances(db, &portfolio, as_of, Grouping::Customer)?;
    let risks = risks(db, &portfolio)?;

    let mut ranked = Vec::with_capacity(by_customer.len());
    for (key, balance) in &by_customer {
        let Some(id) = key.as_deref().and_then(|key| key.parse::<i64>().ok()) else {
            continue;
        };
        let overdue = rates.shown_total(&balance.overdue())?;
        ranked.push((id, overdue, risks.get(&id).copied(), balance));
    }
    ranked.sort_by(|a, b| {
        let by_overdue = b.1.cmp(&a.1);
        let by_risk = b.2.unwrap_or(-1.0).total_cmp(&a.2.unwrap_or(-1.0));
        match ranking {
            CustomerRanking::Overdue => by_overdue.then(by_risk),
            CustomerRanking::Risk => by_risk.then(by_overdue),
        }
        .then(a.0.cmp(&b.0))
    });

    let customer_count = ranked.len();
    ranked.truncate(limit);
    let ids: Vec<i64> = ranked.iter().map(|r| r.0).collect();
    let details = details(db, &ids, as_of, &rates)?;

    let mut customers = Vec::with_capacity(ranked.len());
    for (id, overdue, risk, balance) in ranked {
        let detail = details.get(&id).cloned().unwrap_or_default();
        let receivables = rates.total(&balance.total())?;
        let dso = standard_dso(
            receivables,
            &[PeriodSales {
                sales: detail.sales,
                days: detail.days,
            }],
        );
        let recent = detail.recent.average_days();
        let change = recent.zip(detail.before.average_days()).map(|(r, b)| r - b);

        customers.push(CustomerLine {
            customer_id: id,
            name: detail.name,
            owner: detail.owner,
            collector: detail.collector,
            balance: Buckets::of(balance, &rates)?,
            overdue,
            risk,
            dso_days: dso.map(one_decimal),
            average_payment_delay_days: recent.map(one_decimal),
            delay_change_days: change.map(one_decimal),
            trend: change.map(trend),
        });
    }

    Ok(CustomerRanks {
        as_of,
        currency: reporting.code(),
        ranking,
        customer_count,
        customers,
    })
}

fn trend(change: Decimal) -> Trend {
    if change >= STABLE_DAYS {
        Trend::Worsening
    } else if change <= -STABLE_DAYS {
        Trend::Improving
    } else {
        Trend::Stable
    }
}

fn risks(db: &impl Database, portfolio: &Conditions) -> Result<HashMap<i64, f64>, KpiError> {
    let rows = db.execute(
        &format!(
            "SELECT s.customer_id, s.risk FROM customer_scores s
             JOIN customers c ON c.id = s.customer_id WHERE 1 = 1{}",
            portfolio.sql
        ),
        &portfolio.params,
    )?;

    let mut risks = HashMap::with_capacity(rows.len());
    for row in rows.iter() {
        if let Value::Real(risk) = row.value("risk")? {
            risks.insert(row.integer("customer_id")?, *risk);
        }
    }
    Ok(risks)
}

/// What a customer's line needs beyond its balance.
#[derive(Debug, Clone, Default)]
struct Detail {
    name: String,
    owner: Option<String>,
    collector: Option<String>,
    sales: Decimal,
    days: u32,
    recent: PaymentDelay,
    before: PaymentDelay,
}

fn details(
    db: &impl Database,
    ids: &[i64],
    as_of: NaiveDate,
    rates: &ExchangeRates,
) -> Result<HashMap<i64, Detail>, KpiError> {
    let mut details: HashMap<i64, Detail> = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(details);
    }
    let (list, id_values) = id_list(ids);
    let period = months_to(as_of, CUSTOMER_MONTHS);
    let before = months_before(as_of, 2 * CUSTOMER_MONTHS);

    let rows = db.execute(
        &format!("SELECT id, name, owner, collector FROM customers WHERE id IN ({list})"),
        &id_values,
    )?;
    for row in rows.iter() {
        let detail = details.entry(row.integer("id")?).or_default();
        detail.name = row.text("name")?.to_owned();
        detail.owner = row.optional_text("owner")?.map(str::to_owned);
        detail.collector = row.optional_text("collector")?.map(str::to_owned);
        detail.days = period.days;
    }

    let mut params = vec![Value::from(period.after), Value::from(as_of)];
    params.extend(id_values.iter().cloned());
    let rows = db.execute(
        &format!(
            "SELECT customer_id, currency, SUM(total_minor) AS sales FROM kpi_invoices
             WHERE issue_date > ? AND issue_date <= ? AND customer_id IN ({list})
             GROUP BY customer_id, currency"
        ),
        &params,
    )?;
    for row in rows.iter() {
        let mut sales = CurrencyAmounts::default();
        sales.add_minor_units(
            stored_currency(row.text("currency")?)?,
            row.integer("sales")?,
        );
        details
            .entry(row.integer("customer_id")?)
            .or_default()
            .sales += rates.total(&sales)?;
    }

    let mut params = vec![
        Value::from(period.after),
        Value::from(before),
        Value::from(as_of),
        Value::from(as_of),
    ];
    params.extend(id_values);
    let rows = db.execute(
        &format!(
            "SELECT customer_id, currency, paid_on > ? AS recent,
                SUM(amount_minor) AS received, SUM(amount_minor * days_after_due) AS received_days
             FROM kpi_payments
             WHERE paid_on > ? AND paid_on <= ? AND (undone_on IS NULL OR undone_on > ?)
               AND customer_id IN ({list})
             GROUP BY customer_id, currency, recent"
        ),
        &params,
    )?;
    for row in rows.iter() {
        let currency = stored_currency(row.text("currency")?)?;
        let mut received = CurrencyAmounts::default();
        received.add_minor_units(currency, row.integer("received")?);
        let mut received_days = CurrencyAmounts::default();
        received_days.add_minor_units(currency, row.integer("received_days")?);
        let delay = PaymentDelay {
            amount: rates.total(&received)?,
            amount_days: rates.total(&received_days)?,
        };

        let detail = details.entry(row.integer("customer_id")?).or_default();
        if row.boolean("recent")? {
            detail.recent.merge(delay);
        } else {
            detail.before.merge(delay);
        }
    }
    Ok(details)
}
