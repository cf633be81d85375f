//! Measuring the matcher against payments whose true allocations are known
//! (from the ledger generator, or a month a team reconciled by hand): how
//! often an automatic match is right, how much needs no person at all, and
//! how much waits in review.

use serde::Serialize;

use crate::error::MatchingError;
use crate::matcher::Matcher;
use crate::model::Payment;
use crate::proposal::{Allocation, Decision, MatchProposal};

/// A payment with what it truly paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledPayment {
    /// The payment as the bank booked it.
    pub payment: Payment,
    /// What it truly settles; empty for a payment unrelated to any invoice.
    pub truth: Vec<Allocation>,
}

/// How the matcher did on labelled payments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Payments evaluated.
    pub payments: usize,
    /// Payments that truly settle some invoice.
    pub matchable: usize,
    /// Payments matched without review.
    pub auto_applied: usize,
    /// Of those, the ones allocated to exactly the true invoices.
    pub auto_correct: usize,
    /// Payments sent to review.
    pub reviewed: usize,
    /// Of those, the ones whose first candidate was the truth.
    pub review_first_correct: usize,
    /// Payments with no candidate.
    pub no_match: usize,
    /// Share of automatic matches that were right; 1 when none was made,
    /// since no wrong match was applied.
    pub precision_auto: f64,
    /// Share of matchable payments reconciled automatically and rightly.
    pub straight_through_rate: f64,
    /// Share of all payments sent to review.
    pub review_share: f64,
}

/// Runs `matcher` over `cases` in order, as the daily job would, and
/// scores each decision against the truth.
pub fn evaluate(
    matcher: &mut Matcher,
    cases: &[LabelledPayment],
) -> Result<Metrics, MatchingError> {
    let mut evaluation = Evaluation::default();
    evaluation.run(matcher, cases)?;
    Ok(evaluation.metrics())
}

/// A score of the matcher kept across batches of labelled payments, such
/// as the months of a ledger's history.
#[derive(Debug, Default)]
pub struct Evaluation {
    tally: Tally,
}

impl Evaluation {
    /// Runs `matcher` over `cases` in order and adds each decision to the
    /// score.
    ///
    /// After each decision the true allocations are applied and taught to
    /// the payer directory, as a person resolving the review queue (and
    /// undoing any wrong automatic match) would, so every payment meets the
    /// ledger as it truly stands. A proposal is right when it allocates to
    /// exactly the true invoices; credit notes netted along are not counted
    /// either way.
    pub fn run(
        &mut self,
        matcher: &mut Matcher,
        cases: &[LabelledPayment],
    ) -> Result<(), MatchingError> {
        for case in cases {
            let decision = matcher.propose(&case.payment);
            self.tally.count(&decision, &case.truth);

            matcher.allocate(&case.truth)?;
            let customer = matcher.customer_of(&case.truth).map(str::to_owned);
            if let Some(customer) = customer {
                matcher.teach(&case.payment, &customer);
            }
        }
        Ok(())
    }

    /// The score so far.
    pub fn metrics(&self) -> Metrics {
        self.tally.metrics()
    }
}

#[derive(Debug, Default)]
struct Tally {
    payments: usize,
    matchable: usize,
    auto_applied: usize,
    auto_correct: usize,
    reviewed: usize,
    review_first_correct: usize,
    no_match: usize,
}

impl Tally {
    fn count(&mut self, decision: &Decision, truth: &[Allocation]) {
        self.payments += 1;
        if !truth.is_empty() {
            self.matchable += 1;
        }

        match decision {
            Decision::AutoApply(proposal) => {
                self.auto_applied += 1;
                self.auto_correct += usize::from(is_truth(proposal, truth));
            }
            Decision::Review(candidates) => {
                self.reviewed += 1;
                let first_right = candidates.first().is_some_and(|best| is_truth(best, truth));
                self.review_first_correct += usize::from(first_right);
            }
            Decision::NoMatch { .. } => self.no_match += 1,
        }
    }

    fn metrics(&self) -> Metrics {
        let share = |part: usize, whole: usize| {
            if whole == 0 {
                0.0
            } else {
                part as f64 / whole as f64
            }
        };

        Metrics {
            payments: self.payments,
            matchable: self.matchable,
            auto_applied: self.auto_applied,
            auto_correct: self.auto_correct,
            reviewed: self.reviewed,
            review_first_correct: self.review_first_correct,
            no_match: self.no_match,
            precision_auto: if self.auto_applied == 0 {
                1.0
            } else {
                share(self.auto_correct, self.auto_applied)
            },
            straight_through_rate: share(self.auto_correct, self.matchable),
            review_share: share(self.reviewed, self.payments),
        }
    }
}

/// True when `proposal` settles exactly the invoices of `truth`.
fn is_truth(proposal: &MatchProposal, truth: &[Allocation]) -> bool {
    invoices_of(&proposal.allocations) == invoices_of(truth) && !truth.is_empty()
}

fn invoices_of(allocations: &[Allocation]) -> Vec<&str> {
    let mut invoices: Vec<&str> = allocations
        .iter()
        .filter(|allocation| allocation.amount.is_sign_positive() && !allocation.amount.is_zero())
        .map(|allocation| allocation.invoice_id.as_str())
        .collect();
    invoices.sort_unstable();
    invoices.dedup();
    invoices
}
