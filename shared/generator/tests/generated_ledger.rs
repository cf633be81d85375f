//! The generated ledger as a whole: determinism, payment behaviours, money
//! that adds up, valid references, and the canonical event format.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use relance_generator::{
    BulkChunks, CreditorReference, CustomerSummary, GeneratorConfig, Iban, LedgerHistory,
    LedgerMonth, PaymentBehaviour, Remittance, write_camt053, write_month_events, write_mt940,
};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

struct Generated {
    history: LedgerHistory,
    months: Vec<LedgerMonth>,
    summaries: Vec<CustomerSummary>,
}

fn generate(config: GeneratorConfig) -> Generated {
    let mut history = LedgerHistory::new(config).expect("valid configuration");
    let months = history
        .by_ref()
        .collect::<Result<Vec<_>, _>>()
        .expect("generation succeeds");
    let summaries = history.customer_summaries().expect("summaries add up");
    Generated {
        history,
        months,
        summaries,
    }
}

/// Two years, 300 customers, 10,000 invoices: the size the demo uses.
fn ledger() -> &'static Generated {
    static LEDGER: OnceLock<Generated> = OnceLock::new();
    LEDGER.get_or_init(|| generate(GeneratorConfig::default()))
}

/// What happened to one invoice over the period.
#[derive(Debug, Default)]
struct InvoiceFate {
    behaviour: Option<PaymentBehaviour>,
    due_date: Option<NaiveDate>,
    total: Decimal,
    paid: Decimal,
    credited: Decimal,
    payments: usize,
    last_payment: Option<NaiveDate>,
    disputed: bool,
}

fn invoice_fates(generated: &Generated) -> BTreeMap<String, InvoiceFate> {
    let customers = generated.history.customers();
    let mut fates: BTreeMap<String, InvoiceFate> = BTreeMap::new();

    for month in &generated.months {
        for invoice in &month.invoices {
            let fate = fates.entry(invoice.external_id.clone()).or_default();
            fate.behaviour = Some(customers[invoice.customer_index].behaviour);
            fate.due_date = Some(invoice.due_date);
            fate.total = invoice.total.amount();
            fate.disputed = invoice.disputed;
        }
        for note in &month.credit_notes {
            let fate = fates
                .get_mut(&note.invoice_external_id)
                .expect("credited invoice exists");
            fate.credited += note.total.amount();
        }
        for payment in &month.payments {
            for allocation in &payment.allocations {
                let fate = fates
                    .get_mut(&allocation.invoice)
                    .expect("paid invoice exists");
                fate.paid += allocation.amount.amount();
                fate.payments += 1;
                fate.last_payment = Some(payment.booking_date);
            }
        }
    }
    fates
}

/// Days from due date to final payment of the invoices settled by payments,
/// for customers of `behaviour`, with the due date's year.
fn delays(fates: &BTreeMap<String, InvoiceFate>, behaviour: PaymentBehaviour) -> Vec<(i32, i64)> {
    fates
        .values()
        .filter(|fate| fate.behaviour == Some(behaviour) && !fate.disputed)
        .filter(|fate| fate.payments > 0 && fate.paid + fate.credited == fate.total)
        .filter_map(|fate| {
            let due = fate.due_date?;
            Some((due.year(), (fate.last_payment? - due).num_days()))
        })
        .collect()
}

fn mean(values: impl Iterator<Item = i64>) -> f64 {
    let values: Vec<i64> = values.collect();
    assert!(!values.is_empty(), "no values to average");
    values.iter().sum::<i64>() as f64 / values.len() as f64
}

/// Every output of a ledger, concatenated.
fn all_output_bytes(generated: &Generated) -> Vec<u8> {
    let customers = generated.history.customers();
    let mut bytes = Vec::new();
    let mut bulk = BulkChunks::new(500);

    for month in &generated.months {
        write_month_events(month, customers, "generator", &mut bytes).expect("events");
        write_camt053(month, "Atelier Relance SAS", &mut bytes).expect("camt.053");
        write_mt940(month, &mut bytes).expect("MT940");
        for invoice in &month.invoices {
            if let Some(body) = bulk.push(invoice, customers).expect("bulk body") {
                bytes.extend(body.to_string().into_bytes());
            }
        }
        for payment in &month.payments {
            bytes.extend(serde_json::to_vec(payment).expect("payment truth"));
        }
    }
    if let Some(body) = bulk.finish() {
        bytes.extend(body.to_string().into_bytes());
    }
    bytes.extend(serde_json::to_vec(&generated.summaries).expect("summaries"));
    bytes
}

fn sha256_of_outputs(seed: u64) -> String {
    let config = GeneratorConfig {
        seed,
        customers: 60,
        invoices: 1_500,
        months: 12,
        ..GeneratorConfig::default()
    };
    hex::encode(Sha256::digest(all_output_bytes(&generate(config))))
}

#[test]
fn the_same_seed_writes_the_same_bytes_and_another_seed_other_bytes() {
    let first = sha256_of_outputs(42);

    assert_eq!(first, sha256_of_outputs(42));
    assert_ne!(first, sha256_of_outputs(43));
}

