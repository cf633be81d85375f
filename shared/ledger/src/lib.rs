//! The receivables ledger of Relance: money, customers, invoices, credit
//! notes, payments allocated to invoices, and the parsers that turn what
//! platforms send (Stripe events, canonical JSON events, FEC and CSV ledger
//! files, signed webhooks) into ledger changes. Pure logic, no I/O.

pub mod allocation;
pub mod canonical;
pub mod change;
pub mod customer;
pub mod fields;
pub mod invoice;
pub mod ledger_file;
pub mod money;
pub mod signature;
pub mod stripe;
