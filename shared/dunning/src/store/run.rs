//! The dunning run and its preview. Customers are read in batches with
//! their chased invoices; each customer's due steps are prepared (late
//! charges counted, message rendered) and then, in the run, recorded in one
//! transaction per batch: the step in the history under its idempotency
//! key, the invoices it concerned, how far each invoice went, and the
//! message in the outbox or the task for a person. Nothing is sent here:
//! delivery reads the outbox afterwards, so a crash at any point leaves
//! either a step fully recorded or not at all, and never a message twice.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use relance_api::Scope;
use relance_ledger::customer::Language;
use relance_ledger::money::{Currency, Money};
use relance_store::{Database, Row, StoreError, Value};
use serde::Serialize;

use crate::DunningError;
use crate::compose::{
    CompanySettings, MessageLine, Recipient, RenderedMessage, message_context, render_email,
    render_letter,
};
use crate::interest::{LateCharges, ReferenceRates, late_charges};
use crate::policy::{Assignee, Channel, DunningPolicy, DunningStep};
use crate::schedule::{ChasedInvoice, Hold, TakenStep, plan_customer};
use crate::store::policies::PolicyBook;
use crate::store::rates::load_rates;
use crate::store::settings::get_settings;
use crate::store::templates::TemplateBook;
use crate::store::{RUN_ACTOR, scope_condition};
use crate::tasks::TaskKind;

/// Customers read per batch (and recorded per transaction).
const CUSTOMER_BATCH: i64 = 500;

/// Where the run's emails go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// To the named provider: messages wait as `pending` for delivery.
    Provider,
    /// Nowhere: messages are kept in the local outbox.
    LocalOutbox,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// The run's identifier.
    pub run_id: i64,
    /// The day it judged.
    pub as_of: Option<NaiveDate>,
    /// Customers read.
    pub customers: u64,
    /// Chased invoices read.
    pub invoices_considered: u64,
    /// Steps recorded this time.
    pub steps_taken: u64,
    /// Steps found already recorded (a run repeated or overlapping).
    pub steps_already_recorded: u64,
    /// Emails put in the outbox.
    pub emails: u64,
    /// Letters put in the outbox to print.
    pub letters: u64,
    /// Tasks made for people.
    pub tasks: u64,
    /// Invoices held back (dispute, promise, pause) with a step due.
    pub held_invoices: u64,
    /// Earlier steps passed over for a more advanced one.
    pub skipped_steps: u64,
    /// Steps recorded as failed (a message that could not be rendered).
    pub failed_steps: u64,
}

/// A customer as the run reads it.
#[derive(Debug, Clone)]
struct CustomerRow {
    recipient: Recipient,
    segment: Option<String>,
    collector: Option<String>,
}

/// One invoice of a prepared step, with its charges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepInvoice {
    /// The invoice's identifier.
    pub invoice_id: i64,
    /// Its number.
    pub number: String,
    /// Its due date.
    pub due_date: NaiveDate,
    /// What remains on it.
    pub remaining: Money,
    /// Days past the due date.
    pub days_late: i64,
    /// Late interest to date.
    pub late_interest: Money,
}

/// A step ready to record: what it concerns and what it produces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreparedStep {
    /// The customer.
    pub customer_id: i64,
    /// Its name.
    pub customer_name: String,
    /// The policy chasing it.
    pub policy_code: String,
    /// The step.
    pub step_key: String,
    /// Its offset from the due date.
    pub offset_days: i32,
    /// Its channel.
    pub channel: Channel,
    /// The key it is recorded under, once.
    pub idempotency_key: String,
    /// The invoices it concerns.
    pub invoices: Vec<StepInvoice>,
    /// Earlier steps passed over.
    pub skipped_steps: Vec<String>,
    /// The language written in.
    pub language: Language,
    /// Who the message goes to.
    pub recipient_name: Option<String>,
    /// The address an email goes to.
    pub recipient_email: Option<String>,
    /// The message or letter, when the step has one.
    pub message: Option<RenderedMessage>,
    /// The task a person receives, when the step needs one.
    pub task: Option<TaskKind>,
    /// Who the task is assigned to.
    pub assignee: Option<String>,
    /// The customer's collector.
    pub collector: Option<String>,
    /// Why the step cannot go as planned (no address, no template).
    pub problem: Option<String>,
}

