//! The reconciliation run: every booked bank credit not yet reconciled meets
//! the open ledger, oldest first. Confident, unambiguous matches are
//! applied; the others wait for a person as suggestions; what matches
//! nothing stays unmatched with the reason. Running it again changes nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use relance_matching::{Decision, MatchProposal, Matcher, MatchingPolicy};
use rust_decimal::Decimal;
use serde::Serialize;

use super::decisions::{DecidedBy, MatchRecord, apply_claimed, claim, leave_unmatched, suggest};
use super::ledger::{
    TransactionToReconcile, open_items, payer_directory, transactions_to_reconcile,
};
use crate::{Database, StoreError};

/// How many transactions one database transaction decides: large enough
/// that commits cost little, small enough that other writers get a turn.
const TRANSACTIONS_PER_COMMIT: usize = 250;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunSummary {
    /// Bank credits considered.
    pub considered: usize,
    /// Matched and allocated without review.
    pub auto_applied: usize,
    /// Put in review with new suggestions.
    pub sent_to_review: usize,
    /// Already in review with the same suggestions.
    pub review_unchanged: usize,
    /// Left unmatched: no candidate, or only refused ones.
    pub unmatched: usize,
    /// Amounts allocated automatically, by currency.
    pub allocated: BTreeMap<String, Decimal>,
    /// Transactions whose match could not be applied, and why; each is left
    /// as it was, with the reason in its note.
    pub failures: Vec<RunFailure>,
}

/// A transaction the run could not decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunFailure {
    /// The bank transaction.
    pub bank_transaction_id: i64,
    /// What went wrong.
    pub error: String,
}

/// Reconciles every booked bank credit not yet reconciled.
pub fn reconcile(
    db: &impl Database,
    policy: MatchingPolicy,
    now: DateTime<Utc>,
) -> Result<RunSummary, StoreError> {
    let mut matcher =
        Matcher::new(open_items(db)?, payer_directory(db)?, policy).map_err(|error| {
            StoreError::UnexpectedValue {
                column: "open items".to_owned(),
                expected: "invoices and credit notes the matcher accepts",
                found: error.to_string(),
            }
        })?;
    let transactions = transactions_to_reconcile(db)?;

    let mut summary = RunSummary {
        considered: transactions.len(),
        ..RunSummary::default()
    };

    // Confident matches first, pass after pass: each one settles invoices,
    // which can leave another payment a single, certain candidate.
    let mut undecided: Vec<&TransactionToReconcile> = transactions.iter().collect();
    loop {
        let before = undecided.len();
        undecided = apply_confident(db, &mut matcher, &undecided, &mut summary, now)?;
        if undecided.len() == before {
            break;
        }
    }

    // The rest meets the ledger as it now stands, so a second run proposes
    // the same suggestions and changes nothing.
    for batch in undecided.chunks(TRANSACTIONS_PER_COMMIT) {
        db.transaction(|db| {
            batch.iter().try_for_each(|transaction| {
                let decision = proposal_for(&matcher, transaction);
                decide(db, &mut matcher, transaction, &decision, &mut summary, now)
            })
        })?;
    }
    Ok(summary)
}

/// Applies the transactions whose match is confident and returns the others,
/// in the same order.
fn apply_confident<'a>(
    db: &impl Database,
    matcher: &mut Matcher,
    transactions: &[&'a TransactionToReconcile],
    summary: &mut RunSummary,
    now: DateTime<Utc>,
) -> Result<Vec<&'a TransactionToReconcile>, StoreError> {
    let mut undecided = Vec::new();
    for batch in transactions.chunks(TRANSACTIONS_PER_COMMIT) {
        db.transaction(|db| {
            for &transaction in batch {
                let decision = proposal_for(matcher, transaction);
                if matches!(decision, Decision::AutoApply(_)) {
                    decide(db, matcher, transaction, &decision, summary, now)?;
                } else {
                    undecided.push(transaction);
                }
            }
            Ok::<(), StoreError>(())
        })?;
    }
    Ok(undecided)
}

