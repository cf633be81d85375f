//! The matching engine: indexes the open items once, then proposes for each
//! payment the allocations a good credit controller would make, weighing
//! the evidence in the order of trust: references first, then the payer,
//! then the amount and date.

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::creditor_reference::CreditorReference;
use crate::directory::{PayerDirectory, normalise_iban};
use crate::error::MatchingError;
use crate::model::{MatchingPolicy, OpenItem, OpenItemKind, Payment};
use crate::money::{LARGEST_AMOUNT, to_minor_units};
use crate::names::NameIndex;
use crate::proposal::{Allocation, Decision, Evidence, MatchProposal};
use crate::reference::InvoiceNumberIndex;

mod allocation;
mod amounts;
mod payer;
mod references;

/// The most customers a payer is taken to be, strongest evidence first.
const MAX_PAYER_CANDIDATES: usize = 3;

/// Matches payments to open invoices and credit notes.
///
/// Built once over the open items, it answers each payment from its
/// indexes (invoice numbers, creditor references, customers, amounts)
/// without scanning the ledger. After a match is applied, [`Matcher::apply`]
/// lowers the remaining amounts so the next payment sees them.
#[derive(Debug, Clone)]
pub struct Matcher {
    policy: MatchingPolicy,
    directory: PayerDirectory,
    items: Vec<OpenItem>,
    by_id: HashMap<String, usize>,
    numbers: InvoiceNumberIndex<usize>,
    by_reference: HashMap<String, Vec<usize>>,
    by_customer: HashMap<String, Vec<usize>>,
    by_amount: HashMap<(String, i64), Vec<usize>>,
    credits_by_invoice: HashMap<String, Vec<usize>>,
    customer_names: HashMap<String, String>,
    names: NameIndex,
}

/// A customer the payer may be, and why.
#[derive(Debug, Clone)]
struct PayerMatch {
    customer_id: String,
    evidence: Evidence,
}

/// An open item the payment's references designate, and how.
#[derive(Debug, Clone)]
struct ReferenceHit {
    item: usize,
    evidence: Evidence,
}

/// What is known about the payment being matched.
struct Context<'a> {
    payment: &'a Payment,
    currency: String,
    tolerance: Decimal,
    payers: Vec<PayerMatch>,
}

impl Context<'_> {
    /// The payer evidence for `customer_id`: why the payer is this customer,
    /// or the doubt that its account is known for another one. Names are
    /// not grounds for doubt: two customers may well share one.
    fn payer_evidence(&self, customer_id: &str, matcher: &Matcher) -> Option<Evidence> {
        if let Some(payer) = self
            .payers
            .iter()
            .find(|payer| payer.customer_id == customer_id)
        {
            return Some(payer.evidence.clone());
        }

        self.payers
            .iter()
            .find(|payer| matches!(payer.evidence, Evidence::PayerIbanKnown { .. }))
            .map(|payer| Evidence::PayerIsAnotherCustomer {
                known_for: matcher.customer_name(&payer.customer_id),
            })
    }

    /// True when `difference` is within the accepted fee or exchange tolerance.
    fn tolerates(&self, difference: Decimal) -> bool {
        difference.abs() <= self.tolerance
    }

    /// The evidence that the payment's amount settles `due`.
    fn amount_evidence(&self, due: Decimal, items: usize) -> Evidence {
        let difference = self.payment.amount - due;
        if difference.is_zero() {
            Evidence::AmountEqualsRemaining {
                amount: self.payment.amount,
                currency: self.currency.clone(),
                items,
            }
        } else {
            Evidence::AmountWithinTolerance {
                expected: due,
                difference,
                currency: self.currency.clone(),
            }
        }
    }
}

impl Matcher {
    /// Indexes `open_items` for matching, with what is known of payers.
    pub fn new(
        open_items: Vec<OpenItem>,
        directory: PayerDirectory,
        policy: MatchingPolicy,
    ) -> Result<Self, MatchingError> {
        policy.validate()?;
        let mut matcher = Self {
            policy,
            directory,
            items: Vec::with_capacity(open_items.len()),
            by_id: HashMap::with_capacity(open_items.len()),
            numbers: InvoiceNumberIndex::new(),
            by_reference: HashMap::new(),
            by_customer: HashMap::new(),
            by_amount: HashMap::new(),
            credits_by_invoice: HashMap::new(),
            customer_names: HashMap::new(),
            names: NameIndex::default(),
        };

        for item in open_items {
            matcher.index(item)?;
        }
        matcher.sort_customers_oldest_first();
        Ok(matcher)
    }

