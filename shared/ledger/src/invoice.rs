//! Invoices and credit notes: their numbers, their life cycle (which status
//! may follow which), the holds a collector puts on them (dispute, promise to
//! pay, pause) and what remains due and how late it is on a given day.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::customer::SourceRef;
use crate::money::{Money, MoneyError};

/// What can be wrong with an invoice or credit note.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    /// A blank number, or one with control characters.
    #[error(
        "invoice number {number:?} is not usable: give the number printed on the \
         document, without line breaks or tabs"
    )]
    InvalidNumber {
        /// The number as received.
        number: String,
    },

    /// A status name outside the known life cycle.
    #[error(
        "status {status:?} is unknown: use draft, open, partially_paid, paid, void \
         or uncollectible"
    )]
    UnknownStatus {
        /// The status as received.
        status: String,
    },

    /// A channel name outside the known channels.
    #[error("channel {channel:?} is unknown: use email, portal, post or edi")]
    UnknownChannel {
        /// The channel as received.
        channel: String,
    },

    /// The due date falls before the issue date.
    #[error("due date {due_date} is before issue date {issue_date}: check the payment terms")]
    DueBeforeIssue {
        /// The issue date.
        issue_date: NaiveDate,
        /// The due date.
        due_date: NaiveDate,
    },

    /// An amount below zero.
    #[error("{field} is negative ({amount}): amounts are tax-included and never negative")]
    NegativeAmount {
        /// Which amount.
        field: &'static str,
        /// Its value.
        amount: Money,
    },

    /// An amount that exceeds the total.
    #[error("{field} ({amount}) is more than the total ({total})")]
    AboveTotal {
        /// Which amount.
        field: &'static str,
        /// Its value.
        amount: Money,
        /// The document's total.
        total: Money,
    },

    /// An amount in another currency than the document.
    #[error("{field} is in {amount} but the invoice is in {currency}: use one currency")]
    ForeignCurrency {
        /// Which amount.
        field: &'static str,
        /// Its value.
        amount: Money,
        /// The document's currency.
        currency: crate::money::Currency,
    },

    /// A change of status the life cycle forbids.
    #[error("an invoice cannot go from {from} to {to}")]
    ForbiddenTransition {
        /// The current status.
        from: InvoiceStatus,
        /// The status asked for.
        to: InvoiceStatus,
    },

    /// Arithmetic on amounts failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl InvoiceError {
    /// The field of the document the error is about, when it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            InvoiceError::InvalidNumber { .. } => Some("number"),
            InvoiceError::UnknownStatus { .. } => Some("status"),
            InvoiceError::UnknownChannel { .. } => Some("channel"),
            InvoiceError::DueBeforeIssue { .. } => Some("due_date"),
            InvoiceError::NegativeAmount { field, .. }
            | InvoiceError::AboveTotal { field, .. }
            | InvoiceError::ForeignCurrency { field, .. } => Some(field),
            InvoiceError::ForbiddenTransition { .. } => Some("status"),
            InvoiceError::Money(_) => None,
        }
    }
}

/// The number printed on an invoice or credit note (`F2026-000123`), which
/// customers quote when they pay.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InvoiceNumber(String);

impl InvoiceNumber {
    /// Keeps the number as printed, without surrounding spaces; refuses blank
    /// numbers and numbers with control characters.
    pub fn parse(number: &str) -> Result<InvoiceNumber, InvoiceError> {
        let trimmed = number.trim();
        if trimmed.is_empty() || trimmed.chars().any(char::is_control) {
            return Err(InvoiceError::InvalidNumber {
                number: number.to_string(),
            });
        }

        Ok(InvoiceNumber(trimmed.to_string()))
    }

    /// The number as printed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for InvoiceNumber {
    type Error = InvoiceError;

    fn try_from(number: String) -> Result<Self, Self::Error> {
        InvoiceNumber::parse(&number)
    }
}

