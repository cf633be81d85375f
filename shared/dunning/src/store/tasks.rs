//! Tasks within the caller's portfolio, and the outcomes people record on
//! them: a promise to pay sets the promise on the invoices it covers, a
//! dispute opens the dispute on the task's invoices, a wrong contact asks
//! for the contact to be found, a posted letter leaves the outbox. Every
//! outcome joins the history.

use chrono::{DateTime, Days, NaiveDate, Utc};
use relance_api::{Page, Scope};
use relance_ledger::invoice::{Dispute, PromiseToPay};
use relance_ledger::money::{Currency, Money};
use relance_store::{Database, Row, StoreError, Value};
use serde::Serialize;

use crate::DunningError;
use crate::store::outbox::mark_printed;
use crate::store::{scope_condition, token_actor};
use crate::tasks::{
    OpenAmount, OutcomeError, OutcomeKind, TaskKind, check_promise, spread_promise,
};

/// An invoice a task is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskInvoice {
    /// The invoice's identifier.
    pub invoice_id: i64,
    /// Its number.
    pub number: String,
    /// Its due date.
    pub due_date: NaiveDate,
    /// What remains on it now.
    pub remaining: Money,
    /// Its status now.
    pub status: String,
}

/// A task as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskRecord {
    /// The task's identifier.
    pub id: i64,
    /// The customer.
    pub customer_id: i64,
    /// Its name.
    pub customer_name: String,
    /// What to do.
    pub kind: String,
    /// The dunning step that made it, if a step did.
    pub step_key: Option<String>,
    /// Who it is assigned to.
    pub collector: Option<String>,
    /// When it is due.
    pub due_on: NaiveDate,
    /// `open` or `done`.
    pub status: String,
    /// What happened.
    pub outcome: Option<String>,
    /// The person's note (or why the run made it).
    pub note: Option<String>,
    /// The promised day.
    pub promise_date: Option<NaiveDate>,
    /// The promised amount.
    pub promise_amount: Option<Money>,
    /// What the customer disputes.
    pub dispute_reason: Option<String>,
    /// The letter to print, for letter tasks.
    pub outbox_id: Option<i64>,
    /// The invoices concerned.
    pub invoices: Vec<TaskInvoice>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was done.
    pub done_at: Option<DateTime<Utc>>,
    /// The token that closed it.
    pub done_by: Option<i64>,
}

/// Filters of the task listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    /// `open` or `done`.
    pub status: Option<String>,
    /// Assigned to this person.
    pub collector: Option<String>,
    /// For this customer.
    pub customer_id: Option<i64>,
    /// Of this kind.
    pub kind: Option<TaskKind>,
    /// Due on or before this day.
    pub due_by: Option<NaiveDate>,
}

const COLUMNS: &str = "t.id, t.customer_id, c.name AS customer_name, t.kind, a.step_key,
    t.collector, t.due_on, t.status, t.outcome, t.note, t.promise_date, t.promise_amount,
    t.promise_currency, t.dispute_reason, t.outbox_id, t.created_at, t.done_at, t.done_by";

const FROM: &str = "FROM dunning_tasks t JOIN customers c ON c.id = t.customer_id
    LEFT JOIN dunning_actions a ON a.id = t.action_id";

/// One page of the tasks the caller may see, by due date then id.
pub fn list_tasks(
    db: &impl Database,
    scope: &Scope,
    filter: &TaskFilter,
    page: &Page,
) -> Result<(Vec<TaskRecord>, Option<i64>), DunningError> {
    let (visible, mut params) = scope_condition(scope, "t.customer_id");
    let mut sql = format!("SELECT {COLUMNS} {FROM} WHERE 1 = 1{visible}");
    let mut add = |condition: &str, value: Value| {
        sql.push_str(condition);
        params.push(value);
    };
    if let Some(status) = &filter.status {
        add(" AND t.status = ?", status.into());
    }
    if let Some(collector) = &filter.collector {
        add(" AND t.collector = ?", collector.into());
    }
    if let Some(customer_id) = filter.customer_id {
        add(" AND t.customer_id = ?", Value::Integer(customer_id));
    }
    if let Some(kind) = filter.kind {
        add(" AND t.kind = ?", kind.as_str().into());
    }
    if let Some(day) = filter.due_by {
        add(" AND t.due_on <= ?", day.into());
    }
    if let Some(cursor) = &page.cursor {
        add(" AND t.id > ?", Value::Integer(cursor.id));
    }
    sql.push_str(" ORDER BY t.id LIMIT ?");
    params.push(Value::Integer(i64::from(page.limit) + 1));

    let rows = db.execute(&sql, &params)?;
    let mut tasks: Vec<TaskRecord> = rows
        .iter()
        .map(|row| task_from_row(&row))
        .collect::<Result<_, _>>()?;
    let more = tasks.len() > page.limit as usize;
    tasks.truncate(page.limit as usize);
    attach_invoices(db, &mut tasks)?;

    let next = more.then(|| tasks.last().map(|t| t.id)).flatten();
    Ok((tasks, next))
}

