//! What the matcher answers: proposed allocations with the evidence behind
//! them, a confidence, a plain explanation, and the decision to apply or to
//! ask a person.

use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::model::MatchingPolicy;
use crate::money::format_amount;

/// The part of a payment proposed for one invoice or credit note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Allocation {
    /// The open item's id.
    pub invoice_id: String,
    /// Its number, for people.
    pub number: String,
    /// How much of it the payment settles: positive for an invoice, negative
    /// for a credit note netted against it.
    pub amount: Decimal,
}

/// One rule that fired for a proposal. Each kind carries what is needed to
/// explain it in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Evidence {
    /// A structured creditor reference that is the invoice's own.
    CreditorReference {
        /// The reference quoted.
        reference: String,
        /// The invoice number it designates.
        number: String,
    },
    /// The invoice number, written exactly as printed.
    InvoiceNumberExact {
        /// The invoice number.
        number: String,
    },
    /// The invoice number with separators or leading zeros lost.
    InvoiceNumberNormalised {
        /// What the payer wrote.
        written: String,
        /// The invoice number it reads as.
        number: String,
    },
    /// Only the invoice number's digits.
    InvoiceNumberDigits {
        /// What the payer wrote.
        written: String,
        /// The invoice number it may be.
        number: String,
    },
    /// The payer's end-to-end id carries the invoice number.
    EndToEndId {
        /// The end-to-end id.
        id: String,
        /// The invoice number in it.
        number: String,
    },
    /// The payer's account is known to pay for this customer.
    PayerIbanKnown {
        /// The customer's name.
        customer: String,
    },
    /// The payer's name is known to pay for this customer, or is the
    /// customer's name once normalised.
    PayerNameKnown {
        /// The payer's name as sent.
        payer: String,
        /// The customer's name.
        customer: String,
    },
    /// The payer's name resembles the customer's.
    PayerNameSimilar {
        /// The payer's name as sent.
        payer: String,
        /// The customer's name.
        customer: String,
        /// How alike, from 0 to 1.
        similarity: f64,
    },
    /// The payer is known for another customer than the invoices'.
    PayerIsAnotherCustomer {
        /// The customer the payer is known for.
        known_for: String,
    },
    /// The amount equals what the matched items have left to pay.
    AmountEqualsRemaining {
        /// The amount.
        amount: Decimal,
        /// Its currency.
        currency: String,
        /// How many items.
        items: usize,
    },
    /// The amount equals the only open item of the customer with that amount.
    AmountUniqueForCustomer {
        /// The amount.
        amount: Decimal,
        /// Its currency.
        currency: String,
        /// The customer's name.
        customer: String,
    },
    /// The amount differs from what is due by a bank fee or exchange
    /// difference within tolerance.
    AmountWithinTolerance {
        /// What the matched items have left to pay.
        expected: Decimal,
        /// Payment minus expected: negative when short.
        difference: Decimal,
        /// Its currency.
        currency: String,
    },
    /// Several open items of the customer add up to the amount.
    CombinationOfOpenItems {
        /// How many items.
        items: usize,
        /// True when the search was complete and found no other combination.
        unique: bool,
        /// True when they add up to the amount exactly, not within tolerance.
        exact: bool,
    },
    /// A credit note is netted off the invoices paid.
    CreditNoteNetted {
        /// The credit note's number.
        number: String,
        /// Its amount, negative.
        amount: Decimal,
        /// Its currency.
        currency: String,
    },
    /// The amount pays part of what is due; the rest stays open.
    PartialPayment {
        /// What the matched items had left to pay.
        remaining: Decimal,
        /// What stays open after this payment.
        left_open: Decimal,
        /// Its currency.
        currency: String,
    },
    /// The amount is one of several equal instalments of what is due.
    InstalmentOfRemaining {
        /// How many instalments of this amount settle the invoice.
        count: u32,
        /// What the invoice had left to pay.
        remaining: Decimal,
        /// Its currency.
        currency: String,
    },
    /// The amount is more than the matched items ask for.
    Overpayment {
        /// The money left unallocated.
        unallocated: Decimal,
        /// Its currency.
        currency: String,
    },
    /// Nothing but the amount: an open item somewhere in the ledger asks
    /// for exactly this.
    AmountOnly {
        /// How many open items ask for this amount.
        candidates: usize,
    },
}