impl From<InvoiceNumber> for String {
    fn from(number: InvoiceNumber) -> Self {
        number.0
    }
}

impl fmt::Display for InvoiceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an invoice stands in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Prepared but not sent; stored, never chased.
    Draft,
    /// Sent and nothing paid yet.
    Open,
    /// Sent and partly paid; still chased for the rest.
    PartiallyPaid,
    /// Settled in full.
    Paid,
    /// Cancelled; it never reopens.
    Void,
    /// Written off as bad debt; it can still be paid if the customer pays.
    Uncollectible,
}

impl InvoiceStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [InvoiceStatus; 6] = [
        InvoiceStatus::Draft,
        InvoiceStatus::Open,
        InvoiceStatus::PartiallyPaid,
        InvoiceStatus::Paid,
        InvoiceStatus::Void,
        InvoiceStatus::Uncollectible,
    ];

    /// Reads the snake-case name (`open`, `partially_paid`).
    pub fn parse(status: &str) -> Result<InvoiceStatus, InvoiceError> {
        InvoiceStatus::ALL
            .into_iter()
            .find(|candidate| candidate.as_str() == status)
            .ok_or_else(|| InvoiceError::UnknownStatus {
                status: status.to_string(),
            })
    }

    /// The snake-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Open => "open",
            InvoiceStatus::PartiallyPaid => "partially_paid",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Void => "void",
            InvoiceStatus::Uncollectible => "uncollectible",
        }
    }

    /// Whether an invoice in this status may move to `next`.
    ///
    /// Staying put is always allowed (a platform re-sends the same state).
    /// A void invoice never changes again. Payments can be undone (a wrong
    /// match), so a paid invoice may go back to open or partially paid. A
    /// written-off invoice can still be paid or voided, but not reopened.
    pub fn can_become(self, next: InvoiceStatus) -> bool {
        use InvoiceStatus::*;

        if self == next {
            return true;
        }
        match self {
            Draft => matches!(next, Open | Paid | Void),
            Open => matches!(next, PartiallyPaid | Paid | Void | Uncollectible),
            PartiallyPaid => matches!(next, Open | Paid | Uncollectible),
            Paid => matches!(next, Open | PartiallyPaid),
            Uncollectible => matches!(next, PartiallyPaid | Paid | Void),
            Void => false,
        }
    }

    /// Whether invoices in this status are chased: sent and not settled.
    pub fn is_collectible(self) -> bool {
        matches!(self, InvoiceStatus::Open | InvoiceStatus::PartiallyPaid)
    }
}

impl fmt::Display for InvoiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an invoice reached the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingChannel {
    /// Sent by e-mail.
    Email,
    /// Published on a customer or supplier portal.
    Portal,
    /// Sent by post.
    Post,
    /// Exchanged as electronic data (EDI, e-invoicing platform).
    Edi,
}

impl BillingChannel {
    /// Reads `email`, `portal`, `post` or `edi`.
    pub fn parse(channel: &str) -> Result<BillingChannel, InvoiceError> {
        match channel {
            "email" => Ok(BillingChannel::Email),
            "portal" => Ok(BillingChannel::Portal),
            "post" => Ok(BillingChannel::Post),
            "edi" => Ok(BillingChannel::Edi),
            _ => Err(InvoiceError::UnknownChannel {
                channel: channel.to_string(),
            }),
        }
    }

    /// The lower-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            BillingChannel::Email => "email",
            BillingChannel::Portal => "portal",
            BillingChannel::Post => "post",
            BillingChannel::Edi => "edi",
        }
    }
}

/// The customer contests the invoice; dunning holds until it is resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    /// The day the dispute was raised.
    pub opened_on: NaiveDate,
    /// What the customer contests.
    pub reason: String,
}