/// One task, if the caller may see it.
pub fn get_task(db: &impl Database, scope: &Scope, id: i64) -> Result<TaskRecord, DunningError> {
    let (visible, mut params) = scope_condition(scope, "t.customer_id");
    params.insert(0, Value::Integer(id));
    let rows = db.execute(
        &format!("SELECT {COLUMNS} {FROM} WHERE t.id = ?{visible}"),
        &params,
    )?;
    let row = rows.first().ok_or_else(|| DunningError::NotFound {
        what: "task",
        id: id.to_string(),
    })?;

    let mut tasks = vec![task_from_row(&row)?];
    attach_invoices(db, &mut tasks)?;
    Ok(tasks.remove(0))
}

fn task_from_row(row: &Row<'_>) -> Result<TaskRecord, DunningError> {
    let promise_amount = match (
        row.optional_text("promise_amount")?,
        row.optional_text("promise_currency")?,
    ) {
        (Some(amount), Some(code)) => Some(stored_money(amount, code)?),
        _ => None,
    };
    let optional = |column: &str| row.optional_text(column).map(|t| t.map(str::to_owned));

    Ok(TaskRecord {
        id: row.integer("id")?,
        customer_id: row.integer("customer_id")?,
        customer_name: row.text("customer_name")?.to_owned(),
        kind: row.text("kind")?.to_owned(),
        step_key: optional("step_key")?,
        collector: optional("collector")?,
        due_on: row.date("due_on")?,
        status: row.text("status")?.to_owned(),
        outcome: optional("outcome")?,
        note: optional("note")?,
        promise_date: row.optional_date("promise_date")?,
        promise_amount,
        dispute_reason: optional("dispute_reason")?,
        outbox_id: row.optional_integer("outbox_id")?,
        invoices: Vec::new(),
        created_at: row.timestamp("created_at")?,
        done_at: row.optional_timestamp("done_at")?,
        done_by: row.optional_integer("done_by")?,
    })
}

fn stored_money(amount: &str, code: &str) -> Result<Money, DunningError> {
    let unexpected = || StoreError::UnexpectedValue {
        column: "amount".to_owned(),
        expected: "an amount in a known currency",
        found: format!("{amount:?} {code:?}"),
    };
    let currency = Currency::parse(code).map_err(|_| unexpected())?;
    Ok(Money::parse(amount, currency).map_err(|_| unexpected())?)
}

fn attach_invoices(db: &impl Database, tasks: &mut [TaskRecord]) -> Result<(), DunningError> {
    if tasks.is_empty() {
        return Ok(());
    }
    let ids: Vec<Value> = tasks.iter().map(|t| Value::Integer(t.id)).collect();
    let placeholders = vec!["?"; ids.len()].join(", ");
    let rows = db.execute(
        &format!(
            "SELECT ti.task_id, i.id, i.number, i.due_date, i.remaining, i.currency, i.status
             FROM dunning_task_invoices ti JOIN invoices i ON i.id = ti.invoice_id
             WHERE ti.task_id IN ({placeholders}) ORDER BY i.due_date, i.id"
        ),
        &ids,
    )?;

    for row in rows.iter() {
        let task_id = row.integer("task_id")?;
        let invoice = TaskInvoice {
            invoice_id: row.integer("id")?,
            number: row.text("number")?.to_owned(),
            due_date: row.date("due_date")?,
            remaining: stored_money(row.text("remaining")?, row.text("currency")?)?,
            status: row.text("status")?.to_owned(),
        };
        if let Some(task) = tasks.iter_mut().find(|t| t.id == task_id) {
            task.invoices.push(invoice);
        }
    }
    Ok(())
}

