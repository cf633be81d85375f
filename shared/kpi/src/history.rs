//! An invoice's open balance through time, rebuilt from its dated documents:
//! issued on its issue date, reduced by credit notes on their issue dates and
//! by payments on the day they were paid, owed again from the day a wrong
//! payment was undone. Figures "as of" a past day read these periods.
//!
//! Amounts are integer minor units of the invoice's currency (cents for
//! EUR), exact, as the KPI tables store them.

use chrono::NaiveDate;

/// A credit note or a payment reducing what an invoice asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reduction {
    /// The day it took effect: a credit note's issue date, a payment's `paid_on`.
    pub on: NaiveDate,
    /// The day it was undone (a payment matched by mistake), if it was.
    pub undone_on: Option<NaiveDate>,
    /// Minor units it takes off.
    pub amount: i64,
}

/// What an invoice asked for and everything that reduced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDocuments {
    /// The day it became a receivable.
    pub issue_date: NaiveDate,
    /// Minor units due, tax included.
    pub total: i64,
    /// Credit notes and payments, in any order.
    pub reductions: Vec<Reduction>,
}

/// A run of days over which the invoice owed the same amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenPeriod {
    /// The first day it owed `open`.
    pub from: NaiveDate,
    /// The first day it no longer did; `None` while it still does.
    pub until: Option<NaiveDate>,
    /// Minor units owed, above zero.
    pub open: i64,
}

/// The amount `total` would exceed the counts the tables can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an invoice's documents add up to more minor units than can be counted")]
pub struct BalanceOverflow;

/// The periods over which the invoice owed something, oldest first.
///
/// A reduction dated before the issue date counts from the issue date; one
/// undone on or before the day it took effect never counted. Overpayment
/// leaves nothing owed, never a negative balance.
pub fn open_periods(documents: &InvoiceDocuments) -> Result<Vec<OpenPeriod>, BalanceOverflow> {
    let changes = balance_changes(documents)?;

    let mut periods: Vec<OpenPeriod> = Vec::new();
    let mut balance: i64 = 0;
    for (day, change) in changes {
        balance = balance.checked_add(change).ok_or(BalanceOverflow)?;
        let open = balance.max(0);

        let current = periods.last().filter(|p| p.until.is_none()).map(|p| p.open);
        if current == Some(open) || (current.is_none() && open == 0) {
            continue;
        }
        if let Some(last) = periods.last_mut().filter(|p| p.until.is_none()) {
            last.until = Some(day);
        }
        if open > 0 {
            periods.push(OpenPeriod {
                from: day,
                until: None,
                open,
            });
        }
    }

    Ok(periods)
}

/// Each day the balance changes and by how much, in day order.
fn balance_changes(documents: &InvoiceDocuments) -> Result<Vec<(NaiveDate, i64)>, BalanceOverflow> {
    let issued = documents.issue_date;
    let mut changes = vec![(issued, documents.total)];

    for reduction in &documents.reductions {
        let on = reduction.on.max(issued);
        match reduction.undone_on {
            Some(undone) if undone <= on => continue,
            Some(undone) => {
                changes.push((on, -reduction.amount));
                changes.push((undone, reduction.amount));
            }
            None => changes.push((on, -reduction.amount)),
        }
    }
    changes.sort_by_key(|(day, _)| *day);

    let mut by_day: Vec<(NaiveDate, i64)> = Vec::with_capacity(changes.len());
    for (day, change) in changes {
        match by_day.last_mut() {
            Some((last_day, sum)) if *last_day == day => {
                *sum = sum.checked_add(change).ok_or(BalanceOverflow)?;
            }
            _ => by_day.push((day, change)),
        }
    }
    Ok(by_day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("valid date")
    }

    fn reduction(on: &str, amount: i64) -> Reduction {
        Reduction {
            on: day(on),
            undone_on: None,
            amount,
        }
    }

    fn period(from: &str, until: Option<&str>, open: i64) -> OpenPeriod {
        OpenPeriod {
            from: day(from),
            until: until.map(day),
            open,
        }
    }

    fn invoice(reductions: Vec<Reduction>) -> InvoiceDocuments {
        InvoiceDocuments {
            issue_date: day("2026-01-10"),
            total: 144_000,
            reductions,
        }
    }

    #[test]
    fn an_unpaid_invoice_is_open_from_its_issue_date_on() {
        let periods = open_periods(&invoice(vec![])).expect("counts");

        assert_eq!(periods, [period("2026-01-10", None, 144_000)]);
    }

    #[test]
    fn credits_and_partial_payments_lower_the_balance_until_paid() {
        let periods = open_periods(&invoice(vec![
            reduction("2026-03-01", 100_000),
            reduction("2026-02-01", 24_000),
            reduction("2026-03-20", 20_000),
        ]))
        .expect("counts");

        assert_eq!(
            periods,
            [
                period("2026-01-10", Some("2026-02-01"), 144_000),
                period("2026-02-01", Some("2026-03-01"), 120_000),
                period("2026-03-01", Some("2026-03-20"), 20_000),
            ]
        );
    }

    #[test]
    fn a_payment_undone_later_is_owed_again_from_that_day() {
        let mut wrong = reduction("2026-02-15", 144_000);
        wrong.undone_on = Some(day("2026-02-20"));

        let periods = open_periods(&invoice(vec![wrong])).expect("counts");

        assert_eq!(
            periods,
            [
                period("2026-01-10", Some("2026-02-15"), 144_000),
                period("2026-02-20", None, 144_000),
            ]
        );
    }

    #[test]
    fn a_payment_undone_the_day_it_was_made_never_counts() {
        let mut wrong = reduction("2026-02-15", 144_000);
        wrong.undone_on = Some(day("2026-02-15"));

        let periods = open_periods(&invoice(vec![wrong])).expect("counts");

        assert_eq!(periods, [period("2026-01-10", None, 144_000)]);
    }

    #[test]
    fn an_overpayment_closes_the_invoice_without_a_negative_balance() {
        let periods = open_periods(&invoice(vec![
            reduction("2026-02-01", 150_000),
            reduction("2026-02-10", 1_000),
        ]))
        .expect("counts");

        assert_eq!(periods, [period("2026-01-10", Some("2026-02-01"), 144_000)]);
    }

    #[test]
    fn a_payment_before_the_issue_date_settles_on_the_issue_date() {
        let periods =
            open_periods(&invoice(vec![reduction("2026-01-02", 144_000)])).expect("counts");

        assert!(periods.is_empty());
    }
}
