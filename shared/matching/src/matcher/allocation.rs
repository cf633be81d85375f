//! Turning chosen open items into allocations that never exceed the
//! payment nor what an item has left.

use rust_decimal::Decimal;

use super::{Context, Matcher};
use crate::proposal::{Allocation, Evidence, MatchProposal};

impl Matcher {
    /// A proposal treating `items` as settled by the payment, whose residual
    /// is the payment minus `due`.
    pub(super) fn settling_proposal(
        &self,
        context: &Context<'_>,
        items: &[usize],
        evidence: Vec<Evidence>,
        due: Decimal,
    ) -> MatchProposal {
        let allocations = self.allocations(context.payment.amount, items);
        MatchProposal::new(
            &context.payment.id,
            allocations,
            evidence,
            context.payment.amount - due,
        )
    }

    /// Spreads `amount` over `items`: credit notes add to what can be
    /// allocated, invoices take it oldest first up to what each has left,
    /// and credit notes are used only as far as invoices absorb them. The
    /// total never exceeds `amount`, nor any allocation its item's remaining.
    pub(super) fn allocations(&self, amount: Decimal, items: &[usize]) -> Vec<Allocation> {
        let (credits, invoices): (Vec<usize>, Vec<usize>) = items
            .iter()
            .partition(|&&item| self.items[item].remaining < Decimal::ZERO);
        let credit_total: Decimal = credits
            .iter()
            .map(|&item| -self.items[item].remaining)
            .sum();

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

    pub(super) fn netting_evidence(&self, credits: &[usize]) -> Vec<Evidence> {
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
    pub(super) fn linked_credits(&self, invoice: usize, currency: &str) -> Vec<usize> {
        self.credits_by_invoice
            .get(&self.items[invoice].invoice_id)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&credit| self.is_open_in(credit, currency))
            .collect()
    }

    pub(super) fn total_remaining(&self, items: &[usize]) -> Option<Decimal> {
        items.iter().try_fold(Decimal::ZERO, |total, &item| {
            total.checked_add(self.items[item].remaining)
        })
    }
}