impl Evidence {
    /// What the evidence is about; confidence counts the strongest evidence
    /// of each concern once.
    fn concern(&self) -> Concern {
        match self {
            Self::CreditorReference { .. }
            | Self::InvoiceNumberExact { .. }
            | Self::InvoiceNumberNormalised { .. }
            | Self::InvoiceNumberDigits { .. }
            | Self::EndToEndId { .. } => Concern::Reference,
            Self::PayerIbanKnown { .. }
            | Self::PayerNameKnown { .. }
            | Self::PayerNameSimilar { .. }
            | Self::PayerIsAnotherCustomer { .. } => Concern::Payer,
            Self::AmountEqualsRemaining { .. }
            | Self::AmountUniqueForCustomer { .. }
            | Self::AmountWithinTolerance { .. }
            | Self::CombinationOfOpenItems { .. }
            | Self::CreditNoteNetted { .. }
            | Self::PartialPayment { .. }
            | Self::InstalmentOfRemaining { .. }
            | Self::Overpayment { .. }
            | Self::AmountOnly { .. } => Concern::Amount,
        }
    }

    /// How strongly the evidence supports the match on its own, from 0 to 1.
    pub(crate) fn support(&self) -> f64 {
        match self {
            Self::CreditorReference { .. } => 0.90,
            Self::InvoiceNumberExact { .. } | Self::EndToEndId { .. } => 0.85,
            Self::InvoiceNumberNormalised { .. } => 0.80,
            Self::InvoiceNumberDigits { .. } => 0.50,
            Self::PayerIbanKnown { .. } => 0.60,
            Self::PayerNameKnown { .. } => 0.50,
            Self::PayerNameSimilar { similarity, .. } if *similarity >= 0.95 => 0.45,
            Self::PayerNameSimilar { .. } => 0.30,
            Self::AmountUniqueForCustomer { .. } => 0.78,
            Self::AmountEqualsRemaining { .. } => 0.60,
            Self::CreditNoteNetted { .. } => 0.55,
            Self::AmountWithinTolerance { .. } => 0.45,
            Self::CombinationOfOpenItems {
                unique: true,
                exact: true,
                ..
            } => 0.76,
            Self::CombinationOfOpenItems { unique: true, .. } => 0.40,
            Self::InstalmentOfRemaining { .. } => 0.40,
            Self::CombinationOfOpenItems { unique: false, .. } => 0.30,
            Self::AmountOnly { candidates: 1 } => 0.30,
            Self::AmountOnly { .. } => 0.15,
            Self::PayerIsAnotherCustomer { .. }
            | Self::PartialPayment { .. }
            | Self::Overpayment { .. } => 0.0,
        }
    }

