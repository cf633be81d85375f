//! Receiving an external input: stored raw in the inbox, then applied and
//! marked with what applying did. A first delivery and a replay after a fix
//! take the same path, so a replayed input is applied exactly as it would
//! have been.

use chrono::{DateTime, Utc};
use relance_api::ApiError;
use relance_ledger::change::{IncomingEvent, LedgerChange};
use relance_ledger::ledger_file::ImportOptions;
use relance_ledger::money::Currency;
use relance_ledger::{canonical, stripe};
use relance_store::inbox::{self, InboxStatus};
use relance_store::{ApplyOutcome, Database};
use serde_json::{Value, json};

use crate::{bulk, ledger_import};

/// What an inbox entry holds, which says how to apply it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A Stripe webhook event.
    StripeEvent,
    /// A canonical JSON event (docs/canonical-events.md).
    CanonicalEvent,
    /// A `POST /api/v1/invoices` body.
    BulkInvoices,
    /// A FEC or CSV customer ledger, with the choices the file does not state.
    LedgerImport(ImportOptions),
}

const STRIPE_EVENT: &str = "stripe_event";
const CANONICAL_EVENT: &str = "canonical_event";
const BULK_INVOICES: &str = "bulk_invoices";
const LEDGER_IMPORT: &str = "ledger_import";

impl InputKind {
    /// The inbox's `kind`. A ledger import keeps its options there
    /// (`ledger_import;currency=EUR;payment_terms_days=30`), so a replay
    /// reads the file exactly as the first import did.
    pub fn stored_name(&self) -> String {
        match self {
            InputKind::StripeEvent => STRIPE_EVENT.to_owned(),
            InputKind::CanonicalEvent => CANONICAL_EVENT.to_owned(),
            InputKind::BulkInvoices => BULK_INVOICES.to_owned(),
            InputKind::LedgerImport(options) => {
                let mut name = format!("{LEDGER_IMPORT};currency={}", options.currency.code());
                if let Some(days) = options.payment_terms_days {
                    name.push_str(&format!(";payment_terms_days={days}"));
                }
                name
            }
        }
    }

    /// Reads a stored `kind` back.
    pub fn from_stored_name(name: &str) -> Result<InputKind, ApiError> {
        let mut parts = name.split(';');

        match parts.next().unwrap_or_default() {
            STRIPE_EVENT => Ok(InputKind::StripeEvent),
            CANONICAL_EVENT => Ok(InputKind::CanonicalEvent),
            BULK_INVOICES => Ok(InputKind::BulkInvoices),
            LEDGER_IMPORT => stored_import_options(parts).map(InputKind::LedgerImport),
            _ => Err(unknown_kind(name)),
        }
    }
}

fn stored_import_options<'a>(
    parts: impl Iterator<Item = &'a str>,
) -> Result<ImportOptions, ApiError> {
    let mut options = ImportOptions::default();

    for part in parts {
        match part.split_once('=') {
            Some(("currency", code)) => {
                options.currency = Currency::parse(code).map_err(|e| ApiError::internal(&e))?;
            }
            Some(("payment_terms_days", days)) => {
                let days = days.parse().map_err(|e| ApiError::internal(&e))?;
                options.payment_terms_days = Some(days);
            }
            _ => return Err(unknown_kind(part)),
        }
    }

    Ok(options)
}

fn unknown_kind(name: &str) -> ApiError {
    ApiError::internal(&format!("inbox entry of unknown kind {name:?}"))
}

/// What applying an input did.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// What the inbox records.
    pub outcome: ApplyOutcome,
    /// The answer's body, without the inbox id.
    pub answer: Value,
    /// Parts of the input that could not be applied: the entry is kept as
    /// failed with this text, to be replayed once the cause is fixed.
    pub unapplied: Option<String>,
}

impl Applied {
    /// What the inbox records: failed, with the reason, when part of the
    /// input could not be applied.
    fn inbox_status(&self) -> (InboxStatus, Option<&str>) {
        match &self.unapplied {
            None => (self.outcome.into(), None),
            Some(reason) => (InboxStatus::Failed, Some(reason)),
        }
    }
}

/// Applies `body` and stores it raw with the outcome, in one transaction:
/// the input is acknowledged only once it is stored. An input that cannot
/// be applied is stored on its own, failed, with the reason.
pub fn receive_and_apply(
    db: &impl Database,
    source: &str,
    kind: InputKind,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    let input = read_input(kind, body);
    let kind = kind.stored_name();

    let applied = db.transaction(|db| {
        let applied = apply_input(db, input?, now)?;
        let (status, error) = applied.inbox_status();
        let inbox_id = inbox::store_applied(db, source, &kind, body, status, error, now)?;
        Ok::<_, ApiError>(with_inbox_id(applied.answer, inbox_id))
    });

    applied.or_else(|error| {
        let message = Some(error.message.as_str());
        let inbox_id =
            inbox::store_applied(db, source, &kind, body, InboxStatus::Failed, message, now)?;
        Err(error.with_details(json!({ "inbox_id": inbox_id })))
    })
}

