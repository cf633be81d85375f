//! When references do not settle it: the payer's open items by amount,
//! then, with nothing else, the amount alone.

use chrono::Duration;
use rust_decimal::Decimal;

use super::{Context, MAX_PAYER_CANDIDATES, Matcher, PayerMatch};
use crate::money::{minor_digits, to_minor_units};
use crate::proposal::{Evidence, MatchProposal};
use crate::subset::{SubsetBounds, SubsetSearch, find_subsets};

/// An invoice issued this many days after the payment may still be what it
/// pays (an invoice keyed in late); later ones are not considered by amount.
const ISSUE_DATE_SLACK_DAYS: i64 = 7;

/// Above this many open items with the payment's amount and nothing else to
/// go on, the amount says nothing.
const MAX_AMOUNT_ONLY_CANDIDATES: usize = 3;

/// The most equal instalments a payment is recognised as one of.
const MAX_INSTALMENTS: u32 = 6;

impl Matcher {
    /// Proposals among the open items of the customers the payer may be,
    /// by amount; and whether a combination search gave up.
    pub(super) fn payer_proposals(&self, context: &Context<'_>) -> (Vec<MatchProposal>, bool) {
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
    /// oldest invoices, and last a partial payment; the first that finds
    /// anything answers.
    fn customer_proposals(
        &self,
        context: &Context<'_>,
        payer: &PayerMatch,
    ) -> (Vec<MatchProposal>, bool) {
        let invoices = self.payable_invoices(context, &payer.customer_id);
        let payer_evidence = || vec![payer.evidence.clone()];

        let exact = self.exact_amount_proposals(context, payer, &invoices);
        if !exact.is_empty() {
            return (exact, false);
        }

        let netted = self.netted_proposals(context, &invoices, &payer_evidence);
        if !netted.is_empty() {
            return (netted, false);
        }

        let near = self.near_amount_proposals(context, &invoices, &payer_evidence);
        if !near.is_empty() {
            return (near, false);
        }

        let (combinations, gave_up) =
            self.combination_proposals(context, &invoices, &payer_evidence);
        if !combinations.is_empty() {
            return (combinations, gave_up);
        }

        let partial = self.partial_proposals(context, &invoices, &payer_evidence);
        (partial, gave_up)
    }

    /// The invoices asking for exactly the amount: the only one is strong
    /// evidence, several are a choice for a person.
    fn exact_amount_proposals(
        &self,
        context: &Context<'_>,
        payer: &PayerMatch,
        invoices: &[usize],
    ) -> Vec<MatchProposal> {
        let amount = context.payment.amount;
        let exact: Vec<usize> = invoices
            .iter()
            .copied()
            .filter(|&item| self.items[item].remaining == amount)
            .collect();

        let amount_evidence = |_: usize| {
            if exact.len() == 1 {
                Evidence::AmountUniqueForCustomer {
                    amount,
                    currency: context.currency.clone(),
                    customer: self.customer_name(&payer.customer_id),
                }
            } else {
                context.amount_evidence(amount, 1)
            }
        };
        exact
            .iter()
            .map(|&item| {
                let evidence = vec![payer.evidence.clone(), amount_evidence(item)];
                self.settling_proposal(context, &[item], evidence, amount)
            })
            .collect()
    }

    /// The invoices whose remaining amount is within tolerance of the
    /// payment: a bank fee or an exchange difference.
    fn near_amount_proposals(
        &self,
        context: &Context<'_>,
        invoices: &[usize],
        payer_evidence: &dyn Fn() -> Vec<Evidence>,
    ) -> Vec<MatchProposal> {
        invoices
            .iter()
            .copied()
            .filter(|&item| context.tolerates(context.payment.amount - self.items[item].remaining))
            .map(|item| {
                let due = self.items[item].remaining;
                let mut evidence = payer_evidence();
                evidence.push(context.amount_evidence(due, 1));
                self.settling_proposal(context, &[item], evidence, due)
            })
            .collect()
    }

    /// Combinations of the oldest invoices adding up to the payment, and
    /// whether the search gave up.
    fn combination_proposals(
        &self,
        context: &Context<'_>,
        invoices: &[usize],
        payer_evidence: &dyn Fn() -> Vec<Evidence>,
    ) -> (Vec<MatchProposal>, bool) {
        let search = self.search_combinations(context, invoices);
        let unique = search.solutions.len() == 1 && !search.gave_up;

        let proposals = search
            .solutions
            .iter()
            .map(|solution| {
                let chosen: Vec<usize> = solution.iter().map(|&index| invoices[index]).collect();
                let due = self.total_remaining(&chosen).unwrap_or(Decimal::MAX);
                let mut evidence = payer_evidence();
                evidence.push(Evidence::CombinationOfOpenItems {
                    items: chosen.len(),
                    unique,
                    exact: due == context.payment.amount,
                });
                evidence.push(context.amount_evidence(due, chosen.len()));
                self.settling_proposal(context, &chosen, evidence, due)
            })
            .collect();
        (proposals, search.gave_up)
    }

    /// The payment as part of one invoice: those it pays an equal instalment
    /// of, or else the oldest invoice larger than the payment.
    fn partial_proposals(
        &self,
        context: &Context<'_>,
        invoices: &[usize],
        payer_evidence: &dyn Fn() -> Vec<Evidence>,
    ) -> Vec<MatchProposal> {
        let amount = context.payment.amount;
        let partial = |item: usize, instalments: Option<u32>| {
            let remaining = self.items[item].remaining;
            let mut evidence = payer_evidence();
            if let Some(count) = instalments {
                evidence.push(Evidence::InstalmentOfRemaining {
                    count,
                    remaining,
                    currency: context.currency.clone(),
                });
            }
            evidence.push(Evidence::PartialPayment {
                remaining,
                left_open: remaining - amount,
                currency: context.currency.clone(),
            });
            let allocations = self.allocations(amount, &[item]);
            MatchProposal::new(&context.payment.id, allocations, evidence, Decimal::ZERO)
        };

        let instalments: Vec<MatchProposal> = invoices
            .iter()
            .filter_map(|&item| {
                let count =
                    instalment_count(self.items[item].remaining, amount, &context.currency)?;
                Some(partial(item, Some(count)))
            })
            .collect();
        if !instalments.is_empty() {
            return instalments;
        }

        invoices
            .iter()
            .find(|&&item| self.items[item].remaining > amount)
            .map(|&oldest| partial(oldest, None))
            .into_iter()
            .collect()
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
                let net = self.items[invoice]
                    .remaining
                    .checked_add(self.total_remaining(&credits)?)?;
                if !context.tolerates(context.payment.amount - net) {
                    return None;
                }

                let all: Vec<usize> = std::iter::once(invoice)
                    .chain(credits.iter().copied())
                    .collect();
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
    pub(super) fn search_combinations(
        &self,
        context: &Context<'_>,
        invoices: &[usize],
    ) -> SubsetSearch {
        let pool: Vec<i64> = invoices
            .iter()
            .take(self.policy.max_subset_pool)
            .map(|&item| {
                to_minor_units(self.items[item].remaining, &context.currency).unwrap_or(i64::MAX)
            })
            .collect();
        let (Some(target), Some(slack)) = (
            to_minor_units(context.payment.amount, &context.currency),
            to_minor_units(context.tolerance, &context.currency),
        ) else {
            return SubsetSearch::default();
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

    /// With nothing but the amount: the few open invoices in the whole
    /// ledger asking exactly for it, due within the date window.
    pub(super) fn amount_only_proposals(&self, context: &Context<'_>) -> Vec<MatchProposal> {
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
                let mut evidence = vec![Evidence::AmountOnly {
                    candidates: candidates.len(),
                }];
                evidence.extend(context.payer_evidence(&self.items[item].customer_id, self));
                let due = self.items[item].remaining;
                self.settling_proposal(context, &[item], evidence, due)
            })
            .collect()
    }
}

/// How many equal instalments of `amount` settle `remaining` (2 to
/// [`MAX_INSTALMENTS`]), allowing each instalment a minor unit of rounding.
fn instalment_count(remaining: Decimal, amount: Decimal, currency: &str) -> Option<u32> {
    let rounding = Decimal::new(1, minor_digits(currency));

    (2..=MAX_INSTALMENTS).find(|&count| {
        let count_decimal = Decimal::from(count);
        let difference = remaining - amount * count_decimal;
        difference.abs() <= rounding * count_decimal
    })
}
