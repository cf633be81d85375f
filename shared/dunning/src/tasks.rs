//! Tasks: the steps a person carries out (a call, a letter to post, the
//! hand-over to litigation, a contact to correct) and the outcomes they
//! record, which feed back into dunning — a promise to pay holds the
//! invoices it covers until the promised day, a dispute holds them until it
//! is closed, a wrong contact asks for the contact to be corrected.

use chrono::NaiveDate;
use relance_ledger::money::Money;
use serde::{Deserialize, Serialize};

use crate::policy::Channel;

/// What a task asks a person to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Call the customer.
    Call,
    /// Print and post the letter from the outbox.
    Letter,
    /// Print and post the registered letter from the outbox.
    RegisteredLetter,
    /// Print and post the formal notice by registered mail.
    FormalNotice,
    /// Hand the file over to litigation.
    Litigation,
    /// Find the right contact for the customer (no email address, or the
    /// one on file was wrong).
    UpdateContact,
}

impl TaskKind {
    /// Every kind.
    pub const ALL: [TaskKind; 6] = [
        TaskKind::Call,
        TaskKind::Letter,
        TaskKind::RegisteredLetter,
        TaskKind::FormalNotice,
        TaskKind::Litigation,
        TaskKind::UpdateContact,
    ];

    /// The task a step on `channel` makes, if any.
    pub fn for_channel(channel: Channel) -> Option<TaskKind> {
        match channel {
            Channel::Email => None,
            Channel::Call => Some(TaskKind::Call),
            Channel::Letter => Some(TaskKind::Letter),
            Channel::RegisteredLetter => Some(TaskKind::RegisteredLetter),
            Channel::FormalNotice => Some(TaskKind::FormalNotice),
            Channel::Litigation => Some(TaskKind::Litigation),
        }
    }

    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Call => "call",
            TaskKind::Letter => "letter",
            TaskKind::RegisteredLetter => "registered_letter",
            TaskKind::FormalNotice => "formal_notice",
            TaskKind::Litigation => "litigation",
            TaskKind::UpdateContact => "update_contact",
        }
    }

    /// Reads a stored kind.
    pub fn parse(text: &str) -> Option<TaskKind> {
        TaskKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// What happened when the person did the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// The customer was reached; nothing else changes.
    Reached,
    /// The customer promised to pay an amount by a day.
    PromiseToPay,
    /// The customer disputes the invoices.
    Dispute,
    /// The contact on file is wrong.
    WrongContact,
    /// The letter was posted.
    Posted,
    /// Done, nothing more to record (litigation handed over, contact fixed).
    Done,
}

impl OutcomeKind {
    /// Every outcome.
    pub const ALL: [OutcomeKind; 6] = [
        OutcomeKind::Reached,
        OutcomeKind::PromiseToPay,
        OutcomeKind::Dispute,
        OutcomeKind::WrongContact,
        OutcomeKind::Posted,
        OutcomeKind::Done,
    ];

    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Reached => "reached",
            OutcomeKind::PromiseToPay => "promise_to_pay",
            OutcomeKind::Dispute => "dispute",
            OutcomeKind::WrongContact => "wrong_contact",
            OutcomeKind::Posted => "posted",
            OutcomeKind::Done => "done",
        }
    }

    /// Reads a stored outcome.
    pub fn parse(text: &str) -> Option<OutcomeKind> {
        OutcomeKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// What is wrong with an outcome sent to the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutcomeError {
    /// A promise needs its day and amount.
    #[error("a promise_to_pay outcome needs `promise` with `date` and `amount`")]
    MissingPromise,

    /// A promised day already past.
    #[error("the promised day {date} is before today ({today}); give a day from today on")]
    PromiseInThePast {
        /// The day given.
        date: NaiveDate,
        /// Today.
        today: NaiveDate,
    },

    /// A promise of nothing.
    #[error("the promised amount {amount} must be more than zero")]
    PromiseNotPositive {
        /// The amount given.
        amount: Money,
    },

    /// A dispute needs a reason.
    #[error("a dispute outcome needs `dispute_reason` saying what the customer contests")]
    MissingDisputeReason,
}

/// The share of a promise that lands on one invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromiseShare {
    /// The invoice.
    pub invoice_id: i64,
    /// The part of the promised amount that settles it (wholly or partly).
    pub amount: Money,
}

