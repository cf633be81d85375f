//! The matcher scored on the ledger generator's history, whose payments
//! carry their true allocations: month by month, the new invoices are
//! opened, credit notes lower what their invoice asks for, and each payment
//! is proposed, scored and then settled as it truly was.

use relance_generator::{BankPayment, GeneratorConfig, LedgerHistory, LedgerMonth, Remittance};

use crate::{
    Allocation, Evaluation, LabelledPayment, Matcher, MatchingPolicy, Metrics, OpenItem,
    OpenItemKind, PayerDirectory, Payment,
};

/// Scores a matcher following `policy` on the whole history `config`
/// generates.
pub fn evaluate_generated_ledger(
    config: GeneratorConfig,
    policy: MatchingPolicy,
) -> Result<Metrics, Box<dyn std::error::Error>> {
    let mut history = LedgerHistory::new(config)?;
    let customers: Vec<(String, String)> = history
        .customers()
        .iter()
        .map(|customer| (customer.external_id.clone(), customer.name.clone()))
        .collect();
    let mut matcher = Matcher::new(Vec::new(), PayerDirectory::new(), policy)?;
    let mut evaluation = Evaluation::default();

    while let Some(month) = history.next_month()? {
        open_month_items(&mut matcher, &month, &customers)?;

        let cases: Vec<LabelledPayment> = month.payments.iter().map(labelled).collect();
        evaluation.run(&mut matcher, &cases)?;
    }
    Ok(evaluation.metrics())
}

/// Opens the month's invoices, then lowers each credited invoice by its
/// credit note, as the ledger does before matching.
fn open_month_items(
    matcher: &mut Matcher,
    month: &LedgerMonth,
    customers: &[(String, String)],
) -> Result<(), Box<dyn std::error::Error>> {
    for invoice in &month.invoices {
        let (customer_id, customer_name) = customers
            .get(invoice.customer_index)
            .cloned()
            .ok_or("an invoice names a customer the generator did not make")?;
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
        matcher.allocate(&[Allocation {
            invoice_id: credit_note.invoice_external_id.clone(),
            number: credit_note.number.clone(),
            amount: credit_note.total.amount().min(remaining),
        }])?;
    }
    Ok(())
}

/// A generated bank payment as the matcher sees it, with its truth.
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
