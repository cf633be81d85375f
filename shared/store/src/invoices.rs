//! Reading invoices within the caller's portfolio, and the annotations the
//! finance team makes on them: disputes, promises to pay, dunning pauses.

use chrono::{DateTime, NaiveDate, Utc};
use relance_api::{InvoiceFilter, InvoiceSort, Page, Scope, StatusFilter};
use relance_ledger::customer::SourceRef;
use relance_ledger::invoice::{Dispute, InvoiceStatus, PromiseToPay};
use relance_ledger::money::Money;
use serde::Serialize;

use crate::listing::{Conditions, Listing, SORT_KEY, SortKey, into_listing};
use crate::settlement::{stored_currency, stored_money, stored_status};
use crate::{Database, Row, StoreError, Value};

/// An invoice as the API shows it: the platform's data, what Relance derived
/// (credits, allocations, remaining, status) and the team's annotations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvoiceRecord {
    /// Relance's identifier.
    pub id: i64,
    /// Identity at the platform that sent it.
    pub source_ref: SourceRef,
    /// The number printed on it.
    pub number: String,
    /// Relance's identifier of the customer.
    pub customer_id: i64,
    /// The customer's name.
    pub customer_name: String,
    /// The day it was issued.
    pub issue_date: NaiveDate,
    /// The day payment is due.
    pub due_date: NaiveDate,
    /// Amount due, tax included.
    pub total: Money,
    /// Tax included in the total.
    pub tax: Money,
    /// What the platform reports as paid.
    pub amount_paid: Money,
    /// Credit notes attached to it.
    pub credited: Money,
    /// Payments allocated in Relance.
    pub allocated: Money,
    /// What the customer still owes.
    pub remaining: Money,
    /// The status the platform last sent.
    pub source_status: InvoiceStatus,
    /// The status once credits and allocations are counted.
    pub status: InvoiceStatus,
    /// How it was sent (`email`, `portal`, `post`, `edi`).
    pub channel: Option<String>,
    /// Structured reference the customer should quote.
    pub payment_reference: Option<String>,
    /// The open dispute.
    pub dispute: Option<Dispute>,
    /// The promise to pay.
    pub promise_to_pay: Option<PromiseToPay>,
    /// No reminder is sent on or before this day.
    pub dunning_paused_until: Option<NaiveDate>,
    /// `occurred_at` of the last change applied from the platform.
    pub version: DateTime<Utc>,
    /// Probability (0 to 1) that it is paid after its due date, once scored.
    pub probability_late: Option<f64>,
    /// The day it is expected to be paid, once scored.
    pub expected_payment_date: Option<NaiveDate>,
}

const INVOICE_COLUMNS: &str = "i.id, i.source, i.external_id, i.number, i.customer_id,
    c.name AS customer_name, i.issue_date, i.due_date, i.currency, i.total, i.tax,
    i.amount_paid, i.credited, i.allocated, i.remaining, i.source_status, i.status,
    i.channel, i.payment_reference, i.dispute_opened_on, i.dispute_reason, i.promised_on,
    i.promised_amount, i.promise_recorded_on, i.dunning_paused_until, i.version,
    s.probability_late, s.expected_payment_date";

/// The invoice's customer and its latest score, if scored.
const INVOICE_TABLES: &str = "invoices i JOIN customers c ON c.id = i.customer_id
    LEFT JOIN invoice_scores s ON s.invoice_id = i.id";