    /// How much the evidence weakens the match: 1 leaves it as it is.
    fn doubt(&self) -> f64 {
        match self {
            Self::PayerIsAnotherCustomer { .. } => 0.85,
            Self::Overpayment { .. } => 0.80,
            _ => 1.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Concern {
    Reference,
    Payer,
    Amount,
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CreditorReference { reference, number } => {
                write!(f, "structured reference {reference} is invoice {number}'s")
            }
            Self::InvoiceNumberExact { number } => write!(f, "remittance quotes invoice {number}"),
            Self::InvoiceNumberNormalised { written, number } => {
                write!(f, "remittance \"{written}\" reads as invoice {number}")
            }
            Self::InvoiceNumberDigits { written, number } => {
                write!(
                    f,
                    "remittance \"{written}\" has the digits of invoice {number}"
                )
            }
            Self::EndToEndId { id, number } => {
                write!(f, "end-to-end id {id} carries invoice {number}")
            }
            Self::PayerIbanKnown { customer } => write!(f, "payer IBAN is known for {customer}"),
            Self::PayerNameKnown { payer, customer } => {
                write!(f, "payer name \"{payer}\" is known for {customer}")
            }
            Self::PayerNameSimilar {
                payer,
                customer,
                similarity,
            } => write!(
                f,
                "payer name \"{payer}\" resembles {customer} ({:.0} % alike)",
                similarity * 100.0
            ),
            Self::PayerIsAnotherCustomer { known_for } => {
                write!(
                    f,
                    "but the payer is known for {known_for}, not this customer"
                )
            }
            Self::AmountEqualsRemaining {
                amount,
                currency,
                items: 1,
            } => write!(
                f,
                "amount {} equals its remaining amount",
                format_amount(*amount, currency)
            ),
            Self::AmountEqualsRemaining {
                amount,
                currency,
                items,
            } => write!(
                f,
                "amount {} equals the remaining amount of the {items} items",
                format_amount(*amount, currency)
            ),
            Self::AmountUniqueForCustomer {
                amount,
                currency,
                customer,
            } => write!(
                f,
                "amount {} equals the only open invoice of {customer} with that amount",
                format_amount(*amount, currency)
            ),
            Self::AmountWithinTolerance {
                expected,
                difference,
                currency,
            } => {
                let direction = if difference.is_sign_negative() {
                    "short of"
                } else {
                    "over"
                };
                write!(
                    f,
                    "amount is {} {direction} the {} due, within tolerance (bank fee or exchange \
                     difference: a write-off candidate)",
                    format_amount(difference.abs(), currency),
                    format_amount(*expected, currency)
                )
            }
            Self::CombinationOfOpenItems {
                items,
                unique: true,
                ..
            } => write!(
                f,
                "amount matches the sum of {items} open items, oldest first, and no other \
                 combination"
            ),
            Self::CombinationOfOpenItems {
                items,
                unique: false,
                ..
            } => write!(
                f,
                "amount matches the sum of {items} open items, oldest first, but other \
                 combinations fit too"
            ),
            Self::CreditNoteNetted {
                number,
                amount,
                currency,
            } => write!(
                f,
                "credit note {number} ({}) is netted",
                format_amount(*amount, currency)
            ),
            Self::PartialPayment {
                remaining,
                left_open,
                currency,
            } => write!(
                f,
                "amount pays part of the {} due; {} stays open",
                format_amount(*remaining, currency),
                format_amount(*left_open, currency)
            ),
            Self::InstalmentOfRemaining {
                count,
                remaining,
                currency,
            } => write!(
                f,
                "amount is one of {count} equal instalments of the {} due",
                format_amount(*remaining, currency)
            ),
            Self::Overpayment {
                unallocated,
                currency,
            } => write!(
                f,
                "amount exceeds what is due: {} left unallocated",
                format_amount(*unallocated, currency)
            ),
            Self::AmountOnly { candidates: 1 } => {
                f.write_str("no reference and no known payer; only the amount matches")
            }
            Self::AmountOnly { candidates } => write!(
                f,
                "no reference and no known payer; {candidates} open items ask for this amount"
            ),
        }
    }
}

/// A proposed match of one payment to open items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchProposal {
    /// The payment's id.
    pub payment_id: String,
    /// The items settled and how much of each, oldest first. Their total
    /// never exceeds the payment, and none exceeds what its item has left.
    pub allocations: Vec<Allocation>,
    /// How sure the matcher is, from 0 to 1: a score, not money.
    pub confidence: f64,
    /// The rules that fired.
    pub evidence: Vec<Evidence>,
    /// The evidence in plain words.
    pub explanation: String,
    /// Payment minus what the matched items asked for: positive is money
    /// left unallocated, negative a shortfall (bank fee or exchange
    /// difference) proposed for write-off; zero for a partial payment, which
    /// leaves the rest of the invoice open.
    pub residual: Decimal,
}