/// What the matcher proposes for `transaction`, without what a person
/// already refused.
fn proposal_for(matcher: &Matcher, transaction: &TransactionToReconcile) -> Decision {
    without_refused(matcher.propose(&transaction.payment), &transaction.refused)
}

/// Decides one transaction. A failure to apply its match is kept in the
/// summary and the transaction's note; it does not stop the run.
fn decide(
    db: &impl Database,
    matcher: &mut Matcher,
    transaction: &TransactionToReconcile,
    decision: &Decision,
    summary: &mut RunSummary,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let outcome = db.savepoint("reconcile_transaction", |db| {
        record(db, matcher, transaction, decision, summary, now)
    });
    match outcome {
        Ok(()) => Ok(()),
        Err(error) if error.is_callers_fault() => {
            leave_unmatched(db, transaction.id, &error.to_string(), now)?;
            summary.failures.push(RunFailure {
                bank_transaction_id: transaction.id,
                error: error.to_string(),
            });
            Ok(())
        }
        Err(error) => Err(error),
    }
}

fn record(
    db: &impl Database,
    matcher: &mut Matcher,
    transaction: &TransactionToReconcile,
    decision: &Decision,
    summary: &mut RunSummary,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(claimed) = claim(db, transaction.id, &[&transaction.reconciliation_status])? else {
        return Ok(());
    };

    match decision {
        Decision::AutoApply(proposal) => {
            let record = MatchRecord::from_proposal(proposal)?;
            apply_claimed(db, &claimed, &record, DecidedBy::Matcher, now)?;
            matcher
                .apply(proposal)
                .map_err(|error| StoreError::InvalidMatch {
                    reason: error.to_string(),
                })?;
            summary.auto_applied += 1;
            *summary
                .allocated
                .entry(transaction.payment.currency.clone())
                .or_default() += proposal.allocated();
        }
        Decision::Review(proposals) if same_suggestions(proposals, &transaction.suggested) => {
            summary.review_unchanged += 1;
        }
        Decision::Review(proposals) => {
            let records = proposals
                .iter()
                .map(MatchRecord::from_proposal)
                .collect::<Result<Vec<_>, _>>()?;
            suggest(db, &claimed, &records, now)?;
            summary.sent_to_review += 1;
        }
        Decision::NoMatch { reason } => {
            if transaction.reconciliation_status != "unmatched"
                || transaction.note.as_deref() != Some(reason.as_str())
            {
                leave_unmatched(db, transaction.id, reason, now)?;
            }
            summary.unmatched += 1;
        }
    }
    Ok(())
}

/// Drops the candidates a person already rejected or undid for this
/// transaction: they are never proposed again.
fn without_refused(decision: Decision, refused: &[String]) -> Decision {
    let is_refused = |proposal: &MatchProposal| refused.contains(&proposal_key(proposal));

    match decision {
        Decision::AutoApply(proposal) if is_refused(&proposal) => Decision::NoMatch {
            reason: format!(
                "its match ({}) was rejected or undone before; allocate it by hand",
                numbers(&proposal)
            ),
        },
        Decision::Review(proposals) => {
            let kept: Vec<MatchProposal> = proposals
                .into_iter()
                .filter(|proposal| !is_refused(proposal))
                .collect();
            if kept.is_empty() {
                Decision::NoMatch {
                    reason: "every candidate was rejected or undone before; allocate it by hand"
                        .to_owned(),
                }
            } else {
                Decision::Review(kept)
            }
        }
        other => other,
    }
}

fn same_suggestions(proposals: &[MatchProposal], suggested: &[String]) -> bool {
    let mut new: Vec<String> = proposals.iter().map(proposal_key).collect();
    let mut old = suggested.to_vec();
    new.sort_unstable();
    old.sort_unstable();
    new == old
}

fn proposal_key(proposal: &MatchProposal) -> String {
    super::ledger::items_key(
        proposal
            .allocations
            .iter()
            .map(|allocation| allocation.invoice_id.as_str()),
    )
}

fn numbers(proposal: &MatchProposal) -> String {
    proposal
        .allocations
        .iter()
        .map(|allocation| allocation.number.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