impl InvoiceRecord {
    fn from_row(row: &Row<'_>) -> Result<InvoiceRecord, StoreError> {
        let currency = stored_currency(row.text("currency")?)?;
        let money = |column| stored_money(row, column, currency);

        let dispute = match row.optional_date("dispute_opened_on")? {
            Some(opened_on) => Some(Dispute {
                opened_on,
                reason: row
                    .optional_text("dispute_reason")?
                    .unwrap_or_default()
                    .to_owned(),
            }),
            None => None,
        };
        let promise_to_pay = match row.optional_date("promised_on")? {
            Some(promised_on) => Some(PromiseToPay {
                promised_on,
                amount: money("promised_amount")?,
                recorded_on: row.date("promise_recorded_on")?,
            }),
            None => None,
        };

        Ok(InvoiceRecord {
            id: row.integer("id")?,
            source_ref: SourceRef {
                source: row.text("source")?.to_owned(),
                external_id: row.text("external_id")?.to_owned(),
            },
            number: row.text("number")?.to_owned(),
            customer_id: row.integer("customer_id")?,
            customer_name: row.text("customer_name")?.to_owned(),
            issue_date: row.date("issue_date")?,
            due_date: row.date("due_date")?,
            total: money("total")?,
            tax: money("tax")?,
            amount_paid: money("amount_paid")?,
            credited: money("credited")?,
            allocated: money("allocated")?,
            remaining: money("remaining")?,
            source_status: stored_status(row.text("source_status")?)?,
            status: stored_status(row.text("status")?)?,
            channel: row.optional_text("channel")?.map(str::to_owned),
            payment_reference: row.optional_text("payment_reference")?.map(str::to_owned),
            dispute,
            promise_to_pay,
            dunning_paused_until: row.optional_date("dunning_paused_until")?,
            version: row.timestamp("version")?,
            probability_late: match row.value("probability_late")? {
                Value::Real(probability) => Some(*probability),
                _ => None,
            },
            expected_payment_date: row.optional_date("expected_payment_date")?,
        })
    }
}

fn sort_key(sort: InvoiceSort) -> SortKey {
    let (column, numeric) = match sort {
        InvoiceSort::DueDate => ("i.due_date", false),
        InvoiceSort::IssueDate => ("i.issue_date", false),
        InvoiceSort::Remaining => ("i.remaining", true),
        InvoiceSort::Number => ("i.number", false),
        InvoiceSort::CustomerName => ("c.name", false),
    };
    SortKey {
        column,
        numeric,
        id_column: "i.id",
    }
}

/// Chased statuses: the ones "overdue", "not due" and "disputed" apply to.
const CHASED: &str = "i.status IN ('open', 'partially_paid')";

fn status_condition(status: StatusFilter, as_of: NaiveDate) -> (String, Vec<Value>) {
    let stored = |name: &str| (format!("i.status = '{name}'"), Vec::new());

    match status {
        StatusFilter::Draft => stored("draft"),
        StatusFilter::Open => stored("open"),
        StatusFilter::PartiallyPaid => stored("partially_paid"),
        StatusFilter::Paid => stored("paid"),
        StatusFilter::Void => stored("void"),
        StatusFilter::Uncollectible => stored("uncollectible"),
        StatusFilter::Overdue => (format!("({CHASED} AND i.due_date < ?)"), vec![as_of.into()]),
        StatusFilter::NotDue => (
            format!("({CHASED} AND i.due_date >= ?)"),
            vec![as_of.into()],
        ),
        StatusFilter::Disputed => (
            format!("({CHASED} AND i.dispute_opened_on IS NOT NULL)"),
            Vec::new(),
        ),
    }
}

/// One page of the invoices the caller may see, filtered and sorted.
pub fn list_invoices(
    db: &impl Database,
    scope: &Scope,
    filter: &InvoiceFilter,
    page: &Page,
) -> Result<Listing<InvoiceRecord>, StoreError> {
    let mut conditions = Conditions::default();
    conditions.scope(scope);
    conditions.segments(&filter.segments);
    if let Some(customer_id) = filter.customer_id {
        conditions.add("i.customer_id = ?", [Value::Integer(customer_id)]);
    }

    if !filter.statuses.is_empty() {
        let (sql, params): (Vec<_>, Vec<_>) = filter
            .statuses
            .iter()
            .map(|status| status_condition(*status, filter.as_of))
            .unzip();
        conditions.add(
            &format!("({})", sql.join(" OR ")),
            params.into_iter().flatten(),
        );
    }

    let key = sort_key(filter.sort);
    let (order_by, limit) = key.paginate(filter.direction, page, &mut conditions);
    let mut params = conditions.params;
    params.push(limit);

    let rows = db.execute(
        &format!(
            "SELECT {INVOICE_COLUMNS}, {} AS {SORT_KEY}
             FROM {INVOICE_TABLES}
             WHERE 1 = 1{}{order_by}",
            key.column, conditions.sql
        ),
        &params,
    )?;

    into_listing(
        &rows,
        page,
        filter.sort_parameter(),
        InvoiceRecord::from_row,
    )
}

