//! A small ledger written straight into a new database, for the store's
//! tests: one customer, invoices of 100.00, payments of 40.00.

use relance_store::{Database, NativeDatabase};

const NOW: &str = "2026-03-01T00:00:00.000000Z";

/// A new database holding customer 1, Alpha SA, owned by `ana`.
pub(crate) fn database_with_a_customer() -> NativeDatabase {
    let db = NativeDatabase::open_in_memory().expect("database");
    db.execute(
        "INSERT INTO customers (id, source, external_id, name, owner, created_at, updated_at)
         VALUES (1, 'erp', 'c-1', 'Alpha SA', 'ana', ?, ?)",
        &[NOW.into(), NOW.into()],
    )
    .expect("customer");
    db
}

/// Invoice `id` of customer 1 for 100.00 of `currency`.
pub(crate) fn add_invoice(db: &NativeDatabase, id: i64, currency: &str, issued: &str, due: &str) {
    db.execute(
        "INSERT INTO invoices (id, source, external_id, number, customer_id, issue_date,
            due_date, currency, total, tax, amount_paid, credited, allocated, remaining,
            source_status, status, version, created_at, updated_at)
         VALUES (?, 'erp', ?, ?, 1, ?, ?, ?, '100.00', '0', '0', '0', '0', '100.00',
            'open', 'open', ?, ?, ?)",
        &[
            id.into(),
            format!("inv-{id}").into(),
            format!("F-{id}").into(),
            issued.into(),
            due.into(),
            currency.into(),
            NOW.into(),
            NOW.into(),
            NOW.into(),
        ],
    )
    .expect("invoice");
}

/// A payment of 40.00 on invoice `invoice_id`, which is marked for rebuild.
pub(crate) fn add_payment(db: &NativeDatabase, invoice_id: i64, currency: &str, paid_on: &str) {
    db.execute(
        "INSERT INTO allocations (source, external_id, invoice_id, currency, amount,
            paid_on, method, created_at)
         VALUES ('bank', ?, ?, ?, '40.00', ?, 'bank_transfer', ?)",
        &[
            format!("pay-{invoice_id}-{paid_on}").into(),
            invoice_id.into(),
            currency.into(),
            paid_on.into(),
            NOW.into(),
        ],
    )
    .expect("payment");
    db.execute(
        "UPDATE invoices SET updated_at = ? WHERE id = ?",
        &[NOW.into(), invoice_id.into()],
    )
    .expect("invoice marked");
}