/// One invoice a promise may cover: its id, due date and what remains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAmount {
    /// The invoice.
    pub invoice_id: i64,
    /// Its due date.
    pub due_date: NaiveDate,
    /// What remains on it.
    pub remaining: Money,
}

/// Spreads a promised amount over the invoices of a task, oldest due date
/// first, as a customer's payment would be allocated. Invoices the amount
/// does not reach get no share and stay in dunning; invoices in another
/// currency than the promise get none either.
pub fn spread_promise(promised: Money, invoices: &[OpenAmount]) -> Vec<PromiseShare> {
    let mut ordered: Vec<&OpenAmount> = invoices
        .iter()
        .filter(|invoice| invoice.remaining.currency() == promised.currency())
        .collect();
    ordered.sort_by_key(|invoice| (invoice.due_date, invoice.invoice_id));

    let mut left = promised;
    let mut shares = Vec::new();
    for invoice in ordered {
        if left.is_zero() || left.is_negative() {
            break;
        }
        let Ok(share) = left.checked_min(invoice.remaining) else {
            continue;
        };
        shares.push(PromiseShare {
            invoice_id: invoice.invoice_id,
            amount: share,
        });
        left = left.checked_sub(share).unwrap_or(left);
    }
    shares
}

/// Checks a promise recorded on `today`.
pub fn check_promise(date: NaiveDate, amount: Money, today: NaiveDate) -> Result<(), OutcomeError> {
    if date < today {
        return Err(OutcomeError::PromiseInThePast { date, today });
    }
    if amount.is_zero() || amount.is_negative() {
        return Err(OutcomeError::PromiseNotPositive { amount });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use relance_ledger::money::Currency;

    use super::*;

    fn eur(amount: &str) -> Money {
        Money::parse(amount, Currency::EUR).expect("an amount")
    }

    fn open(invoice_id: i64, due: &str, remaining: &str) -> OpenAmount {
        OpenAmount {
            invoice_id,
            due_date: due.parse().expect("a date"),
            remaining: eur(remaining),
        }
    }

    #[test]
    fn a_promise_covers_the_oldest_invoices_first() {
        let invoices = [
            open(3, "2026-03-31", "300.00"),
            open(1, "2026-02-28", "500.00"),
            open(2, "2026-03-15", "400.00"),
        ];
        // (promised, shares by invoice)
        let table = [
            ("1200.00", vec![(1, "500.00"), (2, "400.00"), (3, "300.00")]),
            ("700.00", vec![(1, "500.00"), (2, "200.00")]),
            ("500.00", vec![(1, "500.00")]),
            ("2000.00", vec![(1, "500.00"), (2, "400.00"), (3, "300.00")]),
        ];

        for (promised, expected) in table {
            let shares: Vec<(i64, Money)> = spread_promise(eur(promised), &invoices)
                .into_iter()
                .map(|share| (share.invoice_id, share.amount))
                .collect();
            let expected: Vec<(i64, Money)> =
                expected.into_iter().map(|(id, a)| (id, eur(a))).collect();
            assert_eq!(shares, expected, "{promised}");
        }
    }

    #[test]
    fn a_promise_never_lands_on_an_invoice_in_another_currency() {
        let usd = Currency::parse("USD").expect("USD");
        let invoices = [OpenAmount {
            invoice_id: 1,
            due_date: "2026-02-28".parse().expect("a date"),
            remaining: Money::parse("100.00", usd).expect("usd"),
        }];

        assert!(spread_promise(eur("100.00"), &invoices).is_empty());
    }

    #[test]
    fn promises_in_the_past_or_of_nothing_are_refused() {
        let today: NaiveDate = "2026-04-10".parse().expect("a date");

        assert!(check_promise(today, eur("10.00"), today).is_ok());
        assert!(check_promise("2026-04-09".parse().expect("a date"), eur("10.00"), today).is_err());
        assert!(check_promise(today, eur("0.00"), today).is_err());
    }

    #[test]
    fn each_channel_that_needs_a_person_makes_its_task() {
        let table = [
            (Channel::Email, None),
            (Channel::Call, Some(TaskKind::Call)),
            (Channel::FormalNotice, Some(TaskKind::FormalNotice)),
            (Channel::Litigation, Some(TaskKind::Litigation)),
        ];

        for (channel, expected) in table {
            assert_eq!(TaskKind::for_channel(channel), expected, "{channel}");
            assert_eq!(expected.is_some(), channel.makes_task(), "{channel}");
        }
    }
}
