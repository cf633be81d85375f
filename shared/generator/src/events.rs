//! The ledger as canonical invoice events (`docs/canonical-events.md`) and as
//! bodies of the bulk invoice API.

use std::io::{self, Write};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Serialize;

use crate::country::Country;
use crate::creditor_reference::CreditorReference;
use crate::customers::{Contacts, Customer, Language};
use crate::iban::Iban;
use crate::ledger::{Channel, CreditNote, Invoice, LedgerMonth};
use crate::money::{Currency, Money};

/// How instants are written in `occurred_at`.
const INSTANT_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    occurred_at: String,
    source: &'a str,
    data: T,
}

#[derive(Serialize)]
struct CustomerObject<'a> {
    external_id: &'a str,
    name: &'a str,
    legal_entity: &'a str,
    region: &'a str,
    segment: &'a str,
    owner: &'a str,
    collector: &'a str,
    tags: &'a [&'a str],
    language: Language,
    country: Country,
    vat_number: &'a str,
    payment_terms_days: u32,
    contacts: &'a Contacts,
    bank_accounts: &'a [Iban],
}

#[derive(Serialize)]
struct InvoiceObject<'a> {
    external_id: &'a str,
    number: &'a str,
    customer: &'a str,
    issue_date: NaiveDate,
    due_date: NaiveDate,
    currency: Currency,
    total: Money,
    tax: Money,
    amount_paid: Money,
    status: &'static str,
    channel: Channel,
    payment_reference: &'a CreditorReference,
}

#[derive(Serialize)]
struct CreditNoteObject<'a> {
    external_id: &'a str,
    number: &'a str,
    customer: &'a str,
    invoice: &'a str,
    issue_date: NaiveDate,
    currency: Currency,
    total: Money,
    reason: &'a str,
}

/// One event of a month, before serialisation.
enum MonthEvent<'a> {
    Customer(&'a Customer),
    Invoice(&'a Invoice),
    CreditNote(&'a CreditNote),
}

/// Writes the canonical events of `month` as JSON Lines: in the first month
/// every `customer.upserted`, then each `invoice.upserted` and
/// `credit_note.upserted` in the order they happened. Invoices are sent as
/// issued (`open`, nothing paid): their payments arrive through the bank.
pub fn write_month_events<W: Write>(
    month: &LedgerMonth,
    customers: &[Customer],
    source: &str,
    writer: &mut W,
) -> io::Result<()> {
    for event in month_events_in_order(month, customers) {
        write_event(&event, customers, source, month.first_day, writer)?;
        writer.write_all(b"\n")?;
    }
    Ok(())
}

/// The canonical events of `month`, in the order [`write_month_events`]
/// writes them.
pub fn month_events(
    month: &LedgerMonth,
    customers: &[Customer],
    source: &str,
) -> serde_json::Result<Vec<serde_json::Value>> {
    month_events_in_order(month, customers)
        .iter()
        .map(|event| event_value(event, customers, source, month.first_day))
        .collect()
}

/// The invoice as the bulk API and `invoice.upserted` carry it.
pub fn invoice_object(
    invoice: &Invoice,
    customers: &[Customer],
) -> serde_json::Result<serde_json::Value> {
    serde_json::to_value(invoice_view(invoice, customers))
}

/// Gathers invoices into bulk API bodies `{"invoices": [...]}` of a fixed
/// size, so any number of invoices can be sent in bounded requests.
#[derive(Debug)]
pub struct BulkChunks {
    chunk_size: usize,
    pending: Vec<serde_json::Value>,
}

impl BulkChunks {
    /// Bodies of `chunk_size` invoices (at least one).
    pub fn new(chunk_size: usize) -> Self {
        let chunk_size = chunk_size.max(1);
        Self {
            chunk_size,
            pending: Vec::with_capacity(chunk_size),
        }
    }

    /// Adds an invoice; returns a full body when this one completes it.
    pub fn push(
        &mut self,
        invoice: &Invoice,
        customers: &[Customer],
    ) -> serde_json::Result<Option<serde_json::Value>> {
        self.pending.push(invoice_object(invoice, customers)?);
        Ok((self.pending.len() >= self.chunk_size).then(|| self.take_body()))
    }

    /// The last, partly filled body, if any invoice is left.
    pub fn finish(mut self) -> Option<serde_json::Value> {
        (!self.pending.is_empty()).then(|| self.take_body())
    }

    fn take_body(&mut self) -> serde_json::Value {
        let invoices = std::mem::replace(&mut self.pending, Vec::with_capacity(self.chunk_size));
        serde_json::json!({ "invoices": invoices })
    }
}

fn month_events_in_order<'a>(
    month: &'a LedgerMonth,
    customers: &'a [Customer],
) -> Vec<MonthEvent<'a>> {
    let mut events: Vec<MonthEvent<'a>> = Vec::new();
    if month.index == 0 {
        events.extend(customers.iter().map(MonthEvent::Customer));
    }

    let mut invoices = month.invoices.iter().peekable();
    let mut credit_notes = month.credit_notes.iter().peekable();
    loop {
        let take_invoice = match (invoices.peek(), credit_notes.peek()) {
            (Some(invoice), Some(note)) => invoice.issued_at <= note.issued_at,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let event = if take_invoice {
            invoices.next().map(MonthEvent::Invoice)
        } else {
            credit_notes.next().map(MonthEvent::CreditNote)
        };
        events.extend(event);
    }
    events
}

fn write_event<W: Write>(
    event: &MonthEvent<'_>,
    customers: &[Customer],
    source: &str,
    period_start: NaiveDate,
    writer: &mut W,
) -> io::Result<()> {
    match event {
        MonthEvent::Customer(customer) => {
            serde_json::to_writer(writer, &customer_envelope(customer, source, period_start))
        }
        MonthEvent::Invoice(invoice) => {
            serde_json::to_writer(writer, &invoice_envelope(invoice, customers, source))
        }
        MonthEvent::CreditNote(note) => {
            serde_json::to_writer(writer, &credit_note_envelope(note, customers, source))
        }
    }
    .map_err(io::Error::from)
}

fn event_value(
    event: &MonthEvent<'_>,
    customers: &[Customer],
    source: &str,
    period_start: NaiveDate,
) -> serde_json::Result<serde_json::Value> {
    match event {
        MonthEvent::Customer(customer) => {
            serde_json::to_value(customer_envelope(customer, source, period_start))
        }
        MonthEvent::Invoice(invoice) => {
            serde_json::to_value(invoice_envelope(invoice, customers, source))
        }
        MonthEvent::CreditNote(note) => {
            serde_json::to_value(credit_note_envelope(note, customers, source))
        }
    }
}

/// Customers are created at 06:00 on the first day, before any invoice.
fn customer_envelope<'a>(
    customer: &'a Customer,
    source: &'a str,
    period_start: NaiveDate,
) -> Envelope<'a, CustomerObject<'a>> {
    let created = period_start.and_time(NaiveTime::from_hms_opt(6, 0, 0).unwrap_or(NaiveTime::MIN));
    Envelope {
        id: format!("evt_customer_{}", customer.external_id),
        kind: "customer.upserted",
        occurred_at: instant(created),
        source,
        data: CustomerObject {
            external_id: &customer.external_id,
            name: &customer.name,
            legal_entity: customer.legal_entity,
            region: customer.region,
            segment: customer.segment.as_str(),
            owner: customer.owner,
            collector: customer.collector,
            tags: &customer.tags,
            language: customer.language,
            country: customer.country,
            vat_number: &customer.vat_number,
            payment_terms_days: customer.payment_terms_days,
            contacts: &customer.contacts,
            bank_accounts: &customer.bank_accounts,
        },
    }
}