/// One invoice, if it exists and the caller may see it.
pub fn get_invoice(
    db: &impl Database,
    scope: &Scope,
    id: i64,
) -> Result<Option<InvoiceRecord>, StoreError> {
    let mut conditions = Conditions::default();
    conditions.add("i.id = ?", [Value::Integer(id)]);
    conditions.scope(scope);

    let rows = db.execute(
        &format!(
            "SELECT {INVOICE_COLUMNS}
             FROM {INVOICE_TABLES}
             WHERE 1 = 1{}",
            conditions.sql
        ),
        &conditions.params,
    )?;

    rows.first()
        .map(|row| InvoiceRecord::from_row(&row))
        .transpose()
}

/// Records that the customer disputes the invoice; dunning holds meanwhile.
pub fn open_dispute(
    db: &impl Database,
    scope: &Scope,
    id: i64,
    dispute: &Dispute,
    now: DateTime<Utc>,
) -> Result<InvoiceRecord, StoreError> {
    annotate(
        db,
        scope,
        id,
        "dispute_opened_on = ?, dispute_reason = ?",
        vec![dispute.opened_on.into(), dispute.reason.as_str().into()],
        now,
    )
}

/// Ends the dispute; dunning resumes where it stood.
pub fn close_dispute(
    db: &impl Database,
    scope: &Scope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<InvoiceRecord, StoreError> {
    annotate(
        db,
        scope,
        id,
        "dispute_opened_on = NULL, dispute_reason = NULL",
        Vec::new(),
        now,
    )
}

/// Records the customer's promise to pay, in the invoice's currency.
pub fn record_promise_to_pay(
    db: &impl Database,
    scope: &Scope,
    id: i64,
    promise: &PromiseToPay,
    now: DateTime<Utc>,
) -> Result<InvoiceRecord, StoreError> {
    let invoice = get_invoice(db, scope, id)?.ok_or_else(|| not_found(id))?;
    let expected = invoice.total.currency();
    let found = promise.amount.currency();
    if expected != found {
        return Err(StoreError::CurrencyMismatch {
            document: "the promise to pay".to_owned(),
            invoice: invoice.number,
            expected: expected.code(),
            found: found.code(),
        });
    }

    annotate(
        db,
        scope,
        id,
        "promised_on = ?, promised_amount = ?, promise_recorded_on = ?",
        vec![
            promise.promised_on.into(),
            promise.amount.amount().into(),
            promise.recorded_on.into(),
        ],
        now,
    )
}

/// Forgets the promise to pay (kept or broken).
pub fn clear_promise_to_pay(
    db: &impl Database,
    scope: &Scope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<InvoiceRecord, StoreError> {
    annotate(
        db,
        scope,
        id,
        "promised_on = NULL, promised_amount = NULL, promise_recorded_on = NULL",
        Vec::new(),
        now,
    )
}

/// Holds reminders until `until` (inclusive), or lifts the pause with `None`.
pub fn pause_dunning(
    db: &impl Database,
    scope: &Scope,
    id: i64,
    until: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<InvoiceRecord, StoreError> {
    annotate(
        db,
        scope,
        id,
        "dunning_paused_until = ?",
        vec![until.into()],
        now,
    )
}

/// Sets annotation columns on an invoice the caller may see.
fn annotate(
    db: &impl Database,
    scope: &Scope,
    id: i64,
    assignments: &str,
    mut params: Vec<Value>,
    now: DateTime<Utc>,
) -> Result<InvoiceRecord, StoreError> {
    let mut visible = Conditions::default();
    visible.scope(scope);
    params.extend([now.into(), Value::Integer(id)]);
    params.extend(visible.params);

    let rows = db.execute(
        &format!(
            "UPDATE invoices SET {assignments}, updated_at = ?
             WHERE id = ? AND customer_id IN (SELECT c.id FROM customers c WHERE 1 = 1{})
             RETURNING id",
            visible.sql
        ),
        &params,
    )?;
    if rows.is_empty() {
        return Err(not_found(id));
    }

    get_invoice(db, scope, id)?.ok_or_else(|| not_found(id))
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound {
        what: "invoice",
        id: id.to_string(),
    }
}
