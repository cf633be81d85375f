//! `GET /api/v1/kpi/aged-balance`: what is owed by aging bucket, grouped by
//! customer or by one of the segmentation dimensions, with totals.

use chrono::NaiveDate;
use relance_api::Scope;
use relance_ledger::money::Currency;
use relance_store::Database;
use rust_decimal::Decimal;
use serde::Serialize;

use super::reads::{Balance, Grouping, balances, customer_names};
use super::{Conditions, KpiError, rates::rates_on};
use crate::aging::AgingBucket;
use crate::fx::ExchangeRates;
use crate::query::KpiFilter;

/// What the aged balance is grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// Each customer.
    Customer,
    /// The legal entity invoicing the customer.
    Entity,
    /// The customer's region.
    Region,
    /// The customer's segment.
    Segment,
    /// The salesperson owning the customer.
    Owner,
    /// The collector assigned to the customer.
    Collector,
}

impl GroupBy {
    /// Every grouping with the name the query string uses.
    pub const CHOICES: [(&'static str, GroupBy); 6] = [
        ("customer", GroupBy::Customer),
        ("entity", GroupBy::Entity),
        ("region", GroupBy::Region),
        ("segment", GroupBy::Segment),
        ("owner", GroupBy::Owner),
        ("collector", GroupBy::Collector),
    ];

    fn grouping(self) -> Grouping {
        match self {
            GroupBy::Customer => Grouping::Customer,
            GroupBy::Entity => Grouping::Column("c.legal_entity"),
            GroupBy::Region => Grouping::Column("c.region"),
            GroupBy::Segment => Grouping::Column("c.segment"),
            GroupBy::Owner => Grouping::Column("c.owner"),
            GroupBy::Collector => Grouping::Column("c.collector"),
        }
    }
}

/// Amounts owed in each aging bucket, and their sum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Buckets {
    /// Not yet due.
    #[serde(with = "rust_decimal::serde::str")]
    pub not_due: Decimal,
    /// 1 to 30 days past due.
    #[serde(with = "rust_decimal::serde::str")]
    pub days_1_30: Decimal,
    /// 31 to 60 days past due.
    #[serde(with = "rust_decimal::serde::str")]
    pub days_31_60: Decimal,
    /// 61 to 90 days past due.
    #[serde(with = "rust_decimal::serde::str")]
    pub days_61_90: Decimal,
    /// More than 90 days past due.
    #[serde(with = "rust_decimal::serde::str")]
    pub over_90_days: Decimal,
    /// All buckets together.
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    /// Invoices with something owed.
    pub invoices: i64,
}

impl Buckets {
    /// The buckets of a balance in the reporting currency. The total is the
    /// sum of the shown buckets, so the figures always add up on screen.
    pub(crate) fn of(balance: &Balance, rates: &ExchangeRates) -> Result<Buckets, KpiError> {
        let mut shown = [Decimal::ZERO; 5];
        for bucket in AgingBucket::ALL {
            shown[bucket.index()] = rates.shown_total(&balance.buckets[bucket.index()])?;
        }
        let [not_due, days_1_30, days_31_60, days_61_90, over_90_days] = shown;

        Ok(Buckets {
            not_due,
            days_1_30,
            days_31_60,
            days_61_90,
            over_90_days,
            total: shown.iter().sum(),
            invoices: balance.invoices,
        })
    }
}

/// One group's line of the aged balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgedGroup {
    /// The customer's id, or the segment's value; `null` for customers
    /// without one.
    pub key: Option<String>,
    /// The customer's name, or the segment's value.
    pub name: Option<String>,
    /// What the group owes.
    #[serde(flatten)]
    pub buckets: Buckets,
}

/// The aged balance of the caller's portfolio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgedBalance {
    /// The day it is as of.
    pub as_of: NaiveDate,
    /// The currency amounts are in.
    pub currency: &'static str,
    /// What the groups are.
    pub group_by: GroupBy,
    /// How many groups owe something, shown or not.
    pub group_count: usize,
    /// The groups owing the most, largest first, up to the limit asked for.
    pub groups: Vec<AgedGroup>,
    /// The whole portfolio, every group included.
    pub total: Buckets,
}

/// The aged balance grouped by `group_by`, the `limit` largest groups shown.
pub fn aged_balance(
    db: &impl Database,
    scope: &Scope,
    filter: &KpiFilter,
    reporting: Currency,
    group_by: GroupBy,
    limit: usize,
) -> Result<AgedBalance, KpiError> {
    let portfolio = Conditions::portfolio(scope, &filter.segments);
    let rates = rates_on(db, reporting, filter.as_of)?;
    let groups = balances(db, &portfolio, filter.as_of, group_by.grouping())?;

    let mut whole = Balance::default();
    let mut lines = Vec::with_capacity(groups.len());
    for (key, balance) in groups {
        for (index, bucket) in balance.buckets.iter().enumerate() {
            whole.buckets[index].merge(bucket);
        }
        whole.invoices += balance.invoices;
        lines.push(AgedGroup {
            name: key.clone(),
            key,
            buckets: Buckets::of(&balance, &rates)?,
        });
    }
    lines.sort_by(|a, b| {
        b.buckets
            .total
            .cmp(&a.buckets.total)
            .then_with(|| a.key.cmp(&b.key))
    });

    let group_count = lines.len();
    lines.truncate(limit);
    if group_by == GroupBy::Customer {
        name_customers(db, &mut lines)?;
    }
    Ok(AgedBalance {
        as_of: filter.as_of,
        currency: reporting.code(),
        group_by,
        group_count,
        groups: lines,
        total: Buckets::of(&whole, &rates)?,
    })
}

/// Gives each customer's line its customer's name.
fn name_customers(db: &impl Database, lines: &mut [AgedGroup]) -> Result<(), KpiError> {
    let ids: Vec<i64> = lines
        .iter()
        .filter_map(|line| line.key.as_deref()?.parse().ok())
        .collect();
    let mut names = customer_names(db, &ids)?;

    for line in lines {
        let id = line.key.as_deref().and_then(|key| key.parse().ok());
        line.name = id.and_then(|id| names.remove(&id));
    }
    Ok(())
}
