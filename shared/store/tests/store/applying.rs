//! Applying platform events: once per event id, newest state wins, all of an
//! event or nothing, and what remains due kept right.

use chrono::NaiveDate;
use relance_api::Scope;
use relance_api::{InvoiceFilter, Page};
use relance_ledger::allocation::{Allocation, InvoiceLocator, PaymentMethod};
use relance_ledger::customer::SourceRef;
use relance_ledger::invoice::{Dispute, InvoiceNumber, InvoiceStatus, PromiseToPay};
use relance_ledger::money::{Currency, Money};
use relance_store::invoices::{
    InvoiceRecord, get_invoice, list_invoices, open_dispute, pause_dunning, record_promise_to_pay,
};
use relance_store::{
    ApplyOutcome, Database, NativeDatabase, StoreError, apply, record_allocation,
    reverse_allocation,
};
use serde_json::json;

use crate::support::{at, database, event, invoice_data};

const NOW: &str = "2026-03-20T12:00:00Z";

fn eur(amount: &str) -> Money {
    Money::parse(amount, Currency::EUR).expect("valid amount")
}

fn date(text: &str) -> NaiveDate {
    text.parse().expect("YYYY-MM-DD")
}

fn only_invoice(db: &NativeDatabase) -> InvoiceRecord {
    let listing = list_invoices(
        db,
        &Scope::Everything,
        &InvoiceFilter::all(date("2026-03-20")),
        &Page::default(),
    )
    .expect("list");
    assert_eq!(listing.items.len(), 1, "{listing:?}");
    listing.items.into_iter().next().expect("one invoice")
}

fn upsert(
    db: &NativeDatabase,
    id: &str,
    occurred_at: &str,
    fields: serde_json::Value,
) -> ApplyOutcome {
    let event = event(
        id,
        "invoice.upserted",
        occurred_at,
        invoice_data("inv_1", fields),
    );
    apply(db, &event, at(NOW)).expect("apply")
}

#[test]
fn same_event_applied_twice_is_a_duplicate_and_changes_nothing() {
    let db = database();
    assert_eq!(
        upsert(&db, "evt_1", "2026-03-02T09:15:00Z", json!({})),
        ApplyOutcome::Applied
    );
    let before = only_invoice(&db);

    let event = event(
        "evt_1",
        "invoice.upserted",
        "2026-03-02T09:15:00Z",
        invoice_data("inv_1", json!({"amount_paid": "100.00"})),
    );
    let outcome = apply(&db, &event, at("2026-03-21T08:00:00Z")).expect("apply again");

    assert_eq!(outcome, ApplyOutcome::Duplicate);
    assert_eq!(only_invoice(&db), before);
}

#[test]
fn older_event_arriving_after_a_newer_one_is_stale() {
    let db = database();

    let newer = upsert(
        &db,
        "evt_2",
        "2026-03-05T10:00:00Z",
        json!({"amount_paid": "400.00"}),
    );
    let older = upsert(
        &db,
        "evt_1",
        "2026-03-02T09:15:00Z",
        json!({"amount_paid": "0.00"}),
    );

    assert_eq!((newer, older), (ApplyOutcome::Applied, ApplyOutcome::Stale));
    let stored = only_invoice(&db);
    assert_eq!(stored.amount_paid, eur("400.00"));
    assert_eq!(stored.remaining, eur("1040.00"));
    assert_eq!(stored.status, InvoiceStatus::PartiallyPaid);
    assert_eq!(stored.version, at("2026-03-05T10:00:00Z"));
}

#[test]
fn platform_updates_keep_the_teams_annotations() {
    let db = database();
    upsert(&db, "evt_1", "2026-03-02T09:15:00Z", json!({}));
    let id = only_invoice(&db).id;
    let dispute = Dispute {
        opened_on: date("2026-03-10"),
        reason: "damaged goods".into(),
    };
    let promise = PromiseToPay {
        promised_on: date("2026-04-15"),
        amount: eur("1440.00"),
        recorded_on: date("2026-03-11"),
    };
    open_dispute(&db, &Scope::Everything, id, &dispute, at(NOW)).expect("dispute");
    record_promise_to_pay(&db, &Scope::Everything, id, &promise, at(NOW)).expect("promise");
    pause_dunning(
        &db,
        &Scope::Everything,
        id,
        Some(date("2026-04-30")),
        at(NOW),
    )
    .expect("pause");

    upsert(
        &db,
        "evt_2",
        "2026-03-12T09:00:00Z",
        json!({"due_date": "2026-04-10"}),
    );

    let stored = only_invoice(&db);
    assert_eq!(stored.due_date, date("2026-04-10"));
    assert_eq!(stored.dispute, Some(dispute));
    assert_eq!(stored.promise_to_pay, Some(promise));
    assert_eq!(stored.dunning_paused_until, Some(date("2026-04-30")));
}

#[test]
fn credit_notes_reduce_what_remains_until_voided() {
    let db = database();
    let credit_note = json!({
        "external_id": "cn_77", "number": "AV-9", "customer": "C-1", "invoice": "inv_1",
        "issue_date": "2026-03-10", "currency": "EUR", "total": "240.00",
    });

    // The credit note arrives before its invoice: it counts once the invoice is stored.
    apply(
        &db,
        &event(
            "evt_cn",
            "credit_note.upserted",
            "2026-03-10T08:00:00Z",
            credit_note,
        ),
        at(NOW),
    )
    .expect("credit note");
    upsert(&db, "evt_inv", "2026-03-02T09:15:00Z", json!({}));
    let credited = only_invoice(&db);
    assert_eq!(
        (credited.credited, credited.remaining),
        (eur("240.00"), eur("1200.00"))
    );

    let void = event(
        "evt_cn_void",
        "credit_note.voided",
        "2026-03-11T08:00:00Z",
        json!({"external_id": "cn_77"}),
    );
    apply(&db, &void, at(NOW)).expect("void credit note");

    let restored = only_invoice(&db);
    assert_eq!(
        (restored.credited, restored.remaining),
        (eur("0.00"), eur("1440.00"))
    );
    assert_eq!(restored.status, InvoiceStatus::Open);
}

