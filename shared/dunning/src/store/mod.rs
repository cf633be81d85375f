//! Dunning's storage, written against [`relance_store::Database`] so the same
//! code runs in the component (Spin SQLite) and natively (tests, benchmarks).
//!
//! - [`policies`]: policies and who they chase; the book a run reads.
//! - [`templates`]: the team's templates over the built-in ones.
//! - [`settings`]: the company's signature and sender.
//! - [`rates`]: the ECB reference rates by half-year.
//! - [`run`]: the run (and its preview): each step recorded before anything
//!   is sent.
//! - [`outbox`]: messages, their delivery claims and outcomes.
//! - [`tasks`]: tasks and the outcomes that feed back into the ledger.
//! - [`history`]: every action per customer and invoice.

pub mod history;
pub mod outbox;
pub mod policies;
pub mod rates;
pub mod run;
pub mod settings;
pub mod tasks;
pub mod templates;

use relance_api::Scope;
use relance_store::Value;

/// ` AND <customer column> IN (customers the scope shows)`, and its
/// parameters: the portfolio condition every dunning read applies.
pub(crate) fn scope_condition(scope: &Scope, customer_column: &str) -> (String, Vec<Value>) {
    match scope {
        Scope::Everything => (String::new(), Vec::new()),
        Scope::Owner(person) => (
            format!(" AND {customer_column} IN (SELECT id FROM customers WHERE owner = ?)"),
            vec![person.into()],
        ),
        Scope::Collector(person) => (
            format!(" AND {customer_column} IN (SELECT id FROM customers WHERE collector = ?)"),
            vec![person.into()],
        ),
    }
}

/// The actor recorded for a person acting with an API token.
pub(crate) fn token_actor(token_id: i64) -> String {
    format!("token:{token_id}")
}

/// The actor recorded for what the run does.
pub(crate) const RUN_ACTOR: &str = "dunning-run";
