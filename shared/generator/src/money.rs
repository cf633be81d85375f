//! Amounts with their currency, added and split without ever losing a cent.

use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

/// The currencies the generated ledger invoices in; all have two minor digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Currency {
    /// Euro, the company's home currency.
    #[serde(rename = "EUR")]
    Eur,
    /// Pound sterling.
    #[serde(rename = "GBP")]
    Gbp,
    /// US dollar.
    #[serde(rename = "USD")]
    Usd,
    /// Swiss franc.
    #[serde(rename = "CHF")]
    Chf,
}

impl Currency {
    /// Every currency, home currency first.
    pub const ALL: [Currency; 4] = [Currency::Eur, Currency::Gbp, Currency::Usd, Currency::Chf];

    /// The ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Eur => "EUR",
            Currency::Gbp => "GBP",
            Currency::Usd => "USD",
            Currency::Chf => "CHF",
        }
    }

    /// Digits after the decimal point in this currency.
    pub fn minor_digits(self) -> u32 {
        2
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.code())
    }
}

/// Why two amounts could not be combined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The amounts are in different currencies.
    #[error("cannot combine {left} with {right}: convert one of them with an explicit rate first")]
    CurrencyMismatch {
        /// The left-hand amount.
        left: Money,
        /// The right-hand amount.
        right: Money,
    },
    /// The result does not fit in a decimal.
    #[error("combining {left} and {right} overflows: the amounts are beyond any real ledger")]
    Overflow {
        /// The left-hand amount.
        left: Money,
        /// The right-hand amount.
        right: Money,
    },
    /// A share of the amount does not fit in a decimal.
    #[error("{per_mille}‰ of {amount} overflows: the amount is beyond any real ledger")]
    ShareOverflow {
        /// The amount a share was taken of.
        amount: Money,
        /// The share, in thousandths.
        per_mille: u32,
    },
}

/// An amount of one currency, always held at the currency's minor digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// `minor_units` cents (or pence, or centimes) of `currency`.
    pub fn from_minor_units(minor_units: i64, currency: Currency) -> Self {
        Self {
            amount: Decimal::new(minor_units, currency.minor_digits()),
            currency,
        }
    }

    /// Nothing, in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self::from_minor_units(0, currency)
    }

    /// The decimal amount, at the currency's minor digits.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount without its sign.
    pub fn abs(self) -> Money {
        self.with_amount(self.amount.abs())
    }

    /// True when the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// `self + other`, refused across currencies or on overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let sum = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow {
                left: self,
                right: other,
            })?;
        Ok(self.with_amount(sum))
    }

    /// `self - other`, refused across currencies or on overflow.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let difference = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::Overflow {
                left: self,
                right: other,
            })?;
        Ok(self.with_amount(difference))
    }

    /// `per_mille` thousandths of this amount, rounded half away from zero to
    /// the currency's minor digits (the rounding invoices use for VAT).
    pub fn per_mille(self, per_mille: u32) -> Result<Money, MoneyError> {
        let rate = Decimal::new(i64::from(per_mille), 3);
        let share = self
            .amount
            .checked_mul(rate)
            .ok_or(MoneyError::ShareOverflow {
                amount: self,
                per_mille,
            })?;
        let rounded = share.round_dp_with_strategy(
            self.currency.minor_digits(),
            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
        );
        Ok(self.with_amount(rounded))
    }

    /// Splits the amount into `parts` instalments that differ by at most a cent
    /// and add up exactly to it; the last instalment takes the rounding.
    pub fn split_evenly(self, parts: u32) -> Result<Vec<Money>, MoneyError> {
        let parts = parts.max(1);
        let share = (self.amount / Decimal::from(parts)).round_dp_with_strategy(
            self.currency.minor_digits(),
            rust_decimal::RoundingStrategy::ToZero,
        );
        let share = self.with_amount(share);

        let mut instalments = vec![share; parts as usize - 1];
        let mut allotted = Money::zero(self.currency);
        for instalment in &instalments {
            allotted = allotted.checked_add(*instalment)?;
        }
        instalments.push(self.checked_sub(allotted)?);
        Ok(instalments)
    }

    /// The amount as it appears in the canonical JSON: `"1440.00"`.
    pub fn to_decimal_string(&self) -> String {
        self.amount.to_string()
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: *self,
                right: other,
            })
        }
    }

    fn with_amount(&self, amount: Decimal) -> Money {
        let mut amount = amount;
        amount.rescale(self.currency.minor_digits());
        Money {
            amount,
            currency: self.currency,
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{} {}", self.amount, self.currency)
    }
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_decimal_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(cents: i64) -> Money {
        Money::from_minor_units(cents, Currency::Eur)
    }

    #[test]
    fn amounts_keep_two_decimals_through_arithmetic() {
        let cases = [
            (eur(120_000), eur(24_000), "1440.00"),
            (eur(5), eur(95), "1.00"),
            (eur(0), eur(0), "0.00"),
        ];

        for (left, right, expected) in cases {
            let sum = left.checked_add(right).expect("same currency");
            assert_eq!(sum.to_decimal_string(), expected);
        }
    }

    #[test]
    fn vat_at_twenty_percent_rounds_half_away_from_zero() {
        let cases = [
            (120_000, "240.00"),
            (1_003, "2.01"),
            (1_002, "2.00"),
            (1_005, "2.01"),
        ];

        for (net_cents, expected_vat) in cases {
            let vat = eur(net_cents).per_mille(200).expect("small amount");
            assert_eq!(vat.to_decimal_string(), expected_vat);
        }
    }

    #[test]
    fn instalments_add_up_exactly_to_the_amount() {
        let cases = [
            (100_000, 3, vec!["333.33", "333.33", "333.34"]),
            (1, 2, vec!["0.00", "0.01"]),
            (999, 1, vec!["9.99"]),
        ];

        for (cents, parts, expected) in cases {
            let instalments = eur(cents).split_evenly(parts).expect("same currency");
            let printed: Vec<String> = instalments.iter().map(Money::to_decimal_string).collect();
            assert_eq!(printed, expected);
        }
    }

    #[test]
    fn adding_across_currencies_is_refused_with_both_amounts_quoted() {
        let pounds = Money::from_minor_units(100, Currency::Gbp);

        let error = eur(100).checked_add(pounds).expect_err("currencies differ");

        assert!(error.to_string().contains("1.00 EUR"));
        assert!(error.to_string().contains("1.00 GBP"));
    }
}
