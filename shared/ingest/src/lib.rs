//! Receiving invoices, credit notes and customers from outside — platform
//! webhooks, bulk API calls, ledger files — the same way whether in a
//! component or natively: stored raw first, applied, the outcome recorded,
//! a refused input kept for replay.

mod bulk;
mod ledger_import;
mod receive;

pub use receive::{Applied, InputKind, apply_and_record, declared_source, receive_and_apply};
