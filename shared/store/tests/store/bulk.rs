//! Bulk upsert: each item stands alone inside one transaction.

use relance_api::{InvoiceFilter, Page, Scope};
use relance_store::invoices::list_invoices;
use relance_store::{BulkOutcome, Database, apply, bulk_upsert_invoices};
use serde_json::json;

use crate::support::{at, database, event, invoice, invoice_data};

#[test]
fn a_failing_item_does_not_roll_back_the_good_ones() {
    let db = database();
    let voided = event(
        "evt_1",
        "invoice.upserted",
        "2026-03-01T09:00:00Z",
        invoice_data("inv_2", json!({"status": "void"})),
    );
    apply(&db, &voided, at("2026-03-01T09:00:00Z")).expect("store a void invoice");

    let items = [
        invoice("inv_1", json!({})),
        invoice("inv_2", json!({"status": "open"})),
        invoice("inv_3", json!({"customer": "C-2"})),
    ];
    let results = bulk_upsert_invoices(
        &db,
        &items,
        at("2026-03-10T09:00:00Z"),
        at("2026-03-10T09:00:00Z"),
    )
    .expect("bulk");

    let outcomes: Vec<_> = results
        .iter()
        .map(|r| (r.index, r.source_ref.external_id.as_str(), &r.outcome))
        .collect();
    assert_eq!(outcomes[0], (0, "inv_1", &BulkOutcome::Applied));
    assert_eq!(outcomes[2], (2, "inv_3", &BulkOutcome::Applied));
    match outcomes[1].2 {
        BulkOutcome::Failed { error } => assert!(error.contains("void"), "{error}"),
        other => panic!("inv_2 should fail, got {other:?}"),
    }

    let listing = list_invoices(
        &db,
        &Scope::Everything,
        &InvoiceFilter::all("2026-03-10".parse().expect("date")),
        &Page::default(),
    )
    .expect("list");
    let mut stored: Vec<_> = listing
        .items
        .iter()
        .map(|i| (i.source_ref.external_id.as_str(), i.status.as_str()))
        .collect();
    stored.sort_unstable();
    assert_eq!(
        stored,
        [("inv_1", "open"), ("inv_2", "void"), ("inv_3", "open")]
    );
}

#[test]
fn a_bulk_item_older_than_the_stored_invoice_is_stale() {
    let db = database();
    let newer = event(
        "evt_1",
        "invoice.upserted",
        "2026-03-12T09:00:00Z",
        invoice_data("inv_1", json!({"amount_paid": "100.00"})),
    );
    apply(&db, &newer, at("2026-03-12T09:00:00Z")).expect("apply");

    let results = bulk_upsert_invoices(
        &db,
        &[invoice("inv_1", json!({}))],
        at("2026-03-10T09:00:00Z"),
        at("2026-03-12T10:00:00Z"),
    )
    .expect("bulk");

    assert_eq!(results[0].outcome, BulkOutcome::Stale);
}

#[test]
fn a_refused_item_of_a_new_customer_leaves_no_customer_behind() {
    let db = database();
    let credit_note = json!({
        "external_id": "cn_1", "number": "AV-1", "customer": "C-1", "invoice": "inv_9",
        "issue_date": "2026-03-02", "currency": "EUR", "total": "100.50",
    });
    apply(
        &db,
        &event(
            "evt_cn",
            "credit_note.upserted",
            "2026-03-02T09:00:00Z",
            credit_note,
        ),
        at("2026-03-02T09:00:00Z"),
    )
    .expect("a credit note in euros");

    // inv_9 is in yen, which has no cents: its credit note cannot be taken off.
    let yen = json!({
        "customer": "C-new", "currency": "JPY", "total": "1440", "tax": "240",
        "amount_paid": "0",
    });
    let results = bulk_upsert_invoices(
        &db,
        &[invoice("inv_9", yen), invoice("inv_1", json!({}))],
        at("2026-03-10T09:00:00Z"),
        at("2026-03-10T09:00:00Z"),
    )
    .expect("bulk");

    assert!(
        matches!(results[0].outcome, BulkOutcome::Failed { .. }),
        "{:?}",
        results[0].outcome
    );
    assert_eq!(results[1].outcome, BulkOutcome::Applied);
    let customers = db
        .execute(
            "SELECT external_id FROM customers ORDER BY external_id",
            &[],
        )
        .expect("customers");
    let ids: Vec<&str> = customers
        .iter()
        .map(|row| row.text("external_id").expect("text"))
        .collect();
    assert_eq!(ids, ["C-1"]);
}