#[test]
fn exactly_the_requested_invoices_are_issued_with_unique_numbers() {
    let generated = ledger();
    let numbers: BTreeSet<&str> = generated
        .months
        .iter()
        .flat_map(|month| month.invoices.iter().map(|invoice| invoice.number.as_str()))
        .collect();

    assert_eq!(numbers.len(), 10_000);
    assert!(numbers.contains("F2024-000001"));
    assert!(numbers.contains("F2025-000001"));
    assert_eq!(generated.months.len(), 24);
}

#[test]
fn prompt_payers_pay_on_the_due_date_on_average() {
    let delays = delays(&invoice_fates(ledger()), PaymentBehaviour::Prompt);

    let average = mean(delays.into_iter().map(|(_, days)| days));

    assert!(average.abs() <= 3.0, "prompt payers' mean delay {average}");
}

#[test]
fn habitually_late_payers_are_clearly_late() {
    let delays = delays(&invoice_fates(ledger()), PaymentBehaviour::HabituallyLate);

    let average = mean(delays.into_iter().map(|(_, days)| days));

    assert!(average >= 10.0, "late payers' mean delay {average}");
}

#[test]
fn deteriorating_payers_pay_later_in_the_second_year_than_the_first() {
    let delays = delays(&invoice_fates(ledger()), PaymentBehaviour::Deteriorating);

    let first_year = mean(
        delays
            .iter()
            .filter(|(year, _)| *year == 2024)
            .map(|(_, d)| *d),
    );
    let second_year = mean(
        delays
            .iter()
            .filter(|(year, _)| *year == 2025)
            .map(|(_, d)| *d),
    );

    assert!(
        second_year > first_year + 15.0,
        "{first_year} then {second_year}"
    );
}

#[test]
fn partial_payers_settle_their_invoices_in_several_payments() {
    let fates = invoice_fates(ledger());
    let partial: Vec<&InvoiceFate> = fates
        .values()
        .filter(|fate| fate.behaviour == Some(PaymentBehaviour::PartialPayer))
        .collect();

    let in_instalments = partial.iter().filter(|fate| fate.payments >= 2).count();

    assert!(
        in_instalments * 2 > partial.len(),
        "{in_instalments} of {}",
        partial.len()
    );
}

#[test]
fn disputing_customers_have_disputed_invoices_credited_or_paid_late() {
    let fates = invoice_fates(ledger());
    let disputed: Vec<&InvoiceFate> = fates.values().filter(|fate| fate.disputed).collect();

    let credited = disputed
        .iter()
        .filter(|fate| fate.credited > Decimal::ZERO)
        .count();
    let paid_late = disputed
        .iter()
        .filter(|fate| fate.credited.is_zero() && fate.payments > 0)
        .filter(|fate| {
            (fate.last_payment.expect("paid") - fate.due_date.expect("due")).num_days() >= 60
        })
        .count();

    assert!(!disputed.is_empty());
    assert!(
        disputed
            .iter()
            .all(|fate| fate.behaviour == Some(PaymentBehaviour::Disputing))
    );
    assert!(
        credited > 0 && paid_late > 0,
        "{credited} credited, {paid_late} paid late"
    );
}

#[test]
fn every_payment_carries_what_it_settles_less_bank_fees() {
    let mut with_fees = 0;

    for payment in ledger().months.iter().flat_map(|month| &month.payments) {
        let settled: Decimal = payment.allocations.iter().map(|a| a.amount.amount()).sum();
        assert_eq!(
            payment.amount.amount() + payment.fee.amount(),
            settled,
            "{}",
            payment.id
        );
        assert!(payment.fee.amount() >= Decimal::ZERO && payment.amount.amount() > Decimal::ZERO);
        with_fees += usize::from(!payment.fee.is_zero());
    }

    assert!(with_fees > 0, "some transfers lose bank fees");
}

#[test]
fn no_invoice_is_settled_beyond_its_total_and_some_stay_open() {
    let fates = invoice_fates(ledger());

    let open = fates
        .values()
        .filter(|fate| fate.paid + fate.credited < fate.total)
        .count();

    assert!(
        fates
            .values()
            .all(|fate| fate.paid + fate.credited <= fate.total)
    );
    assert!(open > 0);
}

#[test]
fn every_creditor_reference_and_iban_is_valid() {
    let generated = ledger();

    for customer in generated.history.customers() {
        for iban in &customer.bank_accounts {
            assert!(Iban::parse(iban.as_str()).is_ok(), "{iban}");
        }
    }
    for account in generated.history.accounts() {
        assert!(Iban::parse(account.iban.as_str()).is_ok());
    }
    for month in &generated.months {
        for invoice in &month.invoices {
            let reference = invoice.payment_reference.as_str();
            assert!(CreditorReference::parse(reference).is_ok(), "{reference}");
        }
        for payment in &month.payments {
            assert!(Iban::parse(payment.payer_iban.as_str()).is_ok());
            if let Remittance::Structured(reference) = &payment.remittance {
                assert!(CreditorReference::parse(reference.as_str()).is_ok());
            }
        }
    }
}

