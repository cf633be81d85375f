//! Times the matcher on a synthetic ledger: 10,000 payments against 100,000
//! open invoices by default, or `scale` times that with `-- <scale>`.
//!
//! Run with `cargo run --release -p relance-matching --example reconcile_at_scale`.

use std::time::Instant;

use chrono::{Duration, NaiveDate};
use relance_matching::{
    Allocation, CreditorReference, LabelledPayment, Matcher, MatchingPolicy, OpenItem,
    OpenItemKind, PayerDirectory, Payment, evaluate,
};
use rust_decimal::Decimal;

const INVOICES_PER_CUSTOMER: usize = 10;
const INVOICES_PER_PAYMENT: usize = 10;

/// A small xorshift generator: the same seed gives the same ledger.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scale: usize = std::env::args()
        .nth(1)
        .map(|arg| arg.parse())
        .transpose()?
        .unwrap_or(1);
    let invoices = 100_000 * scale;
    let mut random = Random(0x0BAD_5EED);

    let items = ledger(invoices, &mut random)?;
    let directory = directory(invoices / INVOICES_PER_CUSTOMER);
    let cases = payments(&items, &mut random);

    let started = Instant::now();
    let mut matcher = Matcher::new(items, directory, MatchingPolicy::default())?;
    let indexed = started.elapsed();

    let started = Instant::now();
    let proposals = cases
        .iter()
        .filter(|case| matcher.propose(&case.payment).best().is_some())
        .count();
    let proposed = started.elapsed();

    let metrics = evaluate(&mut matcher, &cases)?;

    println!("open invoices            {invoices:>10}");
    println!("payments                 {:>10}", cases.len());
    println!("index build              {:>10.3} s", indexed.as_secs_f64());
    println!(
        "propose all payments     {:>10.3} s",
        proposed.as_secs_f64()
    );
    println!("payments with a proposal {proposals:>10}");
    println!("precision of auto-apply  {:>10.4}", metrics.precision_auto);
    println!(
        "straight-through rate    {:>10.4}",
        metrics.straight_through_rate
    );
    println!("review share             {:>10.4}", metrics.review_share);
    Ok(())
}

fn ledger(count: usize, random: &mut Random) -> Result<Vec<OpenItem>, Box<dyn std::error::Error>> {
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).ok_or("start date")?;

    (0..count)
        .map(|sequence| {
            let customer = sequence / INVOICES_PER_CUSTOMER;
            let issued = start + Duration::days(random.below(300) as i64);
            let reference = CreditorReference::for_reference(&format!("2025{sequence:08}"))?;
            Ok(OpenItem {
                invoice_id: format!("inv_{sequence}"),
                number: format!("F2025-{sequence:07}"),
                customer_id: format!("cus_{customer}"),
                customer_name: format!("Client {customer} SARL"),
                issue_date: issued,
                due_date: issued + Duration::days(30),
                currency: "EUR".into(),
                remaining: Decimal::new(1_000 + random.below(500_000) as i64, 2),
                payment_reference: Some(reference.as_str().to_owned()),
                kind: OpenItemKind::Invoice,
            })
        })
        .collect()
}

/// Half the customers' accounts are known.
fn directory(customers: usize) -> PayerDirectory {
    let mut directory = PayerDirectory::new();
    for customer in (0..customers).step_by(2) {
        directory.learn(Some(&iban(customer)), None, &format!("cus_{customer}"));
    }
    directory
}

fn iban(customer: usize) -> String {
    format!("FR76{customer:023}")
}

/// One payment per ten invoices, written the ways payers write them.
fn payments(items: &[OpenItem], random: &mut Random) -> Vec<LabelledPayment> {
    items
        .chunks(INVOICES_PER_PAYMENT)
        .enumerate()
        .map(|(serial, chunk)| {
            let first = &chunk[0];
            let second = &chunk[1 % chunk.len()];
            let customer = serial * INVOICES_PER_PAYMENT / INVOICES_PER_CUSTOMER;
            let style = random.below(10);

            let (paid, amount, remittance, structured): (
                Vec<&OpenItem>,
                Decimal,
                String,
                Vec<String>,
            ) = match style {
                0..=2 => (
                    vec![first],
                    first.remaining,
                    format!("FACTURE {}", first.number),
                    Vec::new(),
                ),
                3 => (
                    vec![first],
                    first.remaining,
                    first.number.replace('-', ""),
                    Vec::new(),
                ),
                4 => (
                    vec![first],
                    first.remaining,
                    String::new(),
                    first.payment_reference.iter().cloned().collect(),
                ),
                5 => (
                    vec![first, second],
                    first.remaining + second.remaining,
                    format!("FACT {} ET {}", first.number, second.number),
                    Vec::new(),
                ),
                6 => (
                    vec![first],
                    first.remaining - Decimal::new(35, 2),
                    first.number.clone(),
                    Vec::new(),
                ),
                7 => (vec![first], first.remaining, String::new(), Vec::new()),
                8 => (
                    vec![first],
                    (first.remaining / Decimal::TWO).round_dp(2),
                    format!("{} ACOMPTE", first.number),
                    Vec::new(),
                ),
                _ => (
                    Vec::new(),
                    Decimal::new(1_234_567, 2),
                    "REMBOURSEMENT".into(),
                    Vec::new(),
                ),
            };

            let truth = paid
                .iter()
                .map(|item| Allocation {
                    invoice_id: item.invoice_id.clone(),
                    number: item.number.clone(),
                    amount: item.remaining.min(amount),
                })
                .collect();
            LabelledPayment {
                payment: Payment {
                    id: format!("tx_{serial}"),
                    booking_date: first.due_date,
                    amount,
                    currency: "EUR".into(),
                    counterparty_name: Some(format!("CLIENT {customer}")),
                    counterparty_iban: Some(iban(customer)),
                    end_to_end_id: None,
                    remittance_lines: vec![remittance],
                    structured_references: structured,
                },
                truth,
            }
        })
        .collect()
}