/// An invoice held back although a step is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldInvoice {
    /// The customer.
    pub customer_id: i64,
    /// The invoice.
    pub invoice_id: i64,
    /// Its number.
    pub number: String,
    /// The hold.
    #[serde(flatten)]
    pub hold: Hold,
}

/// What the next run would do for one page of customers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// The day judged.
    pub as_of: NaiveDate,
    /// The steps the run would record.
    pub steps: Vec<PreparedStep>,
    /// Invoices it would hold back.
    pub held: Vec<HeldInvoice>,
    /// The last customer seen, to resume after; `None` when all were seen.
    pub next_customer: Option<i64>,
}

/// What every customer's steps are prepared with.
struct RunBooks {
    policies: PolicyBook,
    templates: TemplateBook,
    settings: CompanySettings,
    rates: ReferenceRates,
}

impl RunBooks {
    fn load(db: &impl Database) -> Result<RunBooks, DunningError> {
        Ok(RunBooks {
            policies: PolicyBook::load(db)?,
            templates: TemplateBook::load(db)?,
            settings: get_settings(db)?,
            rates: load_rates(db)?,
        })
    }
}

/// Runs dunning for `as_of`: records every due step of every customer and
/// puts its message in the outbox (or its task in a person's list).
/// Running it again for the same day records nothing more.
pub fn run_dunning(
    db: &impl Database,
    as_of: NaiveDate,
    delivery: Delivery,
    now: DateTime<Utc>,
) -> Result<RunSummary, DunningError> {
    let books = RunBooks::load(db)?;
    let run_id = start_run(db, as_of, now)?;
    let mut summary = RunSummary {
        run_id,
        as_of: Some(as_of),
        ..RunSummary::default()
    };

    let mut after = 0;
    loop {
        let customers = customers_after(db, &Scope::Everything, after, CUSTOMER_BATCH)?;
        let Some(last) = customers.last() else {
            break;
        };
        after = last.recipient.customer_id;

        let mut invoices = chased_invoices(db, &customers, &books, as_of)?;
        let mut prepared = Vec::new();
        for customer in &customers {
            let mine = invoices
                .remove(&customer.recipient.customer_id)
                .unwrap_or_default();
            summary.customers += 1;
            summary.invoices_considered += mine.len() as u64;
            let (steps, held) = prepare_customer(&books, customer, &mine, as_of);
            summary.held_invoices += held.len() as u64;
            prepared.extend(steps);
        }

        db.transaction(|db| {
            for step in &prepared {
                record_step(db, run_id, step, delivery, as_of, now, &mut summary)?;
            }
            Ok::<_, DunningError>(())
        })?;
    }

    finish_run(db, &summary, Utc::now())?;
    Ok(summary)
}

/// What the next run on `as_of` would do for the customers `scope` shows,
/// from the customer after `cursor`, until about `limit` steps are found.
pub fn preview(
    db: &impl Database,
    scope: &Scope,
    as_of: NaiveDate,
    cursor: Option<i64>,
    limit: usize,
) -> Result<Preview, DunningError> {
    let books = RunBooks::load(db)?;
    let mut preview = Preview {
        as_of,
        steps: Vec::new(),
        held: Vec::new(),
        next_customer: None,
    };

    let mut after = cursor.unwrap_or(0);
    loop {
        let customers = customers_after(db, scope, after, CUSTOMER_BATCH)?;
        if customers.is_empty() {
            return Ok(preview);
        }

        let mut invoices = chased_invoices(db, &customers, &books, as_of)?;
        for customer in &customers {
            let id = customer.recipient.customer_id;
            let mine = invoices.remove(&id).unwrap_or_default();
            let (steps, held) = prepare_customer(&books, customer, &mine, as_of);
            preview.steps.extend(steps);
            preview.held.extend(held);
            after = id;
            if preview.steps.len() >= limit {
                preview.next_customer = Some(after);
                return Ok(preview);
            }
        }
    }
}

