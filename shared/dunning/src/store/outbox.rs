//! The outbox: every message as stored before it is sent, the claim a
//! sender takes on it (so two senders never send it at once, and a sender
//! that died lets it go once its claim expires), and what delivery made of
//! it — sent with the provider's id, retried later with back-off, or
//! failed for a person to look at.

use chrono::{DateTime, NaiveDate, Utc};
use relance_api::{Page, Scope};
use relance_store::{Database, Row, Value};
use serde::Serialize;

use crate::DunningError;
use crate::providers::{DeliveryOutcome, MAX_ATTEMPTS, backoff};
use crate::store::scope_condition;

/// A message of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    /// The message's identifier.
    pub id: i64,
    /// The step in the history it belongs to.
    pub action_id: i64,
    /// The customer.
    pub customer_id: i64,
    /// `email`, `letter`, `registered_letter` or `formal_notice`.
    pub channel: String,
    /// Sent with every delivery attempt.
    pub idempotency_key: String,
    /// `fr` or `en`.
    pub language: String,
    /// Who it is for.
    pub recipient_name: Option<String>,
    /// The address an email goes to.
    pub recipient_email: Option<String>,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text_body: String,
    /// HTML body (for a letter: the page to print).
    pub html_body: String,
    /// Where it stands.
    pub status: String,
    /// The provider that took it.
    pub provider: Option<String>,
    /// The provider's id for it.
    pub provider_message_id: Option<String>,
    /// Delivery attempts made.
    pub attempts: i64,
    /// When the next attempt is due, while retrying.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// What went wrong last.
    pub last_error: Option<String>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
    /// When the provider accepted it.
    pub sent_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "o.id, o.action_id, o.customer_id, o.channel, o.idempotency_key,
    o.language, o.recipient_name, o.recipient_email, o.subject, o.text_body, o.html_body,
    o.status, o.provider, o.provider_message_id, o.attempts, o.next_attempt_at, o.last_error,
    o.created_at, o.sent_at";

impl OutboxMessage {
    fn from_row(row: &Row<'_>) -> Result<OutboxMessage, DunningError> {
        let text = |column: &str| row.text(column).map(str::to_owned);
        let optional = |column: &str| row.optional_text(column).map(|t| t.map(str::to_owned));
        Ok(OutboxMessage {
            id: row.integer("id")?,
            action_id: row.integer("action_id")?,
            customer_id: row.integer("customer_id")?,
            channel: text("channel")?,
            idempotency_key: text("idempotency_key")?,
            language: text("language")?,
            recipient_name: optional("recipient_name")?,
            recipient_email: optional("recipient_email")?,
            subject: text("subject")?,
            text_body: text("text_body")?,
            html_body: text("html_body")?,
            status: text("status")?,
            provider: optional("provider")?,
            provider_message_id: optional("provider_message_id")?,
            attempts: row.integer("attempts")?,
            next_attempt_at: row.optional_timestamp("next_attempt_at")?,
            last_error: optional("last_error")?,
            created_at: row.timestamp("created_at")?,
            sent_at: row.optional_timestamp("sent_at")?,
        })
    }
}

/// Filters of the outbox listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxFilter {
    /// Only messages in this status.
    pub status: Option<String>,
    /// Only this customer's messages.
    pub customer_id: Option<i64>,
}

/// The statuses a message can be in.
pub const STATUSES: [&str; 8] = [
    "pending",
    "sending",
    "retrying",
    "sent",
    "failed",
    "kept_locally",
    "to_print",
    "printed",
];

/// One page of the outbox the caller may see, newest first.
pub fn list_outbox(
    db: &impl Database,
    scope: &Scope,
    filter: &OutboxFilter,
    page: &Page,
) -> Result<(Vec<OutboxMessage>, Option<i64>), DunningError> {
    let (visible, mut params) = scope_condition(scope, "o.customer_id");
    let mut sql = format!("SELECT {COLUMNS} FROM dunning_outbox o WHERE 1 = 1{visible}");
    if let Some(status) = &filter.status {
        sql.push_str(" AND o.status = ?");
        params.push(status.into());
    }
    if let Some(customer_id) = filter.customer_id {
        sql.push_str(" AND o.customer_id = ?");
        params.push(Value::Integer(customer_id));
    }
    if let Some(cursor) = &page.cursor {
        sql.push_str(" AND o.id < ?");
        params.push(Value::Integer(cursor.id));
    }
    sql.push_str(" ORDER BY o.id DESC LIMIT ?");
    params.push(Value::Integer(i64::from(page.limit) + 1));

    let rows = db.execute(&sql, &params)?;
    let mut messages: Vec<OutboxMessage> = rows
        .iter()
        .map(|row| OutboxMessage::from_row(&row))
        .collect::<Result<_, _>>()?;
    let more = messages.len() > page.limit as usize;
    messages.truncate(page.limit as usize);
    let next = more.then(|| messages.last().map(|m| m.id)).flatten();
    Ok((messages, next))
}

/// One message, if the caller may see it.
pub fn get_message(
    db: &impl Database,
    scope: &Scope,
    id: i64,
) -> Result<OutboxMessage, DunningError> {
    let (visible, mut params) = scope_condition(scope, "o.customer_id");
    params.insert(0, Value::Integer(id));
    let rows = db.execute(
        &format!("SELECT {COLUMNS} FROM dunning_outbox o WHERE o.id = ?{visible}"),
        &params,
    )?;
    match rows.first() {
        Some(row) => OutboxMessage::from_row(&row),
        None => Err(DunningError::NotFound {
            what: "message",
            id: id.to_string(),
        }),
    }
}

