//! Scoring through the native store: the ledger read back as facts
//! (payments, platform-paid invoices, reminders from the dunning history),
//! training stored once per history, refreshes that rescore only what
//! changed, and scores and alerts confined to the caller's portfolio.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Days, NaiveDate, Utc};
use relance_api::{Page, Scope};
use relance_scoring::alerts::AlertPolicy;
use relance_scoring::model::TrainingSettings;
use relance_scoring::store::{
    AlertFilter, customer_score, list_alerts, load_ledger, refresh, train,
};
use relance_store::{Database, NativeDatabase, Value};

const NOW: &str = "2026-01-10T08:00:00Z";

fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn add_customer(db: &NativeDatabase, external_id: &str, owner: &str) -> i64 {
    let rows = db
        .execute(
            "INSERT INTO customers (source, external_id, name, owner, created_at, updated_at)
             VALUES ('test', ?, ?, ?, ?, ?) RETURNING id",
            &[
                external_id.into(),
                format!("Customer {external_id}").into(),
                owner.into(),
                now().into(),
                now().into(),
            ],
        )
        .unwrap();
    rows.first().unwrap().integer("id").unwrap()
}

/// An invoice of 1000.00 due 30 days after `issued`, paid `delay` days
/// after its due date through an allocation, or open when `delay` is None.
fn add_invoice(
    db: &NativeDatabase,
    customer: i64,
    number: &str,
    issued: NaiveDate,
    delay: Option<i64>,
) -> i64 {
    let due = issued.checked_add_days(Days::new(30)).unwrap();
    let status = if delay.is_some() { "paid" } else { "open" };
    let remaining = if delay.is_some() { "0.00" } else { "1000.00" };
    let allocated = if delay.is_some() { "1000.00" } else { "0.00" };
    let rows = db
        .execute(
            "INSERT INTO invoices (source, external_id, number, customer_id, issue_date, due_date,
                currency, total, tax, amount_paid, credited, allocated, remaining, source_status,
                status, channel, version, created_at, updated_at)
             VALUES ('test', ?1, ?1, ?2, ?3, ?4, 'EUR', '1000.00', '0.00', '0.00', '0.00', ?5, ?6,
                'open', ?7, 'email', ?8, ?8, ?8)
             RETURNING id",
            &[
                number.into(),
                Value::Integer(customer),
                issued.into(),
                due.into(),
                allocated.into(),
                remaining.into(),
                status.into(),
                now().into(),
            ],
        )
        .unwrap();
    let id = rows.first().unwrap().integer("id").unwrap();

    if let Some(delay) = delay {
        let paid_on = due
            .checked_add_signed(chrono::Duration::days(delay))
            .unwrap();
        db.execute(
            "INSERT INTO allocations (source, external_id, invoice_id, currency, amount, paid_on,
                method, created_at)
             VALUES ('bank', ?, ?, 'EUR', '1000.00', ?, 'bank_transfer', ?)",
            &[
                format!("pay-{number}").into(),
                Value::Integer(id),
                paid_on.into(),
                now().into(),
            ],
        )
        .unwrap();
    }
    id
}

/// Alice's customer pays on time, Bob's pays about three weeks late; a
/// year of monthly invoices each.
fn ledger() -> (NativeDatabase, i64, i64) {
    let db = NativeDatabase::open_in_memory().unwrap();
    let punctual = add_customer(&db, "P", "alice");
    let late = add_customer(&db, "L", "bob");

    for month in 0..12u32 {
        let issued = day("2025-01-05")
            .checked_add_months(chrono::Months::new(month))
            .unwrap();
        let wobble = i64::from(month % 3);
        add_invoice(
            &db,
            punctual,
            &format!("P-{month}"),
            issued,
            Some(wobble - 2),
        );
        add_invoice(
            &db,
            late,
            &format!("L-{month}"),
            issued,
            Some(18 + wobble * 2),
        );
    }
    add_invoice(&db, punctual, "P-open", day("2025-12-20"), None);
    add_invoice(&db, late, "L-open", day("2025-12-20"), None);
    (db, punctual, late)
}

fn settings() -> TrainingSettings {
    TrainingSettings {
        minimum_examples: 10,
        ..TrainingSettings::default()
    }
}

