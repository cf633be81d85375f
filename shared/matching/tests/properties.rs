//! Rules that must hold for any ledger and any payment, checked over many
//! random cases drawn from a seeded generator, and the evaluation helper on
//! payments whose truth is known.

use chrono::{Duration, NaiveDate};
use relance_matching::{
    Allocation, Decision, LabelledPayment, MatchProposal, Matcher, MatchingPolicy, OpenItem,
    OpenItemKind, PayerDirectory, Payment, evaluate,
};
use rust_decimal::Decimal;

/// A small xorshift generator: the same seed gives the same cases.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn cents(&mut self, low: i64, high: i64) -> Decimal {
        Decimal::new(low + self.below((high - low) as u64) as i64, 2)
    }
}

fn day(offset: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).expect("valid date") + Duration::days(offset)
}

fn random_ledger(random: &mut Random) -> Vec<OpenItem> {
    let mut items = Vec::new();
    let customers = 1 + random.below(4);

    for customer in 0..customers {
        for sequence in 0..1 + random.below(10) {
            let number = format!("F2025-{:06}", customer * 100 + sequence);
            let issued = random.below(120) as i64;
            let remaining = if random.chance(20) {
                Decimal::new(50_000, 2)
            } else {
                random.cents(100, 500_000)
            };
            items.push(OpenItem {
                invoice_id: format!("inv_{customer}_{sequence}"),
                number,
                customer_id: format!("cus_{customer}"),
                customer_name: format!("Client {customer} SARL"),
                issue_date: day(issued),
                due_date: day(issued + 30),
                currency: "EUR".into(),
                remaining,
                payment_reference: None,
                kind: OpenItemKind::Invoice,
            });
            if random.chance(15) {
                items.push(OpenItem {
                    invoice_id: format!("cn_{customer}_{sequence}"),
                    number: format!("AV2025-{:06}", customer * 100 + sequence),
                    remaining: -(remaining * Decimal::new(random.below(90) as i64 + 5, 2))
                        .round_dp(2),
                    kind: OpenItemKind::CreditNote {
                        credits_invoice: Some(format!("inv_{customer}_{sequence}")),
                    },
                    ..items[items.len() - 1].clone()
                });
            }
        }
    }
    items
}

fn random_payment(random: &mut Random, items: &[OpenItem], serial: usize) -> Payment {
    let invoices: Vec<&OpenItem> = items.iter().filter(|item| !item.is_credit_note()).collect();
    let wanted = 1 + random.below(4) as usize;
    let chosen: Vec<&OpenItem> = invoices
        .iter()
        .copied()
        .filter(|_| random.chance(30))
        .take(wanted)
        .collect();
    let due: Decimal = chosen.iter().map(|item| item.remaining).sum();

    let amount = match random.below(6) {
        0 => due,
        1 => due - random.cents(0, 2_000),
        2 => due + random.cents(0, 2_000),
        3 => (due * Decimal::new(random.below(100) as i64, 2)).round_dp(2),
        4 => random.cents(1, 1_000_000),
        _ => chosen.first().map_or(Decimal::ONE, |item| item.remaining),
    };
    let mut remittance: Vec<String> = Vec::new();
    for item in &chosen {
        if random.chance(60) {
            remittance.push(match random.below(3) {
                0 => item.number.clone(),
                1 => item.number.replace('-', ""),
                _ => item.number.replace("-000", "-"),
            });
        }
    }

    Payment {
        id: format!("tx_{serial}"),
        booking_date: day(random.below(200) as i64),
        amount: amount.max(Decimal::new(1, 2)),
        currency: "EUR".into(),
        counterparty_name: chosen
            .first()
            .filter(|_| random.chance(50))
            .map(|item| item.customer_name.to_uppercase()),
        counterparty_iban: chosen
            .first()
            .filter(|_| random.chance(50))
            .map(|item| format!("FR76{}", item.customer_id)),
        end_to_end_id: None,
        remittance_lines: if remittance.is_empty() {
            Vec::new()
        } else {
            vec![remittance.join(" ")]
        },
        structured_references: Vec::new(),
    }
}

/// Every allocation fits the payment and its item.
fn assert_allocations_fit(proposal: &MatchProposal, payment: &Payment, matcher: &Matcher) {
    assert!(
        proposal.allocated() <= payment.amount,
        "{proposal:#?} over {}",
        payment.amount
    );
    assert!(proposal.allocated() >= Decimal::ZERO, "{proposal:#?}");
    assert!((0.0..=1.0).contains(&proposal.confidence), "{proposal:#?}");

    let mut seen: Vec<&str> = Vec::new();
    for allocation in &proposal.allocations {
        let remaining = matcher
            .remaining(&allocation.invoice_id)
            .expect("known item");
        let fits = if remaining > Decimal::ZERO {
            allocation.amount > Decimal::ZERO && allocation.amount <= remaining
        } else {
            allocation.amount < Decimal::ZERO && allocation.amount >= remaining
        };
        assert!(
            fits,
            "{allocation:?} against remaining {remaining} in {proposal:#?}"
        );
        assert!(
            !seen.contains(&allocation.invoice_id.as_str()),
            "allocated twice: {proposal:#?}"
        );
        seen.push(&allocation.invoice_id);
    }
}

