//! The matching engine: indexes the open items once, then proposes for each
//! payment the allocations a good credit controller would make, weighing
//! the evidence in the order of trust: references first, then the payer,
//! then the amount and date.

use std::collections::HashMap;

use chrono::Duration;
use rust_decimal::Decimal;

use crate::creditor_reference::{CreditorReference, find_creditor_references};
use crate::directory::{PayerDirectory, normalise_iban};
use crate::error::MatchingError;
use crate::model::{MatchingPolicy, OpenItem, OpenItemKind, Payment};
use crate::money::{LARGEST_AMOUNT, to_minor_units};
use crate::names::NameIndex;
use crate::proposal::{Allocation, Decision, Evidence, MatchProposal};
use crate::reference::{InvoiceNumberIndex, NumberHit, NumberQuality};
use crate::subset::{SubsetBounds, find_subsets};

/// An invoice issued this many days after the payment may still be what it
/// pays (an invoice keyed in late); later ones are not considered by amount.
const ISSUE_DATE_SLACK_DAYS: i64 = 7;

/// The most customers a payer name is tried against.
const MAX_PAYER_CANDIDATES: usize = 3;

/// Above this many open items with the payment's amount and nothing else to
/// go on, the amount says nothing.
const MAX_AMOUNT_ONLY_CANDIDATES: usize = 3;

