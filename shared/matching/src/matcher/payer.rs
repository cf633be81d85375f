//! Who the payer may be: a known account, a known name, a similar name.

use super::{MAX_PAYER_CANDIDATES, Matcher, PayerMatch};
use crate::model::Payment;
use crate::proposal::Evidence;

impl Matcher {
    /// The customers the payer may be, strongest evidence first: known
    /// account, known name, then names alike.
    pub(super) fn identify_payers(&self, payment: &Payment) -> Vec<PayerMatch> {
        let mut payers: Vec<PayerMatch> = Vec::new();

        if let Some(iban) = payment.counterparty_iban.as_deref() {
            for customer_id in self.directory.customers_for_iban(iban) {
                let customer = self.customer_name(customer_id);
                add_payer(
                    &mut payers,
                    customer_id,
                    Evidence::PayerIbanKnown { customer },
                );
            }
        }

        if let Some(name) = payment.counterparty_name.as_deref() {
            for customer_id in self.directory.customers_for_name(name) {
                let evidence = Evidence::PayerNameKnown {
                    payer: name.to_owned(),
                    customer: self.customer_name(customer_id),
                };
                add_payer(&mut payers, customer_id, evidence);
            }
            if payers.is_empty() {
                for similar in self
                    .names
                    .similar(name)
                    .into_iter()
                    .take(MAX_PAYER_CANDIDATES)
                {
                    let customer = self.customer_name(&similar.customer_id);
                    let evidence = if similar.similarity >= 1.0 {
                        Evidence::PayerNameKnown {
                            payer: name.to_owned(),
                            customer,
                        }
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
}

fn add_payer(payers: &mut Vec<PayerMatch>, customer_id: &str, evidence: Evidence) {
    match payers
        .iter_mut()
        .find(|payer| payer.customer_id == customer_id)
    {
        Some(known) if evidence.support() > known.evidence.support() => known.evidence = evidence,
        Some(_) => {}
        None => payers.push(PayerMatch {
            customer_id: customer_id.to_owned(),
            evidence,
        }),
    }
}
