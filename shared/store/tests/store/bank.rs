//! Bank transactions stored once across files and polls, listed by account,
//! day and status; connections and their cursors.

use chrono::NaiveDate;
use relance_api::{Cursor, Page};
use relance_bank_statements::{
    AccountRef, BankTransaction, Currency, Remittance, TransactionStatus, parse_statement,
};
use relance_store::StoreError;
use relance_store::bank::{
    ConnectionStatus, NewConnection, Provider, SourcedTransaction, StoreOutcome, TransactionFilter,
    TransactionSource, UNIDENTIFIED_ACCOUNT, advance_cursor, create_connection, get_connection,
    list_connections, list_transactions, pollable_connections, record_poll_failure,
    record_poll_success, remove_transactions, store_transactions,
};
use rust_decimal::Decimal;
use serde_json::json;

use crate::support::{at, database};

fn account() -> AccountRef {
    AccountRef {
        iban: Some("FR7630006000011234567890189".to_owned()),
        ..AccountRef::default()
    }
}

fn day(text: &str) -> NaiveDate {
    text.parse().expect("YYYY-MM-DD")
}

fn payment(date: &str, amount: &str, end_to_end_id: Option<&str>) -> BankTransaction {
    BankTransaction {
        booking_date: day(date),
        value_date: None,
        amount: amount.parse::<Decimal>().expect("decimal amount"),
        currency: Some(Currency::parse("EUR").expect("currency")),
        status: TransactionStatus::Booked,
        counterparty_name: Some("ACME SA".to_owned()),
        counterparty_iban: None,
        end_to_end_id: end_to_end_id.map(str::to_owned),
        customer_reference: None,
        bank_reference: None,
        remittance: Remittance {
            unstructured: vec!["Invoice F-42".to_owned()],
            ..Remittance::default()
        },
        reversal: false,
        bank_transaction_code: None,
        raw_description: "Invoice F-42".to_owned(),
        fingerprint: String::new(),
    }
}

fn sourced(transactions: Vec<BankTransaction>) -> Vec<SourcedTransaction> {
    transactions
        .into_iter()
        .map(|transaction| SourcedTransaction {
            transaction,
            source_id: None,
        })
        .collect()
}

fn outcome(inserted: u32, duplicates: u32, booked: u32) -> StoreOutcome {
    StoreOutcome {
        inserted,
        duplicates,
        booked,
    }
}

fn all(db: &relance_store::NativeDatabase) -> Vec<relance_store::bank::StoredTransaction> {
    list_transactions(db, &TransactionFilter::default(), &Page::first(1000))
        .expect("list")
        .items
}

#[test]
fn a_real_statement_stored_twice_inserts_nothing_the_second_time() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/bank-statements/camt053/camt_parser_053_valid_example.xml"
    );
    let bytes = std::fs::read(path).expect("camt.053 fixture");
    let statements = parse_statement(&bytes).expect("parses");
    let db = database();

    let mut first = StoreOutcome::default();
    let mut second = StoreOutcome::default();
    for statement in &statements {
        let batch = sourced(statement.transactions.clone());
        let stored = store_transactions(
            &db,
            &statement.account,
            TransactionSource::File,
            &batch,
            at("2026-03-02T09:00:00Z"),
        )
        .expect("first store");
        first.inserted += stored.inserted;
        let again = store_transactions(
            &db,
            &statement.account,
            TransactionSource::File,
            &batch,
            at("2026-03-02T10:00:00Z"),
        )
        .expect("second store");
        second.duplicates += again.duplicates;
        second.inserted += again.inserted;
    }

    let count: u32 = statements
        .iter()
        .map(|s| u32::try_from(s.transactions.len()).expect("few"))
        .sum();
    assert!(count > 0);
    assert_eq!(first.inserted, count);
    assert_eq!((second.inserted, second.duplicates), (0, count));
    assert_eq!(all(&db).len(), count as usize);
}