/// The customers after `after` that `scope` shows, by id.
fn customers_after(
    db: &impl Database,
    scope: &Scope,
    after: i64,
    limit: i64,
) -> Result<Vec<CustomerRow>, DunningError> {
    let (visible, mut params) = scope_condition(scope, "c.id");
    let mut all = vec![Value::Integer(after)];
    all.append(&mut params);
    all.push(Value::Integer(limit));

    let rows = db.execute(
        &format!(
            "SELECT c.id, c.name, c.external_id, c.segment, c.collector, c.language,
                COALESCE(c.dunning_contact_name, c.invoicing_contact_name) AS contact_name,
                COALESCE(c.dunning_contact_email, c.invoicing_contact_email) AS contact_email
             FROM customers c WHERE c.id > ?{visible} ORDER BY c.id LIMIT ?"
        ),
        &all,
    )?;
    rows.iter().map(|row| customer_row(&row)).collect()
}

fn customer_row(row: &Row<'_>) -> Result<CustomerRow, DunningError> {
    let language = row.text("language")?;
    Ok(CustomerRow {
        recipient: Recipient {
            customer_id: row.integer("id")?,
            name: row.text("name")?.to_owned(),
            reference: row.text("external_id")?.to_owned(),
            language: Language::parse(language).map_err(|_| StoreError::UnexpectedValue {
                column: "customers.language".to_owned(),
                expected: "fr or en",
                found: format!("{language:?}"),
            })?,
            contact_name: row.optional_text("contact_name")?.map(str::to_owned),
            contact_email: row.optional_text("contact_email")?.map(str::to_owned),
        },
        segment: row.optional_text("segment")?.map(str::to_owned),
        collector: row.optional_text("collector")?.map(str::to_owned),
    })
}

/// The chased invoices of `customers` that a step may concern on `as_of`,
/// by customer, with how far dunning went on each. The unary `+` keeps
/// SQLite on the customer index: the status and due-date index would read
/// every open invoice of the ledger for each batch.
fn chased_invoices(
    db: &impl Database,
    customers: &[CustomerRow],
    books: &RunBooks,
    as_of: NaiveDate,
) -> Result<HashMap<i64, Vec<ChasedInvoice>>, DunningError> {
    let (Some(first), Some(last)) = (customers.first(), customers.last()) else {
        return Ok(HashMap::new());
    };
    let earliest = books.policies.earliest_offset();
    let horizon = crate::schedule::step_day(as_of, -earliest).unwrap_or(as_of);
    let wanted: std::collections::HashSet<i64> =
        customers.iter().map(|c| c.recipient.customer_id).collect();

    let rows = db.execute(
        "SELECT i.id, i.customer_id, i.number, i.issue_date, i.due_date, i.currency, i.total,
            i.remaining, i.status, i.payment_reference, i.dispute_opened_on, i.promised_on,
            i.dunning_paused_until, s.step_key, s.offset_days
         FROM invoices i LEFT JOIN dunning_invoice_states s ON s.invoice_id = i.id
         WHERE i.customer_id BETWEEN ? AND ? AND +i.status IN ('open', 'partially_paid')
           AND +i.due_date <= ?
         ORDER BY i.customer_id, i.due_date, i.id",
        &[
            Value::Integer(first.recipient.customer_id),
            Value::Integer(last.recipient.customer_id),
            horizon.into(),
        ],
    )?;

    let mut currencies: HashMap<String, Currency> = HashMap::new();
    let mut by_customer: HashMap<i64, Vec<ChasedInvoice>> = HashMap::new();
    for row in rows.iter() {
        let customer_id = row.integer("customer_id")?;
        if !wanted.contains(&customer_id) {
            continue;
        }
        let invoice = chased_invoice(&row, &mut currencies)?;
        by_customer.entry(customer_id).or_default().push(invoice);
    }
    Ok(by_customer)
}