/// The customer promised to pay; dunning holds until the promised day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromiseToPay {
    /// The day the customer promised to pay by.
    pub promised_on: NaiveDate,
    /// The amount promised.
    pub amount: Money,
    /// The day the promise was recorded.
    pub recorded_on: NaiveDate,
}

/// Everything an invoice is made of, before validation. Build one, then pass
/// it to [`Invoice::new`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceParts {
    /// Identity at the platform that sent it.
    pub source_ref: SourceRef,
    /// The number printed on the invoice.
    pub number: InvoiceNumber,
    /// The customer, at the same platform.
    pub customer: SourceRef,
    /// The day it was issued.
    pub issue_date: NaiveDate,
    /// The day payment is due.
    pub due_date: NaiveDate,
    /// Amount due, tax included.
    pub total: Money,
    /// Tax included in the total, when known.
    pub tax: Option<Money>,
    /// What is known to be paid already.
    pub amount_paid: Money,
    /// Life-cycle status.
    pub status: InvoiceStatus,
    /// How it was sent, when known.
    pub channel: Option<BillingChannel>,
    /// Structured reference the customer should quote (`RF18...`).
    pub payment_reference: Option<String>,
    /// An open dispute.
    pub dispute: Option<Dispute>,
    /// A promise to pay.
    pub promise_to_pay: Option<PromiseToPay>,
    /// No reminder is sent before the day after this date.
    pub dunning_paused_until: Option<NaiveDate>,
}

/// A validated invoice: the due date is not before the issue date, amounts are
/// not negative and are all in the invoice's currency, tax and amount paid do
/// not exceed the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "InvoiceParts", into = "InvoiceParts")]
pub struct Invoice {
    parts: InvoiceParts,
}

impl TryFrom<InvoiceParts> for Invoice {
    type Error = InvoiceError;

    fn try_from(parts: InvoiceParts) -> Result<Self, Self::Error> {
        Invoice::new(parts)
    }
}

impl From<Invoice> for InvoiceParts {
    fn from(invoice: Invoice) -> Self {
        invoice.parts
    }
}

impl Invoice {
    /// Validates the parts. An `open` or `partially_paid` invoice takes the
    /// status its amount paid implies (open, partially paid, or paid once the
    /// payments reach the total), so the two always agree.
    pub fn new(mut parts: InvoiceParts) -> Result<Invoice, InvoiceError> {
        if parts.due_date < parts.issue_date {
            return Err(InvoiceError::DueBeforeIssue {
                issue_date: parts.issue_date,
                due_date: parts.due_date,
            });
        }

        let total = parts.total;
        check_amount("total", total, total)?;
        if let Some(tax) = parts.tax {
            check_amount("tax", tax, total)?;
            check_not_above_total("tax", tax, total)?;
        }
        check_amount("amount_paid", parts.amount_paid, total)?;
        check_not_above_total("amount_paid", parts.amount_paid, total)?;
        if let Some(promise) = &parts.promise_to_pay {
            check_amount("promise_to_pay.amount", promise.amount, total)?;
        }

        parts.status = settlement_status(parts.status, parts.amount_paid, total);
        Ok(Invoice { parts })
    }

    /// Identity at the platform that sent it.
    pub fn source_ref(&self) -> &SourceRef {
        &self.parts.source_ref
    }

    /// The number printed on the invoice.
    pub fn number(&self) -> &InvoiceNumber {
        &self.parts.number
    }

    /// The customer, at the same platform.
    pub fn customer(&self) -> &SourceRef {
        &self.parts.customer
    }

    /// The day it was issued.
    pub fn issue_date(&self) -> NaiveDate {
        self.parts.issue_date
    }

    /// The day payment is due.
    pub fn due_date(&self) -> NaiveDate {
        self.parts.due_date
    }

    /// Amount due, tax included.
    pub fn total(&self) -> Money {
        self.parts.total
    }

    /// Tax included in the total, when known.
    pub fn tax(&self) -> Option<Money> {
        self.parts.tax
    }