/// End-to-end ids that mean the payer gave none.
const NO_END_TO_END_ID: &str = "NOTPROVIDED";

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
    /// or the doubt that it is known for another one.
    fn payer_evidence(&self, customer_id: &str, matcher: &Matcher) -> Option<Evidence> {
        if let Some(payer) = self.payers.iter().find(|payer| payer.customer_id == customer_id) {
            return Some(payer.evidence.clone());
        }

        self.payers
            .iter()
            .find(|payer| {
                matches!(payer.evidence, Evidence::PayerIbanKnown { .. } | Evidence::PayerNameKnown { .. })
            })
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

    /// The payer directory, with what accepted matches taught it.
    pub fn directory(&self) -> &PayerDirectory {
        &self.directory
    }

    /// What `invoice_id` has left to pay, as the matcher sees it.
    pub fn remaining(&self, invoice_id: &str) -> Option<Decimal> {
        self.by_id.get(invoice_id).and_then(|&position| self.items.get(position)).map(|item| item.remaining)
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
        if !proposals.iter().any(|p| p.confidence >= self.policy.auto_apply_threshold) {
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
                MatchingError::UnknownOpenItem { invoice_id: allocation.invoice_id.clone() }
            })?;
            let remaining = updated.get(&position).copied().unwrap_or(self.items[position].remaining);
            updated.insert(position, checked_allocation(&allocation.invoice_id, remaining, allocation.amount)?);
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
            return Err(MatchingError::DuplicateOpenItem { invoice_id: item.invoice_id });
        }

        item.currency = item.currency.trim().to_ascii_uppercase();
        let position = self.items.len();
        self.by_id.insert(item.invoice_id.clone(), position);
        self.numbers.insert(&item.number, position);
        if let Some(reference) = item.payment_reference.as_deref() {
            let key = CreditorReference::parse(reference)
                .map_or_else(|_| normalise_iban(reference), |valid| valid.as_str().to_owned());
            self.by_reference.entry(key).or_default().push(position);
        }
        self.by_customer.entry(item.customer_id.clone()).or_default().push(position);
        if let OpenItemKind::CreditNote { credits_invoice: Some(invoice) } = &item.kind {
            self.credits_by_invoice.entry(invoice.clone()).or_default().push(position);
        }
        self.customer_names.entry(item.customer_id.clone()).or_insert_with(|| item.customer_name.clone());
        self.names.insert(&item.customer_id, &item.customer_name);

        if let Some(key) = amount_key(&item) {
            self.by_amount.entry(key).or_default().push(position);
        }
        self.items.push(item);
        Ok(())
    }

    fn sort_customers_oldest_first(&mut self) {
        let items = &self.items;
        for positions in self.by_customer.values_mut() {
            positions.sort_by(|&a, &b| {
                let (a, b) = (&items[a], &items[b]);
                (a.due_date, a.issue_date, &a.number).cmp(&(b.due_date, b.issue_date, &b.number))
            });
        }
    }

    fn set_remaining(&mut self, position: usize, remaining: Decimal) {
        if let Some(old_key) = amount_key(&self.items[position]) {
            if let Some(positions) = self.by_amount.get_mut(&old_key) {
                positions.retain(|&other| other != position);
            }
        }

        self.items[position].remaining = remaining;

        if let Some(new_key) = amount_key(&self.items[position]) {
            self.by_amount.entry(new_key).or_default().push(position);
        }
    }

    fn customer_name(&self, customer_id: &str) -> String {
        self.customer_names.get(customer_id).cloned().unwrap_or_else(|| customer_id.to_owned())
    }

    /// True when the item can take part of a payment in `currency`.
    fn is_open_in(&self, position: usize, currency: &str) -> bool {
        let item = &self.items[position];
        item.currency == currency && !item.remaining.is_zero()
    }

    // ---- the payer ------------------------------------------------------

    /// The customers the payer may be, strongest evidence first: known
    /// account, known name, then names alike.
    fn identify_payers(&self, payment: &Payment) -> Vec<PayerMatch> {
        let mut payers: Vec<PayerMatch> = Vec::new();

        if let Some(iban) = payment.counterparty_iban.as_deref() {
            for customer_id in self.directory.customers_for_iban(iban) {
                let customer = self.customer_name(customer_id);
                add_payer(&mut payers, customer_id, Evidence::PayerIbanKnown { customer });
            }
        }

        if let Some(name) = payment.counterparty_name.as_deref() {
            for customer_id in self.directory.customers_for_name(name) {
                let evidence =
                    Evidence::PayerNameKnown { payer: name.to_owned(), customer: self.customer_name(customer_id) };
                add_payer(&mut payers, customer_id, evidence);
            }
            if payers.is_empty() {
                for similar in self.names.similar(name).into_iter().take(MAX_PAYER_CANDIDATES) {
                    let customer = self.customer_name(&similar.customer_id);
                    let evidence = if similar.similarity >= 1.0 {
                        Evidence::PayerNameKnown { payer: name.to_owned(), customer }
                    } else {
                        Evidence::PayerNameSimilar {
                            payer: name.to_owned(),
                            customer,
                            similarity: similar.similarity,
                        }
                    };
                    add_payer(&mut payers, &similar.customer_id, evidence);
                }
            }
        }
        payers
    }

    // ---- references -----------------------------------------------------

    /// The open items the payment's references, remittance text and
    /// end-to-end id designate, each with its strongest evidence.
    fn reference_hits(&self, payment: &Payment) -> Vec<ReferenceHit> {
        let mut hits = Vec::new();

        for reference in &payment.structured_references {
            match CreditorReference::parse(reference) {
                Ok(valid) => hits.extend(self.creditor_reference_hits(&valid)),
                Err(_) => hits.extend(self.number_hits(reference, None)),
            }
        }

        let remittance = payment.remittance_lines.join(" ");
        for reference in find_creditor_references(&remittance) {
            hits.extend(self.creditor_reference_hits(&reference));
        }
        hits.extend(self.number_hits(&remittance, None));

        if let Some(id) = payment.end_to_end_id.as_deref().filter(|id| *id != NO_END_TO_END_ID) {
            hits.extend(self.number_hits(id, Some(id)));
        }
        strongest_per_item(hits)
    }

    fn creditor_reference_hits(&self, reference: &CreditorReference) -> Vec<ReferenceHit> {
        self.by_reference
            .get(reference.as_str())
            .into_iter()
            .flatten()
            .map(|&item| ReferenceHit {
                item,
                evidence: Evidence::CreditorReference {
                    reference: reference.as_str().to_owned(),
                    number: self.items[item].number.clone(),
                },
            })
            .collect()
    }

    fn number_hits(&self, text: &str, end_to_end_id: Option<&str>) -> Vec<ReferenceHit> {
        self.numbers
            .find_in(text)
            .into_iter()
            .map(|NumberHit { value: item, written, quality }| {
                let number = self.items[item].number.clone();
                let evidence = match (quality, end_to_end_id) {
                    (NumberQuality::DigitsOnly, _) => Evidence::InvoiceNumberDigits { written, number },
                    (_, Some(id)) => Evidence::EndToEndId { id: id.to_owned(), number },
                    (NumberQuality::Exact, None) => Evidence::InvoiceNumberExact { number },
                    (NumberQuality::Normalised, None) => {
                        Evidence::InvoiceNumberNormalised { written, number }
                    }
                };
                ReferenceHit { item, evidence }
            })
            .collect()
    }

    /// One proposal per customer the references designate.
    fn reference_proposals(&self, context: &Context<'_>) -> Vec<MatchProposal> {
        let hits: Vec<ReferenceHit> = self
            .reference_hits(context.payment)
            .into_iter()
            .filter(|hit| self.is_open_in(hit.item, &context.currency))
            .collect();

        let mut customers: Vec<&str> = Vec::new();
        for hit in &hits {
            let customer = self.items[hit.item].customer_id.as_str();
            if !customers.contains(&customer) {
                customers.push(customer);
            }
        }

        customers
            .into_iter()
            .filter_map(|customer| {
                let own: Vec<&ReferenceHit> =
                    hits.iter().filter(|hit| self.items[hit.item].customer_id == customer).collect();
                self.reference_proposal(context, customer, &own)
            })
            .collect()
    }

    /// The match for the items one customer's references designate: settled
    /// in full (credit notes netted) when the amount agrees, else a partial
    /// payment or an overpayment.
    fn reference_proposal(
        &self,
        context: &Context<'_>,
        customer_id: &str,
        hits: &[&ReferenceHit],
    ) -> Option<MatchProposal> {
        let mut evidence: Vec<Evidence> = hits.iter().map(|hit| hit.evidence.clone()).collect();
        evidence.extend(context.payer_evidence(customer_id, self));

        let mut invoices: Vec<usize> = hits
            .iter()
            .map(|hit| hit.item)
            .filter(|&item| self.items[item].remaining > Decimal::ZERO)
            .collect();
        self.sort_oldest_first(&mut invoices);
        let mut credits: Vec<usize> = hits
            .iter()
            .map(|hit| hit.item)
            .filter(|&item| self.items[item].remaining < Decimal::ZERO)
            .collect();
        for &invoice in &invoices {
            for credit in self.linked_credits(invoice, &context.currency) {
                if !credits.contains(&credit) {
                    credits.push(credit);
                }
            }
        }

        let gross = self.total_remaining(&invoices)?;
        let net = gross.checked_add(self.total_remaining(&credits)?)?;
        let amount = context.payment.amount;

        if !credits.is_empty() && context.tolerates(amount - net) {
            let all: Vec<usize> = invoices.iter().chain(&credits).copied().collect();
            evidence.extend(self.netting_evidence(&credits));
            evidence.push(context.amount_evidence(net, all.len()));
            return Some(self.settling_proposal(context, &all, evidence, net));
        }
        if invoices.is_empty() {
            return None;
        }
        if context.tolerates(amount - gross) {
            evidence.push(context.amount_evidence(gross, invoices.len()));
            return Some(self.settling_proposal(context, &invoices, evidence, gross));
        }
        if amount > gross {
            evidence.push(Evidence::Overpayment {
                unallocated: amount - gross,
                currency: context.currency.clone(),
            });
            return Some(self.settling_proposal(context, &invoices, evidence, gross));
        }

        Some(self.short_reference_proposal(context, &invoices, evidence, gross))
    }

    /// The payer named several invoices but paid less: the ones it paid in
    /// full when a combination of them fits, else a partial payment, oldest
    /// first.
    fn short_reference_proposal(
        &self,
        context: &Context<'_>,
        invoices: &[usize],
        mut evidence: Vec<Evidence>,
        gross: Decimal,
    ) -> MatchProposal {
        if invoices.len() > 1 {
            let search = self.search_combinations(context, invoices);
            if let Some(first) = search.solutions.first() {
                let chosen: Vec<usize> = first.iter().map(|&index| invoices[index]).collect();
                let due = self.total_remaining(&chosen).unwrap_or(Decimal::MAX);
                evidence.push(context.amount_evidence(due, chosen.len()));
                return self.settling_proposal(context, &chosen, evidence, due);
            }
        }

        evidence.push(Evidence::PartialPayment {
            remaining: gross,
            left_open: gross - context.payment.amount,
            currency: context.currency.clone(),
        });
        let allocations = self.allocations(context.payment.amount, invoices);
        MatchProposal::new(&context.payment.id, allocations, evidence, Decimal::ZERO)
    }

    // ---- payer and amount -----------------------------------------------

    /// Proposals among the open items of the customers the payer may be,
    /// by amount; and whether a combination search gave up.
    fn payer_proposals(&self, context: &Context<'_>) -> (Vec<MatchProposal>, bool) {
        let mut proposals = Vec::new();
        let mut gave_up = false;

        for payer in context.payers.iter().take(MAX_PAYER_CANDIDATES) {
            let (found, search_gave_up) = self.customer_proposals(context, payer);
            proposals.extend(found);
            gave_up |= search_gave_up;
        }
        (proposals, gave_up)
    }

    /// Tries, in turn, one invoice of exactly the amount, an invoice net of
    /// its credit notes, one invoice within tolerance, a combination of the
    /// oldest invoices, and last a partial payment of the oldest.
    fn customer_proposals(&self, context: &Context<'_>, payer: &PayerMatch) -> (Vec<MatchProposal>, bool) {
        let invoices = self.payable_invoices(context, &payer.customer_id);
        let amount = context.payment.amount;
        let payer_evidence = || vec![payer.evidence.clone()];

        let exact: Vec<usize> =
            invoices.iter().copied().filter(|&item| self.items[item].remaining == amount).collect();
        if exact.len() == 1 {
            let mut evidence = payer_evidence();
            evidence.push(Evidence::AmountUniqueForCustomer {
                amount,
                currency: context.currency.clone(),
                customer: self.customer_name(&payer.customer_id),
            });
            return (vec![self.settling_proposal(context, &exact, evidence, amount)], false);
        }
        if !exact.is_empty() {
            let proposals = exact
                .iter()
                .map(|&item| {
                    let mut evidence = payer_evidence();
                    evidence.push(context.amount_evidence(amount, 1));
                    self.settling_proposal(context, &[item], evidence, amount)
                })
                .collect();
            return (proposals, false);
        }

        let netted = self.netted_proposals(context, &invoices, &payer_evidence);
        if !netted.is_empty() {
            return (netted, false);
        }

        let near: Vec<MatchProposal> = invoices
            .iter()
            .copied()
            .filter(|&item| context.tolerates(amount - self.items[item].remaining))
            .map(|item| {
                let due = self.items[item].remaining;
                let mut evidence = payer_evidence();
                evidence.push(context.amount_evidence(due, 1));
                self.settling_proposal(context, &[item], evidence, due)
            })
            .collect();
        if !near.is_empty() {
            return (near, false);
        }

        let search = self.search_combinations(context, &invoices);
        let unique = search.solutions.len() == 1;
        let combinations: Vec<MatchProposal> = search
            .solutions
            .iter()
            .map(|solution| {
                let chosen: Vec<usize> = solution.iter().map(|&index| invoices[index]).collect();
                let due = self.total_remaining(&chosen).unwrap_or(Decimal::MAX);
                let mut evidence = payer_evidence();
                evidence.push(Evidence::CombinationOfOpenItems { items: chosen.len(), unique });
                evidence.push(context.amount_evidence(due, chosen.len()));
                self.settling_proposal(context, &chosen, evidence, due)
            })
            .collect();
        if !combinations.is_empty() {
            return (combinations, search.gave_up);
        }

        let partial = invoices.first().filter(|&&oldest| self.items[oldest].remaining > amount).map(|&oldest| {
            let remaining = self.items[oldest].remaining;
            let mut evidence = payer_evidence();
            evidence.push(Evidence::PartialPayment {
                remaining,
                left_open: remaining - amount,
                currency: context.currency.clone(),
            });
            MatchProposal::new(&context.payment.id, self.allocations(amount, &[oldest]), evidence, Decimal::ZERO)
        });
        (partial.into_iter().collect(), search.gave_up)
    }

    /// Invoices of the customer whose amount net of their credit notes is
    /// what was paid.
    fn netted_proposals(
        &self,
        context: &Context<'_>,
        invoices: &[usize],
        payer_evidence: &dyn Fn() -> Vec<Evidence>,
    ) -> Vec<MatchProposal> {
        invoices
            .iter()
            .filter_map(|&invoice| {
                let credits = self.linked_credits(invoice, &context.currency);
                if credits.is_empty() {
                    return None;
                }
                let net = self.items[invoice].remaining.checked_add(self.total_remaining(&credits)?)?;
                if !context.tolerates(context.payment.amount - net) {
                    return None;
                }

                let all: Vec<usize> = std::iter::once(invoice).chain(credits.iter().copied()).collect();
                let mut evidence = payer_evidence();
                evidence.extend(self.netting_evidence(&credits));
                evidence.push(context.amount_evidence(net, all.len()));
                Some(self.settling_proposal(context, &all, evidence, net))
            })
            .collect()
    }

    /// The customer's open invoices in the payment's currency that were
    /// issued by the time it was booked, oldest first.
    fn payable_invoices(&self, context: &Context<'_>, customer_id: &str) -> Vec<usize> {
        let latest_issue = context.payment.booking_date + Duration::days(ISSUE_DATE_SLACK_DAYS);
        self.by_customer
            .get(customer_id)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&item| {
                let open = &self.items[item];
                open.currency == context.currency
                    && open.remaining > Decimal::ZERO
                    && open.issue_date <= latest_issue
            })
            .collect()
    }

    /// Combinations of `invoices` (oldest first) adding up to the payment:
    /// exact ones if any, else within tolerance.
    fn search_combinations(&self, context: &Context<'_>, invoices: &[usize]) -> crate::subset::SubsetSearch {
        let pool: Vec<i64> = invoices
            .iter()
            .take(self.policy.max_subset_pool)
            .map(|&item| to_minor_units(self.items[item].remaining, &context.currency).unwrap_or(i64::MAX))
            .collect();
        let (Some(target), Some(slack)) = (
            to_minor_units(context.payment.amount, &context.currency),
            to_minor_units(context.tolerance, &context.currency),
        ) else {
            return crate::subset::SubsetSearch::default();
        };

        let bounds = |slack: i64| SubsetBounds {
            low: target - slack,
            high: target + slack,
            max_size: self.policy.max_subset_size,
            budget: self.policy.subset_search_budget,
            wanted: 2,
        };
        let exact = find_subsets(&pool, bounds(0));
        if !exact.solutions.is_empty() || exact.gave_up || slack == 0 {
            return exact;
        }
        find_subsets(&pool, bounds(slack))
    }

    // ---- amount alone ---------------------------------------------------

    /// With nothing but the amount: the few open invoices in the whole
    /// ledger asking exactly for it, due within the date window.
    fn amount_only_proposals(&self, context: &Context<'_>) -> Vec<MatchProposal> {
        let Some(minor_units) = to_minor_units(context.payment.amount, &context.currency) else {
            return Vec::new();
        };
        let booked = context.payment.booking_date;
        let latest_issue = booked + Duration::days(ISSUE_DATE_SLACK_DAYS);

        let candidates: Vec<usize> = self
            .by_amount
            .get(&(context.currency.clone(), minor_units))
            .into_iter()
            .flatten()
            .copied()
            .filter(|&item| {
                let open = &self.items[item];
                open.issue_date <= latest_issue
                    && (booked - open.due_date).num_days().abs() <= self.policy.date_window_days
            })
            .collect();
        if candidates.len() > MAX_AMOUNT_ONLY_CANDIDATES {
            return Vec::new();
        }

        candidates
            .iter()
            .map(|&item| {
                let mut evidence = vec![Evidence::AmountOnly { candidates: candidates.len() }];
                evidence.extend(context.payer_evidence(&self.items[item].customer_id, self));
                let due = self.items[item].remaining;
                self.settling_proposal(context, &[item], evidence, due)
            })
            .collect()
    }

    // ---- building proposals ---------------------------------------------

    /// A proposal treating `items` as settled by the payment, whose residual
    /// is the payment minus `due`.
    fn settling_proposal(
        &self,
        context: &Context<'_>,
        items: &[usize],
        evidence: Vec<Evidence>,
        due: Decimal,
    ) -> MatchProposal {
        let allocations = self.allocations(context.payment.amount, items);
        MatchProposal::new(&context.payment.id, allocations, evidence, context.payment.amount - due)
    }

    /// Spreads `amount` over `items`: credit notes add to what can be
    /// allocated, invoices take it oldest first up to what each has left,
    /// and credit notes are used only as far as invoices absorb them. The
    /// total never exceeds `amount`, nor any allocation its item's remaining.
    fn allocations(&self, amount: Decimal, items: &[usize]) -> Vec<Allocation> {
        let (credits, invoices): (Vec<usize>, Vec<usize>) =
            items.iter().partition(|&&item| self.items[item].remaining < Decimal::ZERO);
        let credit_total: Decimal = credits.iter().map(|&item| -self.items[item].remaining).sum();

        let mut available = amount + credit_total;
        let mut allocations = Vec::with_capacity(items.len());
        for &item in &invoices {
            let share = self.items[item].remaining.min(available);
            available -= share;
            allocations.push(self.allocation(item, share));
        }

        let absorbed: Decimal = allocations.iter().map(|allocation| allocation.amount).sum();
        let mut credit_to_use = credit_total.min(absorbed);
        for &item in &credits {
            let share = (-self.items[item].remaining).min(credit_to_use);
            credit_to_use -= share;
            allocations.push(self.allocation(item, -share));
        }

        allocations.retain(|allocation| !allocation.amount.is_zero());
        allocations
    }

    fn allocation(&self, item: usize, amount: Decimal) -> Allocation {
        Allocation {
            invoice_id: self.items[item].invoice_id.clone(),
            number: self.items[item].number.clone(),
            amount,
        }
    }

    fn netting_evidence(&self, credits: &[usize]) -> Vec<Evidence> {
        credits
            .iter()
            .map(|&credit| Evidence::CreditNoteNetted {
                number: self.items[credit].number.clone(),
                amount: self.items[credit].remaining,
                currency: self.items[credit].currency.clone(),
            })
            .collect()
    }

    /// The open credit notes in `currency` that credit `invoice`.
    fn linked_credits(&self, invoice: usize, currency: &str) -> Vec<usize> {
        self.credits_by_invoice
            .get(&self.items[invoice].invoice_id)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&credit| self.is_open_in(credit, currency))
            .collect()
    }

    fn total_remaining(&self, items: &[usize]) -> Option<Decimal> {
        items.iter().try_fold(Decimal::ZERO, |total, &item| total.checked_add(self.items[item].remaining))
    }

    fn sort_oldest_first(&self, items: &mut [usize]) {
        items.sort_by(|&a, &b| {
            let (a, b) = (&self.items[a], &self.items[b]);
            (a.due_date, a.issue_date, &a.number).cmp(&(b.due_date, b.issue_date, &b.number))
        });
    }
}

/// The remaining amount after allocating `amount` to an item with
/// `remaining`, when it fits: invoices take 0 to what is left, credit notes
/// what is left to 0.
fn checked_allocation(invoice_id: &str, remaining: Decimal, amount: Decimal) -> Result<Decimal, MatchingError> {
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

fn add_payer(payers: &mut Vec<PayerMatch>, customer_id: &str, evidence: Evidence) {
    match payers.iter_mut().find(|payer| payer.customer_id == customer_id) {
        Some(known) if evidence.support() > known.evidence.support() => known.evidence = evidence,
        Some(_) => {}
        None => payers.push(PayerMatch { customer_id: customer_id.to_owned(), evidence }),
    }
}

/// One hit per item, keeping the strongest evidence, in first-seen order.
fn strongest_per_item(hits: Vec<ReferenceHit>) -> Vec<ReferenceHit> {
    let mut kept: Vec<ReferenceHit> = Vec::with_capacity(hits.len());
    for hit in hits {
        match kept.iter_mut().find(|known| known.item == hit.item) {
            Some(known) if hit.evidence.support() > known.evidence.support() => *known = hit,
            Some(_) => {}
            None => kept.push(hit),
        }
    }
    kept
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
