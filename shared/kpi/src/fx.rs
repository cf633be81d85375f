//! Amounts in several currencies brought into one reporting currency with
//! explicit exchange rates: nothing is added across currencies otherwise.

use std::collections::BTreeMap;

use relance_ledger::money::{Currency, Money};
use rust_decimal::{Decimal, RoundingStrategy};
use smallvec::SmallVec;

/// Why amounts cannot be reported in the reporting currency.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FxError {
    /// No rate converts this currency into the reporting currency.
    #[error(
        "no exchange rate from {from} to {to} is in force on {on}; \
         add one with PUT /api/v1/fx-rates"
    )]
    MissingRate {
        /// The currency of the amounts.
        from: &'static str,
        /// The reporting currency.
        to: &'static str,
        /// The day the rate is needed for.
        on: chrono::NaiveDate,
    },
    /// A sum does not fit in the amounts Relance counts.
    #[error("the sum of the {currency} amounts is too large to count")]
    Overflow {
        /// The currency being summed.
        currency: &'static str,
    },
}

/// Exact sums of money kept apart by currency, in currency order. A ledger
/// holds few currencies and most slices of it one, so the sums are a short
/// sorted list that holds one currency without allocating.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurrencyAmounts {
    sums: SmallVec<[(Currency, Decimal); 1]>,
}

impl CurrencyAmounts {
    /// Adds `minor_units` of `currency` (cents for EUR), as the KPI tables
    /// store amounts.
    pub fn add_minor_units(&mut self, currency: Currency, minor_units: i64) {
        let amount = Money::from_minor_units(minor_units, currency).amount();
        self.add(currency, amount);
    }

    /// Adds an exact amount of `currency`.
    pub fn add(&mut self, currency: Currency, amount: Decimal) {
        match self.sums.binary_search_by_key(&currency, |(c, _)| *c) {
            Ok(index) => self.sums[index].1 += amount,
            Err(index) => self.sums.insert(index, (currency, amount)),
        }
    }

    /// Adds every sum of `other`.
    pub fn merge(&mut self, other: &CurrencyAmounts) {
        for (currency, amount) in &other.sums {
            self.add(*currency, *amount);
        }
    }

    /// The currencies present and their sums.
    pub fn iter(&self) -> impl Iterator<Item = (Currency, Decimal)> + '_ {
        self.sums.iter().copied()
    }

    /// The currencies present.
    pub fn currencies(&self) -> impl Iterator<Item = Currency> + '_ {
        self.sums.iter().map(|(c, _)| *c)
    }
}

/// The rates in force on one day that convert into the reporting currency:
/// one unit of a currency is worth `rate` units of the reporting currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeRates {
    reporting: Currency,
    on: chrono::NaiveDate,
    rates: BTreeMap<Currency, Decimal>,
}

impl ExchangeRates {
    /// Rates into `reporting` in force on `on`; the reporting currency
    /// itself always converts at 1.
    pub fn new(
        reporting: Currency,
        on: chrono::NaiveDate,
        rates: impl IntoIterator<Item = (Currency, Decimal)>,
    ) -> ExchangeRates {
        let mut rates: BTreeMap<Currency, Decimal> = rates.into_iter().collect();
        rates.insert(reporting, Decimal::ONE);
        ExchangeRates {
            reporting,
            on,
            rates,
        }
    }

    /// The currency figures are reported in.
    pub fn reporting(&self) -> Currency {
        self.reporting
    }

    /// `amount` of `currency` in the reporting currency, unrounded.
    pub fn convert(&self, currency: Currency, amount: Decimal) -> Result<Decimal, FxError> {
        if currency == self.reporting {
            return Ok(amount);
        }
        let rate = self.rates.get(&currency).ok_or(FxError::MissingRate {
            from: currency.code(),
            to: self.reporting.code(),
            on: self.on,
        })?;
        amount.checked_mul(*rate).ok_or(FxError::Overflow {
            currency: currency.code(),
        })
    }

    /// Every sum converted and added up, unrounded.
    pub fn total(&self, amounts: &CurrencyAmounts) -> Result<Decimal, FxError> {
        amounts
            .iter()
            .try_fold(Decimal::ZERO, |total, (currency, amount)| {
                Ok(total + self.convert(currency, amount)?)
            })
    }

    /// An unrounded reporting amount brought to the reporting currency's
    /// minor units, half to even (banker's rounding), as shown.
    pub fn shown(&self, amount: Decimal) -> Decimal {
        let minor_units = self.reporting.minor_units();
        let mut shown =
            amount.round_dp_with_strategy(minor_units, RoundingStrategy::MidpointNearestEven);
        shown.rescale(minor_units);
        shown
    }

    /// [`ExchangeRates::total`], rounded as shown.
    pub fn shown_total(&self, amounts: &CurrencyAmounts) -> Result<Decimal, FxError> {
        self.total(amounts).map(|total| self.shown(total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn currency(code: &str) -> Currency {
        Currency::parse(code).expect("known currency")
    }

    fn amount(text: &str) -> Decimal {
        text.parse().expect("valid amount")
    }

    fn on() -> chrono::NaiveDate {
        "2026-03-31".parse().expect("valid date")
    }

    #[test]
    fn amounts_in_each_currency_are_converted_then_added() {
        // 1 000.00 EUR + 500.00 USD at 0.92 + 100 JPY at 0.0061 = 1 460.61 EUR.
        let mut amounts = CurrencyAmounts::default();
        amounts.add_minor_units(currency("EUR"), 100_000);
        amounts.add_minor_units(currency("USD"), 50_000);
        amounts.add_minor_units(currency("JPY"), 100);
        let rates = ExchangeRates::new(
            currency("EUR"),
            on(),
            [
                (currency("USD"), amount("0.92")),
                (currency("JPY"), amount("0.0061")),
            ],
        );

        assert_eq!(rates.total(&amounts), Ok(amount("1460.61")));
    }

    #[test]
    fn a_currency_without_a_rate_is_refused_naming_both_currencies() {
        let mut amounts = CurrencyAmounts::default();
        amounts.add_minor_units(currency("GBP"), 1);
        let rates = ExchangeRates::new(currency("EUR"), on(), []);

        let error = rates.total(&amounts).expect_err("no GBP rate");

        assert!(error.to_string().contains("from GBP to EUR"), "{error}");
    }

    #[test]
    fn shown_amounts_are_rounded_half_to_even_to_the_reporting_minor_units() {
        let rates = ExchangeRates::new(currency("EUR"), on(), []);

        assert_eq!(rates.shown(amount("10.125")), amount("10.12"));
        assert_eq!(rates.shown(amount("10.135")), amount("10.14"));
        assert_eq!(rates.shown(amount("10")).to_string(), "10.00");
    }
}