    /// What is known to be paid already.
    pub fn amount_paid(&self) -> Money {
        self.parts.amount_paid
    }

    /// Life-cycle status.
    pub fn status(&self) -> InvoiceStatus {
        self.parts.status
    }

    /// How it was sent, when known.
    pub fn channel(&self) -> Option<BillingChannel> {
        self.parts.channel
    }

    /// Structured reference the customer should quote.
    pub fn payment_reference(&self) -> Option<&str> {
        self.parts.payment_reference.as_deref()
    }

    /// The open dispute, if any.
    pub fn dispute(&self) -> Option<&Dispute> {
        self.parts.dispute.as_ref()
    }

    /// The promise to pay, if any.
    pub fn promise_to_pay(&self) -> Option<&PromiseToPay> {
        self.parts.promise_to_pay.as_ref()
    }

    /// No reminder is sent on or before this date.
    pub fn dunning_paused_until(&self) -> Option<NaiveDate> {
        self.parts.dunning_paused_until
    }

    /// All the fields, for storage.
    pub fn parts(&self) -> &InvoiceParts {
        &self.parts
    }

    /// What the customer still owes: nothing once paid or void, otherwise the
    /// total less what is paid. Credit notes are separate documents and are
    /// not deducted here.
    pub fn remaining(&self) -> Money {
        match self.parts.status {
            InvoiceStatus::Paid | InvoiceStatus::Void => Money::zero(self.parts.total.currency()),
            _ => self
                .parts
                .total
                .checked_sub(self.parts.amount_paid)
                .expect("validated at construction: one currency, amount paid within the total"),
        }
    }

    /// Whether the invoice is chased, past its due date and not settled on
    /// `as_of`. It is overdue from the day after the due date.
    pub fn is_overdue(&self, as_of: NaiveDate) -> bool {
        self.parts.status.is_collectible()
            && as_of > self.parts.due_date
            && !self.remaining().is_zero()
    }

    /// Days past the due date on `as_of`; zero when not overdue.
    pub fn days_overdue(&self, as_of: NaiveDate) -> i64 {
        if self.is_overdue(as_of) {
            (as_of - self.parts.due_date).num_days()
        } else {
            0
        }
    }

    /// Whether reminders are held on `as_of`: an open dispute, a promise to
    /// pay whose day has not passed, or a pause still running.
    pub fn is_on_hold(&self, as_of: NaiveDate) -> bool {
        let disputed = self.parts.dispute.is_some();
        let promised = self
            .parts
            .promise_to_pay
            .as_ref()
            .is_some_and(|promise| as_of <= promise.promised_on);
        let paused = self
            .parts
            .dunning_paused_until
            .is_some_and(|until| as_of <= until);

        disputed || promised || paused
    }

    /// Moves to another status if the life cycle allows it.
    pub fn change_status(&mut self, next: InvoiceStatus) -> Result<(), InvoiceError> {
        if !self.parts.status.can_become(next) {
            return Err(InvoiceError::ForbiddenTransition {
                from: self.parts.status,
                to: next,
            });
        }

        self.parts.status = next;
        Ok(())
    }

    /// Records or clears a dispute.
    pub fn set_dispute(&mut self, dispute: Option<Dispute>) {
        self.parts.dispute = dispute;
    }

    /// Records or clears a promise to pay, in the invoice's currency.
    pub fn set_promise_to_pay(
        &mut self,
        promise: Option<PromiseToPay>,
    ) -> Result<(), InvoiceError> {
        if let Some(promise) = &promise {
            check_amount("promise_to_pay.amount", promise.amount, self.parts.total)?;
        }

        self.parts.promise_to_pay = promise;
        Ok(())
    }

    /// Holds reminders until the given day (inclusive), or lifts the pause.
    pub fn pause_dunning_until(&mut self, until: Option<NaiveDate>) {
        self.parts.dunning_paused_until = until;
    }
}