/// What a person records when doing a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeInput {
    /// What happened.
    pub outcome: OutcomeKind,
    /// A note for the history.
    pub note: Option<String>,
    /// For a promise: the day and the amount, as text in the invoices' currency.
    pub promise: Option<(NaiveDate, String)>,
    /// For a dispute: what the customer contests.
    pub dispute_reason: Option<String>,
}

/// Closes a task with its outcome and applies what the outcome means to
/// the ledger, all at once; a task already closed is a conflict.
pub fn record_outcome(
    db: &impl Database,
    scope: &Scope,
    id: i64,
    input: &OutcomeInput,
    token_id: i64,
    now: DateTime<Utc>,
) -> Result<TaskRecord, DunningError> {
    let today = now.date_naive();

    db.transaction(|db| {
        let task = get_task(db, scope, id)?;
        if task.status == "done" {
            return Err(DunningError::Conflict(format!(
                "task {id} is already done with the outcome {}; it cannot be recorded twice",
                task.outcome.as_deref().unwrap_or("done")
            )));
        }

        let promise = match input.outcome {
            OutcomeKind::PromiseToPay => Some(apply_promise(db, scope, &task, input, now)?),
            _ => None,
        };
        match input.outcome {
            OutcomeKind::Dispute => apply_dispute(db, scope, &task, input, now)?,
            OutcomeKind::WrongContact => follow_up(db, &task, today, now)?,
            OutcomeKind::Posted => {
                if let Some(outbox_id) = task.outbox_id {
                    mark_printed(db, outbox_id, today, now)?;
                }
            }
            OutcomeKind::Reached | OutcomeKind::Done | OutcomeKind::PromiseToPay => {}
        }

        db.execute(
            "UPDATE dunning_tasks SET status = 'done', outcome = ?, note = COALESCE(?, note),
                promise_date = ?, promise_amount = ?, promise_currency = ?, dispute_reason = ?,
                done_at = ?, done_by = ?
             WHERE id = ?",
            &[
                input.outcome.as_str().into(),
                input.note.as_deref().into(),
                promise.map(|(day, _)| day).into(),
                promise.map(|(_, amount)| amount.amount()).into(),
                promise.map(|(_, amount)| amount.currency().code()).into(),
                input.dispute_reason.as_deref().into(),
                now.into(),
                Value::Integer(token_id),
                Value::Integer(id),
            ],
        )?;
        record_in_history(db, &task, input, promise, token_id, now)?;
        get_task(db, scope, id)
    })
}

/// Spreads the promise over the task's open invoices, oldest first, and
/// records each share on its invoice; returns the day and amount promised.
fn apply_promise(
    db: &impl Database,
    scope: &Scope,
    task: &TaskRecord,
    input: &OutcomeInput,
    now: DateTime<Utc>,
) -> Result<(NaiveDate, Money), DunningError> {
    let (date, amount) = input.promise.clone().ok_or(OutcomeError::MissingPromise)?;
    let open: Vec<OpenAmount> = task
        .invoices
        .iter()
        .filter(|invoice| matches!(invoice.status.as_str(), "open" | "partially_paid"))
        .map(|invoice| OpenAmount {
            invoice_id: invoice.invoice_id,
            due_date: invoice.due_date,
            remaining: invoice.remaining,
        })
        .collect();
    let currency = open
        .first()
        .map(|invoice| invoice.remaining.currency())
        .ok_or_else(|| {
            DunningError::Conflict(format!(
                "the invoices of task {} are all settled; nothing is left to promise",
                task.id
            ))
        })?;
    let promised = Money::parse(&amount, currency).map_err(|error| {
        DunningError::Invalid(format!(
            "promise.amount {amount:?} is not an amount in {currency}: {error}"
        ))
    })?;
    check_promise(date, promised, now.date_naive())?;

    for share in spread_promise(promised, &open) {
        let promise = PromiseToPay {
            promised_on: date,
            amount: share.amount,
            recorded_on: now.date_naive(),
        };
        relance_store::invoices::record_promise_to_pay(db, scope, share.invoice_id, &promise, now)?;
    }
    Ok((date, promised))
}

