//! Reconciliation against the stored ledger: confident matches applied once,
//! doubtful ones queued for a person, decisions that stick, allocations that
//! never exceed the payment or the invoice, and undoing that reopens.

use chrono::NaiveDate;
use relance_api::{Page, Scope};
use relance_bank_statements::{
    AccountRef, BankTransaction, Currency, Remittance, TransactionStatus,
};
use relance_ledger::invoice::InvoiceStatus;
use relance_matching::MatchingPolicy;
use relance_store::bank::{SourcedTransaction, TransactionSource, store_transactions};
use relance_store::invoices::{InvoiceRecord, get_invoice};
use relance_store::reconciliation::{
    MatchStatus, MatchView, RunSummary, accept_suggestion, allocate_by_hand, list_matches,
    payer_directory, reconcile, reject_suggestion, undo_allocation,
};
use relance_store::{Database, NativeDatabase, StoreError, apply};
use rust_decimal::Decimal;
use serde_json::json;

use crate::support::{at, database, event, invoice_data};

const NOW: &str = "2026-04-02T06:00:00Z";

fn amount(text: &str) -> Decimal {
    text.parse().expect("decimal amount")
}

/// A ledger with customer ACME SA and `invoices` as (external id, total).
fn ledger(invoices: &[(&str, &str)]) -> NativeDatabase {
    let db = database();
    let customer = json!({"external_id": "C-1", "name": "ACME SA"});
    apply(
        &db,
        &event(
            "evt_c1",
            "customer.upserted",
            "2026-03-01T08:00:00Z",
            customer,
        ),
        at(NOW),
    )
    .expect("customer");

    for (external_id, total) in invoices {
        let data = invoice_data(external_id, json!({"total": total, "tax": "0.00"}));
        let id = format!("evt_{external_id}");
        apply(
            &db,
            &event(&id, "invoice.upserted", "2026-03-02T09:00:00Z", data),
            at(NOW),
        )
        .expect("invoice");
    }
    db
}

/// A credit received from ACME SA, booked on 28 March.
fn credit(amount_text: &str, payer: &str, remittance: &str) -> BankTransaction {
    BankTransaction {
        booking_date: NaiveDate::from_ymd_opt(2026, 3, 28).expect("date"),
        value_date: None,
        amount: amount(amount_text),
        currency: Some(Currency::parse("EUR").expect("currency")),
        status: TransactionStatus::Booked,
        counterparty_name: Some(payer.to_owned()),
        counterparty_iban: Some("DE89370400440532013000".to_owned()),
        end_to_end_id: None,
        customer_reference: None,
        bank_reference: None,
        remittance: Remittance {
            unstructured: vec![remittance.to_owned()],
            ..Remittance::default()
        },
        reversal: false,
        bank_transaction_code: None,
        raw_description: format!("{payer} {remittance} {amount_text}"),
        fingerprint: String::new(),
    }
}

fn receive(db: &NativeDatabase, credits: Vec<BankTransaction>) {
    let account = AccountRef {
        iban: Some("FR7630006000011234567890189".to_owned()),
        ..AccountRef::default()
    };
    let sourced: Vec<SourcedTransaction> = credits
        .into_iter()
        .map(|transaction| SourcedTransaction {
            transaction,
            source_id: None,
        })
        .collect();
    store_transactions(db, &account, TransactionSource::File, &sourced, at(NOW)).expect("store");
}

fn run(db: &NativeDatabase) -> RunSummary {
    reconcile(db, MatchingPolicy::default(), at(NOW)).expect("reconcile")
}

fn invoice(db: &NativeDatabase, number: &str) -> InvoiceRecord {
    let rows = db
        .execute("SELECT id FROM invoices WHERE number = ?", &[number.into()])
        .expect("query");
    let id = rows.first().expect("invoice").integer("id").expect("id");
    get_invoice(db, &Scope::Everything, id)
        .expect("read")
        .expect("stored")
}

fn transaction_status(db: &NativeDatabase) -> String {
    let rows = db
        .execute("SELECT reconciliation_status FROM bank_transactions", &[])
        .expect("query");
    rows.first()
        .expect("one transaction")
        .text("reconciliation_status")
        .expect("status")
        .to_owned()
}

fn matches(db: &NativeDatabase, status: MatchStatus) -> Vec<MatchView> {
    list_matches(db, status, &Page::default())
        .expect("list")
        .items
}

/// How many rows `from_where` ("FROM ... WHERE ...") selects.
fn count(db: &NativeDatabase, from_where: &str) -> i64 {
    let rows = db
        .execute(&format!("SELECT count(*) AS n {from_where}"), &[])
        .expect("count");
    rows.first().expect("one row").integer("n").expect("count")
}