/// A credit note: a document that cancels all or part of what a customer owes,
/// on one invoice or on the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNoteParts {
    /// Identity at the platform that sent it.
    pub source_ref: SourceRef,
    /// The number printed on the credit note.
    pub number: InvoiceNumber,
    /// The customer, at the same platform.
    pub customer: SourceRef,
    /// The invoice it reduces; `None` for a credit on the account.
    pub invoice: Option<SourceRef>,
    /// The day it was issued.
    pub issue_date: NaiveDate,
    /// Amount credited, tax included.
    pub total: Money,
    /// Why it was issued.
    pub reason: Option<String>,
    /// Whether it was cancelled.
    pub voided: bool,
}

/// A validated credit note: its total is not negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CreditNoteParts", into = "CreditNoteParts")]
pub struct CreditNote {
    parts: CreditNoteParts,
}

impl TryFrom<CreditNoteParts> for CreditNote {
    type Error = InvoiceError;

    fn try_from(parts: CreditNoteParts) -> Result<Self, Self::Error> {
        CreditNote::new(parts)
    }
}

impl From<CreditNote> for CreditNoteParts {
    fn from(credit_note: CreditNote) -> Self {
        credit_note.parts
    }
}

impl CreditNote {
    /// Validates the parts: the total is not negative.
    pub fn new(parts: CreditNoteParts) -> Result<CreditNote, InvoiceError> {
        check_amount("total", parts.total, parts.total)?;
        Ok(CreditNote { parts })
    }

    /// Identity at the platform that sent it.
    pub fn source_ref(&self) -> &SourceRef {
        &self.parts.source_ref
    }

    /// The number printed on the credit note.
    pub fn number(&self) -> &InvoiceNumber {
        &self.parts.number
    }

    /// The customer, at the same platform.
    pub fn customer(&self) -> &SourceRef {
        &self.parts.customer
    }

    /// The invoice it reduces; `None` for a credit on the account.
    pub fn invoice(&self) -> Option<&SourceRef> {
        self.parts.invoice.as_ref()
    }

    /// The day it was issued.
    pub fn issue_date(&self) -> NaiveDate {
        self.parts.issue_date
    }

    /// Amount credited, tax included.
    pub fn total(&self) -> Money {
        self.parts.total
    }

    /// Why it was issued.
    pub fn reason(&self) -> Option<&str> {
        self.parts.reason.as_deref()
    }

    /// Whether it was cancelled.
    pub fn is_voided(&self) -> bool {
        self.parts.voided
    }

    /// All the fields, for storage.
    pub fn parts(&self) -> &CreditNoteParts {
        &self.parts
    }
}

/// Refuses negative amounts and amounts in another currency than `total`.
fn check_amount(field: &'static str, amount: Money, total: Money) -> Result<(), InvoiceError> {
    if amount.currency() != total.currency() {
        return Err(InvoiceError::ForeignCurrency {
            field,
            amount,
            currency: total.currency(),
        });
    }
    if amount.is_negative() {
        return Err(InvoiceError::NegativeAmount { field, amount });
    }

    Ok(())
}

/// Refuses an amount above the total (both in the same currency).
fn check_not_above_total(
    field: &'static str,
    amount: Money,
    total: Money,
) -> Result<(), InvoiceError> {
    if amount.amount() > total.amount() {
        return Err(InvoiceError::AboveTotal {
            field,
            amount,
            total,
        });
    }

    Ok(())
}

