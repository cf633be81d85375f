//! Bank accounts, the transactions received for them from statement files and
//! bank APIs, and the connections the poller reads bank APIs through.
//!
//! A transaction is stored once whatever the route it arrives by: its
//! [`relance_bank_statements::fingerprint`] is unique, so the same payment in
//! an intraday camt.052, the evening camt.053 and an API poll is one row, and
//! a pending entry later booked replaces the pending one.

mod connections;
mod transactions;

pub use connections::{
    Connection, ConnectionStatus, NewConnection, Provider, advance_cursor, create_connection,
    get_connection, list_connections, pollable_connections, record_poll_failure,
    record_poll_success,
};
pub use transactions::{
    SourcedTransaction, StoreOutcome, StoredTransaction, TransactionFilter, TransactionSource,
    UNIDENTIFIED_ACCOUNT, list_transactions, remove_transactions, store_transactions,
};