    /// Adds an invoice or credit note issued after the matcher was built.
    pub fn insert(&mut self, item: OpenItem) -> Result<(), MatchingError> {
        let customer_id = item.customer_id.clone();
        self.index(item)?;

        if let Some(positions) = self.by_customer.get_mut(&customer_id) {
            sort_oldest_first(&self.items, positions);
        }
        Ok(())
    }

    /// The payer directory, with what accepted matches taught it.
    pub fn directory(&self) -> &PayerDirectory {
        &self.directory
    }

    /// What `invoice_id` has left to pay, as the matcher sees it.
    pub fn remaining(&self, invoice_id: &str) -> Option<Decimal> {
        self.by_id
            .get(invoice_id)
            .and_then(|&position| self.items.get(position))
            .map(|item| item.remaining)
    }

    /// Proposes what `payment` pays, and whether to apply it unasked.
    pub fn propose(&self, payment: &Payment) -> Decision {
        if payment.amount <= Decimal::ZERO {
            return Decision::NoMatch {
                reason: format!(
                    "payment {} of {} is not money received; only credits are matched to invoices",
                    payment.id, payment.amount
                ),
            };
        }
        if payment.amount > LARGEST_AMOUNT {
            return Decision::NoMatch {
                reason: format!(
                    "payment {} of {} is beyond the largest amount handled (10^15); check the \
                     bank file's decimal separator",
                    payment.id, payment.amount
                ),
            };
        }

        let context = Context {
            payment,
            currency: payment.currency.trim().to_ascii_uppercase(),
            tolerance: self.policy.tolerance_for(payment.amount),
            payers: self.identify_payers(payment),
        };

        // References first; the payer and the amount only when references
        // did not settle it.
        let mut proposals = self.reference_proposals(&context);
        let mut search_gave_up = false;
        if !proposals
            .iter()
            .any(|p| p.confidence >= self.policy.auto_apply_threshold)
        {
            let (payer_proposals, gave_up) = self.payer_proposals(&context);
            proposals.extend(payer_proposals);
            search_gave_up = gave_up;
        }
        if proposals.is_empty() {
            proposals = self.amount_only_proposals(&context);
        }

        Decision::from_candidates(proposals, &self.policy, || {
            no_match_reason(&context, search_gave_up)
        })
    }

    /// Applies an accepted or auto-applied proposal: lowers the remaining
    /// amount of each item it allocates to.
    pub fn apply(&mut self, proposal: &MatchProposal) -> Result<(), MatchingError> {
        self.allocate(&proposal.allocations)
    }

    /// Applies `allocations` (from a proposal or entered by hand): all of
    /// them, or none when one does not fit what its item has left.
    pub fn allocate(&mut self, allocations: &[Allocation]) -> Result<(), MatchingError> {
        let mut updated: HashMap<usize, Decimal> = HashMap::new();
        for allocation in allocations {
            let position = *self.by_id.get(&allocation.invoice_id).ok_or_else(|| {
                MatchingError::UnknownOpenItem {
                    invoice_id: allocation.invoice_id.clone(),
                }
            })?;
            let remaining = updated
                .get(&position)
                .copied()
                .unwrap_or(self.items[position].remaining);
            updated.insert(
                position,
                checked_allocation(&allocation.invoice_id, remaining, allocation.amount)?,
            );
        }

        for (position, remaining) in updated {
            self.set_remaining(position, remaining);
        }
        Ok(())
    }

    /// Teaches the directory that `payment`'s account and name pay for
    /// `customer_id`: call it when a person accepts or makes a match.
    pub fn teach(&mut self, payment: &Payment, customer_id: &str) {
        self.directory.learn(
            payment.counterparty_iban.as_deref(),
            payment.counterparty_name.as_deref(),
            customer_id,
        );
    }

    /// The customer that `allocations` are for, when they are all one's.
    pub fn customer_of(&self, allocations: &[Allocation]) -> Option<&str> {
        let mut customers = allocations
            .iter()
            .filter_map(|allocation| self.by_id.get(&allocation.invoice_id))
            .map(|&position| self.items[position].customer_id.as_str());
        let first = customers.next()?;
        customers.all(|customer| customer == first).then_some(first)
    }

