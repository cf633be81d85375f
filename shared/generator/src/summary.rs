//! The expected figures per customer at the end of the period, for tests to
//! compare the platform's KPIs against.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::customers::{Customer, PaymentBehaviour};
use crate::error::GeneratorError;
use crate::money::{Currency, Money};

/// What a customer's ledger adds up to on the last day of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerSummary {
    /// The customer's `external_id`.
    pub customer: String,
    /// How it was generated to pay.
    pub behaviour: PaymentBehaviour,
    /// The currency of all its amounts.
    pub currency: Currency,
    /// Invoices issued.
    pub invoices: u64,
    /// Total invoiced, tax included.
    pub invoiced: Money,
    /// Total credited by credit notes.
    pub credited: Money,
    /// Total settled by payments (bank fees included).
    pub paid: Money,
    /// Bank fees deducted from its transfers.
    pub fees: Money,
    /// Invoices whose last remaining amount was settled by a payment.
    pub paid_invoices: u64,
    /// Mean days from due date to the payment that settled the invoice in
    /// full, over the paid invoices; `None` when none was paid.
    pub mean_payment_delay_days: Option<Decimal>,
    /// Invoices the customer disputed.
    pub disputed_invoices: u64,
    /// Invoices with something left to pay.
    pub open_invoices: u64,
    /// What is left to pay: invoiced − credited − paid.
    pub outstanding: Money,
    /// Open invoices past their due date on the last day.
    pub overdue_invoices: u64,
    /// What is left to pay on those.
    pub overdue: Money,
}

/// Running totals for one customer while the period is generated.
#[derive(Debug, Clone)]
pub(crate) struct SummaryTally {
    pub(crate) invoices: u64,
    pub(crate) invoiced: Money,
    pub(crate) credited: Money,
    pub(crate) paid: Money,
    pub(crate) fees: Money,
    pub(crate) paid_invoices: u64,
    pub(crate) delay_days_total: i64,
    pub(crate) disputed_invoices: u64,
}

impl SummaryTally {
    pub(crate) fn new(currency: Currency) -> Self {
        Self {
            invoices: 0,
            invoiced: Money::zero(currency),
            credited: Money::zero(currency),
            paid: Money::zero(currency),
            fees: Money::zero(currency),
            paid_invoices: 0,
            delay_days_total: 0,
            disputed_invoices: 0,
        }
    }
}

/// What is still open on one invoice.
#[derive(Debug, Clone)]
pub(crate) struct OpenInvoice {
    pub(crate) customer_index: usize,
    pub(crate) due_date: NaiveDate,
    pub(crate) remaining: Money,
}

/// The summary of `customer` from its tally and its invoices still open on
/// `as_of`.
pub(crate) fn summarise<'a>(
    customer: &Customer,
    tally: &SummaryTally,
    open_invoices: impl Iterator<Item = &'a OpenInvoice>,
    as_of: NaiveDate,
) -> Result<CustomerSummary, GeneratorError> {
    let currency = customer.currency;
    let mut open_count = 0;
    let mut outstanding = Money::zero(currency);
    let mut overdue_count = 0;
    let mut overdue = Money::zero(currency);

    for open in open_invoices {
        open_count += 1;
        outstanding = outstanding.checked_add(open.remaining)?;
        if open.due_date < as_of {
            overdue_count += 1;
            overdue = overdue.checked_add(open.remaining)?;
        }
    }

    let mean_payment_delay_days = (tally.paid_invoices > 0).then(|| {
        (Decimal::from(tally.delay_days_total) / Decimal::from(tally.paid_invoices)).round_dp(2)
    });

    Ok(CustomerSummary {
        customer: customer.external_id.clone(),
        behaviour: customer.behaviour,
        currency,
        invoices: tally.invoices,
        invoiced: tally.invoiced,
        credited: tally.credited,
        paid: tally.paid,
        fees: tally.fees,
        paid_invoices: tally.paid_invoices,
        mean_payment_delay_days,
        disputed_invoices: tally.disputed_invoices,
        open_invoices: open_count,
        outstanding,
        overdue_invoices: overdue_count,
        overdue,
    })
}
