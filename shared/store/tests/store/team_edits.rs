//! Customers created and edited by the finance team through the API.

use relance_api::Scope;
use relance_ledger::customer::{Customer, Iban, SourceRef};
use relance_store::StoreError;
use relance_store::customers::{create_customer, get_customer, update_customer};

use crate::support::{at, database};

fn customer(external_id: &str) -> Customer {
    let mut customer = Customer::stub(
        SourceRef::new("manual", external_id).expect("identity"),
        "Boulangerie Martin SARL",
    );
    customer.segmentation.owner = Some("alice".into());
    customer.segmentation.collector = Some("bruno".into());
    customer.segmentation.tags = vec!["bakery".into()];
    customer.bank_accounts = vec![Iban::parse("FR7630006000011234567890189").expect("valid IBAN")];
    customer
}

#[test]
fn created_customer_reads_back_as_entered() {
    let db = database();

    let created =
        create_customer(&db, &customer("C-1"), at("2026-03-01T09:00:00Z")).expect("create");

    let stored = get_customer(&db, &Scope::Everything, created.id)
        .expect("get")
        .expect("stored");
    assert_eq!(stored.customer, customer("C-1"));
    assert_eq!(stored.version, None);
    assert!(!stored.archived);
}

#[test]
fn creating_the_same_customer_twice_is_a_conflict() {
    let db = database();
    create_customer(&db, &customer("C-1"), at("2026-03-01T09:00:00Z")).expect("create");

    let error =
        create_customer(&db, &customer("C-1"), at("2026-03-01T09:00:00Z")).expect_err("exists");

    assert!(matches!(error, StoreError::AlreadyExists { .. }), "{error}");
    assert_eq!(relance_api::ApiError::from(error).status, 409);
}

#[test]
fn collector_can_reassign_segmentation_only_within_their_portfolio() {
    let db = database();
    let id = create_customer(&db, &customer("C-1"), at("2026-03-01T09:00:00Z"))
        .expect("create")
        .id;
    let mut edited = customer("C-1");
    edited.segmentation.region = Some("Nord".into());
    edited.bank_accounts.clear();

    let stranger = Scope::Collector("chloe".into());
    let error = update_customer(&db, &stranger, id, &edited, at("2026-03-02T09:00:00Z"))
        .expect_err("not hers");
    assert_eq!(relance_api::ApiError::from(error).status, 404);

    let assigned = Scope::Collector("bruno".into());
    let updated =
        update_customer(&db, &assigned, id, &edited, at("2026-03-02T09:00:00Z")).expect("update");
    assert_eq!(
        updated.customer.segmentation.region.as_deref(),
        Some("Nord")
    );
    assert!(updated.customer.bank_accounts.is_empty());
}