/// Applies a stored input and records the outcome on its inbox entry, in
/// one transaction, so the inbox never lags behind the ledger. A refused
/// input is marked failed with the reason, which the error repeats with the
/// entry's id so it can be found and replayed.
pub fn apply_and_record(
    db: &impl Database,
    inbox_id: i64,
    kind: InputKind,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    let input = read_input(kind, body);

    db.transaction(|db| apply_and_mark(db, inbox_id, input?, now))
        .map(|applied| with_inbox_id(applied.answer, inbox_id))
        .map_err(|error| refused(db, inbox_id, error, now))
}

/// Applies an input and marks its inbox entry with what applying did.
fn apply_and_mark(
    db: &impl Database,
    inbox_id: i64,
    input: ReadInput,
    now: DateTime<Utc>,
) -> Result<Applied, ApiError> {
    let applied = apply_input(db, input, now)?;

    let (status, error) = applied.inbox_status();
    inbox::set_status(db, inbox_id, status, error, now)?;
    Ok(applied)
}

/// Marks an entry failed with the error that refused it, and returns that
/// error with the entry's id.
fn refused(db: &impl Database, inbox_id: i64, error: ApiError, now: DateTime<Utc>) -> ApiError {
    match inbox::mark_failed(db, inbox_id, &error.message, now) {
        Ok(()) => error.with_details(json!({ "inbox_id": inbox_id })),
        Err(marking) => marking.into(),
    }
}

fn with_inbox_id(mut answer: Value, inbox_id: i64) -> Value {
    if let Value::Object(fields) = &mut answer {
        fields.insert("inbox_id".to_owned(), inbox_id.into());
    }
    answer
}

/// An input read from its body, ready to apply. Reading comes before the
/// write transaction opens, so no other writer waits while a body is parsed.
enum ReadInput {
    Event(IncomingEvent),
    Bulk(bulk::BulkInput),
    LedgerImport(Vec<LedgerChange>),
}

fn read_input(kind: InputKind, body: &[u8]) -> Result<ReadInput, ApiError> {
    match kind {
        InputKind::StripeEvent => stripe::parse_event(body, None)
            .map(ReadInput::Event)
            .map_err(invalid_event),
        InputKind::CanonicalEvent => canonical::parse_event(body)
            .map(ReadInput::Event)
            .map_err(invalid_event),
        InputKind::BulkInvoices => bulk::read(body).map(ReadInput::Bulk),
        InputKind::LedgerImport(options) => {
            ledger_import::read(body, options).map(ReadInput::LedgerImport)
        }
    }
}

fn apply_input(
    db: &impl Database,
    input: ReadInput,
    now: DateTime<Utc>,
) -> Result<Applied, ApiError> {
    match input {
        ReadInput::Event(event) => apply_event(db, &event, now),
        ReadInput::Bulk(input) => bulk::apply(db, input, now),
        ReadInput::LedgerImport(changes) => ledger_import::apply(db, &changes, now),
    }
}

/// The platform a body says it comes from (its top-level `source`), to
/// file it in the inbox; a body too broken to say is filed under `unknown`
/// and refused when applied.
pub fn declared_source(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Envelope {
        source: String,
    }

    serde_json::from_slice::<Envelope>(body)
        .map(|envelope| envelope.source)
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// A 400 quoting why the platform's event cannot be read.
fn invalid_event(error: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(error.to_string()).with_code("invalid_event")
}

fn apply_event(
    db: &impl Database,
    event: &IncomingEvent,
    now: DateTime<Utc>,
) -> Result<Applied, ApiError> {
    let outcome = relance_store::apply(db, event, now)?;

    tracing::debug!(
        target: "relance.invoices.event",
        source = %event.source,
        event = %event.event_id,
        outcome = outcome.as_str(),
        "event applied"
    );
    Ok(Applied {
        outcome,
        answer: json!({ "event": event.event_id, "result": outcome.as_str() }),
        unapplied: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_kind_names_read_back_to_the_same_kind() {
        let fec = ImportOptions {
            currency: Currency::parse("USD").expect("USD"),
            payment_terms_days: Some(45),
        };
        let table = [
            InputKind::StripeEvent,
            InputKind::CanonicalEvent,
            InputKind::BulkInvoices,
            InputKind::LedgerImport(ImportOptions::default()),
            InputKind::LedgerImport(fec),
        ];

        for kind in table {
            let name = kind.stored_name();
            assert_eq!(InputKind::from_stored_name(&name), Ok(kind), "{name}");
        }
        assert_eq!(
            InputKind::LedgerImport(fec).stored_name(),
            "ledger_import;currency=USD;payment_terms_days=45"
        );
    }

    #[test]
    fn unknown_stored_kind_is_our_fault() {
        for name in ["statement_file", "ledger_import;rounding=up"] {
            let error = InputKind::from_stored_name(name).expect_err(name);
            assert_eq!(error.status, 500, "{name}");
        }
    }
}