fn chased_invoice(
    row: &Row<'_>,
    currencies: &mut HashMap<String, Currency>,
) -> Result<ChasedInvoice, DunningError> {
    let code = row.text("currency")?;
    let currency = match currencies.get(code) {
        Some(currency) => *currency,
        None => {
            let currency = Currency::parse(code).map_err(|_| StoreError::UnexpectedValue {
                column: "invoices.currency".to_owned(),
                expected: "an ISO 4217 currency",
                found: format!("{code:?}"),
            })?;
            currencies.insert(code.to_owned(), currency);
            currency
        }
    };
    let money = |column: &str| -> Result<Money, DunningError> {
        let amount = row.decimal(column)?;
        Ok(Money::round_half_even(amount, currency))
    };
    let status = row.text("status")?;

    Ok(ChasedInvoice {
        id: row.integer("id")?,
        number: row.text("number")?.to_owned(),
        issue_date: row.date("issue_date")?,
        due_date: row.date("due_date")?,
        total: money("total")?,
        remaining: money("remaining")?,
        status: relance_ledger::invoice::InvoiceStatus::parse(status).map_err(|_| {
            StoreError::UnexpectedValue {
                column: "invoices.status".to_owned(),
                expected: "an invoice status",
                found: format!("{status:?}"),
            }
        })?,
        payment_reference: row.optional_text("payment_reference")?.map(str::to_owned),
        disputed: row.optional_text("dispute_opened_on")?.is_some(),
        promised_on: row.optional_date("promised_on")?,
        paused_until: row.optional_date("dunning_paused_until")?,
        last_step: match row.optional_text("step_key")? {
            Some(key) => Some(TakenStep {
                key: key.to_owned(),
                offset_days: i32::try_from(row.integer("offset_days")?).unwrap_or(i32::MAX),
            }),
            None => None,
        },
    })
}

/// The steps due for one customer, ready to record, and its held invoices.
fn prepare_customer(
    books: &RunBooks,
    customer: &CustomerRow,
    invoices: &[ChasedInvoice],
    as_of: NaiveDate,
) -> (Vec<PreparedStep>, Vec<HeldInvoice>) {
    let recipient = &customer.recipient;
    let policy = books
        .policies
        .policy_for(recipient.customer_id, customer.segment.as_deref());
    let plan = plan_customer(policy, invoices, as_of);

    let held = plan
        .held
        .iter()
        .map(|h| HeldInvoice {
            customer_id: recipient.customer_id,
            invoice_id: h.invoice_id,
            number: h.number.clone(),
            hold: h.hold,
        })
        .collect();
    let steps = plan
        .steps
        .iter()
        .map(|planned| {
            let key = planned.idempotency_key(recipient.customer_id, &policy.code);
            prepare_step(
                books,
                customer,
                policy,
                planned.step,
                &planned.invoices,
                key,
                as_of,
            )
            .with_skipped(planned.skipped.clone())
        })
        .collect();
    (steps, held)
}

impl PreparedStep {
    fn with_skipped(mut self, skipped: Vec<String>) -> PreparedStep {
        self.skipped_steps = skipped;
        self
    }
}

