//! Scores the matcher on the ledger generator's payments, whose true
//! allocations are known: month by month, new invoices are added, credit
//! notes lower what their invoice asks for, and each payment is proposed,
//! scored and then settled as it truly was.
//!
//! Run with `cargo run --release -p relance-matching --example
//! evaluate_on_generated_ledger -- [invoices] [customers] [seed]`.

use std::time::{Duration, Instant};

use relance_generator::{BankPayment, GeneratorConfig, LedgerHistory, LedgerMonth, Remittance};
use relance_matching::{
    Allocation, LabelledPayment, Matcher, MatchingPolicy, Metrics, OpenItem, OpenItemKind,
    PayerDirectory, Payment, evaluate,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let invoices = args
        .next()
        .map(|arg| arg.parse())
        .transpose()?
        .unwrap_or(10_000);
    let customers = args
        .next()
        .map(|arg| arg.parse())
        .transpose()?
        .unwrap_or(300);
    let seed = args
        .next()
        .map(|arg| arg.parse())
        .transpose()?
        .unwrap_or(42);

    let config = GeneratorConfig {
        invoices,
        customers,
        seed,
        ..GeneratorConfig::default()
    };
    let mut history = LedgerHistory::new(config)?;
    let names: Vec<(String, String)> = history
        .customers()
        .iter()
        .map(|c| (c.external_id.clone(), c.name.clone()))
        .collect();
    let mut matcher = Matcher::new(Vec::new(), PayerDirectory::new(), MatchingPolicy::default())?;

    let mut total = Totals::default();
    while let Some(month) = history.next_month()? {
        add_month_items(&mut matcher, &month, &names)?;

        let cases: Vec<LabelledPayment> = month.payments.iter().map(labelled).collect();
        let started = Instant::now();
        let metrics = evaluate(&mut matcher, &cases)?;
        total.add(&metrics, started.elapsed());
    }

    total.print();
    Ok(())
}

/// Adds the month's invoices, then lowers each credited invoice by its
/// credit note, as the ledger does before matching.
fn add_month_items(
    matcher: &mut Matcher,
    month: &LedgerMonth,
    names: &[(String, String)],
) -> Result<(), Box<dyn std::error::Error>> {
    for invoice in &month.invoices {
        let (customer_id, customer_name) = names
            .get(invoice.customer_index)
            .cloned()
            .ok_or("unknown customer")?;
        matcher.insert(OpenItem {
            invoice_id: invoice.external_id.clone(),
            number: invoice.number.clone(),
            customer_id,
            customer_name,
            issue_date: invoice.issue_date,
            due_date: invoice.due_date,
            currency: invoice.total.currency().code().to_owned(),
            remaining: invoice.total.amount(),
            payment_reference: Some(invoice.payment_reference.as_str().to_owned()),
            kind: OpenItemKind::Invoice,
        })?;
    }

    for credit_note in &month.credit_notes {
        let remaining = matcher
            .remaining(&credit_note.invoice_external_id)
            .unwrap_or_default();
        let credited = credit_note.total.amount().min(remaining);
        matcher.allocate(&[Allocation {
            invoice_id: credit_note.invoice_external_id.clone(),
            number: credit_note.number.clone(),
            amount: credited,
        }])?;
    }
    Ok(())
}

fn labelled(payment: &BankPayment) -> LabelledPayment {
    let (remittance_lines, structured_references) = match &payment.remittance {
        Remittance::Unstructured(text) => (vec![text.clone()], Vec::new()),
        Remittance::Structured(reference) => (Vec::new(), vec![reference.as_str().to_owned()]),
        Remittance::Nothing => (Vec::new(), Vec::new()),
    };

    LabelledPayment {
        payment: Payment {
            id: payment.id.clone(),
            booking_date: payment.booking_date,
            amount: payment.amount.amount(),
            currency: payment.currency.code().to_owned(),
            counterparty_name: Some(payment.payer_name.clone()),
            counterparty_iban: Some(payment.payer_iban.as_str().to_owned()),
            end_to_end_id: Some(payment.end_to_end_id.clone()),
            remittance_lines,
            structured_references,
        },
        truth: payment
            .allocations
            .iter()
            .map(|allocation| Allocation {
                invoice_id: allocation.invoice.clone(),
                number: allocation.number.clone(),
                amount: allocation.amount.amount(),
            })
            .collect(),
    }
}

#[derive(Debug, Default)]
struct Totals {
    payments: usize,
    matchable: usize,
    auto_applied: usize,
    auto_correct: usize,
    reviewed: usize,
    review_first_correct: usize,
    no_match: usize,
    elapsed: Duration,
}

impl Totals {
    fn add(&mut self, metrics: &Metrics, elapsed: Duration) {
        self.payments += metrics.payments;
        self.matchable += metrics.matchable;
        self.auto_applied += metrics.auto_applied;
        self.auto_correct += metrics.auto_correct;
        self.reviewed += metrics.reviewed;
        self.review_first_correct += metrics.review_first_correct;
        self.no_match += metrics.no_match;
        self.elapsed += elapsed;
    }

    fn print(&self) {
        let share = |part: usize, whole: usize| part as f64 / whole.max(1) as f64;
        println!("payments                 {:>10}", self.payments);
        println!("auto-applied             {:>10}", self.auto_applied);
        println!("  of which right         {:>10}", self.auto_correct);
        println!("reviewed                 {:>10}", self.reviewed);
        println!("  best candidate right   {:>10}", self.review_first_correct);
        println!("no match                 {:>10}", self.no_match);
        println!(
            "precision of auto-apply  {:>10.4}",
            share(self.auto_correct, self.auto_applied)
        );
        println!(
            "straight-through rate    {:>10.4}",
            share(self.auto_correct, self.matchable)
        );
        println!(
            "review share             {:>10.4}",
            share(self.reviewed, self.payments)
        );
        println!(
            "matching time            {:>10.3} s",
            self.elapsed.as_secs_f64()
        );
    }
}