#[test]
fn the_same_payment_from_a_file_and_a_poll_is_one_transaction() {
    let db = database();
    let from_file = sourced(vec![payment("2026-03-02", "1440.00", Some("E2E-42"))]);
    let mut polled = payment("2026-03-02", "1440", Some("E2E-42"));
    polled.bank_reference = Some("gc-tx-1".to_owned());
    let from_poll = vec![SourcedTransaction {
        transaction: polled,
        source_id: Some("gc-tx-1".to_owned()),
    }];

    let at_file = at("2026-03-02T09:00:00Z");
    let at_poll = at("2026-03-02T10:00:00Z");
    let file = store_transactions(
        &db,
        &account(),
        TransactionSource::File,
        &from_file,
        at_file,
    );
    let poll = store_transactions(
        &db,
        &account(),
        TransactionSource::Gocardless,
        &from_poll,
        at_poll,
    );

    assert_eq!(file.expect("file"), outcome(1, 0, 0));
    assert_eq!(poll.expect("poll"), outcome(0, 1, 0));
    assert_eq!(all(&db)[0].source, TransactionSource::File);
}

#[test]
fn a_pending_payment_later_booked_replaces_the_pending_one() {
    let db = database();
    let mut pending = payment("2026-03-02", "99.90", Some("E2E-7"));
    pending.status = TransactionStatus::Pending;
    let mut booked = payment("2026-03-02", "99.90", Some("E2E-7"));
    booked.value_date = Some(day("2026-03-03"));

    let first = store_transactions(
        &db,
        &account(),
        TransactionSource::BerlinGroup,
        &sourced(vec![pending.clone()]),
        at("2026-03-02T09:00:00Z"),
    );
    let second = store_transactions(
        &db,
        &account(),
        TransactionSource::BerlinGroup,
        &sourced(vec![booked]),
        at("2026-03-03T09:00:00Z"),
    );
    let third = store_transactions(
        &db,
        &account(),
        TransactionSource::BerlinGroup,
        &sourced(vec![pending]),
        at("2026-03-03T10:00:00Z"),
    );

    assert_eq!(first.expect("pending"), outcome(1, 0, 0));
    assert_eq!(second.expect("booked"), outcome(0, 0, 1));
    assert_eq!(third.expect("pending again"), outcome(0, 1, 0));
    let stored = all(&db);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].status, "booked");
    assert_eq!(stored[0].value_date, Some(day("2026-03-03")));
    assert_eq!(stored[0].first_seen_at, at("2026-03-02T09:00:00Z"));
}

#[test]
fn two_identical_payments_in_one_batch_are_both_kept_and_not_again() {
    let db = database();
    let twice = sourced(vec![
        payment("2026-03-02", "10.00", None),
        payment("2026-03-02", "10.00", None),
    ]);

    let first = store_transactions(
        &db,
        &account(),
        TransactionSource::File,
        &twice,
        at("2026-03-02T09:00:00Z"),
    );
    let again = store_transactions(
        &db,
        &account(),
        TransactionSource::File,
        &twice,
        at("2026-03-02T10:00:00Z"),
    );

    assert_eq!(first.expect("first"), outcome(2, 0, 0));
    assert_eq!(again.expect("again"), outcome(0, 2, 0));
}

#[test]
fn a_statement_naming_no_account_is_kept_under_the_unidentified_account() {
    let db = database();

    let stored = store_transactions(
        &db,
        &AccountRef::default(),
        TransactionSource::File,
        &sourced(vec![payment("2026-03-02", "10.00", None)]),
        at("2026-03-02T09:00:00Z"),
    )
    .expect("no IBAN, no number");

    assert_eq!(stored, outcome(1, 0, 0));
    assert_eq!(all(&db)[0].account, UNIDENTIFIED_ACCOUNT);
}

#[test]
fn removed_transactions_are_deleted_by_their_source_id() {
    let db = database();
    let mut pending = payment("2026-03-02", "-25.00", Some("P-1"));
    pending.status = TransactionStatus::Pending;
    let batch = vec![SourcedTransaction {
        transaction: pending,
        source_id: Some("plaid-pending-1".to_owned()),
    }];
    store_transactions(
        &db,
        &account(),
        TransactionSource::Plaid,
        &batch,
        at("2026-03-02T09:00:00Z"),
    )
    .expect("store");

    let ids = ["plaid-pending-1".to_owned(), "never-seen".to_owned()];
    let removed = remove_transactions(&db, TransactionSource::Plaid, &ids).expect("remove");

    assert_eq!(removed, 1);
    assert!(all(&db).is_empty());
}

