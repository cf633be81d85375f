//! Changes to the ledger as received from a platform, and the event that
//! carries them: what every ingestion path (Stripe, canonical JSON, ledger
//! files) produces and the store applies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::allocation::Allocation;
use crate::customer::{Customer, SourceRef};
use crate::invoice::{CreditNote, Invoice};

/// One change to apply to the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", content = "object", rename_all = "snake_case")]
pub enum LedgerChange {
    /// Create the customer, or replace what is known of it.
    UpsertCustomer(Customer),
    /// The customer was deleted at its platform: archive it, keep its history.
    ArchiveCustomer(SourceRef),
    /// Create the invoice, or replace what is known of it.
    UpsertInvoice(Invoice),
    /// The invoice was cancelled at its platform.
    VoidInvoice(SourceRef),
    /// Create the credit note, or replace what is known of it.
    UpsertCreditNote(CreditNote),
    /// The credit note was cancelled at its platform.
    VoidCreditNote(SourceRef),
    /// Record that a payment settled (part of) an invoice.
    RecordAllocation(Allocation),
}

impl LedgerChange {
    /// The identity of the object the change is about.
    pub fn subject(&self) -> &SourceRef {
        match self {
            LedgerChange::UpsertCustomer(customer) => &customer.source_ref,
            LedgerChange::UpsertInvoice(invoice) => invoice.source_ref(),
            LedgerChange::UpsertCreditNote(credit_note) => credit_note.source_ref(),
            LedgerChange::RecordAllocation(allocation) => &allocation.source_ref,
            LedgerChange::ArchiveCustomer(subject)
            | LedgerChange::VoidInvoice(subject)
            | LedgerChange::VoidCreditNote(subject) => subject,
        }
    }
}

/// An event received from a platform: one event can carry several changes
/// (a Stripe invoice event names its customer as well as the invoice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingEvent {
    /// The event's id at its source; an event seen twice is applied once.
    pub event_id: String,
    /// The platform's name, as in every [`SourceRef`] the changes carry.
    pub source: String,
    /// When the change happened at the source; an older event never
    /// overwrites a newer state of the same object.
    pub occurred_at: DateTime<Utc>,
    /// The changes, in the order to apply them (customers before invoices).
    pub changes: Vec<LedgerChange>,
}
