//! What remains due on an invoice once its credit notes and allocated
//! payments are counted, and the status that follows from it.

use relance_ledger::invoice::InvoiceStatus;
use relance_ledger::money::{Currency, Money};

use crate::{Database, Row, StoreError, Value};

/// The amounts that settle an invoice, in its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    /// Amount due, tax included.
    pub total: Money,
    /// What the platform reports as paid.
    pub amount_paid: Money,
    /// Credit notes attached to the invoice and not voided.
    pub credited: Money,
    /// Payments allocated by Relance (bank matches, manual allocations),
    /// reversals excluded.
    pub allocated: Money,
}

impl Settlement {
    /// What the customer still owes and the invoice's status, given the
    /// status its platform last sent.
    ///
    /// Void and paid invoices owe nothing. Otherwise the remaining amount is
    /// the total less payments and credits, never below zero (an overpayment
    /// is a credit on the customer's account, not a negative invoice). A
    /// chased invoice becomes paid when nothing remains and partially paid
    /// once something was paid; a written-off invoice that is paid in full
    /// becomes paid.
    pub fn settle(
        &self,
        source_status: InvoiceStatus,
    ) -> Result<(Money, InvoiceStatus), StoreError> {
        let currency = self.total.currency();
        let nothing = Money::zero(currency);

        if matches!(source_status, InvoiceStatus::Void | InvoiceStatus::Paid) {
            return Ok((nothing, source_status));
        }

        let remaining = self
            .total
            .checked_sub(self.amount_paid)?
            .checked_sub(self.credited)?
            .checked_sub(self.allocated)?
            .checked_max(nothing)?;

        let status = match source_status {
            InvoiceStatus::Draft => InvoiceStatus::Draft,
            _ if remaining.is_zero() => InvoiceStatus::Paid,
            InvoiceStatus::Uncollectible => InvoiceStatus::Uncollectible,
            _ if self.amount_paid.is_zero() && self.allocated.is_zero() => InvoiceStatus::Open,
            _ => InvoiceStatus::PartiallyPaid,
        };
        Ok((remaining, status))
    }
}

/// What credit notes and payments take off an invoice, in its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Deductions {
    pub credited: Money,
    pub allocated: Money,
}

/// The columns saying what credit notes and allocated payments take off the
/// invoice `i` whose platform and id there are `k.source` and
/// `k.external_id`: `credit_totals` and `allocation_amounts`, amounts joined
/// with spaces, `NULL` when there are none. An invoice not stored yet (`i`
/// all `NULL`) has only its credit notes.
///
/// Allocations from the invoice's own platform are already counted in its
/// `amount_paid` (a ledger import sends both), so only those from other
/// sources reduce what remains.
pub(crate) const DEDUCTION_COLUMNS: &str = "
    (SELECT group_concat(total, ' ') FROM credit_notes
      WHERE source = k.source AND invoice_external_id = k.external_id AND voided = 0)
      AS credit_totals,
    (SELECT group_concat(amount, ' ') FROM allocations
      WHERE invoice_id = i.id AND reversed_at IS NULL AND source <> k.source)
      AS allocation_amounts";

impl Deductions {
    /// Reads the [`DEDUCTION_COLUMNS`] of a row in the invoice's currency.
    pub(crate) fn read(row: &Row<'_>, currency: Currency) -> Result<Deductions, StoreError> {
        Ok(Deductions {
            credited: sum(
                row.optional_text("credit_totals")?,
                currency,
                "credit_totals",
            )?,
            allocated: sum(
                row.optional_text("allocation_amounts")?,
                currency,
                "allocation_amounts",
            )?,
        })
    }
}

/// The stored columns that settle an invoice, in the order `credited`,
/// `allocated`, `remaining`, `status`.
pub(crate) fn settled_values(
    total: Money,
    amount_paid: Money,
    deductions: Deductions,
    source_status: InvoiceStatus,
) -> Result<[Value; 4], StoreError> {
    let settlement = Settlement {
        total,
        amount_paid,
        credited: deductions.credited,
        allocated: deductions.allocated,
    };
    let (remaining, status) = settlement.settle(source_status)?;

    Ok([
        deductions.credited.amount().into(),
        deductions.allocated.amount().into(),
        remaining.amount().into(),
        status.as_str().into(),
    ])
}

