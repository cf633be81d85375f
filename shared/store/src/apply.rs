//! Applying what platforms send to the stored ledger: once per event, never
//! letting an older change overwrite a newer one, all changes of an event
//! together or none.

use chrono::{DateTime, Utc};
use relance_ledger::allocation::{Allocation, InvoiceLocator};
use relance_ledger::change::{IncomingEvent, LedgerChange};
use relance_ledger::customer::{Contact, Customer, SourceRef};
use relance_ledger::invoice::{CreditNote, Invoice, InvoiceStatus};
use relance_ledger::money::Currency;
use serde::Serialize;

use crate::settlement::{DEDUCTION_COLUMNS, Deductions, recompute, settled_values, stored_status};
use crate::{Database, Row, StoreError, Value, timestamp_text};

/// What applying an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplyOutcome {
    /// At least one change was stored.
    Applied,
    /// The event id was already processed; nothing changed.
    Duplicate,
    /// Every object it changes is stored in a newer state; nothing changed.
    Stale,
}

impl ApplyOutcome {
    /// The name used in answers and in the inbox.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplyOutcome::Applied => "applied",
            ApplyOutcome::Duplicate => "duplicate",
            ApplyOutcome::Stale => "stale",
        }
    }
}

/// What applying one change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeOutcome {
    Applied,
    Stale,
}

/// Applies an event in one transaction: the caller's, if one is open.
///
/// An event id already processed at its source is a [`ApplyOutcome::Duplicate`].
/// A change to an object stored with a later `occurred_at` is skipped; when
/// every change is skipped the event is [`ApplyOutcome::Stale`]. Any error
/// fails the transaction, which undoes the whole event and leaves it
/// unprocessed, so it can be replayed.
pub fn apply(
    db: &impl Database,
    event: &IncomingEvent,
    now: DateTime<Utc>,
) -> Result<ApplyOutcome, StoreError> {
    db.within_transaction(|db| {
        if !claim(db, event, now)? {
            return Ok(ApplyOutcome::Duplicate);
        }

        let mut outcome = ApplyOutcome::Stale;
        for change in &event.changes {
            if apply_change(db, change, event.occurred_at, now)? == ChangeOutcome::Applied {
                outcome = ApplyOutcome::Applied;
            }
        }
        if event.changes.is_empty() {
            outcome = ApplyOutcome::Applied;
        }

        if outcome == ApplyOutcome::Stale {
            record_stale(db, event)?;
        }
        Ok(outcome)
    })
}

/// Records the event as processed and applied, unless its id is already
/// recorded at its source: says whether it was not.
fn claim(
    db: &impl Database,
    event: &IncomingEvent,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let claimed = db.execute(
        "INSERT INTO processed_events (source, event_id, occurred_at, outcome, processed_at)
         VALUES (?, ?, ?, 'applied', ?)
         ON CONFLICT (source, event_id) DO NOTHING
         RETURNING 1",
        &[
            event.source.as_str().into(),
            event.event_id.as_str().into(),
            event.occurred_at.into(),
            now.into(),
        ],
    )?;
    Ok(!claimed.is_empty())
}

/// Records that the event changed nothing, every object being newer.
fn record_stale(db: &impl Database, event: &IncomingEvent) -> Result<(), StoreError> {
    db.execute(
        "UPDATE processed_events SET outcome = 'stale' WHERE source = ? AND event_id = ?",
        &[event.source.as_str().into(), event.event_id.as_str().into()],
    )?;
    Ok(())
}