fn apply_dispute(
    db: &impl Database,
    scope: &Scope,
    task: &TaskRecord,
    input: &OutcomeInput,
    now: DateTime<Utc>,
) -> Result<(), DunningError> {
    let reason = input
        .dispute_reason
        .as_deref()
        .map(str::trim)
        .filter(|reason| !reason.is_empty())
        .ok_or(OutcomeError::MissingDisputeReason)?;
    let dispute = Dispute {
        opened_on: now.date_naive(),
        reason: reason.to_owned(),
    };

    for invoice in &task.invoices {
        relance_store::invoices::open_dispute(db, scope, invoice.invoice_id, &dispute, now)?;
    }
    Ok(())
}

/// A task for the same person to find the customer's right contact.
fn follow_up(
    db: &impl Database,
    task: &TaskRecord,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), DunningError> {
    let due_on = today.checked_add_days(Days::new(1)).unwrap_or(today);
    let rows = db.execute(
        "INSERT INTO dunning_tasks (action_id, customer_id, kind, collector, due_on, status, note,
            created_at)
         VALUES (NULL, ?, 'update_contact', ?, ?, 'open', ?, ?) RETURNING id",
        &[
            Value::Integer(task.customer_id),
            task.collector.as_deref().into(),
            due_on.into(),
            format!(
                "task {} reached a wrong contact; find and record the right one",
                task.id
            )
            .into(),
            now.into(),
        ],
    )?;
    let follow_up = rows
        .first()
        .ok_or_else(|| StoreError::sqlite("INSERT INTO dunning_tasks", "no id returned"))?
        .integer("id")?;

    for invoice in &task.invoices {
        db.execute(
            "INSERT INTO dunning_task_invoices (task_id, invoice_id) VALUES (?, ?)",
            &[
                Value::Integer(follow_up),
                Value::Integer(invoice.invoice_id),
            ],
        )?;
    }
    Ok(())
}

fn record_in_history(
    db: &impl Database,
    task: &TaskRecord,
    input: &OutcomeInput,
    promise: Option<(NaiveDate, Money)>,
    token_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DunningError> {
    let mut detail = vec![format!("task {} ({})", task.id, task.kind)];
    if let Some((day, amount)) = promise {
        detail.push(format!("promised {amount} by {day}"));
    }
    if let Some(reason) = &input.dispute_reason {
        detail.push(format!("disputed: {reason}"));
    }
    if let Some(note) = &input.note {
        detail.push(note.clone());
    }
    let channel = crate::policy::Channel::parse(&task.kind).map(|c| c.as_str());

    let rows = db.execute(
        "INSERT INTO dunning_actions (idempotency_key, kind, customer_id, step_key, channel,
            as_of, collector, actor, result, detail, created_at)
         VALUES (?, 'task_outcome', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        &[
            format!("task-outcome-{}", task.id).into(),
            Value::Integer(task.customer_id),
            task.step_key.as_deref().into(),
            channel.into(),
            now.date_naive().into(),
            task.collector.as_deref().into(),
            token_actor(token_id).into(),
            input.outcome.as_str().into(),
            detail.join("; ").into(),
            now.into(),
        ],
    )?;
    let action_id = rows
        .first()
        .ok_or_else(|| StoreError::sqlite("INSERT INTO dunning_actions", "no id returned"))?
        .integer("id")?;

    for invoice in &task.invoices {
        let days_late = (now.date_naive() - invoice.due_date).num_days().max(0);
        db.execute(
            "INSERT INTO dunning_action_invoices (action_id, invoice_id, currency, remaining,
                days_late, late_interest) VALUES (?, ?, ?, ?, ?, '0')",
            &[
                Value::Integer(action_id),
                Value::Integer(invoice.invoice_id),
                invoice.remaining.currency().code().into(),
                invoice.remaining.amount().into(),
                Value::Integer(days_late),
            ],
        )?;
    }
    Ok(())
}
