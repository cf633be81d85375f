//! What the matcher is given: the payments the bank booked, the open
//! invoices and credit notes, and the policy that says how bold to be.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::MatchingError;

/// A payment received on the company's account, as the bank described it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The caller's id for the bank transaction.
    pub id: String,
    /// The day the bank booked it.
    pub booking_date: NaiveDate,
    /// Signed amount: money received is positive.
    pub amount: Decimal,
    /// ISO 4217 code of the amount.
    pub currency: String,
    /// The payer's name as its bank sent it.
    pub counterparty_name: Option<String>,
    /// The payer's IBAN or account number.
    pub counterparty_iban: Option<String>,
    /// The payer's end-to-end reference (`NOTPROVIDED` counts as none).
    pub end_to_end_id: Option<String>,
    /// Free-text remittance lines.
    pub remittance_lines: Vec<String>,
    /// Structured creditor references (ISO 11649 `RF` or the creditor's own).
    pub structured_references: Vec<String>,
}

/// Whether an open item asks the customer for money or owes it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpenItemKind {
    /// An invoice: its remaining amount is positive.
    Invoice,
    /// A credit note not yet used: its remaining amount is negative, and a
    /// customer nets it off what it pays.
    CreditNote {
        /// The invoice it credits, when it credits one.
        credits_invoice: Option<String>,
    },
}

/// An invoice or credit note that is not settled yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenItem {
    /// The caller's id for the invoice or credit note.
    pub invoice_id: String,
    /// The number printed on it: `F2025-000123`.
    pub number: String,
    /// The customer it is addressed to.
    pub customer_id: String,
    /// The customer's name, for payer names and explanations.
    pub customer_name: String,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// Due date.
    pub due_date: NaiveDate,
    /// ISO 4217 code.
    pub currency: String,
    /// What is still due: positive for invoices, negative for credit notes.
    pub remaining: Decimal,
    /// The ISO 11649 reference the customer is asked to quote, if any.
    pub payment_reference: Option<String>,
    /// Invoice or credit note.
    pub kind: OpenItemKind,
}

impl OpenItem {
    /// True for credit notes.
    pub fn is_credit_note(&self) -> bool {
        matches!(self.kind, OpenItemKind::CreditNote { .. })
    }
}

/// How bold the matcher is: when it applies a match on its own and how far
/// amounts may differ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchingPolicy {
    /// Confidence from which an unambiguous match is applied without review.
    pub auto_apply_threshold: f64,
    /// How far ahead of the runner-up the best match must be to count as
    /// unambiguous.
    pub ambiguity_margin: f64,
    /// Difference accepted as a bank fee, in the payment's currency.
    pub amount_tolerance_abs: Decimal,
    /// Difference accepted as an exchange difference, as a share of the
    /// amount (0.005 is 0.5 %). The larger of the two tolerances applies.
    pub amount_tolerance_rel: Decimal,
    /// How many days between due date and booking date an amount-only match
    /// may span.
    pub date_window_days: i64,
    /// The most invoices one payment is matched to by amount alone.
    pub max_subset_size: usize,
    /// How many of a customer's oldest open items the combination search
    /// considers.
    pub max_subset_pool: usize,
    /// How many steps the combination search may take before it gives up.
    pub subset_search_budget: usize,
}

impl Default for MatchingPolicy {
    fn default() -> Self {
        Self {
            auto_apply_threshold: 0.90,
            ambiguity_margin: 0.05,
            amount_tolerance_abs: Decimal::new(50, 2),
            amount_tolerance_rel: Decimal::new(5, 3),
            date_window_days: 180,
            max_subset_size: 6,
            max_subset_pool: 40,
            subset_search_budget: 200_000,
        }
    }
}

impl MatchingPolicy {
    /// Checks every setting is in its range.
    pub fn validate(&self) -> Result<(), MatchingError> {
        let probability = |setting, value: f64| {
            if (0.0..=1.0).contains(&value) {
                Ok(())
            } else {
                Err(MatchingError::InvalidPolicy {
                    setting,
                    value: value.to_string(),
                    expected: "a number between 0 and 1",
                })
            }
        };
        let not_negative = |setting, value: Decimal| {
            if value.is_sign_negative() {
                Err(MatchingError::InvalidPolicy {
                    setting,
                    value: value.to_string(),
                    expected: "zero or a positive amount",
                })
            } else {
                Ok(())
            }
        };

        probability("auto_apply_threshold", self.auto_apply_threshold)?;
        probability("ambiguity_margin", self.ambiguity_margin)?;
        not_negative("amount_tolerance_abs", self.amount_tolerance_abs)?;
        not_negative("amount_tolerance_rel", self.amount_tolerance_rel)?;
        if self.date_window_days < 0 {
            return Err(MatchingError::InvalidPolicy {
                setting: "date_window_days",
                value: self.date_window_days.to_string(),
                expected: "zero or a positive number of days",
            });
        }
        if self.max_subset_size == 0 {
            return Err(MatchingError::InvalidPolicy {
                setting: "max_subset_size",
                value: "0".to_owned(),
                expected: "at least 1 invoice",
            });
        }
        Ok(())
    }

    /// The difference accepted around `amount`: the larger of the fee and
    /// the exchange tolerance.
    pub fn tolerance_for(&self, amount: Decimal) -> Decimal {
        let relative = amount
            .abs()
            .checked_mul(self.amount_tolerance_rel)
            .unwrap_or(Decimal::MAX);
        relative.max(self.amount_tolerance_abs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_larger_of_fee_and_exchange_tolerance_applies() {
        let policy = MatchingPolicy::default();

        // (amount, tolerance)
        let table = [
            ("20.00", "0.50"),
            ("100.00", "0.50"),
            ("1000.00", "5.00000"),
        ];

        for (amount, tolerance) in table {
            let amount: Decimal = amount.parse().expect("amount");
            assert_eq!(
                policy.tolerance_for(amount),
                tolerance.parse::<Decimal>().expect("tol")
            );
        }
    }

    #[test]
    fn out_of_range_settings_are_refused_with_their_name() {
        let threshold = MatchingPolicy {
            auto_apply_threshold: 1.5,
            ..MatchingPolicy::default()
        };
        let tolerance = MatchingPolicy {
            amount_tolerance_abs: Decimal::NEGATIVE_ONE,
            ..Default::default()
        };
        let subset = MatchingPolicy {
            max_subset_size: 0,
            ..Default::default()
        };

        for (policy, setting) in [
            (threshold, "auto_apply_threshold"),
            (tolerance, "amount_tolerance_abs"),
            (subset, "max_subset_size"),
        ] {
            let error = policy.validate().expect_err("invalid");
            assert!(error.to_string().contains(setting), "{error}");
        }
        assert_eq!(MatchingPolicy::default().validate(), Ok(()));
    }
}