/// Applies one change stamped with the instant it happened at its source.
pub(crate) fn apply_change(
    db: &impl Database,
    change: &LedgerChange,
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ChangeOutcome, StoreError> {
    match change {
        LedgerChange::UpsertCustomer(customer) => upsert_customer(db, customer, occurred_at, now),
        LedgerChange::ArchiveCustomer(subject) => archive_customer(db, subject, occurred_at, now),
        LedgerChange::UpsertInvoice(invoice) => upsert_invoice(db, invoice, None, occurred_at, now),
        LedgerChange::VoidInvoice(subject) => void_invoice(db, subject, occurred_at, now),
        LedgerChange::UpsertCreditNote(credit_note) => {
            upsert_credit_note(db, credit_note, occurred_at, now)
        }
        LedgerChange::VoidCreditNote(subject) => void_credit_note(db, subject, occurred_at, now),
        LedgerChange::RecordAllocation(allocation) => {
            store_allocation(db, allocation, now)?;
            Ok(ChangeOutcome::Applied)
        }
    }
}

fn outcome_of(rows: &crate::Rows) -> ChangeOutcome {
    if rows.is_empty() {
        ChangeOutcome::Stale
    } else {
        ChangeOutcome::Applied
    }
}

/// Creates or updates a customer from its platform. Fields the platform
/// leaves empty keep what is stored, so owners, collectors and contacts set
/// in Relance survive platforms that do not know them.
fn upsert_customer(
    db: &impl Database,
    customer: &Customer,
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ChangeOutcome, StoreError> {
    let mut params = customer_values(customer);
    params.extend([occurred_at.into(), now.into(), now.into()]);

    let rows = db.execute(
        "INSERT INTO customers (source, external_id, name, legal_entity, region, segment,
            owner, collector, tags, language, country, vat_number, payment_terms_days,
            invoicing_contact_name, invoicing_contact_email, invoicing_contact_phone,
            dunning_contact_name, dunning_contact_email, dunning_contact_phone,
            version, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (source, external_id) DO UPDATE SET
            name = excluded.name,
            legal_entity = COALESCE(excluded.legal_entity, legal_entity),
            region = COALESCE(excluded.region, region),
            segment = COALESCE(excluded.segment, segment),
            owner = COALESCE(excluded.owner, owner),
            collector = COALESCE(excluded.collector, collector),
            tags = CASE WHEN excluded.tags = '[]' THEN tags ELSE excluded.tags END,
            language = excluded.language,
            country = COALESCE(excluded.country, country),
            vat_number = COALESCE(excluded.vat_number, vat_number),
            payment_terms_days = COALESCE(excluded.payment_terms_days, payment_terms_days),
            invoicing_contact_name =
                COALESCE(excluded.invoicing_contact_name, invoicing_contact_name),
            invoicing_contact_email =
                COALESCE(excluded.invoicing_contact_email, invoicing_contact_email),
            invoicing_contact_phone =
                COALESCE(excluded.invoicing_contact_phone, invoicing_contact_phone),
            dunning_contact_name = COALESCE(excluded.dunning_contact_name, dunning_contact_name),
            dunning_contact_email = COALESCE(excluded.dunning_contact_email, dunning_contact_email),
            dunning_contact_phone = COALESCE(excluded.dunning_contact_phone, dunning_contact_phone),
            archived = 0,
            version = excluded.version,
            updated_at = excluded.updated_at
         WHERE version IS NULL OR version <= excluded.version
         RETURNING id",
        &params,
    )?;

    if let Some(row) = rows.first() {
        add_bank_accounts(db, row.integer("id")?, customer)?;
    }
    Ok(outcome_of(&rows))
}

/// The values of the customer columns, in the order of `customer_columns`:
/// identity, name, segmentation, language, country, VAT number, terms,
/// invoicing contact, dunning contact.
pub(crate) fn customer_values(customer: &Customer) -> Vec<Value> {
    let segmentation = &customer.segmentation;
    let tags = serde_json::Value::from(segmentation.tags.clone()).to_string();

    let mut values: Vec<Value> = vec![
        customer.source_ref.source.as_str().into(),
        customer.source_ref.external_id.as_str().into(),
        customer.name.as_str().into(),
        segmentation.legal_entity.as_deref().into(),
        segmentation.region.as_deref().into(),
        segmentation.segment.as_deref().into(),
        segmentation.owner.as_deref().into(),
        segmentation.collector.as_deref().into(),
        tags.into(),
        customer.language.as_str().into(),
        customer.country.as_ref().map(|c| c.as_str()).into(),
        customer.vat_number.as_deref().into(),
        customer.payment_terms_days.into(),
    ];
    values.extend(contact_values(customer.contacts.invoicing.as_ref()));
    values.extend(contact_values(customer.contacts.dunning.as_ref()));
    values
}

fn contact_values(contact: Option<&Contact>) -> [Value; 3] {
    [
        contact.and_then(|c| c.name.as_deref()).into(),
        contact.and_then(|c| c.email.as_deref()).into(),
        contact.and_then(|c| c.phone.as_deref()).into(),
    ]
}

/// Remembers the accounts a customer pays from; accounts already known stay.
pub(crate) fn add_bank_accounts(
    db: &impl Database,
    customer_id: i64,
    customer: &Customer,
) -> Result<(), StoreError> {
    for iban in &customer.bank_accounts {
        db.execute(
            "INSERT OR IGNORE INTO customer_bank_accounts (customer_id, iban) VALUES (?, ?)",
            &[Value::Integer(customer_id), iban.as_str().into()],
        )?;
    }
    Ok(())
}

/// Archives a customer deleted at its platform. An unknown customer is
/// stored as an archived stub, so that an older creation arriving later
/// does not bring it back.
fn archive_customer(
    db: &impl Database,
    subject: &SourceRef,
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ChangeOutcome, StoreError> {
    let rows = db.execute(
        "INSERT INTO customers (source, external_id, name, archived, version, created_at,
            updated_at)
         VALUES (?, ?, ?, 1, ?, ?, ?)
         ON CONFLICT (source, external_id) DO UPDATE SET
            archived = 1, version = excluded.version, updated_at = excluded.updated_at
         WHERE version IS NULL OR version <= excluded.version
         RETURNING id",
        &[
            subject.source.as_str().into(),
            subject.external_id.as_str().into(),
            subject.external_id.as_str().into(),
            occurred_at.into(),
            now.into(),
            now.into(),
        ],
    )?;
    Ok(outcome_of(&rows))
}

/// The id of a customer, created as a stub named after its id if unknown.
pub(crate) fn customer_id_or_stub(
    db: &impl Database,
    customer: &SourceRef,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let identity = [
        customer.source.as_str().into(),
        customer.external_id.as_str().into(),
    ];
    let rows = db.execute(
        "SELECT id FROM customers WHERE source = ? AND external_id = ?",
        &identity,
    )?;
    if let Some(row) = rows.first() {
        return row.integer("id");
    }

    let rows = db.execute(
        "INSERT INTO customers (source, external_id, name, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?) RETURNING id",
        &[
            customer.source.as_str().into(),
            customer.external_id.as_str().into(),
            customer.external_id.as_str().into(),
            now.into(),
            now.into(),
        ],
    )?;
    single_id(&rows)
}

fn single_id(rows: &crate::Rows) -> Result<i64, StoreError> {
    rows.first()
        .ok_or_else(|| StoreError::sqlite("RETURNING id", "the statement returned no row"))?
        .integer("id")
}

/// An invoice as stored: enough to check versions and life-cycle moves.
struct StoredInvoice {
    id: i64,
    version: String,
    source_status: InvoiceStatus,
}

impl StoredInvoice {
    /// Reads `id`, `version` and `source_status`, all `NULL` for an invoice
    /// not stored.
    fn read(row: &Row<'_>) -> Result<Option<StoredInvoice>, StoreError> {
        let Some(id) = row.optional_integer("id")? else {
            return Ok(None);
        };
        Ok(Some(StoredInvoice {
            id,
            version: row.text("version")?.to_owned(),
            source_status: stored_status(row.text("source_status")?)?,
        }))
    }
}

fn stored_invoice(
    db: &impl Database,
    subject: &SourceRef,
) -> Result<Option<StoredInvoice>, StoreError> {
    let rows = db.execute(
        "SELECT id, version, source_status FROM invoices WHERE source = ? AND external_id = ?",
        &[
            subject.source.as_str().into(),
            subject.external_id.as_str().into(),
        ],
    )?;

    rows.first()
        .map(|row| StoredInvoice::read(&row))
        .transpose()
        .map(Option::flatten)
}

/// The invoice `subject` as stored, if it is, and what its credit notes and
/// payments take off it in `currency`, read together.
fn invoice_on_record(
    db: &impl Database,
    subject: &SourceRef,
    currency: Currency,
) -> Result<(Option<StoredInvoice>, Deductions), StoreError> {
    let rows = db.execute(
        &format!(
            "SELECT i.id, i.version, i.source_status, {DEDUCTION_COLUMNS}
             FROM (SELECT ? AS source, ? AS external_id) k
             LEFT JOIN invoices i ON i.source = k.source AND i.external_id = k.external_id"
        ),
        &[
            subject.source.as_str().into(),
            subject.external_id.as_str().into(),
        ],
    )?;
    let row = rows
        .first()
        .ok_or_else(|| StoreError::sqlite("SELECT i.id", "the statement returned no row"))?;

    Ok((
        StoredInvoice::read(&row)?,
        Deductions::read(&row, currency)?,
    ))
}

fn check_transition(
    subject: &SourceRef,
    from: InvoiceStatus,
    to: InvoiceStatus,
) -> Result<(), StoreError> {
    if from.can_become(to) {
        return Ok(());
    }
    Err(StoreError::ForbiddenTransition {
        invoice: subject.to_string(),
        from: from.as_str().to_owned(),
        to: to.as_str().to_owned(),
    })
}

/// Creates or updates an invoice from its platform, settled against its
/// credit notes and allocations in the same write. The annotations made in
/// Relance (dispute, promise to pay, dunning pause) are only taken from the
/// platform when the invoice is first stored, never overwritten afterwards.
///
/// Given its stored customer's id, it writes one row and nothing else; an
/// unknown customer is first stored as a stub.
pub(crate) fn upsert_invoice(
    db: &impl Database,
    invoice: &Invoice,
    stored_customer_id: Option<i64>,
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ChangeOutcome, StoreError> {
    let version = timestamp_text(occurred_at);
    let currency = invoice.total().currency();
    let (stored, deductions) = invoice_on_record(db, invoice.source_ref(), currency)?;

    if let Some(stored) = &stored {
        if stored.version > version {
            return Ok(ChangeOutcome::Stale);
        }
        check_transition(invoice.source_ref(), stored.source_status, invoice.status())?;
    }

    let customer_id = match stored_customer_id {
        Some(id) => id,
        None => customer_id_or_stub(db, invoice.customer(), now)?,
    };
    let mut params = invoice_values(invoice, customer_id, deductions)?;
    params.extend([version.into(), now.into()]);

    match stored.map(|stored| stored.id) {
        Some(id) => {
            params.push(Value::Integer(id));
            db.execute(
                "UPDATE invoices SET source = ?, external_id = ?, number = ?, customer_id = ?,
                    issue_date = ?, due_date = ?, currency = ?, total = ?, tax = ?,
                    amount_paid = ?, source_status = ?, channel = ?, payment_reference = ?,
                    credited = ?, allocated = ?, remaining = ?, status = ?,
                    version = ?, updated_at = ?
                 WHERE id = ?",
                &params,
            )?;
        }
        None => insert_invoice(db, invoice, params, now)?,
    }
    Ok(ChangeOutcome::Applied)
}

/// The platform-owned invoice columns and the settlement that follows from
/// them, in the order of the UPDATE above.
fn invoice_values(
    invoice: &Invoice,
    customer_id: i64,
    deductions: Deductions,
) -> Result<Vec<Value>, StoreError> {
    let subject = invoice.source_ref();
    let currency = invoice.total().currency();
    let settled = settled_values(
        invoice.total(),
        invoice.amount_paid(),
        deductions,
        invoice.status(),
    )?;

    let mut values = vec![
        subject.source.as_str().into(),
        subject.external_id.as_str().into(),
        invoice.number().as_str().into(),
        Value::Integer(customer_id),
        invoice.issue_date().into(),
        invoice.due_date().into(),
        currency.code().into(),
        invoice.total().amount().into(),
        invoice
            .tax()
            .map_or(relance_ledger::money::Money::zero(currency), |tax| tax)
            .amount()
            .into(),
        invoice.amount_paid().amount().into(),
        invoice.status().as_str().into(),
        invoice.channel().map(|c| c.as_str()).into(),
        invoice.payment_reference().into(),
    ];
    values.extend(settled);
    Ok(values)
}

fn insert_invoice(
    db: &impl Database,
    invoice: &Invoice,
    mut params: Vec<Value>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let dispute = invoice.dispute();
    let promise = invoice.promise_to_pay();
    params.extend([
        dispute.map(|d| d.opened_on).into(),
        dispute.map(|d| d.reason.as_str()).into(),
        promise.map(|p| p.promised_on).into(),
        promise.map(|p| p.amount.amount()).into(),
        promise.map(|p| p.recorded_on).into(),
        invoice.dunning_paused_until().into(),
        now.into(),
    ]);

    db.execute(
        "INSERT INTO invoices (source, external_id, number, customer_id, issue_date, due_date,
            currency, total, tax, amount_paid, source_status, channel, payment_reference,
            credited, allocated, remaining, status, version, updated_at,
            dispute_opened_on, dispute_reason, promised_on, promised_amount,
            promise_recorded_on, dunning_paused_until, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &params,
    )?;
    Ok(())
}

fn void_invoice(
    db: &impl Database,
    subject: &SourceRef,
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ChangeOutcome, StoreError> {
    let version = timestamp_text(occurred_at);
    let stored = stored_invoice(db, subject)?.ok_or_else(|| StoreError::UnknownInvoice {
        reference: subject.to_string(),
    })?;

    if stored.version > version {
        return Ok(ChangeOutcome::Stale);
    }
    check_transition(subject, stored.source_status, InvoiceStatus::Void)?;

    db.execute(
        "UPDATE invoices SET source_status = 'void', version = ?, updated_at = ? WHERE id = ?",
        &[version.into(), now.into(), Value::Integer(stored.id)],
    )?;
    recompute(db, stored.id)?;
    Ok(ChangeOutcome::Applied)
}

/// The invoice a credit note reduces, if stored.
fn credited_invoice_id(
    db: &impl Database,
    source: &str,
    external_id: Option<&str>,
) -> Result<Option<i64>, StoreError> {
    let Some(external_id) = external_id else {
        return Ok(None);
    };

    let rows = db.execute(
        "SELECT id FROM invoices WHERE source = ? AND external_id = ?",
        &[source.into(), external_id.into()],
    )?;
    rows.first().map(|row| row.integer("id")).transpose()
}

fn upsert_credit_note(
    db: &impl Database,
    credit_note: &CreditNote,
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ChangeOutcome, StoreError> {
    let subject = credit_note.source_ref();
    let version = timestamp_text(occurred_at);

    let previous = db.execute(
        "SELECT version, invoice_external_id FROM credit_notes
         WHERE source = ? AND external_id = ?",
        &[
            subject.source.as_str().into(),
            subject.external_id.as_str().into(),
        ],
    )?;
    let previous_invoice = match previous.first() {
        Some(row) if row.text("version")? > version.as_str() => return Ok(ChangeOutcome::Stale),
        Some(row) => row.optional_text("invoice_external_id")?.map(str::to_owned),
        None => None,
    };

    let invoice_external_id = credit_note.invoice().map(|i| i.external_id.as_str());
    check_credit_note_currency(db, credit_note, invoice_external_id)?;

    let customer_id = customer_id_or_stub(db, credit_note.customer(), now)?;
    db.execute(
        "INSERT INTO credit_notes (source, external_id, number, customer_id, invoice_external_id,
            issue_date, currency, total, reason, voided, version, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (source, external_id) DO UPDATE SET
            number = excluded.number, customer_id = excluded.customer_id,
            invoice_external_id = excluded.invoice_external_id,
            issue_date = excluded.issue_date, currency = excluded.currency,
            total = excluded.total, reason = excluded.reason, voided = excluded.voided,
            version = excluded.version, updated_at = excluded.updated_at",
        &[
            subject.source.as_str().into(),
            subject.external_id.as_str().into(),
            credit_note.number().as_str().into(),
            Value::Integer(customer_id),
            invoice_external_id.into(),
            credit_note.issue_date().into(),
            credit_note.total().currency().code().into(),
            credit_note.total().amount().into(),
            credit_note.reason().into(),
            credit_note.is_voided().into(),
            version.into(),
            now.into(),
            now.into(),
        ],
    )?;

    recompute_credited(db, &subject.source, previous_invoice.as_deref())?;
    recompute_credited(db, &subject.source, invoice_external_id)?;
    Ok(ChangeOutcome::Applied)
}

fn check_credit_note_currency(
    db: &impl Database,
    credit_note: &CreditNote,
    invoice_external_id: Option<&str>,
) -> Result<(), StoreError> {
    let source = credit_note.source_ref().source.as_str();
    let Some(invoice_id) = credited_invoice_id(db, source, invoice_external_id)? else {
        return Ok(());
    };

    let rows = db.execute(
        "SELECT currency FROM invoices WHERE id = ?",
        &[Value::Integer(invoice_id)],
    )?;
    let expected = crate::settlement::stored_currency(single_row(&rows)?.text("currency")?)?;
    let found = credit_note.total().currency();
    if expected == found {
        return Ok(());
    }

    Err(StoreError::CurrencyMismatch {
        document: format!("credit note {}", credit_note.source_ref()),
        invoice: format!("{source}:{}", invoice_external_id.unwrap_or_default()),
        expected: expected.code(),
        found: found.code(),
    })
}

fn single_row(rows: &crate::Rows) -> Result<crate::Row<'_>, StoreError> {
    rows.first()
        .ok_or_else(|| StoreError::sqlite("SELECT", "the statement returned no row"))
}

fn recompute_credited(
    db: &impl Database,
    source: &str,
    invoice_external_id: Option<&str>,
) -> Result<(), StoreError> {
    match credited_invoice_id(db, source, invoice_external_id)? {
        Some(invoice_id) => recompute(db, invoice_id),
        None => Ok(()),
    }
}

fn void_credit_note(
    db: &impl Database,
    subject: &SourceRef,
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ChangeOutcome, StoreError> {
    let version = timestamp_text(occurred_at);

    let rows = db.execute(
        "SELECT version, invoice_external_id FROM credit_notes
         WHERE source = ? AND external_id = ?",
        &[
            subject.source.as_str().into(),
            subject.external_id.as_str().into(),
        ],
    )?;
    let row = rows.first().ok_or_else(|| StoreError::UnknownCreditNote {
        reference: subject.to_string(),
    })?;
    if row.text("version")? > version.as_str() {
        return Ok(ChangeOutcome::Stale);
    }
    let invoice_external_id = row.optional_text("invoice_external_id")?;

    db.execute(
        "UPDATE credit_notes SET voided = 1, version = ?, updated_at = ?
         WHERE source = ? AND external_id = ?",
        &[
            version.into(),
            now.into(),
            subject.source.as_str().into(),
            subject.external_id.as_str().into(),
        ],
    )?;
    recompute_credited(db, &subject.source, invoice_external_id)?;
    Ok(ChangeOutcome::Applied)
}

/// Records a payment settling an invoice, in its own transaction.
/// Re-recording the same allocation (same identity) replaces it, so
/// re-importing a file changes nothing.
pub fn record_allocation(
    db: &impl Database,
    allocation: &Allocation,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    db.transaction(|db| store_allocation(db, allocation, now))
}

fn store_allocation(
    db: &impl Database,
    allocation: &Allocation,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (invoice_id, currency) = locate_invoice(db, &allocation.invoice)?;
    let found = allocation.amount.currency();
    if found.code() != currency {
        return Err(StoreError::CurrencyMismatch {
            document: format!("allocation {}", allocation.source_ref),
            invoice: invoice_label(&allocation.invoice),
            expected: crate::settlement::stored_currency(&currency)?.code(),
            found: found.code(),
        });
    }

    let previous = db.execute(
        "SELECT invoice_id FROM allocations WHERE source = ? AND external_id = ?",
        &[
            allocation.source_ref.source.as_str().into(),
            allocation.source_ref.external_id.as_str().into(),
        ],
    )?;
    db.execute(
        "INSERT INTO allocations (source, external_id, invoice_id, currency, amount, paid_on,
            method, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (source, external_id) DO UPDATE SET
            invoice_id = excluded.invoice_id, currency = excluded.currency,
            amount = excluded.amount, paid_on = excluded.paid_on, method = excluded.method,
            reversed_at = NULL",
        &[
            allocation.source_ref.source.as_str().into(),
            allocation.source_ref.external_id.as_str().into(),
            Value::Integer(invoice_id),
            found.code().into(),
            allocation.amount.amount().into(),
            allocation.paid_on.into(),
            allocation.method.as_str().into(),
            now.into(),
        ],
    )?;

    if let Some(row) = previous.first() {
        let previous_invoice = row.integer("invoice_id")?;
        if previous_invoice != invoice_id {
            recompute(db, previous_invoice)?;
        }
    }
    recompute(db, invoice_id)
}

/// Undoes an allocation (a wrong match): the invoice owes again what it
/// settled. Says whether an allocation was reversed.
pub fn reverse_allocation(
    db: &impl Database,
    allocation_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    db.transaction(|db| reverse_one(db, allocation_id, now))
}

/// Reverses one allocation inside the caller's transaction.
pub(crate) fn reverse_one(
    db: &impl Database,
    allocation_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let rows = db.execute(
        "UPDATE allocations SET reversed_at = ? WHERE id = ? AND reversed_at IS NULL
         RETURNING invoice_id",
        &[now.into(), Value::Integer(allocation_id)],
    )?;
    let Some(row) = rows.first() else {
        return Ok(false);
    };

    recompute(db, row.integer("invoice_id")?)?;
    Ok(true)
}

fn invoice_label(locator: &InvoiceLocator) -> String {
    match locator {
        InvoiceLocator::Source(subject) => subject.to_string(),
        InvoiceLocator::Number(number) => format!("number {number}"),
    }
}

/// Finds the invoice an allocation names: its id and currency code.
fn locate_invoice(
    db: &impl Database,
    locator: &InvoiceLocator,
) -> Result<(i64, String), StoreError> {
    let rows = match locator {
        InvoiceLocator::Source(subject) => db.execute(
            "SELECT id, currency FROM invoices WHERE source = ? AND external_id = ?",
            &[
                subject.source.as_str().into(),
                subject.external_id.as_str().into(),
            ],
        )?,
        InvoiceLocator::Number(number) => db.execute(
            "SELECT id, currency FROM invoices WHERE number = ? ORDER BY id LIMIT 2",
            &[number.as_str().into()],
        )?,
    };

    match (rows.first(), rows.len(), locator) {
        (None, _, _) => Err(StoreError::UnknownInvoice {
            reference: invoice_label(locator),
        }),
        (Some(_), count, InvoiceLocator::Number(number)) if count > 1 => {
            Err(StoreError::AmbiguousInvoice {
                number: number.to_string(),
            })
        }
        (Some(row), _, _) => Ok((row.integer("id")?, row.text("currency")?.to_owned())),
    }
}