/// Emails due for an attempt at `now`: pending ones, retrying ones whose
/// time came, and ones a sender claimed but never finished (its claim
/// expired: it crashed or was stopped), oldest first.
pub fn due_emails(
    db: &impl Database,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<OutboxMessage>, DunningError> {
    let rows = db.execute(
        &format!(
            "SELECT {COLUMNS} FROM dunning_outbox o
             WHERE o.channel = 'email' AND (o.status = 'pending'
                OR (o.status = 'retrying' AND o.next_attempt_at <= ?)
                OR (o.status = 'sending' AND o.claimed_until <= ?))
             ORDER BY o.id LIMIT ?"
        ),
        &[now.into(), now.into(), Value::Integer(limit)],
    )?;
    rows.iter()
        .map(|row| OutboxMessage::from_row(&row))
        .collect()
}

/// Takes the message for one attempt until `claimed_until`, unless another
/// sender holds it or it is no longer due. Says whether the claim was won.
pub fn claim(
    db: &impl Database,
    id: i64,
    provider: &str,
    now: DateTime<Utc>,
    claimed_until: DateTime<Utc>,
) -> Result<bool, DunningError> {
    let rows = db.execute(
        "UPDATE dunning_outbox SET status = 'sending', attempts = attempts + 1,
            claimed_until = ?, provider = ?, updated_at = ?
         WHERE id = ? AND (status = 'pending'
            OR (status = 'retrying' AND next_attempt_at <= ?)
            OR (status = 'sending' AND claimed_until <= ?))
         RETURNING id",
        &[
            claimed_until.into(),
            provider.into(),
            now.into(),
            Value::Integer(id),
            now.into(),
            now.into(),
        ],
    )?;
    Ok(!rows.is_empty())
}

/// Counts one more attempt on a message its sender still holds, before
/// trying again at once (a provider's passing 5xx), and extends the claim.
pub fn count_quick_retry(
    db: &impl Database,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
    claimed_until: DateTime<Utc>,
) -> Result<(), DunningError> {
    db.execute(
        "UPDATE dunning_outbox SET attempts = attempts + 1, last_error = ?, claimed_until = ?,
            updated_at = ?
         WHERE id = ? AND status = 'sending'",
        &[
            reason.into(),
            claimed_until.into(),
            now.into(),
            Value::Integer(id),
        ],
    )?;
    Ok(())
}

/// How many delivery attempts were made on the message.
pub fn attempts_made(db: &impl Database, id: i64) -> Result<i64, DunningError> {
    let rows = db.execute(
        "SELECT attempts FROM dunning_outbox WHERE id = ?",
        &[Value::Integer(id)],
    )?;
    Ok(rows
        .first()
        .map(|row| row.integer("attempts"))
        .transpose()?
        .unwrap_or(0))
}

/// Records what an attempt gave: sent, retrying after back-off (failed once
/// the attempts are used up), or failed. The step's result in the history
/// follows.
pub fn record_attempt(
    db: &impl Database,
    id: i64,
    outcome: &DeliveryOutcome,
    now: DateTime<Utc>,
) -> Result<String, DunningError> {
    db.transaction(|db| {
        let attempts = attempts_made(db, id)?;
        let (status, error, message_id, next_attempt) = match outcome {
            DeliveryOutcome::Delivered { message_id } => ("sent", None, message_id.clone(), None),
            DeliveryOutcome::Retry { reason } if attempts >= i64::from(MAX_ATTEMPTS) => (
                "failed",
                Some(format!("gave up after {attempts} attempts; last: {reason}")),
                None,
                None,
            ),
            DeliveryOutcome::Retry { reason } => {
                let wait = backoff(u32::try_from(attempts).unwrap_or(u32::MAX));
                let next = chrono::Duration::from_std(wait)
                    .ok()
                    .and_then(|wait| now.checked_add_signed(wait));
                ("retrying", Some(reason.clone()), None, next)
            }
            DeliveryOutcome::Failed { reason } => ("failed", Some(reason.clone()), None, None),
        };

        db.execute(
            "UPDATE dunning_outbox SET status = ?, last_error = COALESCE(?, last_error),
                provider_message_id = COALESCE(?, provider_message_id),
                next_attempt_at = ?, claimed_until = NULL,
                sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, updated_at = ?
             WHERE id = ?",
            &[
                status.into(),
                error.into(),
                message_id.into(),
                next_attempt.into(),
                status.into(),
                now.into(),
                now.into(),
                Value::Integer(id),
            ],
        )?;
        if matches!(status, "sent" | "failed") {
            db.execute(
                "UPDATE dunning_actions SET result = ?
                 WHERE id = (SELECT action_id FROM dunning_outbox WHERE id = ?)",
                &[status.into(), Value::Integer(id)],
            )?;
        }
        Ok(status.to_owned())
    })
}

/// Marks a message that cannot go out as failed, saying why (no sender
/// address configured, for instance).
pub fn fail_message(
    db: &impl Database,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DunningError> {
    record_attempt(
        db,
        id,
        &DeliveryOutcome::Failed {
            reason: reason.to_owned(),
        },
        now,
    )
    .map(|_| ())
}

/// Marks the letter of a task as printed and posted on `day`.
pub(crate) fn mark_printed(
    db: &impl Database,
    id: i64,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), DunningError> {
    db.execute(
        "UPDATE dunning_outbox SET status = 'printed', sent_at = ?, updated_at = ?
         WHERE id = ? AND status = 'to_print'",
        &[now.into(), now.into(), Value::Integer(id)],
    )?;
    db.execute(
        "UPDATE dunning_actions SET result = 'sent', detail = COALESCE(detail, ?)
         WHERE id = (SELECT action_id FROM dunning_outbox WHERE id = ?)",
        &[format!("posted on {day}").into(), Value::Integer(id)],
    )?;
    Ok(())
}