fn prepare_step(
    books: &RunBooks,
    customer: &CustomerRow,
    policy: &DunningPolicy,
    step: &DunningStep,
    invoices: &[&ChasedInvoice],
    idempotency_key: String,
    as_of: NaiveDate,
) -> PreparedStep {
    let recipient = &customer.recipient;
    let lines: Vec<MessageLine<'_>> = invoices
        .iter()
        .map(|invoice| MessageLine {
            invoice,
            charges: charges(books, policy, invoice, as_of),
        })
        .collect();

    let mut problem = None;
    let message = if step.channel.renders_message() {
        match render(books, customer, step, &lines, as_of) {
            Ok(message) => Some(message),
            Err(error) => {
                problem = Some(error);
                None
            }
        }
    } else {
        None
    };

    let mut task = TaskKind::for_channel(step.channel);
    if step.channel == Channel::Email && recipient.contact_email.is_none() {
        problem = Some(
            "the customer has no dunning or invoicing email address; the collector is asked \
             to find the right contact"
                .to_owned(),
        );
        task = Some(TaskKind::UpdateContact);
    }
    let assignee = match &step.assignee {
        Assignee::Collector => customer.collector.clone(),
        Assignee::Person(person) => Some(person.clone()),
    };

    PreparedStep {
        customer_id: recipient.customer_id,
        customer_name: recipient.name.clone(),
        policy_code: policy.code.clone(),
        step_key: step.key.clone(),
        offset_days: step.offset_days,
        channel: step.channel,
        idempotency_key,
        invoices: lines
            .iter()
            .map(|line| StepInvoice {
                invoice_id: line.invoice.id,
                number: line.invoice.number.clone(),
                due_date: line.invoice.due_date,
                remaining: line.invoice.remaining,
                days_late: line.charges.days_late,
                late_interest: line.charges.interest,
            })
            .collect(),
        skipped_steps: Vec::new(),
        language: recipient.language,
        recipient_name: recipient.contact_name.clone(),
        recipient_email: recipient.contact_email.clone(),
        message,
        task,
        assignee,
        collector: customer.collector.clone(),
        problem,
    }
}

/// The invoice's late charges; a day with no known rate counts none, which
/// the message then shows as zero interest.
fn charges(
    books: &RunBooks,
    policy: &DunningPolicy,
    invoice: &ChasedInvoice,
    as_of: NaiveDate,
) -> LateCharges {
    late_charges(
        invoice.remaining,
        invoice.due_date,
        as_of,
        &books.rates,
        policy.contract_interest_rate,
    )
    .unwrap_or_else(|_| LateCharges {
        days_late: invoice.days_late(as_of),
        interest: Money::zero(invoice.remaining.currency()),
        indemnity: None,
        periods: Vec::new(),
    })
}

