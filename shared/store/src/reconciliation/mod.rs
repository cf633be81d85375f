//! Reconciliation's record: the open ledger as the matcher takes it, the
//! run that matches bank credits to it, the suggestions a person decides,
//! the allocations made and undone, and the payers the team confirmed.
//!
//! - [`reconcile`]: the run, idempotent.
//! - [`accept_suggestion`], [`reject_suggestion`], [`allocate_by_hand`],
//!   [`undo_allocation`]: a person's decisions.
//! - [`list_matches`]: the review queue and the history of matches.

mod decisions;
mod ledger;
mod listing;
mod run;

pub use decisions::{
    AppliedMatch, DecidedBy, MatchLine, MatchRecord, Undone, accept_suggestion, allocate_by_hand,
    reject_suggestion, undo_allocation,
};
pub use ledger::{
    ItemRef, TransactionToReconcile, items_key, open_items, payer_directory,
    transactions_to_reconcile,
};
pub use listing::{MatchStatus, MatchView, TransactionSummary, list_matches};
pub use run::{RunFailure, RunSummary, reconcile};