#[test]
fn remittance_information_shows_every_kind_of_real_world_noise() {
    let generated = ledger();
    let invoice_numbers: BTreeSet<&str> = generated
        .months
        .iter()
        .flat_map(|month| month.invoices.iter().map(|invoice| invoice.number.as_str()))
        .collect();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();

    for payment in generated.months.iter().flat_map(|month| &month.payments) {
        let kind = match &payment.remittance {
            Remittance::Nothing => "nothing",
            Remittance::Structured(_) => "creditor reference",
            Remittance::Unstructured(text) => {
                let numbers = text.matches("F20").count();
                let exact = payment.allocations.iter().any(|a| text.contains(&a.number));
                match (numbers, exact) {
                    (0, _) => "free text",
                    (2.., _) => "several numbers",
                    (1, true) => "exact number",
                    (1, false) if !text.contains('-') => "number without dash",
                    (1, false) => "leading zeros dropped",
                }
            }
        };
        *seen.entry(kind).or_default() += 1;
        assert!(
            payment
                .allocations
                .iter()
                .all(|a| invoice_numbers.contains(a.number.as_str()))
        );
    }

    for kind in [
        "nothing",
        "creditor reference",
        "free text",
        "several numbers",
        "exact number",
        "number without dash",
        "leading zeros dropped",
    ] {
        assert!(
            seen.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} in {seen:?}"
        );
    }
}

#[test]
fn payer_names_differ_from_customer_names() {
    let customers = ledger().history.customers();

    assert!(
        customers
            .iter()
            .all(|customer| customer.payer_name != customer.name)
    );
}

#[test]
fn summaries_agree_with_the_ledger() {
    let generated = ledger();
    let fates = invoice_fates(generated);

    let invoices: u64 = generated
        .summaries
        .iter()
        .map(|summary| summary.invoices)
        .sum();
    assert_eq!(invoices, 10_000);

    let open_in_ledger = fates
        .values()
        .filter(|fate| fate.paid + fate.credited < fate.total)
        .count();
    let open_in_summaries: u64 = generated.summaries.iter().map(|s| s.open_invoices).sum();
    assert_eq!(open_in_summaries as usize, open_in_ledger);

    for summary in &generated.summaries {
        let expected =
            summary.invoiced.amount() - summary.credited.amount() - summary.paid.amount();
        assert_eq!(
            summary.outstanding.amount(),
            expected,
            "{}",
            summary.customer
        );
        assert!(summary.overdue.amount() <= summary.outstanding.amount());
    }
    assert!(
        generated
            .summaries
            .iter()
            .any(|summary| summary.overdue_invoices > 0)
    );
}

#[test]
fn events_follow_the_canonical_format() {
    let generated = ledger();
    let customers = generated.history.customers();
    let mut ids = BTreeSet::new();
    let mut types = BTreeSet::new();

    for month in &generated.months {
        let events =
            relance_generator::month_events(month, customers, "generator").expect("events");
        for event in events {
            let id = event["id"].as_str().expect("id").to_owned();
            let kind = event["type"].as_str().expect("type").to_owned();
            let occurred_at = event["occurred_at"].as_str().expect("occurred_at");
            assert!(
                chrono::DateTime::parse_from_rfc3339(occurred_at).is_ok(),
                "{occurred_at}"
            );
            assert_eq!(event["source"], "generator");

            let data = &event["data"];
            if kind != "customer.upserted" {
                let total = data["total"].as_str().expect("amounts are strings");
                assert_eq!(total.split_once('.').map(|(_, cents)| cents.len()), Some(2));
                let issue_date = data["issue_date"].as_str().expect("issue date");
                assert!(
                    occurred_at.starts_with(issue_date),
                    "occurred_at is the issue instant"
                );
            }
            if kind == "invoice.upserted" {
                let due = data["due_date"].as_str().expect("due date");
                assert!(NaiveDate::parse_from_str(due, "%Y-%m-%d").is_ok());
                assert_eq!(data["status"], "open");
            }
            assert!(ids.insert(id), "event ids are unique");
            types.insert(kind);
        }
    }

    let expected: BTreeSet<String> = [
        "customer.upserted",
        "invoice.upserted",
        "credit_note.upserted",
    ]
    .map(String::from)
    .into();
    assert_eq!(types, expected);
}

#[test]
fn bulk_bodies_hold_every_invoice_in_chunks_of_the_asked_size() {
    let generated = ledger();
    let customers = generated.history.customers();
    let mut chunks = BulkChunks::new(3_000);
    let mut sizes = Vec::new();

    for invoice in generated.months.iter().flat_map(|month| &month.invoices) {
        if let Some(body) = chunks.push(invoice, customers).expect("serialisable") {
            sizes.push(body["invoices"].as_array().expect("invoices array").len());
        }
    }
    if let Some(body) = chunks.finish() {
        sizes.push(body["invoices"].as_array().expect("invoices array").len());
    }

    assert_eq!(sizes, vec![3_000, 3_000, 3_000, 1_000]);
}
