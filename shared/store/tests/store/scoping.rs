//! Portfolio scoping inside the queries: a salesperson or collector never
//! receives a row outside their portfolio, whatever the data.

use std::collections::HashMap;

use relance_api::{Cursor, CustomerFilter, InvoiceFilter, Page, Scope};
use relance_ledger::invoice::Dispute;
use relance_store::customers::{get_customer, list_customers};
use relance_store::invoices::{get_invoice, list_invoices, open_dispute};
use relance_store::{NativeDatabase, StoreError, apply};
use serde_json::json;

use crate::support::{Shuffle, at, database, event, invoice_data};

const PEOPLE: [&str; 4] = ["alice", "bruno", "chloe", "dan"];

/// Who owns and who collects each customer, by customer name.
struct Portfolio {
    owner: HashMap<String, Option<&'static str>>,
    collector: HashMap<String, Option<&'static str>>,
    invoices: HashMap<String, usize>,
}

/// Customers with random owners and collectors (some with none), each with
/// zero to four invoices.
fn random_ledger(seed: u64) -> (NativeDatabase, Portfolio) {
    let db = database();
    let mut random = Shuffle::new(seed);
    let mut portfolio = Portfolio {
        owner: HashMap::new(),
        collector: HashMap::new(),
        invoices: HashMap::new(),
    };
    let pick = |random: &mut Shuffle| {
        let index = usize::try_from(random.below(5)).expect("small");
        PEOPLE.get(index).copied()
    };

    for customer in 0..40 {
        let name = format!("Customer {customer:02}");
        let (owner, collector) = (pick(&mut random), pick(&mut random));
        let data = json!({
            "external_id": format!("C-{customer}"), "name": name,
            "owner": owner, "collector": collector,
        });
        apply(
            &db,
            &event(
                &format!("evt_c{customer}"),
                "customer.upserted",
                "2026-03-01T09:00:00Z",
                data,
            ),
            at("2026-03-01T09:00:00Z"),
        )
        .expect("customer");

        let invoices = usize::try_from(random.below(5)).expect("small");
        for n in 0..invoices {
            let id = format!("inv_{customer}_{n}");
            let data = invoice_data(&id, json!({"customer": format!("C-{customer}")}));
            apply(
                &db,
                &event(
                    &format!("evt_{id}"),
                    "invoice.upserted",
                    "2026-03-02T09:00:00Z",
                    data,
                ),
                at("2026-03-02T09:00:00Z"),
            )
            .expect("invoice");
        }

        portfolio.owner.insert(name.clone(), owner);
        portfolio.collector.insert(name.clone(), collector);
        portfolio.invoices.insert(name, invoices);
    }
    (db, portfolio)
}

fn customer_names_of_invoices(db: &NativeDatabase, scope: &Scope) -> Vec<String> {
    let filter = InvoiceFilter::all("2026-03-15".parse().expect("date"));
    let mut page = Page::first(7);
    let mut names = Vec::new();

    loop {
        let listing = list_invoices(db, scope, &filter, &page).expect("invoices");
        names.extend(listing.items.into_iter().map(|i| i.customer_name));
        match listing.next_cursor {
            Some(text) => page.cursor = Some(Cursor::decode(&text).expect("cursor")),
            None => return names,
        }
    }
}

fn scopes(person: &str) -> [(Scope, &'static str); 2] {
    [
        (Scope::Owner(person.to_owned()), "owner"),
        (Scope::Collector(person.to_owned()), "collector"),
    ]
}

#[test]
fn listed_invoices_never_leave_the_portfolio() {
    for seed in [1, 2, 3, 42, 2026] {
        let (db, portfolio) = random_ledger(seed);

        for person in PEOPLE {
            for (scope, dimension) in scopes(person) {
                let assigned = match dimension {
                    "owner" => &portfolio.owner,
                    _ => &portfolio.collector,
                };

                let names = customer_names_of_invoices(&db, &scope);

                for name in &names {
                    assert_eq!(
                        assigned[name],
                        Some(person),
                        "seed {seed}: {scope:?} received {name}"
                    );
                }
                let expected: usize = portfolio
                    .invoices
                    .iter()
                    .filter(|(name, _)| assigned[*name] == Some(person))
                    .map(|(_, count)| count)
                    .sum();
                assert_eq!(
                    names.len(),
                    expected,
                    "seed {seed}: {scope:?} missed invoices"
                );
            }
        }
    }
}

#[test]
fn listed_customers_never_leave_the_portfolio() {
    let (db, portfolio) = random_ledger(11);

    for person in PEOPLE {
        let scope = Scope::Owner(person.to_owned());
        let listing = list_customers(&db, &scope, &CustomerFilter::default(), &Page::first(1000))
            .expect("customers");

        for record in &listing.items {
            assert_eq!(record.customer.segmentation.owner.as_deref(), Some(person));
        }
        let expected = portfolio
            .owner
            .values()
            .filter(|owner| **owner == Some(person))
            .count();
        assert_eq!(listing.items.len(), expected);
    }
}

#[test]
fn another_owners_invoice_reads_as_not_found() {
    let (db, _) = random_ledger(5);
    let everything = list_invoices(
        &db,
        &Scope::Everything,
        &InvoiceFilter::all("2026-03-15".parse().expect("date")),
        &Page::first(1000),
    )
    .expect("all invoices");
    let dispute = Dispute {
        opened_on: "2026-03-10".parse().expect("date"),
        reason: "price".into(),
    };

    for invoice in everything.items {
        let customer = get_customer(&db, &Scope::Everything, invoice.customer_id)
            .expect("get")
            .expect("customer");
        let owner = customer.customer.segmentation.owner;
        let outsider = PEOPLE
            .iter()
            .find(|p| owner.as_deref() != Some(**p))
            .expect("someone else");
        let scope = Scope::Owner((*outsider).to_owned());

        assert_eq!(get_invoice(&db, &scope, invoice.id).expect("get"), None);
        assert_eq!(
            get_customer(&db, &scope, invoice.customer_id).expect("get"),
            None
        );
        let error = open_dispute(
            &db,
            &scope,
            invoice.id,
            &dispute,
            at("2026-03-15T09:00:00Z"),
        )
        .expect_err("hidden");
        assert!(matches!(error, StoreError::NotFound { .. }), "{error}");
    }
}