#[test]
fn a_quoted_number_and_the_exact_amount_are_applied_once() {
    let db = ledger(&[("A1", "1440.00"), ("A2", "300.00")]);
    receive(&db, vec![credit("1440.00", "ACME SA", "Facture F-A1")]);

    let first = run(&db);
    let second = run(&db);

    assert_eq!((first.considered, first.auto_applied), (1, 1), "{first:?}");
    assert_eq!(first.allocated["EUR"], amount("1440.00"));
    assert_eq!(
        second.considered, 0,
        "a matched credit is not considered again"
    );
    let paid = invoice(&db, "F-A1");
    assert_eq!(paid.status, InvoiceStatus::Paid);
    assert_eq!(paid.remaining.amount(), amount("0.00"));
    assert_eq!(invoice(&db, "F-A2").status, InvoiceStatus::Open);
    assert_eq!(transaction_status(&db), "matched");
    assert_eq!(count(&db, "FROM allocations"), 1);

    let applied = matches(&db, MatchStatus::Applied);
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].decided_by.as_deref(), Some("matcher"));
    assert!(applied[0].explanation.contains("F-A1"), "{applied:?}");
}

#[test]
fn a_doubtful_match_waits_for_a_person_and_accepting_teaches_the_payer() {
    let db = ledger(&[("B1", "500.00"), ("B2", "500.00")]);
    receive(&db, vec![credit("500.00", "ACME", "virement mars")]);

    let first = run(&db);
    let second = run(&db);

    assert_eq!(
        (first.auto_applied, first.sent_to_review),
        (0, 1),
        "{first:?}"
    );
    assert_eq!(second.review_unchanged, 1, "{second:?}");
    let suggestions = matches(&db, MatchStatus::Suggested);
    assert!(suggestions.len() >= 2, "{suggestions:?}");
    assert_eq!(transaction_status(&db), "review");
    assert_eq!(invoice(&db, "F-B1").status, InvoiceStatus::Open);

    let accepted = accept_suggestion(&db, suggestions[0].id, 7, at(NOW)).expect("accept");

    assert_eq!(accepted.allocation_ids.len(), 1);
    assert_eq!(transaction_status(&db), "matched");
    assert!(matches(&db, MatchStatus::Suggested).is_empty());
    assert!(!matches(&db, MatchStatus::Superseded).is_empty());
    let learned = payer_directory(&db).expect("directory");
    assert!(!learned.customers_for_name("ACME").is_empty());
    assert!(
        !learned
            .customers_for_iban("DE89370400440532013000")
            .is_empty()
    );

    let again = accept_suggestion(&db, suggestions[1].id, 7, at(NOW)).expect_err("decided");
    assert!(
        matches!(again, StoreError::AlreadyDecided { .. }),
        "{again}"
    );
}

#[test]
fn a_rejected_suggestion_is_never_proposed_again() {
    let db = ledger(&[("C1", "500.00"), ("C2", "500.00")]);
    receive(&db, vec![credit("500.00", "ACME", "virement mars")]);
    run(&db);

    for suggestion in matches(&db, MatchStatus::Suggested) {
        reject_suggestion(&db, suggestion.id, 7, at(NOW)).expect("reject");
    }
    let after = run(&db);

    assert_eq!((after.sent_to_review, after.unmatched), (0, 1), "{after:?}");
    assert!(matches(&db, MatchStatus::Suggested).is_empty());
    assert_eq!(transaction_status(&db), "unmatched");
}

#[test]
fn undoing_a_match_reopens_the_invoice_and_it_is_not_applied_again() {
    let db = ledger(&[("D1", "1440.00")]);
    receive(&db, vec![credit("1440.00", "ACME SA", "Facture F-D1")]);
    run(&db);
    let applied = matches(&db, MatchStatus::Applied);
    let allocation_id = applied[0].allocation_ids[0];

    let undone = undo_allocation(&db, allocation_id, 7, at(NOW)).expect("undo");
    let after = run(&db);

    assert_eq!(undone.match_id, Some(applied[0].id));
    let reopened = invoice(&db, "F-D1");
    assert_eq!(reopened.status, InvoiceStatus::Open);
    assert_eq!(reopened.remaining.amount(), amount("1440.00"));
    assert_eq!((after.auto_applied, after.unmatched), (0, 1), "{after:?}");
    assert_eq!(transaction_status(&db), "unmatched");

    let twice = undo_allocation(&db, allocation_id, 7, at(NOW)).expect_err("already undone");
    assert!(
        matches!(twice, StoreError::AlreadyDecided { .. }),
        "{twice}"
    );
}

