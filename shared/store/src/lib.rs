//! The system of record: Relance's SQLite schema, its migrations, and the
//! repositories every component reads and writes the ledger through.
//!
//! Repositories are functions over the [`Database`] trait, so the same code
//! runs on Spin's SQLite inside components ([`SpinDatabase`], feature `spin`)
//! and on rusqlite natively ([`NativeDatabase`], feature `native`).
//!
//! - [`inbox`]: every input stored raw before it is applied.
//! - [`apply`]: events applied once, in order of occurrence, atomically.
//! - [`bulk_upsert_invoices`]: many invoices, each on its own.
//! - [`invoices`] and [`customers`]: reads scoped to the caller's portfolio,
//!   and the team's edits.
//! - [`payments`]: the payments set against a customer's invoices.
//! - [`tokens`]: API tokens stored as hashes.
//! - [`bank`]: bank accounts, their transactions de-duplicated across files
//!   and polls, and the bank API connections.
//! - [`reconciliation`]: bank credits matched to invoices, the review queue,
//!   allocations made and undone, payers learned.

mod apply;
pub mod bank;
mod bulk;
pub mod customers;
mod database;
mod error;
pub mod inbox;
pub mod invoices;
mod listing;
mod migrations;
#[cfg(feature = "native")]
mod native;
pub mod payments;
pub mod reconciliation;
mod settlement;
#[cfg(feature = "spin")]
mod spin;
pub mod tokens;

pub use apply::{ApplyOutcome, apply, record_allocation, reverse_allocation};
pub use bulk::{BulkItemResult, BulkOutcome, bulk_upsert_invoices};
pub use database::{Database, Row, Rows, Value, timestamp_text};
pub use error::StoreError;
pub use listing::Listing;
pub use migrations::{MIGRATIONS, Migration, current_version, migrate};
#[cfg(feature = "native")]
pub use native::NativeDatabase;
pub use settlement::Settlement;
#[cfg(feature = "spin")]
pub use spin::SpinDatabase;
