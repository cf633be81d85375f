//! The bank feed's rules, free of I/O: how statement uploads and transaction
//! listings read their query strings, how connections are configured, and
//! how each bank API's answers become [`relance_bank_statements::BankTransaction`]s.
//!
//! - [`query`]: `GET /api/v1/bank/transactions` filters and the CSV column
//!   mapping of `POST /api/v1/bank/statements?format=csv`.
//! - [`settings`]: a connection's settings, checked, and its poll windows.
//! - [`providers`]: GoCardless, Berlin Group and Plaid answers read into
//!   transactions.

pub mod providers;
pub mod query;
pub mod settings;