#[test]
fn payments_and_reminders_are_read_back_as_facts() {
    let (db, punctual, _) = ledger();
    let invoice = add_invoice(&db, punctual, "P-reminded", day("2025-11-01"), Some(5));
    db.execute(
        "INSERT INTO dunning_actions (id, idempotency_key, kind, customer_id, as_of, actor, result,
            created_at)
         VALUES (1, 'k1', 'step', ?1, '2025-12-03', 'run', 'sent', ?2),
                (2, 'k2', 'step', ?1, '2025-12-04', 'run', 'failed', ?2),
                (3, 'k3', 'step', ?1, '2025-12-20', 'run', 'sent', ?2)",
        &[Value::Integer(punctual), now().into()],
    )
    .unwrap();
    for action in 1..=3 {
        db.execute(
            "INSERT INTO dunning_action_invoices (action_id, invoice_id, currency, remaining,
                days_late, late_interest)
             VALUES (?, ?, 'EUR', '1000.00', 2, '0.00')",
            &[Value::Integer(action), Value::Integer(invoice)],
        )
        .unwrap();
    }

    let snapshot = load_ledger(&db).unwrap();

    let facts = snapshot
        .ledger
        .customer(punctual)
        .iter()
        .find(|facts| facts.invoice_id == invoice)
        .unwrap();
    assert_eq!(facts.settled_on, Some(day("2025-12-06")));
    assert_eq!(facts.reminder_dates, [day("2025-12-03"), day("2025-12-20")]);
    assert_eq!(
        facts.reminders_before_settling(),
        1,
        "the failed one was never received"
    );
    assert_eq!(snapshot.open.len(), 2);
}

#[test]
fn training_twice_on_one_history_keeps_one_version() {
    let (db, _, _) = ledger();

    let first = train(&db, day("2026-01-10"), &settings(), now()).unwrap();
    let second = train(&db, day("2026-01-10"), &settings(), now()).unwrap();

    assert!(first.trained);
    assert!(!second.trained);
    assert_eq!(second.model.version, first.model.version);
    assert_eq!(first.model.metrics.training_invoices, 24);
}

#[test]
fn a_refresh_rescores_only_the_customers_whose_ledger_changed() {
    let (db, punctual, late) = ledger();
    train(&db, day("2026-01-10"), &settings(), now()).unwrap();
    let policy = AlertPolicy::default();

    let at = |time: &str| -> DateTime<Utc> { format!("2026-01-10T{time}:00Z").parse().unwrap() };

    let full = refresh(&db, day("2026-01-10"), &policy, at("08:05")).unwrap();
    let idle = refresh(&db, day("2026-01-10"), &policy, at("08:10")).unwrap();
    db.execute(
        "UPDATE invoices SET updated_at = '2026-01-10T09:00:00.000000Z' WHERE number = 'L-open'",
        &[],
    )
    .unwrap();
    let after_change = refresh(&db, day("2026-01-10"), &policy, at("09:05")).unwrap();
    let next_day = refresh(&db, day("2026-01-11"), &policy, at("09:10")).unwrap();

    assert_eq!(
        (full.complete, full.customers_scored, full.invoices_scored),
        (true, 2, 2)
    );
    assert_eq!((idle.complete, idle.customers_scored), (false, 0));
    assert_eq!(after_change.customers_scored, 1);
    assert_eq!((next_day.complete, next_day.customers_scored), (true, 2));

    let everything = Scope::Everything;
    let policy = AlertPolicy::default();
    let safe = customer_score(&db, &everything, punctual, &policy).unwrap();
    let risky = customer_score(&db, &everything, late, &policy).unwrap();
    assert!(
        safe.risk < 0.5 && risky.risk > 0.5,
        "{} vs {}",
        safe.risk,
        risky.risk
    );
    assert_eq!(risky.reasons.len(), 3);
    assert_eq!(risky.trend.history.len(), 2);
    assert_eq!(risky.open_invoices.len(), 1);
}

#[test]
fn scores_and_alerts_stay_within_the_portfolio() {
    let (db, punctual, late) = ledger();
    train(&db, day("2026-01-10"), &settings(), now()).unwrap();
    let policy = AlertPolicy::default();
    refresh(&db, day("2026-01-10"), &policy, now()).unwrap();
    // Alice's punctual customer leaves P-open unpaid well past its due date.
    refresh(&db, day("2026-03-01"), &policy, now()).unwrap();

    let alice = Scope::Owner("alice".into());
    let bob = Scope::Owner("bob".into());
    let everything = AlertFilter {
        status: None,
        ..AlertFilter::default()
    };
    let alices = list_alerts(&db, &alice, &everything, &Page::default()).unwrap();
    let bobs = list_alerts(&db, &bob, &everything, &Page::default()).unwrap();

    assert!(
        alices.items.iter().any(|a| a.message.contains("P-open")),
        "{:?}",
        alices.items
    );
    assert!(
        alices
            .items
            .iter()
            .all(|alert| alert.customer_id == punctual)
    );
    assert!(bobs.items.iter().all(|alert| alert.customer_id == late));
    assert!(customer_score(&db, &bob, punctual, &policy).is_err());
    assert!(customer_score(&db, &alice, punctual, &policy).is_ok());
}