#[test]
fn listing_filters_by_account_day_and_status_and_pages_in_booking_order() {
    let db = database();
    let other = AccountRef {
        number: Some("12 345 678".to_owned()),
        ..AccountRef::default()
    };
    let mut pending = payment("2026-03-05", "5.00", Some("E-5"));
    pending.status = TransactionStatus::Pending;
    let ours = sourced(vec![
        payment("2026-03-04", "4.00", Some("E-4")),
        payment("2026-03-01", "1.00", Some("E-1")),
        pending,
        payment("2026-03-02", "2.00", Some("E-2")),
    ]);
    let theirs = sourced(vec![payment("2026-03-03", "3.00", Some("E-3"))]);
    let now = at("2026-03-06T09:00:00Z");
    store_transactions(&db, &account(), TransactionSource::File, &ours, now).expect("ours");
    store_transactions(&db, &other, TransactionSource::File, &theirs, now).expect("theirs");

    let amounts = |filter: TransactionFilter| -> Vec<String> {
        list_transactions(&db, &filter, &Page::first(100))
            .expect("list")
            .items
            .iter()
            .map(|t| t.amount.to_string())
            .collect()
    };
    let cases = [
        (
            TransactionFilter::default(),
            vec!["1.00", "2.00", "3.00", "4.00", "5.00"],
        ),
        (
            TransactionFilter {
                account: Some("12345678".to_owned()),
                ..TransactionFilter::default()
            },
            vec!["3.00"],
        ),
        (
            TransactionFilter {
                account: Some("fr76 3000 6000 0112 3456 7890 189".to_owned()),
                from: Some(day("2026-03-02")),
                to: Some(day("2026-03-04")),
                ..TransactionFilter::default()
            },
            vec!["2.00", "4.00"],
        ),
        (
            TransactionFilter {
                status: Some(TransactionStatus::Pending),
                ..TransactionFilter::default()
            },
            vec!["5.00"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(amounts(filter.clone()), expected, "{filter:?}");
    }

    let first = list_transactions(&db, &TransactionFilter::default(), &Page::first(2)).expect("1");
    let cursor = Cursor::decode(first.next_cursor.as_deref().expect("more")).expect("cursor");
    let next = Page {
        limit: 2,
        cursor: Some(cursor),
    };
    let second = list_transactions(&db, &TransactionFilter::default(), &next).expect("2");
    let days: Vec<String> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|t| t.booking_date.to_string())
        .collect();
    assert_eq!(
        days,
        ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
    );
}

#[test]
fn a_connection_keeps_its_cursor_and_the_outcome_of_its_last_poll() {
    let db = database();
    let new = NewConnection {
        name: "Main account".to_owned(),
        provider: Provider::Plaid,
        config: json!({ "base_url": "https://sandbox.plaid.com", "secret_variable": "plaid_secret" }),
        consent_expires_on: Some(day("2026-06-01")),
    };
    let created = create_connection(&db, &new, at("2026-03-01T09:00:00Z")).expect("create");
    assert_eq!(created.status, ConnectionStatus::Active);
    assert_eq!(created.cursor, None);

    advance_cursor(&db, created.id, "cursor-page-1", at("2026-03-02T09:00:00Z")).expect("cursor");
    let failed = record_poll_failure(
        &db,
        created.id,
        ConnectionStatus::ConsentExpired,
        "the bank answered 401",
        at("2026-03-02T09:00:01Z"),
    )
    .expect("failure");
    assert_eq!(failed.cursor.as_deref(), Some("cursor-page-1"));
    assert_eq!(failed.status, ConnectionStatus::ConsentExpired);
    assert_eq!(pollable_connections(&db).expect("pollable").len(), 1);

    let recovered = record_poll_success(&db, created.id, at("2026-03-03T09:00:00Z")).expect("ok");
    assert_eq!(recovered.status, ConnectionStatus::Active);
    assert_eq!(recovered.last_error, None);
    assert_eq!(get_connection(&db, created.id).expect("get"), recovered);
    assert_eq!(list_connections(&db).expect("list"), vec![recovered]);
}

#[test]
fn an_unknown_connection_is_not_found() {
    let db = database();

    let error = get_connection(&db, 7).expect_err("none stored");

    assert!(matches!(error, StoreError::NotFound { .. }), "{error}");
}