impl MatchProposal {
    /// Builds a proposal, scoring the evidence and explaining it.
    pub(crate) fn new(
        payment_id: &str,
        allocations: Vec<Allocation>,
        evidence: Vec<Evidence>,
        residual: Decimal,
    ) -> Self {
        let explanation = explain(&evidence);
        Self {
            payment_id: payment_id.to_owned(),
            allocations,
            confidence: confidence(&evidence),
            evidence,
            explanation,
            residual,
        }
    }

    /// The total allocated.
    pub fn allocated(&self) -> Decimal {
        self.allocations
            .iter()
            .map(|allocation| allocation.amount)
            .sum()
    }

    /// True when both proposals allocate to the same items.
    pub(crate) fn same_items_as(&self, other: &Self) -> bool {
        item_ids(self) == item_ids(other)
    }
}

/// The ids a proposal allocates to, sorted.
fn item_ids(proposal: &MatchProposal) -> Vec<&str> {
    let mut ids: Vec<&str> = proposal
        .allocations
        .iter()
        .map(|a| a.invoice_id.as_str())
        .collect();
    ids.sort_unstable();
    ids
}

/// The evidence combined: the strongest support of each concern counts
/// once, independent concerns reinforce each other (1 − Π(1 − support)),
/// and doubts scale the result down.
fn confidence(evidence: &[Evidence]) -> f64 {
    let strongest = |concern: Concern| {
        evidence
            .iter()
            .filter(|item| item.concern() == concern)
            .map(Evidence::support)
            .fold(0.0, f64::max)
    };

    let unexplained: f64 = [Concern::Reference, Concern::Payer, Concern::Amount]
        .into_iter()
        .map(|concern| 1.0 - strongest(concern))
        .product();
    let doubt: f64 = evidence.iter().map(Evidence::doubt).product();

    ((1.0 - unexplained) * doubt).clamp(0.0, 1.0)
}

/// The evidence as one sentence, first letter capitalised.
fn explain(evidence: &[Evidence]) -> String {
    let sentence = evidence
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    let mut characters = sentence.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => sentence,
    }
}

/// What to do with a payment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Apply this match without asking: confident and unambiguous.
    AutoApply(MatchProposal),
    /// Ask a person, showing these candidates, best first.
    Review(Vec<MatchProposal>),
    /// No candidate at all; the reason says what was missing.
    NoMatch {
        /// Why nothing was proposed.
        reason: String,
    },
}

impl Decision {
    /// Ranks `proposals` and decides: the best is applied when its confidence
    /// reaches the threshold and no other candidate comes within the
    /// ambiguity margin; otherwise all go to review.
    pub(crate) fn from_candidates(
        mut proposals: Vec<MatchProposal>,
        policy: &MatchingPolicy,
        no_match_reason: impl FnOnce() -> String,
    ) -> Self {
        proposals.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        let mut distinct: Vec<MatchProposal> = Vec::with_capacity(proposals.len());
        for proposal in proposals {
            if !distinct.iter().any(|kept| kept.same_items_as(&proposal)) {
                distinct.push(proposal);
            }
        }

        let Some(best) = distinct.first() else {
            return Self::NoMatch {
                reason: no_match_reason(),
            };
        };
        let runner_up = distinct.get(1).map_or(0.0, |proposal| proposal.confidence);
        let confident = best.confidence >= policy.auto_apply_threshold;
        let unambiguous = best.confidence - runner_up >= policy.ambiguity_margin;

        if confident && unambiguous {
            distinct.truncate(1);
            distinct.pop().map_or_else(
                || Self::NoMatch {
                    reason: no_match_reason(),
                },
                Self::AutoApply,
            )
        } else {
            Self::Review(distinct)
        }
    }

