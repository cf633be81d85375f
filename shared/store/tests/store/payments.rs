//! A customer's payments: newest first across its invoices, reversed ones
//! kept and marked, paged, and nothing for a caller outside the portfolio.

use chrono::NaiveDate;
use relance_api::{Cursor, Page, Scope};
use relance_ledger::allocation::{Allocation, InvoiceLocator, PaymentMethod};
use relance_ledger::customer::SourceRef;
use relance_ledger::invoice::InvoiceNumber;
use relance_ledger::money::{Currency, Money};
use relance_store::payments::{PAYMENT_SORT, list_customer_payments};
use relance_store::{Database, NativeDatabase, apply, record_allocation, reverse_allocation};
use serde_json::json;

use crate::support::{at, database, event, invoice_data};

const NOW: &str = "2026-04-20T12:00:00Z";

/// ACME (owned by alice) with invoices F-1 and F-2, Globex (owned by bruno)
/// with F-3; returns the customers' ids.
fn ledger() -> (NativeDatabase, i64, i64) {
    let db = database();
    for (customer, name, owner) in [("C-1", "ACME", "alice"), ("C-2", "Globex", "bruno")] {
        let data = json!({"external_id": customer, "name": name, "owner": owner});
        let created = event(&format!("evt_{customer}"), "customer.upserted", NOW, data);
        apply(&db, &created, at(NOW)).expect("customer");
    }
    for (number, customer) in [("1", "C-1"), ("2", "C-1"), ("3", "C-2")] {
        let data = invoice_data(number, json!({"customer": customer}));
        apply(
            &db,
            &event(&format!("evt_{number}"), "invoice.upserted", NOW, data),
            at(NOW),
        )
        .expect("invoice");
    }

    let id = |name: &str| {
        db.execute("SELECT id FROM customers WHERE name = ?", &[name.into()])
            .expect("customer id")
            .first()
            .expect("customer exists")
            .integer("id")
            .expect("integer id")
    };
    let (acme, globex) = (id("ACME"), id("Globex"));
    (db, acme, globex)
}

fn pay(db: &NativeDatabase, reference: &str, invoice: &str, amount: &str, day: &str) {
    let payment = Allocation {
        source_ref: SourceRef::new("bank", reference).expect("identity"),
        invoice: InvoiceLocator::Number(InvoiceNumber::parse(invoice).expect("number")),
        amount: Money::parse(amount, Currency::EUR).expect("amount"),
        paid_on: day.parse::<NaiveDate>().expect("day"),
        method: PaymentMethod::BankTransfer,
    };
    record_allocation(db, &payment, at(NOW)).expect("allocate");
}

#[test]
fn payments_on_every_invoice_of_the_customer_are_listed_newest_first() {
    let (db, acme, _) = ledger();
    pay(&db, "t1", "F-1", "400.00", "2026-04-02");
    pay(&db, "t2", "F-2", "1440.00", "2026-04-10");
    pay(&db, "t3", "F-3", "100.00", "2026-04-11");
    pay(&db, "t4", "F-1", "1040.00", "2026-04-15");

    let listing = list_customer_payments(&db, &Scope::Everything, acme, &Page::first(10))
        .expect("query")
        .expect("ACME is visible");

    let seen: Vec<(String, String, String)> = listing
        .items
        .iter()
        .map(|p| {
            (
                p.paid_on.to_string(),
                p.invoice_number.clone(),
                p.amount.to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("2026-04-15".into(), "F-1".into(), "1040.00 EUR".into()),
            ("2026-04-10".into(), "F-2".into(), "1440.00 EUR".into()),
            ("2026-04-02".into(), "F-1".into(), "400.00 EUR".into()),
        ]
    );
    assert_eq!(listing.next_cursor, None);
}

#[test]
fn a_reversed_payment_stays_listed_with_the_day_it_was_undone() {
    let (db, acme, _) = ledger();
    pay(&db, "t1", "F-1", "400.00", "2026-04-02");
    let allocation = db
        .execute("SELECT id FROM allocations", &[])
        .expect("allocation")
        .first()
        .expect("one allocation")
        .integer("id")
        .expect("id");
    reverse_allocation(&db, allocation, at(NOW)).expect("reverse");

    let listing = list_customer_payments(&db, &Scope::Everything, acme, &Page::first(10))
        .expect("query")
        .expect("visible");

    assert_eq!(listing.items.len(), 1);
    assert_eq!(listing.items[0].reversed_at, Some(at(NOW)));
}

#[test]
fn payments_page_by_cursor_without_repeating_or_skipping() {
    let (db, acme, _) = ledger();
    for day in 1..=5 {
        pay(
            &db,
            &format!("t{day}"),
            "F-1",
            "10.00",
            &format!("2026-04-0{day}"),
        );
    }

    let mut days = Vec::new();
    let mut page = Page::first(2);
    loop {
        let listing = list_customer_payments(&db, &Scope::Everything, acme, &page)
            .expect("query")
            .expect("visible");
        days.extend(listing.items.iter().map(|p| p.paid_on.to_string()));
        let Some(next) = listing.next_cursor else {
            break;
        };
        let cursor = Cursor::decode(&next).expect("cursor");
        assert_eq!(cursor.sort, PAYMENT_SORT);
        page = Page {
            limit: 2,
            cursor: Some(cursor),
        };
    }

    assert_eq!(
        days,
        [
            "2026-04-05",
            "2026-04-04",
            "2026-04-03",
            "2026-04-02",
            "2026-04-01"
        ]
    );
}

#[test]
fn a_customer_outside_the_portfolio_has_no_payments_to_show() {
    let (db, acme, globex) = ledger();
    pay(&db, "t1", "F-1", "400.00", "2026-04-02");
    let bruno = Scope::Owner("bruno".into());

    assert_eq!(
        list_customer_payments(&db, &bruno, acme, &Page::first(10)).expect("query"),
        None
    );
    let own = list_customer_payments(&db, &bruno, globex, &Page::first(10)).expect("query");
    assert_eq!(own.map(|listing| listing.items.len()), Some(0));
    assert_eq!(
        list_customer_payments(&db, &Scope::Everything, 999, &Page::first(10)).expect("query"),
        None
    );
}