/// The status a collectible invoice's payments imply: open while nothing is
/// paid, partially paid in between, paid once the payments reach the total.
/// Other statuses are kept as given (a platform may mark an invoice paid
/// when it was settled outside any recorded payment).
fn settlement_status(status: InvoiceStatus, amount_paid: Money, total: Money) -> InvoiceStatus {
    if !status.is_collectible() {
        return status;
    }

    if amount_paid.is_zero() {
        InvoiceStatus::Open
    } else if amount_paid.amount() >= total.amount() {
        InvoiceStatus::Paid
    } else {
        InvoiceStatus::PartiallyPaid
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn eur(amount: &str) -> Money {
        Money::parse(amount, Currency::EUR).unwrap()
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn parts() -> InvoiceParts {
        InvoiceParts {
            source_ref: SourceRef::new("sellsy", "inv_8812").unwrap(),
            number: InvoiceNumber::parse("F2026-000123").unwrap(),
            customer: SourceRef::new("sellsy", "C-00042").unwrap(),
            issue_date: date("2026-03-01"),
            due_date: date("2026-03-31"),
            total: eur("1440.00"),
            tax: Some(eur("240.00")),
            amount_paid: eur("0"),
            status: InvoiceStatus::Open,
            channel: Some(BillingChannel::Email),
            payment_reference: None,
            dispute: None,
            promise_to_pay: None,
            dunning_paused_until: None,
        }
    }

    #[test]
    fn status_transitions_follow_the_life_cycle() {
        use InvoiceStatus::*;

        // Rows: from; columns: to, in the order of `InvoiceStatus::ALL`
        // (draft, open, partially_paid, paid, void, uncollectible).
        let table = [
            (Draft, [true, true, false, true, true, false]),
            (Open, [false, true, true, true, true, true]),
            (PartiallyPaid, [false, true, true, true, false, true]),
            (Paid, [false, true, true, true, false, false]),
            (Void, [false, false, false, false, true, false]),
            (Uncollectible, [false, false, true, true, true, true]),
        ];
        for (from, allowed) in table {
            for (to, expected) in InvoiceStatus::ALL.into_iter().zip(allowed) {
                assert_eq!(from.can_become(to), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn a_voided_invoice_never_reopens() {
        let mut invoice = Invoice::new(parts()).unwrap();
        invoice.change_status(InvoiceStatus::Void).unwrap();

        let error = invoice.change_status(InvoiceStatus::Open).unwrap_err();
        assert_eq!(error.to_string(), "an invoice cannot go from void to open");
        assert_eq!(invoice.status(), InvoiceStatus::Void);
    }

    #[test]
    fn statuses_read_back_from_their_names() {
        for status in InvoiceStatus::ALL {
            assert_eq!(InvoiceStatus::parse(status.as_str()).unwrap(), status);
        }
        assert!(InvoiceStatus::parse("settled").is_err());
    }

    #[test]
    fn days_overdue_count_from_the_day_after_the_due_date() {
        // (status, amount paid, as of, days overdue)
        let table = [
            (InvoiceStatus::Open, "0", "2026-03-15", 0),
            (InvoiceStatus::Open, "0", "2026-03-31", 0),
            (InvoiceStatus::Open, "0", "2026-04-01", 1),
            (InvoiceStatus::Open, "0", "2026-06-29", 90),
            (InvoiceStatus::Open, "1000.00", "2026-04-10", 10),
            (InvoiceStatus::Open, "1440.00", "2026-04-10", 0),
            (InvoiceStatus::Paid, "0", "2026-04-10", 0),
            (InvoiceStatus::Void, "0", "2026-04-10", 0),
            (InvoiceStatus::Draft, "0", "2026-04-10", 0),
            (InvoiceStatus::Uncollectible, "0", "2026-04-10", 0),
        ];
        for (status, paid, as_of, days) in table {
            let invoice = Invoice::new(InvoiceParts {
                status,
                amount_paid: eur(paid),
                ..parts()
            })
            .unwrap();
            assert_eq!(
                invoice.days_overdue(date(as_of)),
                days,
                "{status} {paid} {as_of}"
            );
            assert_eq!(invoice.is_overdue(date(as_of)), days > 0);
        }
    }

    #[test]
    fn partial_payment_keeps_invoice_open_for_the_rest() {
        let invoice = Invoice::new(InvoiceParts {
            amount_paid: eur("1000.00"),
            ..parts()
        })
        .unwrap();

        assert_eq!(invoice.status(), InvoiceStatus::PartiallyPaid);
        assert_eq!(invoice.remaining(), eur("440.00"));
    }

    #[test]
    fn full_payment_marks_the_invoice_paid() {
        let invoice = Invoice::new(InvoiceParts {
            amount_paid: eur("1440.00"),
            ..parts()
        })
        .unwrap();

        assert_eq!(invoice.status(), InvoiceStatus::Paid);
        assert!(invoice.remaining().is_zero());
    }

    #[test]
    fn invalid_invoices_are_refused_at_construction() {
        let usd = Money::parse("10", Currency::parse("USD").unwrap()).unwrap();
        let table = [
            (
                InvoiceParts {
                    due_date: date("2026-02-28"),
                    ..parts()
                },
                "due date 2026-02-28 is before issue date 2026-03-01",
            ),
            (
                InvoiceParts {
                    total: eur("-5.00"),
                    tax: None,
                    ..parts()
                },
                "total is negative (-5.00 EUR)",
            ),
            (
                InvoiceParts {
                    tax: Some(eur("1500.00")),
                    ..parts()
                },
                "tax (1500.00 EUR) is more than the total (1440.00 EUR)",
            ),
            (
                InvoiceParts {
                    amount_paid: eur("1440.01"),
                    ..parts()
                },
                "amount_paid (1440.01 EUR) is more than the total",
            ),
            (
                InvoiceParts {
                    amount_paid: usd,
                    ..parts()
                },
                "amount_paid is in 10.00 USD but the invoice is in EUR",
            ),
        ];
        for (parts, message) in table {
            let error = Invoice::new(parts).unwrap_err().to_string();
            assert!(error.starts_with(message), "{error}");
        }
    }

    #[test]
    fn disputes_promises_and_pauses_hold_reminders() {
        let mut invoice = Invoice::new(parts()).unwrap();
        assert!(!invoice.is_on_hold(date("2026-04-10")));

        invoice.pause_dunning_until(Some(date("2026-04-15")));
        assert!(invoice.is_on_hold(date("2026-04-15")));
        assert!(!invoice.is_on_hold(date("2026-04-16")));
        invoice.pause_dunning_until(None);

        let promise = PromiseToPay {
            promised_on: date("2026-04-20"),
            amount: eur("1440.00"),
            recorded_on: date("2026-04-10"),
        };
        invoice.set_promise_to_pay(Some(promise)).unwrap();
        assert!(invoice.is_on_hold(date("2026-04-20")));
        assert!(!invoice.is_on_hold(date("2026-04-21")));
        invoice.set_promise_to_pay(None).unwrap();

        invoice.set_dispute(Some(Dispute {
            opened_on: date("2026-04-02"),
            reason: "goods damaged".to_string(),
        }));
        assert!(invoice.is_on_hold(date("2026-12-31")));
    }

    #[test]
    fn invoices_round_trip_through_json_and_are_validated_on_the_way_in() {
        let invoice = Invoice::new(parts()).unwrap();
        let json = serde_json::to_value(&invoice).unwrap();
        assert_eq!(json["status"], "open");
        assert_eq!(json["total"]["amount"], "1440.00");

        let back: Invoice = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, invoice);

        let mut bad = json;
        bad["due_date"] = "2026-01-01".into();
        assert!(serde_json::from_value::<Invoice>(bad).is_err());
    }

    #[test]
    fn invoice_numbers_are_trimmed_and_never_blank() {
        assert_eq!(InvoiceNumber::parse(" F-1 ").unwrap().as_str(), "F-1");
        assert!(InvoiceNumber::parse("  ").is_err());
        assert!(InvoiceNumber::parse("F\t1").is_err());
    }
}
