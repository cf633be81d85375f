//! The history of dunning per customer and invoice: who acted (the run or
//! a person's token), when, what (step, channel, outcome), the result, and
//! the invoices concerned with what remained on them then.

use chrono::{DateTime, NaiveDate, Utc};
use relance_api::{Page, Scope};
use relance_store::{Database, Row, Value};
use serde::Serialize;

use crate::DunningError;
use crate::store::scope_condition;

/// An invoice as an action concerned it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionInvoice {
    /// The invoice's identifier.
    pub invoice_id: i64,
    /// Its number.
    pub number: String,
    /// Its currency.
    pub currency: String,
    /// What remained on it.
    pub remaining: String,
    /// Days it was late.
    pub days_late: i64,
    /// Late interest stated.
    pub late_interest: String,
}

/// One entry of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    /// The action's identifier.
    pub id: i64,
    /// `step` (taken by the run) or `task_outcome` (recorded by a person).
    pub kind: String,
    /// The customer.
    pub customer_id: i64,
    /// Its name.
    pub customer_name: String,
    /// Who: `dunning-run` or `token:<id>`.
    pub actor: String,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The day dunning judged.
    pub as_of: NaiveDate,
    /// The policy's step.
    pub step_key: Option<String>,
    /// The channel.
    pub channel: Option<String>,
    /// The customer's collector then.
    pub collector: Option<String>,
    /// The result: `queued`, `sent`, `failed`, `task_created`, an outcome...
    pub result: String,
    /// What else is worth knowing.
    pub detail: Option<String>,
    /// The message in the outbox, if the step had one.
    pub message_id: Option<i64>,
    /// Its delivery status now.
    pub message_status: Option<String>,
    /// The invoices concerned.
    pub invoices: Vec<ActionInvoice>,
}

/// Filters of the history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// One customer's history.
    pub customer_id: Option<i64>,
    /// One invoice's history.
    pub invoice_id: Option<i64>,
}

/// One page of the history the caller may see, newest first.
pub fn list_history(
    db: &impl Database,
    scope: &Scope,
    filter: &HistoryFilter,
    page: &Page,
) -> Result<(Vec<HistoryEntry>, Option<i64>), DunningError> {
    let (visible, mut params) = scope_condition(scope, "a.customer_id");
    let mut sql = format!(
        "SELECT a.id, a.kind, a.customer_id, c.name AS customer_name, a.actor, a.created_at,
            a.as_of, a.step_key, a.channel, a.collector, a.result, a.detail,
            o.id AS message_id, o.status AS message_status
         FROM dunning_actions a JOIN customers c ON c.id = a.customer_id
         LEFT JOIN dunning_outbox o ON o.action_id = a.id
         WHERE 1 = 1{visible}"
    );
    if let Some(customer_id) = filter.customer_id {
        sql.push_str(" AND a.customer_id = ?");
        params.push(Value::Integer(customer_id));
    }
    if let Some(invoice_id) = filter.invoice_id {
        sql.push_str(
            " AND a.id IN (SELECT action_id FROM dunning_action_invoices WHERE invoice_id = ?)",
        );
        params.push(Value::Integer(invoice_id));
    }
    if let Some(cursor) = &page.cursor {
        sql.push_str(" AND a.id < ?");
        params.push(Value::Integer(cursor.id));
    }
    sql.push_str(" ORDER BY a.id DESC LIMIT ?");
    params.push(Value::Integer(i64::from(page.limit) + 1));

    let rows = db.execute(&sql, &params)?;
    let mut entries: Vec<HistoryEntry> = rows
        .iter()
        .map(|row| entry_from_row(&row))
        .collect::<Result<_, _>>()?;
    let more = entries.len() > page.limit as usize;
    entries.truncate(page.limit as usize);
    attach_invoices(db, &mut entries)?;

    let next = more.then(|| entries.last().map(|e| e.id)).flatten();
    Ok((entries, next))
}

fn entry_from_row(row: &Row<'_>) -> Result<HistoryEntry, DunningError> {
    let optional = |column: &str| row.optional_text(column).map(|t| t.map(str::to_owned));
    Ok(HistoryEntry {
        id: row.integer("id")?,
        kind: row.text("kind")?.to_owned(),
        customer_id: row.integer("customer_id")?,
        customer_name: row.text("customer_name")?.to_owned(),
        actor: row.text("actor")?.to_owned(),
        at: row.timestamp("created_at")?,
        as_of: row.date("as_of")?,
        step_key: optional("step_key")?,
        channel: optional("channel")?,
        collector: optional("collector")?,
        result: row.text("result")?.to_owned(),
        detail: optional("detail")?,
        message_id: row.optional_integer("message_id")?,
        message_status: optional("message_status")?,
        invoices: Vec::new(),
    })
}

fn attach_invoices(db: &impl Database, entries: &mut [HistoryEntry]) -> Result<(), DunningError> {
    if entries.is_empty() {
        return Ok(());
    }
    let ids: Vec<Value> = entries.iter().map(|e| Value::Integer(e.id)).collect();
    let placeholders = vec!["?"; ids.len()].join(", ");
    let rows = db.execute(
        &format!(
            "SELECT ai.action_id, ai.invoice_id, i.number, ai.currency, ai.remaining,
                ai.days_late, ai.late_interest
             FROM dunning_action_invoices ai JOIN invoices i ON i.id = ai.invoice_id
             WHERE ai.action_id IN ({placeholders}) ORDER BY i.due_date, i.id"
        ),
        &ids,
    )?;

    for row in rows.iter() {
        let action_id = row.integer("action_id")?;
        let invoice = ActionInvoice {
            invoice_id: row.integer("invoice_id")?,
            number: row.text("number")?.to_owned(),
            currency: row.text("currency")?.to_owned(),
            remaining: row.text("remaining")?.to_owned(),
            days_late: row.integer("days_late")?,
            late_interest: row.text("late_interest")?.to_owned(),
        };
        if let Some(entry) = entries.iter_mut().find(|e| e.id == action_id) {
            entry.invoices.push(invoice);
        }
    }
    Ok(())
}