/// Recomputes the stored `credited`, `allocated`, `remaining` and `status` of
/// one invoice from its credit notes and allocations.
pub(crate) fn recompute(db: &impl Database, invoice_id: i64) -> Result<(), StoreError> {
    let rows = db.execute(
        &format!(
            "SELECT i.currency, i.total, i.amount_paid, i.source_status, {DEDUCTION_COLUMNS}
             FROM invoices i JOIN invoices k ON k.id = i.id
             WHERE i.id = ?"
        ),
        &[Value::Integer(invoice_id)],
    )?;
    let row = rows.first().ok_or_else(|| StoreError::NotFound {
        what: "invoice",
        id: invoice_id.to_string(),
    })?;

    let currency = stored_currency(row.text("currency")?)?;
    let [credited, allocated, remaining, status] = settled_values(
        stored_money(&row, "total", currency)?,
        stored_money(&row, "amount_paid", currency)?,
        Deductions::read(&row, currency)?,
        stored_status(row.text("source_status")?)?,
    )?;

    db.execute(
        "UPDATE invoices SET credited = ?, allocated = ?, remaining = ?, status = ?
         WHERE id = ?",
        &[
            credited,
            allocated,
            remaining,
            status,
            Value::Integer(invoice_id),
        ],
    )?;
    Ok(())
}

/// Adds up amounts joined with spaces by `group_concat`.
fn sum(amounts: Option<&str>, currency: Currency, column: &str) -> Result<Money, StoreError> {
    let mut total = Money::zero(currency);

    for amount in amounts.unwrap_or_default().split_whitespace() {
        let amount = Money::parse(amount, currency).map_err(|_| stored_value(column, amount))?;
        total = total.checked_add(amount)?;
    }

    Ok(total)
}

/// Reads a stored currency code.
pub(crate) fn stored_currency(code: &str) -> Result<Currency, StoreError> {
    Currency::parse(code).map_err(|_| StoreError::UnexpectedValue {
        column: "currency".to_owned(),
        expected: "an ISO 4217 currency",
        found: format!("{code:?}"),
    })
}

/// Reads a stored invoice status.
pub(crate) fn stored_status(text: &str) -> Result<InvoiceStatus, StoreError> {
    InvoiceStatus::parse(text).map_err(|_| StoreError::UnexpectedValue {
        column: "status".to_owned(),
        expected: "an invoice status",
        found: format!("{text:?}"),
    })
}

/// Reads a stored amount in `currency`.
pub(crate) fn stored_money(
    row: &crate::Row<'_>,
    column: &str,
    currency: Currency,
) -> Result<Money, StoreError> {
    let text = row.text(column)?;
    Money::parse(text, currency).map_err(|_| stored_value(column, text))
}

fn stored_value(column: &str, text: &str) -> StoreError {
    StoreError::UnexpectedValue {
        column: column.to_owned(),
        expected: "an amount in the invoice's currency",
        found: format!("{text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InvoiceStatus::*;

    fn eur(amount: &str) -> Money {
        Money::parse(amount, Currency::EUR).expect("valid amount")
    }

    #[test]
    fn remaining_and_status_follow_payments_and_credits() {
        // (platform status, total, paid, credited, allocated, remaining, status)
        let table = [
            (Open, "1440.00", "0", "0", "0", "1440.00", Open),
            (Open, "1440.00", "0", "240.00", "0", "1200.00", Open),
            (
                Open,
                "1440.00",
                "400.00",
                "0",
                "0",
                "1040.00",
                PartiallyPaid,
            ),
            (
                Open,
                "1440.00",
                "0",
                "0",
                "1000.00",
                "440.00",
                PartiallyPaid,
            ),
            (Open, "1440.00", "0", "240.00", "1200.00", "0.00", Paid),
            (Open, "1440.00", "0", "0", "1500.00", "0.00", Paid),
            (
                PartiallyPaid,
                "1440.00",
                "1000.00",
                "0",
                "0",
                "440.00",
                PartiallyPaid,
            ),
            (Paid, "1440.00", "0", "0", "0", "0.00", Paid),
            (Void, "1440.00", "0", "0", "500.00", "0.00", Void),
            (Draft, "1440.00", "0", "0", "0", "1440.00", Draft),
            (
                Uncollectible,
                "1440.00",
                "0",
                "0",
                "0",
                "1440.00",
                Uncollectible,
            ),
            (Uncollectible, "1440.00", "0", "0", "1440.00", "0.00", Paid),
        ];

        for (source_status, total, paid, credited, allocated, remaining, status) in table {
            let settlement = Settlement {
                total: eur(total),
                amount_paid: eur(paid),
                credited: eur(credited),
                allocated: eur(allocated),
            };

            let (got_remaining, got_status) =
                settlement.settle(source_status).expect("one currency");

            assert_eq!(
                (got_remaining, got_status),
                (eur(remaining), status),
                "{source_status} {total} paid {paid} credited {credited} allocated {allocated}"
            );
        }
    }

    #[test]
    fn amounts_in_another_currency_are_never_offset() {
        let settlement = Settlement {
            total: eur("100.00"),
            amount_paid: eur("0"),
            credited: Money::parse("10.00", Currency::parse("USD").expect("USD")).expect("usd"),
            allocated: eur("0"),
        };

        assert!(settlement.settle(Open).is_err());
    }
}
