//! The finance team's figures, computed as finance teams define them, for
//! any day and any slice of the ledger, in one reporting currency.
//!
//! The pure rules, each table-tested with worked examples:
//! - [`dso`]: countback and standard DSO, Best Possible DSO, average days
//!   delinquent;
//! - [`collection`]: collection effectiveness index, amount-weighted payment
//!   delay, shares of the receivables;
//! - [`aging`]: the aged-balance buckets;
//! - [`forecast`]: weekly and monthly cash-forecast buckets;
//! - [`history`]: an invoice's open balance through time, from its dated
//!   credit notes and payments;
//! - [`fx`]: sums kept by currency and converted with explicit rates;
//! - [`period`]: reporting periods counted back from the `as_of` day;
//! - [`query`]: the KPI endpoints' query strings.
//!
//! [`store`] holds the SQL: the ledger's history kept up to date from the
//! invoices written, the exchange rates, and each endpoint's figures, scoped
//! to the caller's portfolio inside the queries.

pub mod aging;
pub mod collection;
pub mod dso;
pub mod forecast;
pub mod fx;
pub mod history;
pub mod period;
pub mod query;
pub mod store;