#[test]
fn no_allocation_ever_exceeds_the_payment_or_what_an_item_has_left() {
    let mut random = Random(0x5EED_CAFE_F00D);
    let mut checked = 0;

    for _ in 0..300 {
        let items = random_ledger(&mut random);
        let mut directory = PayerDirectory::new();
        directory.learn(Some("FR76cus_0"), None, "cus_0");
        let mut matcher =
            Matcher::new(items.clone(), directory, MatchingPolicy::default()).expect("valid");

        for serial in 0..10 {
            let payment = random_payment(&mut random, &items, serial);
            let decision = matcher.propose(&payment);
            let candidates: Vec<&MatchProposal> = match &decision {
                Decision::AutoApply(proposal) => vec![proposal],
                Decision::Review(candidates) => candidates.iter().collect(),
                Decision::NoMatch { .. } => Vec::new(),
            };
            for proposal in &candidates {
                assert_allocations_fit(proposal, &payment, &matcher);
                checked += 1;
            }
            if let Decision::AutoApply(proposal) = &decision {
                matcher
                    .apply(proposal)
                    .expect("an automatic match always fits");
            }
        }

        for item in &items {
            let remaining = matcher.remaining(&item.invoice_id).expect("known item");
            let within = if item.is_credit_note() {
                remaining <= Decimal::ZERO && remaining >= item.remaining
            } else {
                remaining >= Decimal::ZERO && remaining <= item.remaining
            };
            assert!(within, "{item:?} now has {remaining}");
        }
    }
    assert!(checked > 1_000, "only {checked} proposals were checked");
}

fn invoice(id: &str, number: &str, customer: &str, remaining: &str) -> OpenItem {
    OpenItem {
        invoice_id: id.into(),
        number: number.into(),
        customer_id: customer.into(),
        customer_name: format!("{customer} SAS"),
        issue_date: day(0),
        due_date: day(30),
        currency: "EUR".into(),
        remaining: remaining.parse().expect("amount"),
        payment_reference: None,
        kind: OpenItemKind::Invoice,
    }
}

fn labelled(
    id: &str,
    amount: &str,
    remittance: &str,
    iban: &str,
    truth: &[(&str, &str)],
) -> LabelledPayment {
    LabelledPayment {
        payment: Payment {
            id: id.into(),
            booking_date: day(35),
            amount: amount.parse().expect("amount"),
            currency: "EUR".into(),
            counterparty_name: None,
            counterparty_iban: Some(iban.into()),
            end_to_end_id: None,
            remittance_lines: vec![remittance.into()],
            structured_references: Vec::new(),
        },
        truth: truth
            .iter()
            .map(|(invoice, amount)| Allocation {
                invoice_id: (*invoice).into(),
                number: String::new(),
                amount: amount.parse().expect("amount"),
            })
            .collect(),
    }
}

#[test]
fn evaluation_scores_automatic_matches_review_and_what_was_learned() {
    let items = vec![
        invoice("a1", "F2025-000001", "alpha", "100.00"),
        invoice("a2", "F2025-000002", "alpha", "250.00"),
        invoice("b1", "F2025-000003", "beta", "80.00"),
        invoice("b2", "F2025-000004", "beta", "80.00"),
        invoice("b3", "F2025-000005", "beta", "42.00"),
    ];
    let mut matcher =
        Matcher::new(items, PayerDirectory::new(), MatchingPolicy::default()).expect("valid");
    let cases = [
        // Quoted and exact: applied, rightly.
        labelled(
            "p1",
            "100.00",
            "F2025-000001",
            "IBAN_ALPHA",
            &[("a1", "100.00")],
        ),
        // Quoted, but the truth is another invoice: applied, wrongly.
        labelled(
            "p2",
            "250.00",
            "F2025-000002",
            "IBAN_ALPHA",
            &[("b1", "80.00")],
        ),
        // No reference, an unknown payer: the one 80.00 left goes to review.
        labelled("p3", "80.00", "VIREMENT", "IBAN_BETA", &[("b2", "80.00")]),
        // Unrelated money: nothing to match.
        labelled("p4", "13.37", "REMBOURSEMENT", "IBAN_OTHER", &[]),
        // Payer learned from p3, its only 42.00 invoice: applied, rightly.
        labelled("p5", "42.00", "", "IBAN_BETA", &[("b3", "42.00")]),
    ];

    let metrics = evaluate(&mut matcher, &cases).expect("truth fits the ledger");

    assert_eq!(metrics.payments, 5);
    assert_eq!(metrics.matchable, 4);
    assert_eq!((metrics.auto_applied, metrics.auto_correct), (3, 2));
    assert_eq!((metrics.reviewed, metrics.no_match), (1, 1));
    assert!((metrics.precision_auto - 2.0 / 3.0).abs() < 1e-9);
    assert!((metrics.straight_through_rate - 0.5).abs() < 1e-9);
    assert!((metrics.review_share - 0.2).abs() < 1e-9);
    assert_eq!(
        matcher.remaining("a2"),
        Some("250.00".parse().expect("amount"))
    );
}