fn render(
    books: &RunBooks,
    customer: &CustomerRow,
    step: &DunningStep,
    lines: &[MessageLine<'_>],
    as_of: NaiveDate,
) -> Result<RenderedMessage, String> {
    let recipient = &customer.recipient;
    let name = step.template.as_deref().unwrap_or_default();
    let template = books
        .templates
        .find(name, recipient.language)
        .ok_or_else(|| format!("the template {name:?} does not exist"))?;
    let context = message_context(recipient, &books.settings, step, lines, as_of);

    let rendered = if step.channel.is_letter() {
        render_letter(
            template,
            &context,
            recipient,
            &books.settings,
            step.channel,
            as_of,
        )
    } else {
        render_email(template, &context)
    };
    rendered.map_err(|error| format!("the template {name:?} cannot be rendered: {error}"))
}

fn start_run(
    db: &impl Database,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Result<i64, DunningError> {
    let rows = db.execute(
        "INSERT INTO dunning_runs (as_of, started_at) VALUES (?, ?) RETURNING id",
        &[as_of.into(), now.into()],
    )?;
    let row = rows
        .first()
        .ok_or_else(|| StoreError::sqlite("INSERT INTO dunning_runs", "no id returned"))?;
    Ok(row.integer("id")?)
}

fn finish_run(
    db: &impl Database,
    summary: &RunSummary,
    now: DateTime<Utc>,
) -> Result<(), DunningError> {
    let count = |n: u64| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    db.execute(
        "UPDATE dunning_runs SET finished_at = ?, invoices_considered = ?, steps_taken = ?,
            messages = ?, tasks = ? WHERE id = ?",
        &[
            now.into(),
            count(summary.invoices_considered),
            count(summary.steps_taken),
            count(summary.emails + summary.letters),
            count(summary.tasks),
            Value::Integer(summary.run_id),
        ],
    )?;
    Ok(())
}

/// Records one step, its invoices, its message and its task; a step whose
/// key is already recorded is left as it is.
fn record_step(
    db: &impl Database,
    run_id: i64,
    step: &PreparedStep,
    delivery: Delivery,
    as_of: NaiveDate,
    now: DateTime<Utc>,
    summary: &mut RunSummary,
) -> Result<(), DunningError> {
    let (result, outbox_status) = outcome_of(step, delivery);
    let mut detail = step.problem.clone();
    if !step.skipped_steps.is_empty() {
        let skipped = format!("skipped earlier steps: {}", step.skipped_steps.join(", "));
        detail = Some(match detail {
            Some(problem) => format!("{problem}; {skipped}"),
            None => skipped,
        });
    }

    let rows = db.execute(
        "INSERT INTO dunning_actions (idempotency_key, kind, run_id, customer_id, policy_code,
            step_key, offset_days, channel, as_of, collector, actor, result, detail, created_at)
         VALUES (?, 'step', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        &[
            step.idempotency_key.as_str().into(),
            Value::Integer(run_id),
            Value::Integer(step.customer_id),
            step.policy_code.as_str().into(),
            step.step_key.as_str().into(),
            Value::Integer(i64::from(step.offset_days)),
            step.channel.as_str().into(),
            as_of.into(),
            step.collector.as_deref().into(),
            RUN_ACTOR.into(),
            result.into(),
            detail.into(),
            now.into(),
        ],
    )?;
    let Some(row) = rows.first() else {
        summary.steps_already_recorded += 1;
        return Ok(());
    };
    let action_id = row.integer("id")?;
    summary.steps_taken += 1;
    summary.skipped_steps += step.skipped_steps.len() as u64;

    record_step_invoices(db, action_id, step, as_of)?;

    let outbox_id = match (&step.message, outbox_status) {
        (Some(message), Some(status)) => {
            if step.channel.is_letter() {
                summary.letters += 1;
            } else {
                summary.emails += 1;
            }
            Some(add_to_outbox(db, action_id, step, message, status, now)?)
        }
        _ => None,
    };
    if result == "failed" {
        summary.failed_steps += 1;
    }

    if let Some(kind) = step.task {
        summary.tasks += 1;
        add_task(db, action_id, step, kind, outbox_id, as_of, now)?;
    }
    Ok(())
}

/// The step's result in the history and its outbox status, if it has a
/// message: emails are queued (or kept locally without a provider), letters
/// wait to be printed, calls and litigation are tasks; an email without an
/// address becomes a task to find the contact.
fn outcome_of(step: &PreparedStep, delivery: Delivery) -> (&'static str, Option<&'static str>) {
    if step.channel == Channel::Email {
        return match (&step.message, &step.recipient_email) {
            (_, None) => ("task_created", None),
            (None, Some(_)) => ("failed", None),
            (Some(_), Some(_)) => match delivery {
                Delivery::Provider => ("queued", Some("pending")),
                Delivery::LocalOutbox => ("kept_locally", Some("kept_locally")),
            },
        };
    }
    if !step.channel.renders_message() {
        return ("task_created", None);
    }
    match step.message {
        Some(_) => ("to_print", Some("to_print")),
        None => ("failed", None),
    }
}

fn record_step_invoices(
    db: &impl Database,
    action_id: i64,
    step: &PreparedStep,
    as_of: NaiveDate,
) -> Result<(), DunningError> {
    for chunk in step.invoices.chunks(100) {
        let mut links = Vec::with_capacity(chunk.len() * 6);
        let mut states = Vec::with_capacity(chunk.len() * 6);
        for invoice in chunk {
            links.extend([
                Value::Integer(action_id),
                Value::Integer(invoice.invoice_id),
                invoice.remaining.currency().code().into(),
                invoice.remaining.amount().into(),
                Value::Integer(invoice.days_late),
                invoice.late_interest.amount().into(),
            ]);
            states.extend([
                Value::Integer(invoice.invoice_id),
                step.policy_code.as_str().into(),
                step.step_key.as_str().into(),
                Value::Integer(i64::from(step.offset_days)),
                Value::Integer(action_id),
                as_of.into(),
            ]);
        }
        let placeholders = vec!["(?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");

        db.execute(
            &format!(
                "INSERT INTO dunning_action_invoices (action_id, invoice_id, currency, remaining,
                    days_late, late_interest) VALUES {placeholders}"
            ),
            &links,
        )?;
        db.execute(
            &format!(
                "INSERT INTO dunning_invoice_states (invoice_id, policy_code, step_key,
                    offset_days, action_id, taken_on) VALUES {placeholders}
                 ON CONFLICT (invoice_id) DO UPDATE SET policy_code = excluded.policy_code,
                    step_key = excluded.step_key, offset_days = excluded.offset_days,
                    action_id = excluded.action_id, taken_on = excluded.taken_on"
            ),
            &states,
        )?;
    }
    Ok(())
}

