//! Allocations: a payment, or the part of one, that settles an invoice.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::customer::SourceRef;
use crate::invoice::InvoiceNumber;
use crate::money::Money;

/// How the invoice an allocation settles is known.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceLocator {
    /// By its identity at the platform that sent it.
    Source(SourceRef),
    /// By the number printed on it, as a remittance quotes it.
    Number(InvoiceNumber),
}

/// How the customer settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// A credit transfer (SEPA or other) seen on a bank account.
    BankTransfer,
    /// A direct debit collected from the customer's account.
    DirectDebit,
    /// A card payment.
    Card,
    /// A cheque.
    Cheque,
    /// Any other settlement, such as a write-off or a compensation between
    /// accounts.
    Other,
}

impl PaymentMethod {
    /// The snake-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::DirectDebit => "direct_debit",
            PaymentMethod::Card => "card",
            PaymentMethod::Cheque => "cheque",
            PaymentMethod::Other => "other",
        }
    }
}

/// A payment, or the part of one, settling one invoice.
///
/// An allocation records when and how an invoice was paid, which payment
/// delay and scoring are computed from. When it comes with the invoice from
/// the same source (a ledger import), the invoice's `amount_paid` already
/// counts it: applying it records the history, it does not pay twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// Identity of the allocation, stable across re-imports of one file.
    pub source_ref: SourceRef,
    /// The invoice settled.
    pub invoice: InvoiceLocator,
    /// How much of the invoice this payment settles.
    pub amount: Money,
    /// The day the payment was made or booked.
    pub paid_on: NaiveDate,
    /// How it was paid.
    pub method: PaymentMethod,
}