#[test]
fn a_bank_fee_short_payment_settles_the_invoice_with_a_write_off() {
    let db = ledger(&[("E1", "1000.00")]);
    receive(&db, vec![credit("999.50", "ACME SA", "Facture F-E1")]);

    let summary = run(&db);

    assert_eq!(summary.auto_applied, 1, "{summary:?}");
    let settled = invoice(&db, "F-E1");
    assert_eq!(settled.status, InvoiceStatus::Paid);
    assert_eq!(settled.allocated.amount(), amount("1000.00"));
    assert_eq!(count(&db, "FROM allocations WHERE source = 'write_off'"), 1);
}

#[test]
fn allocations_by_hand_never_exceed_the_payment_or_the_invoice() {
    let db = ledger(&[("F1", "300.00"), ("F2", "900.00")]);
    receive(&db, vec![credit("1000.00", "Someone Else", "no reference")]);
    let f1 = invoice(&db, "F-F1").id;
    let f2 = invoice(&db, "F-F2").id;

    let beyond_invoice = allocate_by_hand(&db, 1, &[(f1, amount("400.00"))], 7, at(NOW));
    let beyond_payment = allocate_by_hand(
        &db,
        1,
        &[(f1, amount("300.00")), (f2, amount("900.00"))],
        7,
        at(NOW),
    );

    for refused in [beyond_invoice, beyond_payment] {
        let error = refused.expect_err("over-allocation");
        assert!(
            matches!(error, StoreError::OverAllocation { .. }),
            "{error}"
        );
    }
    assert_eq!(count(&db, "FROM allocations"), 0);
    assert_eq!(count(&db, "FROM reconciliation_matches"), 0);

    allocate_by_hand(&db, 1, &[(f1, amount("300.00"))], 7, at(NOW)).expect("first part");
    assert_eq!(transaction_status(&db), "partially_matched");
    allocate_by_hand(&db, 1, &[(f2, amount("700.00"))], 7, at(NOW)).expect("the rest");

    assert_eq!(transaction_status(&db), "matched");
    assert_eq!(invoice(&db, "F-F1").status, InvoiceStatus::Paid);
    assert_eq!(invoice(&db, "F-F2").remaining.amount(), amount("200.00"));
}

#[test]
fn a_free_credit_note_netted_by_the_payer_is_set_against_the_invoice_and_freed_on_undo() {
    let db = ledger(&[("G1", "1000.00")]);
    let credit_note = json!({
        "external_id": "cn_1", "number": "AV-1", "customer": "C-1",
        "issue_date": "2026-03-05", "currency": "EUR", "total": "200.00",
    });
    apply(
        &db,
        &event(
            "evt_cn",
            "credit_note.upserted",
            "2026-03-05T08:00:00Z",
            credit_note,
        ),
        at(NOW),
    )
    .expect("credit note");
    receive(
        &db,
        vec![credit("800.00", "ACME SA", "Facture F-G1 moins avoir AV-1")],
    );

    let summary = run(&db);

    assert_eq!(summary.auto_applied, 1, "{summary:?}");
    let settled = invoice(&db, "F-G1");
    assert_eq!(settled.status, InvoiceStatus::Paid);
    assert_eq!(
        (settled.credited.amount(), settled.allocated.amount()),
        (amount("200.00"), amount("800.00"))
    );

    let allocation_id = matches(&db, MatchStatus::Applied)[0].allocation_ids[0];
    undo_allocation(&db, allocation_id, 7, at(NOW)).expect("undo");

    let reopened = invoice(&db, "F-G1");
    assert_eq!(reopened.remaining.amount(), amount("1000.00"));
    assert_eq!(
        count(&db, "FROM credit_notes WHERE invoice_external_id IS NULL"),
        1
    );
}

#[test]
fn a_second_run_finds_the_suggestions_the_first_left_and_changes_nothing() {
    let db = ledger(&[("A1", "500.00"), ("A2", "500.00")]);
    receive(
        &db,
        vec![
            credit("500.00", "ACME SA", "paiement"),
            credit("500.00", "ACME SA", "Facture F-A1"),
        ],
    );

    let first = run(&db);
    let decided = count(&db, "FROM reconciliation_matches");
    let second = run(&db);

    assert_eq!(first.auto_applied, 1, "{first:?}");
    assert_eq!(invoice(&db, "F-A1").status, InvoiceStatus::Paid);
    assert_eq!(
        (second.auto_applied, second.sent_to_review),
        (0, 0),
        "{second:?}"
    );
    assert_eq!(count(&db, "FROM reconciliation_matches"), decided);
    let waiting = matches(&db, MatchStatus::Suggested);
    assert!(
        waiting
            .iter()
            .all(|suggestion| suggestion.allocations.iter().all(|a| a.number != "F-A1")),
        "a paid invoice is still suggested: {waiting:?}"
    );
}