#[test]
fn allocated_payment_settles_the_invoice_and_reversal_reopens_it() {
    let db = database();
    upsert(&db, "evt_1", "2026-03-02T09:15:00Z", json!({}));
    let payment = Allocation {
        source_ref: SourceRef::new("bank", "txn_9").expect("identity"),
        invoice: InvoiceLocator::Number(InvoiceNumber::parse("F-inv_1").expect("invoice number")),
        amount: eur("1440.00"),
        paid_on: date("2026-03-18"),
        method: PaymentMethod::BankTransfer,
    };

    record_allocation(&db, &payment, at(NOW)).expect("allocate");
    let paid = only_invoice(&db);
    assert_eq!(
        (paid.status, paid.remaining),
        (InvoiceStatus::Paid, eur("0.00"))
    );

    let allocation_id = db
        .execute("SELECT id FROM allocations", &[])
        .expect("allocation id")
        .first()
        .expect("one allocation")
        .integer("id")
        .expect("id");
    assert!(reverse_allocation(&db, allocation_id, at(NOW)).expect("reverse"));

    let reopened = only_invoice(&db);
    assert_eq!(
        (reopened.status, reopened.remaining),
        (InvoiceStatus::Open, eur("1440.00"))
    );
}

#[test]
fn a_failing_change_undoes_the_whole_event_so_it_can_be_replayed() {
    let db = database();
    let mut event = event(
        "evt_1",
        "customer.upserted",
        "2026-03-02T09:15:00Z",
        json!({"external_id": "C-9", "name": "Boulangerie Martin SARL"}),
    );
    event
        .changes
        .push(relance_ledger::change::LedgerChange::VoidInvoice(
            SourceRef::new("sellsy", "inv_unknown").expect("identity"),
        ));

    let error = apply(&db, &event, at(NOW)).expect_err("the invoice is unknown");

    assert!(
        matches!(error, StoreError::UnknownInvoice { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("sellsy:inv_unknown"), "{error}");
    let customers = db
        .execute("SELECT COUNT(*) AS n FROM customers", &[])
        .expect("count");
    assert_eq!(customers.first().expect("row").integer("n").expect("n"), 0);

    event.changes.pop();
    assert_eq!(
        apply(&db, &event, at(NOW)).expect("replay"),
        ApplyOutcome::Applied
    );
}

#[test]
fn platform_customer_update_keeps_the_owner_set_in_relance() {
    let db = database();
    let created = event(
        "evt_1",
        "customer.upserted",
        "2026-03-01T09:00:00Z",
        json!({
            "external_id": "C-1", "name": "Martin",
            "owner": "alice@example.com", "tags": ["bakery"],
        }),
    );
    let renamed = event(
        "evt_2",
        "customer.upserted",
        "2026-03-02T09:00:00Z",
        json!({"external_id": "C-1", "name": "Martin SARL"}),
    );

    apply(&db, &created, at(NOW)).expect("create");
    apply(&db, &renamed, at(NOW)).expect("rename");

    let rows = db
        .execute("SELECT name, owner, tags FROM customers", &[])
        .expect("customer");
    let row = rows.first().expect("one customer");
    assert_eq!(row.text("name").expect("name"), "Martin SARL");
    assert_eq!(row.text("owner").expect("owner"), "alice@example.com");
    assert_eq!(row.text("tags").expect("tags"), "[\"bakery\"]");
}

#[test]
fn deleting_an_unknown_customer_blocks_its_older_creation() {
    let db = database();
    let deleted = event(
        "evt_2",
        "customer.deleted",
        "2026-03-05T09:00:00Z",
        json!({"external_id": "C-1"}),
    );
    let created = event(
        "evt_1",
        "customer.upserted",
        "2026-03-01T09:00:00Z",
        json!({"external_id": "C-1", "name": "Martin"}),
    );

    assert_eq!(
        apply(&db, &deleted, at(NOW)).expect("delete"),
        ApplyOutcome::Applied
    );
    assert_eq!(
        apply(&db, &created, at(NOW)).expect("create"),
        ApplyOutcome::Stale
    );

    let rows = db
        .execute("SELECT archived FROM customers", &[])
        .expect("customer");
    assert!(
        rows.first()
            .expect("one customer")
            .boolean("archived")
            .expect("archived")
    );
}

#[test]
fn void_invoice_never_reopens() {
    let db = database();
    upsert(&db, "evt_1", "2026-03-02T09:15:00Z", json!({}));
    apply(
        &db,
        &event(
            "evt_2",
            "invoice.voided",
            "2026-03-03T09:00:00Z",
            json!({"external_id": "inv_1"}),
        ),
        at(NOW),
    )
    .expect("void");

    let reopen = event(
        "evt_3",
        "invoice.upserted",
        "2026-03-04T09:00:00Z",
        invoice_data("inv_1", json!({})),
    );
    let error = apply(&db, &reopen, at(NOW)).expect_err("void is final");

    assert!(
        matches!(error, StoreError::ForbiddenTransition { .. }),
        "{error}"
    );
    assert_eq!(
        get_invoice(&db, &Scope::Everything, only_invoice(&db).id)
            .expect("get")
            .expect("stored")
            .status,
        InvoiceStatus::Void
    );
}