fn add_to_outbox(
    db: &impl Database,
    action_id: i64,
    step: &PreparedStep,
    message: &RenderedMessage,
    status: &str,
    now: DateTime<Utc>,
) -> Result<i64, DunningError> {
    let rows = db.execute(
        "INSERT INTO dunning_outbox (action_id, customer_id, channel, idempotency_key, language,
            recipient_name, recipient_email, subject, text_body, html_body, status,
            created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        &[
            Value::Integer(action_id),
            Value::Integer(step.customer_id),
            step.channel.as_str().into(),
            step.idempotency_key.as_str().into(),
            step.language.as_str().into(),
            step.recipient_name.as_deref().into(),
            step.recipient_email.as_deref().into(),
            message.subject.as_str().into(),
            message.text.as_str().into(),
            message.html.as_str().into(),
            status.into(),
            now.into(),
            now.into(),
        ],
    )?;
    let row = rows
        .first()
        .ok_or_else(|| StoreError::sqlite("INSERT INTO dunning_outbox", "no id returned"))?;
    Ok(row.integer("id")?)
}

fn add_task(
    db: &impl Database,
    action_id: i64,
    step: &PreparedStep,
    kind: TaskKind,
    outbox_id: Option<i64>,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), DunningError> {
    let rows = db.execute(
        "INSERT INTO dunning_tasks (action_id, customer_id, kind, collector, due_on, status,
            note, outbox_id, created_at)
         VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?) RETURNING id",
        &[
            Value::Integer(action_id),
            Value::Integer(step.customer_id),
            kind.as_str().into(),
            step.assignee.as_deref().into(),
            as_of.into(),
            step.problem.as_deref().into(),
            outbox_id.map(Value::Integer).unwrap_or(Value::Null),
            now.into(),
        ],
    )?;
    let task_id = rows
        .first()
        .ok_or_else(|| StoreError::sqlite("INSERT INTO dunning_tasks", "no id returned"))?
        .integer("id")?;

    let mut params = Vec::with_capacity(step.invoices.len() * 2);
    for invoice in &step.invoices {
        params.extend([Value::Integer(task_id), Value::Integer(invoice.invoice_id)]);
    }
    let placeholders = vec!["(?, ?)"; step.invoices.len()].join(", ");
    db.execute(
        &format!("INSERT INTO dunning_task_invoices (task_id, invoice_id) VALUES {placeholders}"),
        &params,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use relance_store::NativeDatabase;

    use super::*;

    const NOW: &str = "2026-04-01T08:00:00.000000Z";

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    fn now() -> DateTime<Utc> {
        NOW.parse().expect("an instant")
    }

    /// A customer with `email` (or none) and one invoice due 2026-03-31 of
    /// which `remaining` is left; returns the database.
    fn ledger(email: Option<&str>, remaining: &str, status: &str) -> NativeDatabase {
        let db = NativeDatabase::open_in_memory().expect("database");
        db.execute(
            "INSERT INTO customers (source, external_id, name, language, collector,
                dunning_contact_email, created_at, updated_at)
             VALUES ('manual', 'C-1', 'ACME SA', 'fr', 'bruno', ?, ?, ?)",
            &[email.into(), NOW.into(), NOW.into()],
        )
        .expect("customer");
        db.execute(
            "INSERT INTO invoices (source, external_id, number, customer_id, issue_date,
                due_date, currency, total, tax, amount_paid, credited, allocated, remaining,
                source_status, status, version, created_at, updated_at)
             VALUES ('manual', 'inv-1', 'F-1', 1, '2026-03-01', '2026-03-31', 'EUR',
                '1440.00', '0.00', '0.00', '0.00', '0.00', ?, ?, ?, ?, ?, ?)",
            &[
                remaining.into(),
                status.into(),
                status.into(),
                NOW.into(),
                NOW.into(),
                NOW.into(),
            ],
        )
        .expect("invoice");
        db
    }

    fn outbox_statuses(db: &NativeDatabase) -> Vec<String> {
        let rows = db
            .execute("SELECT status FROM dunning_outbox ORDER BY id", &[])
            .expect("outbox");
        rows.iter()
            .map(|row| row.text("status").expect("status").to_owned())
            .collect()
    }

    #[test]
    fn a_second_run_the_same_day_records_nothing_and_the_next_step_follows_later() {
        let db = ledger(Some("compta@acme.example"), "440.00", "partially_paid");

        let first =
            run_dunning(&db, day("2026-04-03"), Delivery::LocalOutbox, now()).expect("first run");
        let again =
            run_dunning(&db, day("2026-04-03"), Delivery::LocalOutbox, now()).expect("second run");
        let later =
            run_dunning(&db, day("2026-04-15"), Delivery::Provider, now()).expect("later run");

        assert_eq!((first.steps_taken, first.emails), (1, 1));
        assert_eq!((again.steps_taken, again.steps_already_recorded), (0, 0));
        assert_eq!((later.steps_taken, later.emails), (1, 1));
        assert_eq!(outbox_statuses(&db), ["kept_locally", "pending"]);
        let text = db
            .execute("SELECT text_body FROM dunning_outbox WHERE id = 2", &[])
            .expect("message");
        let body = text
            .first()
            .expect("row")
            .text("text_body")
            .expect("text")
            .to_owned();
        assert!(body.contains("reste dû 440,00\u{a0}EUR"), "{body}");
    }

    #[test]
    fn an_email_step_for_a_customer_without_an_address_asks_the_collector_for_one() {
        let db = ledger(None, "1440.00", "open");

        let run = run_dunning(&db, day("2026-04-03"), Delivery::Provider, now()).expect("run");

        assert_eq!((run.steps_taken, run.emails, run.tasks), (1, 0, 1));
        assert!(outbox_statuses(&db).is_empty());
        let task = db
            .execute("SELECT kind, collector FROM dunning_tasks", &[])
            .expect("task");
        let row = task.first().expect("one task");
        assert_eq!(row.text("kind").expect("kind"), "update_contact");
        assert_eq!(row.text("collector").expect("collector"), "bruno");
    }

    #[test]
    fn a_paid_invoice_is_never_read_by_the_run() {
        let db = ledger(Some("compta@acme.example"), "0.00", "paid");

        let run = run_dunning(&db, day("2026-04-03"), Delivery::Provider, now()).expect("run");

        assert_eq!((run.invoices_considered, run.steps_taken), (0, 0));
    }
}