    fn index(&mut self, mut item: OpenItem) -> Result<(), MatchingError> {
        let wrong_sign = if item.is_credit_note() {
            item.remaining > Decimal::ZERO
        } else {
            item.remaining < Decimal::ZERO
        };
        if wrong_sign {
            return Err(MatchingError::RemainingOfWrongSign {
                invoice_id: item.invoice_id,
                remaining: item.remaining,
            });
        }
        if item.remaining.abs() > LARGEST_AMOUNT {
            return Err(MatchingError::ImplausibleAmount {
                invoice_id: item.invoice_id,
                remaining: item.remaining,
            });
        }
        if self.by_id.contains_key(&item.invoice_id) {
            return Err(MatchingError::DuplicateOpenItem {
                invoice_id: item.invoice_id,
            });
        }

        item.currency = item.currency.trim().to_ascii_uppercase();
        let position = self.items.len();
        self.by_id.insert(item.invoice_id.clone(), position);
        self.numbers.insert(&item.number, position);
        if let Some(reference) = item.payment_reference.as_deref() {
            let key = CreditorReference::parse(reference).map_or_else(
                |_| normalise_iban(reference),
                |valid| valid.as_str().to_owned(),
            );
            self.by_reference.entry(key).or_default().push(position);
        }
        self.by_customer
            .entry(item.customer_id.clone())
            .or_default()
            .push(position);
        if let OpenItemKind::CreditNote {
            credits_invoice: Some(invoice),
        } = &item.kind
        {
            self.credits_by_invoice
                .entry(invoice.clone())
                .or_default()
                .push(position);
        }
        self.customer_names
            .entry(item.customer_id.clone())
            .or_insert_with(|| item.customer_name.clone());
        self.names.insert(&item.customer_id, &item.customer_name);

        if let Some(key) = amount_key(&item) {
            self.by_amount.entry(key).or_default().push(position);
        }
        self.items.push(item);
        Ok(())
    }

    fn sort_customers_oldest_first(&mut self) {
        for positions in self.by_customer.values_mut() {
            sort_oldest_first(&self.items, positions);
        }
    }

    fn set_remaining(&mut self, position: usize, remaining: Decimal) {
        if let Some(old_key) = amount_key(&self.items[position])
            && let Some(positions) = self.by_amount.get_mut(&old_key)
        {
            positions.retain(|&other| other != position);
        }

        self.items[position].remaining = remaining;

        if let Some(new_key) = amount_key(&self.items[position]) {
            self.by_amount.entry(new_key).or_default().push(position);
        }
    }

    fn customer_name(&self, customer_id: &str) -> String {
        self.customer_names
            .get(customer_id)
            .cloned()
            .unwrap_or_else(|| customer_id.to_owned())
    }

    /// True when the item can take part of a payment in `currency`.
    fn is_open_in(&self, position: usize, currency: &str) -> bool {
        let item = &self.items[position];
        item.currency == currency && !item.remaining.is_zero()
    }
}

/// Orders `positions` by due date, then issue date, then number: the order
/// a credit controller settles in.
fn sort_oldest_first(items: &[OpenItem], positions: &mut [usize]) {
    positions.sort_by(|&a, &b| {
        let (a, b) = (&items[a], &items[b]);
        (a.due_date, a.issue_date, &a.number).cmp(&(b.due_date, b.issue_date, &b.number))
    });
}

/// The remaining amount after allocating `amount` to an item with
/// `remaining`, when it fits: invoices take 0 to what is left, credit notes
/// what is left to 0.
fn checked_allocation(
    invoice_id: &str,
    remaining: Decimal,
    amount: Decimal,
) -> Result<Decimal, MatchingError> {
    let fits = if remaining >= Decimal::ZERO {
        amount >= Decimal::ZERO && amount <= remaining
    } else {
        amount <= Decimal::ZERO && amount >= remaining
    };
    if !fits {
        return Err(MatchingError::AllocationExceedsRemaining {
            invoice_id: invoice_id.to_owned(),
            amount,
            remaining,
        });
    }
    Ok(remaining - amount)
}

/// The amount index key of an open invoice: currency and minor units.
fn amount_key(item: &OpenItem) -> Option<(String, i64)> {
    if item.remaining <= Decimal::ZERO {
        return None;
    }
    to_minor_units(item.remaining, &item.currency).map(|units| (item.currency.clone(), units))
}

fn no_match_reason(context: &Context<'_>, search_gave_up: bool) -> String {
    if search_gave_up {
        return "the payer's open items are too many to combine within the search budget; match \
                this payment by hand"
            .to_owned();
    }
    if context.payers.is_empty() {
        "no invoice number or reference in the remittance, an unknown payer, and no open invoice \
         of this amount"
            .to_owned()
    } else {
        "no invoice number or reference in the remittance, and no open invoice of the payer adds \
         up to this amount"
            .to_owned()
    }
}
