//! Keyset pagination: walking the pages visits every row exactly once, in
//! order, for every sort and direction, ties included.

use std::collections::HashSet;

use relance_api::{Cursor, InvoiceFilter, InvoiceSort, Page, Scope, SortDirection};
use relance_store::NativeDatabase;
use relance_store::bulk_upsert_invoices;
use relance_store::invoices::{InvoiceRecord, list_invoices};
use rust_decimal::Decimal;
use serde_json::json;

use crate::support::{Shuffle, at, database, invoice};

const INVOICES: u64 = 137;

/// Invoices with many equal due dates, totals and customers, so that ties
/// are common.
fn ledger() -> NativeDatabase {
    let db = database();
    let mut random = Shuffle::new(7);

    let items: Vec<_> = (0..INVOICES)
        .map(|n| {
            let day = 1 + random.below(5);
            let total = ["9.90", "100.00", "1440.00", "99.99"]
                [usize::try_from(random.below(4)).expect("small")];
            invoice(
                &format!("inv_{n}"),
                json!({
                    "number": format!("F-{:03}", random.below(60)),
                    "customer": format!("C-{}", random.below(6)),
                    "issue_date": format!("2026-02-{day:02}"),
                    "due_date": format!("2026-03-{day:02}"),
                    "total": total,
                    "tax": "0.00",
                }),
            )
        })
        .collect();
    bulk_upsert_invoices(
        &db,
        &items,
        at("2026-03-01T00:00:00Z"),
        at("2026-03-01T00:00:00Z"),
    )
    .expect("bulk");
    db
}

fn walk(db: &NativeDatabase, filter: &InvoiceFilter, limit: u32) -> Vec<InvoiceRecord> {
    let mut rows = Vec::new();
    let mut page = Page::first(limit);

    loop {
        let listing = list_invoices(db, &Scope::Everything, filter, &page).expect("page");
        assert!(listing.items.len() <= limit as usize);
        rows.extend(listing.items);

        match listing.next_cursor {
            Some(text) => page.cursor = Some(Cursor::decode(&text).expect("cursor we issued")),
            None => return rows,
        }
    }
}

/// The value sorted on: text for dates, numbers and names, the amount for
/// the remaining sort (compared as a number, not as text).
fn sort_value(invoice: &InvoiceRecord, sort: InvoiceSort) -> (String, Decimal) {
    let text = |value: String| (value, Decimal::ZERO);
    match sort {
        InvoiceSort::DueDate => text(invoice.due_date.to_string()),
        InvoiceSort::IssueDate => text(invoice.issue_date.to_string()),
        InvoiceSort::Remaining => (String::new(), invoice.remaining.amount()),
        InvoiceSort::Number => text(invoice.number.clone()),
        InvoiceSort::CustomerName => text(invoice.customer_name.clone()),
    }
}

#[test]
fn walking_every_page_returns_each_invoice_once_in_order() {
    let db = ledger();
    let sorts = [
        InvoiceSort::DueDate,
        InvoiceSort::IssueDate,
        InvoiceSort::Remaining,
        InvoiceSort::Number,
        InvoiceSort::CustomerName,
    ];

    for sort in sorts {
        for direction in [SortDirection::Ascending, SortDirection::Descending] {
            for limit in [1, 10, 1000] {
                let mut filter = InvoiceFilter::all("2026-03-03".parse().expect("date"));
                filter.sort = sort;
                filter.direction = direction;

                let rows = walk(&db, &filter, limit);

                let ids: HashSet<i64> = rows.iter().map(|r| r.id).collect();
                assert_eq!(
                    rows.len() as u64,
                    INVOICES,
                    "{sort:?} {direction:?} {limit}"
                );
                assert_eq!(
                    ids.len() as u64,
                    INVOICES,
                    "{sort:?} {direction:?} {limit}: repeats"
                );

                let keys: Vec<_> = rows.iter().map(|r| (sort_value(r, sort), r.id)).collect();
                let mut expected = keys.clone();
                expected.sort();
                if direction == SortDirection::Descending {
                    expected.reverse();
                }
                assert_eq!(keys, expected, "{sort:?} {direction:?} {limit}: order");
            }
        }
    }
}

#[test]
fn status_filters_judge_overdue_on_the_as_of_day() {
    let db = ledger();
    let as_of = "2026-03-03".parse().expect("date");

    let count = |statuses| {
        let mut filter = InvoiceFilter::all(as_of);
        filter.statuses = statuses;
        walk(&db, &filter, 1000)
    };
    let overdue = count(vec![relance_api::StatusFilter::Overdue]);
    let not_due = count(vec![relance_api::StatusFilter::NotDue]);

    assert!(overdue.iter().all(|i| i.due_date < as_of));
    assert!(not_due.iter().all(|i| i.due_date >= as_of));
    assert_eq!((overdue.len() + not_due.len()) as u64, INVOICES);
}