fn invoice_envelope<'a>(
    invoice: &'a Invoice,
    customers: &'a [Customer],
    source: &'a str,
) -> Envelope<'a, InvoiceObject<'a>> {
    Envelope {
        id: format!("evt_{}", invoice.external_id),
        kind: "invoice.upserted",
        occurred_at: instant(invoice.issued_at),
        source,
        data: invoice_view(invoice, customers),
    }
}

fn invoice_view<'a>(invoice: &'a Invoice, customers: &'a [Customer]) -> InvoiceObject<'a> {
    InvoiceObject {
        external_id: &invoice.external_id,
        number: &invoice.number,
        customer: customer_id(customers, invoice.customer_index),
        issue_date: invoice.issue_date,
        due_date: invoice.due_date,
        currency: invoice.total.currency(),
        total: invoice.total,
        tax: invoice.tax,
        amount_paid: Money::zero(invoice.total.currency()),
        status: "open",
        channel: invoice.channel,
        payment_reference: &invoice.payment_reference,
    }
}

fn credit_note_envelope<'a>(
    note: &'a CreditNote,
    customers: &'a [Customer],
    source: &'a str,
) -> Envelope<'a, CreditNoteObject<'a>> {
    Envelope {
        id: format!("evt_{}", note.external_id),
        kind: "credit_note.upserted",
        occurred_at: instant(note.issued_at),
        source,
        data: CreditNoteObject {
            external_id: &note.external_id,
            number: &note.number,
            customer: customer_id(customers, note.customer_index),
            invoice: &note.invoice_external_id,
            issue_date: note.issue_date,
            currency: note.total.currency(),
            total: note.total,
            reason: note.reason,
        },
    }
}

fn customer_id(customers: &[Customer], index: usize) -> &str {
    customers
        .get(index)
        .map_or("", |customer| customer.external_id.as_str())
}

fn instant(moment: NaiveDateTime) -> String {
    moment.format(INSTANT_FORMAT).to_string()
}
