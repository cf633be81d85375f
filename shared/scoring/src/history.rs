//! What scoring knows of each invoice: when it was issued and due, what it
//! asked for, how it was sent, and when it was disputed, reminded and paid.
//! Features are computed from these facts as they stood on a given day.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How an invoice reached the customer, as far as paying it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    /// E-mail, portal or EDI: the invoice arrives at once.
    Electronic,
    /// By post.
    Paper,
    /// The platform did not say.
    Unknown,
}

impl Billing {
    /// The billing of a ledger channel (`email`, `portal`, `edi`, `post`).
    pub fn from_channel(channel: Option<&str>) -> Billing {
        match channel {
            Some("email" | "portal" | "edi") => Billing::Electronic,
            Some("post") => Billing::Paper,
            _ => Billing::Unknown,
        }
    }
}

/// One invoice's history.
///
/// Amounts are used only as ratios between a customer's own invoices, so
/// they are plain numbers here; the exact amounts stay in the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceFacts {
    /// Relance's identifier of the invoice.
    pub invoice_id: i64,
    /// Relance's identifier of the customer.
    pub customer_id: i64,
    /// The number printed on it, for messages.
    pub number: String,
    /// The day it was issued.
    pub issue_date: NaiveDate,
    /// The day payment is due.
    pub due_date: NaiveDate,
    /// Amount due, tax included, in the invoice's currency.
    pub amount: f64,
    /// How it was sent.
    pub billing: Billing,
    /// The day a dispute was opened on it, if one was.
    pub disputed_on: Option<NaiveDate>,
    /// The days payments towards it were made, oldest first.
    pub payment_dates: Vec<NaiveDate>,
    /// The day it was fully settled, if it is.
    pub settled_on: Option<NaiveDate>,
    /// The days reminders were sent for it, oldest first.
    pub reminder_dates: Vec<NaiveDate>,
}

impl InvoiceFacts {
    /// Whether it was fully settled strictly before `day`.
    pub fn settled_before(&self, day: NaiveDate) -> bool {
        self.settled_on.is_some_and(|settled| settled < day)
    }

    /// Days between the due date and the settlement (negative when paid
    /// early), once settled.
    pub fn delay_days(&self) -> Option<i64> {
        self.settled_on
            .map(|settled| (settled - self.due_date).num_days())
    }

    /// Days between issue and settlement, once settled.
    pub fn days_to_settle(&self) -> Option<i64> {
        self.settled_on
            .map(|settled| (settled - self.issue_date).num_days())
    }

    /// Whether it was paid after its due date, once settled.
    pub fn paid_late(&self) -> Option<bool> {
        self.delay_days().map(|delay| delay > 0)
    }

    /// Payment terms in days.
    pub fn terms_days(&self) -> i64 {
        (self.due_date - self.issue_date).num_days()
    }

    /// Reminders sent before it was settled (all of them while it is open).
    pub fn reminders_before_settling(&self) -> usize {
        self.reminder_dates
            .iter()
            .filter(|sent| self.settled_on.is_none_or(|settled| **sent <= settled))
            .count()
    }
}

/// Every customer's invoices, each customer's sorted by issue date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    customers: BTreeMap<i64, Vec<InvoiceFacts>>,
}

impl Ledger {
    /// Groups invoices by customer and orders each customer's by issue date
    /// (then by identifier, so the order never depends on the input's).
    pub fn new(invoices: impl IntoIterator<Item = InvoiceFacts>) -> Ledger {
        let mut customers: BTreeMap<i64, Vec<InvoiceFacts>> = BTreeMap::new();
        for invoice in invoices {
            customers
                .entry(invoice.customer_id)
                .or_default()
                .push(invoice);
        }

        for invoices in customers.values_mut() {
            invoices.sort_by_key(|invoice| (invoice.issue_date, invoice.invoice_id));
        }
        Ledger { customers }
    }

    /// The customers and their invoices, by customer identifier.
    pub fn customers(&self) -> impl Iterator<Item = (i64, &[InvoiceFacts])> {
        self.customers
            .iter()
            .map(|(id, invoices)| (*id, invoices.as_slice()))
    }

    /// One customer's invoices, by issue date (empty when unknown).
    pub fn customer(&self, customer_id: i64) -> &[InvoiceFacts] {
        self.customers
            .get(&customer_id)
            .map_or(&[], |invoices| invoices.as_slice())
    }

    /// How many invoices in all.
    pub fn invoice_count(&self) -> usize {
        self.customers.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn invoice(settled_on: Option<&str>, reminders: &[&str]) -> InvoiceFacts {
        InvoiceFacts {
            invoice_id: 1,
            customer_id: 1,
            number: "F-1".into(),
            issue_date: day("2026-01-01"),
            due_date: day("2026-01-31"),
            amount: 100.0,
            billing: Billing::Electronic,
            disputed_on: None,
            payment_dates: Vec::new(),
            settled_on: settled_on.map(day),
            reminder_dates: reminders.iter().copied().map(day).collect(),
        }
    }

    #[test]
    fn delays_count_from_the_due_date_and_settling_from_the_issue_date() {
        // (settled on, delay, days to settle, late)
        let table = [
            (Some("2026-01-20"), Some(-11), Some(19), Some(false)),
            (Some("2026-01-31"), Some(0), Some(30), Some(false)),
            (Some("2026-02-10"), Some(10), Some(40), Some(true)),
            (None, None, None, None),
        ];

        for (settled, delay, to_settle, late) in table {
            let facts = invoice(settled, &[]);
            assert_eq!(facts.delay_days(), delay, "{settled:?}");
            assert_eq!(facts.days_to_settle(), to_settle, "{settled:?}");
            assert_eq!(facts.paid_late(), late, "{settled:?}");
        }
    }

    #[test]
    fn reminders_after_the_payment_are_not_counted_as_needed() {
        let paid = invoice(
            Some("2026-02-10"),
            &["2026-02-05", "2026-02-10", "2026-02-15"],
        );
        let open = invoice(None, &["2026-02-05", "2026-02-15"]);

        assert_eq!(paid.reminders_before_settling(), 2);
        assert_eq!(open.reminders_before_settling(), 2);
    }

    #[test]
    fn channels_map_to_paper_or_electronic_billing() {
        let table = [
            (Some("email"), Billing::Electronic),
            (Some("portal"), Billing::Electronic),
            (Some("edi"), Billing::Electronic),
            (Some("post"), Billing::Paper),
            (Some("fax"), Billing::Unknown),
            (None, Billing::Unknown),
        ];

        for (channel, billing) in table {
            assert_eq!(Billing::from_channel(channel), billing, "{channel:?}");
        }
    }
}
