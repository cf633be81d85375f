//! The payments set against a customer's invoices, newest first, as the
//! customer's page lists them: from the bank through reconciliation, from a
//! platform, or allocated by hand, reversed ones included and marked.

use chrono::{DateTime, NaiveDate, Utc};
use relance_api::{Page, Scope, SortDirection};
use relance_ledger::money::Money;
use serde::Serialize;

use crate::listing::{Conditions, Listing, SORT_KEY, SortKey, into_listing};
use crate::settlement::{stored_currency, stored_money};
use crate::{Database, Row, StoreError, Value};

/// The one order payments are listed in, as written in cursors.
pub const PAYMENT_SORT: &str = "-paid_on";

/// One payment allocated to one invoice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaymentRecord {
    /// The allocation's identifier.
    pub id: i64,
    /// The invoice it pays.
    pub invoice_id: i64,
    /// That invoice's number.
    pub invoice_number: String,
    /// The amount set against the invoice, in the invoice's currency.
    pub amount: Money,
    /// The day the money arrived.
    pub paid_on: NaiveDate,
    /// How it was matched or recorded (`reference`, `manual`, `platform`, ...).
    pub method: String,
    /// Who recorded it: a platform's name, or Relance's reconciliation.
    pub source: String,
    /// The bank transaction it came from, when it came from the bank.
    pub bank_transaction_id: Option<i64>,
    /// When it was undone; a reversed payment no longer counts.
    pub reversed_at: Option<DateTime<Utc>>,
}

impl PaymentRecord {
    fn from_row(row: &Row<'_>) -> Result<PaymentRecord, StoreError> {
        let currency = stored_currency(row.text("currency")?)?;

        Ok(PaymentRecord {
            id: row.integer("id")?,
            invoice_id: row.integer("invoice_id")?,
            invoice_number: row.text("invoice_number")?.to_owned(),
            amount: stored_money(row, "amount", currency)?,
            paid_on: row.date("paid_on")?,
            method: row.text("method")?.to_owned(),
            source: row.text("source")?.to_owned(),
            bank_transaction_id: row.optional_integer("bank_transaction_id")?,
            reversed_at: row.optional_timestamp("reversed_at")?,
        })
    }
}

/// One page of the payments on `customer_id`'s invoices, newest first, or
/// `None` when the customer does not exist or is outside the caller's scope.
pub fn list_customer_payments(
    db: &impl Database,
    scope: &Scope,
    customer_id: i64,
    page: &Page,
) -> Result<Option<Listing<PaymentRecord>>, StoreError> {
    let mut visible = Conditions::default();
    visible.add("c.id = ?", [Value::Integer(customer_id)]);
    visible.scope(scope);
    let found = db.execute(
        &format!("SELECT c.id FROM customers c WHERE 1 = 1{}", visible.sql),
        &visible.params,
    )?;
    if found.is_empty() {
        return Ok(None);
    }

    let mut conditions = Conditions::default();
    conditions.add("i.customer_id = ?", [Value::Integer(customer_id)]);
    let key = SortKey {
        column: "a.paid_on",
        numeric: false,
        id_column: "a.id",
    };
    let (order_by, limit) = key.paginate(SortDirection::Descending, page, &mut conditions);
    let mut params = conditions.params;
    params.push(limit);

    let rows = db.execute(
        &format!(
            "SELECT a.id, a.invoice_id, i.number AS invoice_number, a.currency, a.amount,
                a.paid_on, a.method, a.source, a.bank_transaction_id, a.reversed_at,
                a.paid_on AS {SORT_KEY}
             FROM allocations a JOIN invoices i ON i.id = a.invoice_id
             WHERE 1 = 1{}{order_by}",
            conditions.sql
        ),
        &params,
    )?;
    into_listing(
        &rows,
        page,
        PAYMENT_SORT.to_owned(),
        PaymentRecord::from_row,
    )
    .map(Some)
}
