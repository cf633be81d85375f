//! What one generated month holds: invoices, credit notes, the payments the
//! bank booked, and the statements that carry them.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::creditor_reference::CreditorReference;
use crate::iban::Iban;
use crate::money::{Currency, Money};

/// How an invoice was sent to the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// By e-mail.
    Email,
    /// Through a portal (Chorus Pro for public bodies).
    Portal,
    /// By post.
    Post,
    /// By electronic data interchange.
    Edi,
}

/// An issued invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// Identity at the source: `inv_0000123`.
    pub external_id: String,
    /// Number printed on it: `F2025-000123`.
    pub number: String,
    /// The customer's position in the customer list.
    pub customer_index: usize,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// The instant it was issued: the events' `occurred_at`.
    pub issued_at: NaiveDateTime,
    /// Due date: issue date plus the customer's payment terms.
    pub due_date: NaiveDate,
    /// Amount before tax.
    pub net: Money,
    /// VAT (20 % for French customers; 0 under reverse charge abroad).
    pub tax: Money,
    /// Amount due, tax included.
    pub total: Money,
    /// How it was sent.
    pub channel: Channel,
    /// The structured reference the customer is asked to quote.
    pub payment_reference: CreditorReference,
    /// True when the customer disputes it.
    pub disputed: bool,
}

/// A credit note reducing what an invoice asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditNote {
    /// Identity at the source: `cn_0000009`.
    pub external_id: String,
    /// Number printed on it: `AV2025-000009`.
    pub number: String,
    /// The customer's position in the customer list.
    pub customer_index: usize,
    /// The invoice it credits (its `external_id`).
    pub invoice_external_id: String,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// The instant it was issued.
    pub issued_at: NaiveDateTime,
    /// Amount credited, tax included.
    pub total: Money,
    /// Why it was granted.
    pub reason: &'static str,
}

/// The remittance information a payer wrote on a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "snake_case")]
pub enum Remittance {
    /// Free text (`RmtInf/Ustrd`), as typed by the payer.
    Unstructured(String),
    /// An ISO 11649 creditor reference (`RmtInf/Strd/CdtrRefInf/Ref`).
    Structured(CreditorReference),
    /// Nothing at all.
    Nothing,
}

/// The part of a payment that settles one invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Allocation {
    /// The invoice's `external_id`.
    pub invoice: String,
    /// The invoice's number.
    pub number: String,
    /// How much of the invoice this payment settles.
    pub amount: Money,
}

/// A customer's transfer as the company's bank booked it, with the truth of
/// what it paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankPayment {
    /// Unique id of the payment, also the bank's entry reference.
    pub id: String,
    /// The paying customer's `external_id`.
    pub customer: String,
    /// Day the bank booked it.
    pub booking_date: NaiveDate,
    /// Day the funds are available.
    pub value_date: NaiveDate,
    /// Account holder name as the payer's bank sent it.
    pub payer_name: String,
    /// Account it came from.
    pub payer_iban: Iban,
    /// Currency of the transfer and of the account it reached.
    pub currency: Currency,
    /// Amount credited to the company's account, after fees.
    pub amount: Money,
    /// Bank fees deducted on the way; allocations add up to amount + fee.
    pub fee: Money,
    /// The payer's end-to-end reference (`NOTPROVIDED` when none).
    pub end_to_end_id: String,
    /// What the payer wrote.
    pub remittance: Remittance,
    /// The invoices it settles, and how much of each.
    pub allocations: Vec<Allocation>,
}

/// One month of one of the company's bank accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankStatement {
    /// Statement number within the account, from 1.
    pub sequence_number: u32,
    /// The company's account.
    pub account: Iban,
    /// The account's currency.
    pub currency: Currency,
    /// First day covered.
    pub from_date: NaiveDate,
    /// Last day covered.
    pub to_date: NaiveDate,
    /// Balance before the first day.
    pub opening_balance: Money,
    /// Balance after the last day: opening plus every entry.
    pub closing_balance: Money,
    /// The entries, as positions in [`LedgerMonth::payments`], by booking date.
    pub entries: Vec<usize>,
}

/// Everything that happened in one calendar month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerMonth {
    /// Position of the month in the period, from 0.
    pub index: u32,
    /// First day of the month.
    pub first_day: NaiveDate,
    /// Last day of the month.
    pub last_day: NaiveDate,
    /// Invoices issued, by issue date.
    pub invoices: Vec<Invoice>,
    /// Credit notes issued, by issue date.
    pub credit_notes: Vec<CreditNote>,
    /// Payments booked, by booking date.
    pub payments: Vec<BankPayment>,
    /// One statement per company account.
    pub statements: Vec<BankStatement>,
}
