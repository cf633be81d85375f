//! The first and strongest evidence: what the payer quoted.

use rust_decimal::Decimal;

use super::{Context, Matcher, ReferenceHit, sort_oldest_first};
use crate::creditor_reference::{CreditorReference, find_creditor_references};
use crate::model::Payment;
use crate::proposal::{Evidence, MatchProposal};
use crate::reference::{NumberHit, NumberQuality};

/// End-to-end ids that mean the payer gave none.
const NO_END_TO_END_ID: &str = "NOTPROVIDED";

impl Matcher {
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

        if let Some(id) = payment
            .end_to_end_id
            .as_deref()
            .filter(|id| *id != NO_END_TO_END_ID)
        {
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
            .map(
                |NumberHit {
                     value: item,
                     written,
                     quality,
                 }| {
                    let number = self.items[item].number.clone();
                    let evidence = match (quality, end_to_end_id) {
                        (NumberQuality::DigitsOnly, _) => {
                            Evidence::InvoiceNumberDigits { written, number }
                        }
                        (_, Some(id)) => Evidence::EndToEndId {
                            id: id.to_owned(),
                            number,
                        },
                        (NumberQuality::Exact, None) => Evidence::InvoiceNumberExact { number },
                        (NumberQuality::Normalised, None) => {
                            Evidence::InvoiceNumberNormalised { written, number }
                        }
                    };
                    ReferenceHit { item, evidence }
                },
            )
            .collect()
    }

    /// One proposal per customer the references designate.
    pub(super) fn reference_proposals(&self, context: &Context<'_>) -> Vec<MatchProposal> {
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
                let own: Vec<&ReferenceHit> = hits
                    .iter()
                    .filter(|hit| self.items[hit.item].customer_id == customer)
                    .collect();
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
        sort_oldest_first(&self.items, &mut invoices);
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