    /// The best proposal, whatever the decision.
    pub fn best(&self) -> Option<&MatchProposal> {
        match self {
            Self::AutoApply(proposal) => Some(proposal),
            Self::Review(proposals) => proposals.first(),
            Self::NoMatch { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(text: &str) -> Decimal {
        text.parse().expect("amount")
    }

    fn exact_number() -> Evidence {
        Evidence::InvoiceNumberExact {
            number: "F2025-000123".into(),
        }
    }

    fn exact_amount() -> Evidence {
        Evidence::AmountEqualsRemaining {
            amount: eur("1440"),
            currency: "EUR".into(),
            items: 1,
        }
    }

    fn known_iban() -> Evidence {
        Evidence::PayerIbanKnown {
            customer: "Boulangerie Martin".into(),
        }
    }

    #[test]
    fn confidence_grows_with_independent_evidence_and_falls_with_doubt() {
        // (evidence, at least, at most)
        let table: [(Vec<Evidence>, f64, f64); 6] = [
            (
                vec![exact_number(), exact_amount(), known_iban()],
                0.97,
                0.99,
            ),
            (vec![exact_number(), exact_amount()], 0.93, 0.95),
            (vec![exact_number()], 0.85, 0.85),
            (vec![exact_number(), exact_number()], 0.85, 0.85),
            (vec![known_iban(), exact_amount()], 0.83, 0.85),
            (
                vec![
                    exact_number(),
                    exact_amount(),
                    Evidence::PayerIsAnotherCustomer {
                        known_for: "Garage Leroy".into(),
                    },
                ],
                0.79,
                0.80,
            ),
        ];

        for (evidence, low, high) in table {
            let score = confidence(&evidence);
            assert!((low..=high).contains(&score), "{evidence:?}: {score}");
        }
    }

    #[test]
    fn the_explanation_says_which_rules_fired_in_plain_words() {
        let proposal = MatchProposal::new(
            "p1",
            Vec::new(),
            vec![exact_number(), exact_amount(), known_iban()],
            Decimal::ZERO,
        );

        assert_eq!(
            proposal.explanation,
            "Remittance quotes invoice F2025-000123; amount 1,440.00 equals its remaining \
             amount; payer IBAN is known for Boulangerie Martin"
        );
    }

    fn proposal(invoice_id: &str, evidence: Vec<Evidence>) -> MatchProposal {
        let allocation = Allocation {
            invoice_id: invoice_id.into(),
            number: invoice_id.into(),
            amount: eur("1"),
        };
        MatchProposal::new("p1", vec![allocation], evidence, Decimal::ZERO)
    }

    #[test]
    fn a_confident_match_is_applied_only_when_no_rival_comes_close() {
        let policy = MatchingPolicy::default();
        let strong = || proposal("a", vec![exact_number(), exact_amount()]);
        let rival = || proposal("b", vec![exact_number(), exact_amount()]);
        let weak_rival = || proposal("b", vec![exact_amount()]);

        let alone = Decision::from_candidates(vec![strong()], &policy, String::new);
        let contested = Decision::from_candidates(vec![strong(), rival()], &policy, String::new);
        let outclassed =
            Decision::from_candidates(vec![weak_rival(), strong()], &policy, String::new);
        let timid = Decision::from_candidates(vec![weak_rival()], &policy, String::new);

        assert!(matches!(alone, Decision::AutoApply(_)));
        assert!(matches!(contested, Decision::Review(ref all) if all.len() == 2));
        assert!(
            matches!(outclassed, Decision::AutoApply(ref best) if best.allocations[0].invoice_id == "a")
        );
        assert!(matches!(timid, Decision::Review(_)));
    }

    #[test]
    fn no_candidate_gives_the_reason() {
        let decision =
            Decision::from_candidates(Vec::new(), &MatchingPolicy::default(), || "nothing".into());

        assert_eq!(
            decision,
            Decision::NoMatch {
                reason: "nothing".into()
            }
        );
    }
}
