//! Amounts of money: an exact decimal with its ISO 4217 currency, checked
//! arithmetic that never mixes currencies, and named rounding rules.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Active ISO 4217 currencies and their number of minor units (decimals).
///
/// Withdrawn codes (HRK, SLL, ...) and funds codes without a use in invoicing
/// are left out on purpose: an invoice in those is a data error.
#[rustfmt::skip]
const ISO_4217: &[(&str, u32)] = &[
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("ANG", 2), ("AOA", 2),
    ("ARS", 2), ("AUD", 2), ("AWG", 2), ("AZN", 2), ("BAM", 2), ("BBD", 2),
    ("BDT", 2), ("BGN", 2), ("BHD", 3), ("BIF", 0), ("BMD", 2), ("BND", 2),
    ("BOB", 2), ("BRL", 2), ("BSD", 2), ("BTN", 2), ("BWP", 2), ("BYN", 2),
    ("BZD", 2), ("CAD", 2), ("CDF", 2), ("CHF", 2), ("CLF", 4), ("CLP", 0),
    ("CNY", 2), ("COP", 2), ("CRC", 2), ("CUP", 2), ("CVE", 2), ("CZK", 2),
    ("DJF", 0), ("DKK", 2), ("DOP", 2), ("DZD", 2), ("EGP", 2), ("ERN", 2),
    ("ETB", 2), ("EUR", 2), ("FJD", 2), ("FKP", 2), ("GBP", 2), ("GEL", 2),
    ("GHS", 2), ("GIP", 2), ("GMD", 2), ("GNF", 0), ("GTQ", 2), ("GYD", 2),
    ("HKD", 2), ("HNL", 2), ("HTG", 2), ("HUF", 2), ("IDR", 2), ("ILS", 2),
    ("INR", 2), ("IQD", 3), ("IRR", 2), ("ISK", 0), ("JMD", 2), ("JOD", 3),
    ("JPY", 0), ("KES", 2), ("KGS", 2), ("KHR", 2), ("KMF", 0), ("KPW", 2),
    ("KRW", 0), ("KWD", 3), ("KYD", 2), ("KZT", 2), ("LAK", 2), ("LBP", 2),
    ("LKR", 2), ("LRD", 2), ("LSL", 2), ("LYD", 3), ("MAD", 2), ("MDL", 2),
    ("MGA", 2), ("MKD", 2), ("MMK", 2), ("MNT", 2), ("MOP", 2), ("MRU", 2),
    ("MUR", 2), ("MVR", 2), ("MWK", 2), ("MXN", 2), ("MYR", 2), ("MZN", 2),
    ("NAD", 2), ("NGN", 2), ("NIO", 2), ("NOK", 2), ("NPR", 2), ("NZD", 2),
    ("OMR", 3), ("PAB", 2), ("PEN", 2), ("PGK", 2), ("PHP", 2), ("PKR", 2),
    ("PLN", 2), ("PYG", 0), ("QAR", 2), ("RON", 2), ("RSD", 2), ("RUB", 2),
    ("RWF", 0), ("SAR", 2), ("SBD", 2), ("SCR", 2), ("SDG", 2), ("SEK", 2),
    ("SGD", 2), ("SHP", 2), ("SLE", 2), ("SOS", 2), ("SRD", 2), ("SSP", 2),
    ("STN", 2), ("SVC", 2), ("SYP", 2), ("SZL", 2), ("THB", 2), ("TJS", 2),
    ("TMT", 2), ("TND", 3), ("TOP", 2), ("TRY", 2), ("TTD", 2), ("TWD", 2),
    ("TZS", 2), ("UAH", 2), ("UGX", 0), ("USD", 2), ("UYU", 2), ("UYW", 4),
    ("UZS", 2), ("VED", 2), ("VES", 2), ("VND", 0), ("VUV", 0), ("WST", 2),
    ("XAF", 0), ("XCD", 2), ("XCG", 2), ("XOF", 0), ("XPF", 0), ("YER", 2),
    ("ZAR", 2), ("ZMW", 2), ("ZWG", 2),
];

/// What can be wrong with a currency code, an amount or a sum of amounts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The code is not an active ISO 4217 currency.
    #[error("unknown currency {code:?}: use an active ISO 4217 code such as EUR, USD or GBP")]
    UnknownCurrency {
        /// The code as received.
        code: String,
    },

    /// The text is not a plain decimal number.
    #[error(
        "{input:?} is not an amount: write a plain decimal number with a dot, \
         such as 1440.00, without spaces, thousands separators or exponent"
    )]
    NotAnAmount {
        /// The text as received.
        input: String,
    },

    /// The amount has more decimals than the currency's minor units.
    #[error("{input:?} has more decimals than {currency} allows ({allowed})")]
    TooManyDecimals {
        /// The amount as received.
        input: String,
        /// The currency of the amount.
        currency: Currency,
        /// How many decimals the currency has.
        allowed: u32,
    },

    /// Two amounts in different currencies were combined.
    #[error(
        "cannot combine {left} and {right}: amounts in different currencies \
         need an explicit exchange rate"
    )]
    CurrencyMismatch {
        /// The left-hand amount.
        left: Money,
        /// The right-hand amount.
        right: Money,
    },

    /// The result does not fit in a decimal.
    #[error("{left} and {right} overflow when combined")]
    Overflow {
        /// The left-hand amount.
        left: Money,
        /// The right-hand amount.
        right: Money,
    },
}

/// An ISO 4217 currency with its number of minor units (2 for EUR, 0 for JPY,
/// 3 for KWD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: &'static str,
    minor_units: u32,
}

impl Currency {
    /// The euro, the currency most of the ledger is kept in.
    pub const EUR: Currency = Currency {
        code: "EUR",
        minor_units: 2,
    };

    /// Looks a code up in the ISO 4217 table. The code is matched without
    /// regard to case, because platforms such as Stripe send it in lower case.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        let wanted = code.trim().to_ascii_uppercase();

        ISO_4217
            .iter()
            .find(|(known, _)| *known == wanted)
            .map(|&(code, minor_units)| Currency { code, minor_units })
            .ok_or_else(|| MoneyError::UnknownCurrency {
                code: code.to_string(),
            })
    }

    /// The upper-case ISO 4217 code, e.g. `EUR`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// How many decimals an amount in this currency has.
    pub fn minor_units(&self) -> u32 {
        self.minor_units
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Currency::parse(code)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// How an amount with too many decimals is brought back to minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Banker's rounding: a midpoint goes to the even neighbour
    /// (0.125 → 0.12, 0.135 → 0.14). Used for sums of many amounts so the
    /// rounding does not drift in one direction.
    HalfEven,
    /// Commercial rounding: a midpoint goes away from zero
    /// (0.125 → 0.13, −0.125 → −0.13). Used on invoices and late interest.
    HalfUp,
}

/// An exact amount in one currency, never with more decimals than the
/// currency's minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "MoneyFields", into = "MoneyFields")]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

/// The serialized shape of [`Money`]: `{"amount": "12.50", "currency": "EUR"}`.
#[derive(Serialize, Deserialize)]
struct MoneyFields {
    amount: Decimal,
    currency: Currency,
}

impl TryFrom<MoneyFields> for Money {
    type Error = MoneyError;

    fn try_from(fields: MoneyFields) -> Result<Self, Self::Error> {
        Money::new(fields.amount, fields.currency)
    }
}

impl From<Money> for MoneyFields {
    fn from(money: Money) -> Self {
        MoneyFields {
            amount: money.amount,
            currency: money.currency,
        }
    }
}

impl Money {
    /// An amount, refused if it has more decimals than the currency allows.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        let amount = amount.normalize();
        if amount.scale() > currency.minor_units {
            return Err(MoneyError::TooManyDecimals {
                input: amount.to_string(),
                currency,
                allowed: currency.minor_units,
            });
        }

        Ok(Money::at_currency_scale(amount, currency))
    }

    /// Nothing, in the given currency.
    pub fn zero(currency: Currency) -> Money {
        Money::at_currency_scale(Decimal::ZERO, currency)
    }

    /// An amount given as an integer count of minor units, as Stripe sends it
    /// (`1440` EUR cents is 14.40 EUR).
    pub fn from_minor_units(minor_units: i64, currency: Currency) -> Money {
        let amount = Decimal::new(minor_units, currency.minor_units);
        Money::at_currency_scale(amount, currency)
    }

    /// Reads a plain decimal number (`1440.00`, `-5`, `0.5`) in the given
    /// currency, refusing more decimals than the currency has.
    pub fn parse(input: &str, currency: Currency) -> Result<Money, MoneyError> {
        let not_an_amount = || MoneyError::NotAnAmount {
            input: input.to_string(),
        };
        if !is_plain_decimal(input) {
            return Err(not_an_amount());
        }

        let amount = Decimal::from_str(input).map_err(|_| not_an_amount())?;
        let decimals = input
            .split_once('.')
            .map_or(0, |(_, fraction)| fraction.len());
        if decimals > currency.minor_units as usize {
            return Err(MoneyError::TooManyDecimals {
                input: input.to_string(),
                currency,
                allowed: currency.minor_units,
            });
        }

        Ok(Money::at_currency_scale(amount, currency))
    }

    /// Brings any decimal to the currency's minor units with the named rule.
    pub fn round_to_minor_units(amount: Decimal, currency: Currency, rounding: Rounding) -> Money {
        let strategy = match rounding {
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
        };
        let rounded = amount.round_dp_with_strategy(currency.minor_units, strategy);
        Money::at_currency_scale(rounded, currency)
    }

    /// [`Money::round_to_minor_units`] with banker's rounding.
    pub fn round_half_even(amount: Decimal, currency: Currency) -> Money {
        Money::round_to_minor_units(amount, currency, Rounding::HalfEven)
    }

    /// [`Money::round_to_minor_units`] with commercial rounding.
    pub fn round_half_up(amount: Decimal, currency: Currency) -> Money {
        Money::round_to_minor_units(amount, currency, Rounding::HalfUp)
    }

    /// The decimal amount, at the currency's scale.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency of the amount.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount as an integer count of minor units (cents for EUR), or
    /// `None` if it does not fit in an `i64`.
    pub fn to_minor_units(&self) -> Option<i64> {
        let factor = Decimal::from(10_i64.checked_pow(self.currency.minor_units)?);
        i64::try_from(self.amount.checked_mul(factor)?).ok()
    }

    /// True when the amount is exactly zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// True when the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    /// The sum of two amounts in the same currency.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.combine(other, Decimal::checked_add)
    }

    /// The difference of two amounts in the same currency.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.combine(other, Decimal::checked_sub)
    }

    /// The larger of two amounts in the same currency.
    pub fn checked_max(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(if other.amount > self.amount {
            other
        } else {
            self
        })
    }

    /// The smaller of two amounts in the same currency.
    pub fn checked_min(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(if other.amount < self.amount {
            other
        } else {
            self
        })
    }

    fn combine(
        self,
        other: Money,
        operation: fn(Decimal, Decimal) -> Option<Decimal>,
    ) -> Result<Money, MoneyError> {
        self.same_currency(other)?;

        let amount = operation(self.amount, other.amount).ok_or(MoneyError::Overflow {
            left: self,
            right: other,
        })?;
        Ok(Money::at_currency_scale(amount, self.currency))
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

    fn at_currency_scale(mut amount: Decimal, currency: Currency) -> Money {
        amount.rescale(currency.minor_units);
        Money { amount, currency }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// An optional minus sign, digits, and optionally a dot followed by digits.
fn is_plain_decimal(input: &str) -> bool {
    let unsigned = input.strip_prefix('-').unwrap_or(input);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());

    all_digits(whole) && fraction.is_none_or(all_digits)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn eur(amount: &str) -> Money {
        Money::parse(amount, Currency::EUR).unwrap()
    }

    #[test]
    fn currencies_know_their_minor_units() {
        let table = [
            ("EUR", 2),
            ("GBP", 2),
            ("CHF", 2),
            ("USD", 2),
            ("CAD", 2),
            ("AUD", 2),
            ("SEK", 2),
            ("PLN", 2),
            ("ISK", 0),
            ("JPY", 0),
            ("KRW", 0),
            ("XOF", 0),
            ("KWD", 3),
            ("BHD", 3),
            ("TND", 3),
            ("CLF", 4),
        ];
        for (code, minor_units) in table {
            let currency = Currency::parse(code).unwrap();
            assert_eq!(currency.minor_units(), minor_units, "{code}");
            assert_eq!(currency.code(), code);
        }
    }

    #[test]
    fn lower_case_codes_are_read_as_upper_case() {
        assert_eq!(Currency::parse("eur").unwrap(), Currency::EUR);
    }

    #[test]
    fn unknown_currency_is_refused_quoting_the_code() {
        for code in ["XYZ", "HRK", "", "EURO"] {
            let error = Currency::parse(code).unwrap_err();
            assert_eq!(
                error,
                MoneyError::UnknownCurrency {
                    code: code.to_string()
                }
            );
            assert!(error.to_string().contains(&format!("{code:?}")));
        }
    }

    #[test]
    fn amounts_are_read_within_the_currency_minor_units() {
        let table = [
            ("1440.00", "EUR", Ok("1440.00 EUR")),
            ("1440", "EUR", Ok("1440.00 EUR")),
            ("0.5", "EUR", Ok("0.50 EUR")),
            ("-5.00", "EUR", Ok("-5.00 EUR")),
            ("1500", "JPY", Ok("1500 JPY")),
            ("12.345", "KWD", Ok("12.345 KWD")),
            (
                "12.345",
                "EUR",
                Err("has more decimals than EUR allows (2)"),
            ),
            (
                "1500.5",
                "JPY",
                Err("has more decimals than JPY allows (0)"),
            ),
            ("1,440.00", "EUR", Err("is not an amount")),
            ("1440,00", "EUR", Err("is not an amount")),
            ("1e3", "EUR", Err("is not an amount")),
            ("", "EUR", Err("is not an amount")),
            (".5", "EUR", Err("is not an amount")),
            ("5.", "EUR", Err("is not an amount")),
            ("+5", "EUR", Err("is not an amount")),
            (" 5", "EUR", Err("is not an amount")),
        ];
        for (input, code, expected) in table {
            let currency = Currency::parse(code).unwrap();
            let parsed = Money::parse(input, currency).map(|m| m.to_string());
            match expected {
                Ok(display) => assert_eq!(parsed.unwrap(), display, "{input}"),
                Err(message) => {
                    let error = parsed.unwrap_err().to_string();
                    assert!(error.contains(message), "{input}: {error}");
                }
            }
        }
    }

    #[test]
    fn minor_units_convert_both_ways() {
        let table = [
            (144_000, "EUR", "1440.00"),
            (-5, "EUR", "-0.05"),
            (1500, "JPY", "1500"),
            (12_345, "KWD", "12.345"),
        ];
        for (minor, code, amount) in table {
            let currency = Currency::parse(code).unwrap();
            let money = Money::from_minor_units(minor, currency);
            assert_eq!(money.amount().to_string(), amount);
            assert_eq!(money.to_minor_units(), Some(minor));
        }
    }

    #[test]
    fn rounding_rules_differ_only_on_midpoints() {
        let table = [
            ("0.125", "EUR", "0.12", "0.13"),
            ("0.135", "EUR", "0.14", "0.14"),
            ("-0.125", "EUR", "-0.12", "-0.13"),
            ("0.124", "EUR", "0.12", "0.12"),
            ("2.5", "JPY", "2", "3"),
            ("3.5", "JPY", "4", "4"),
            ("1.0005", "KWD", "1.000", "1.001"),
            ("7", "EUR", "7.00", "7.00"),
        ];
        for (input, code, half_even, half_up) in table {
            let currency = Currency::parse(code).unwrap();
            let amount = Decimal::from_str(input).unwrap();
            let even = Money::round_half_even(amount, currency);
            let up = Money::round_half_up(amount, currency);
            assert_eq!(even.amount().to_string(), half_even, "{input} half even");
            assert_eq!(up.amount().to_string(), half_up, "{input} half up");
        }
    }

    #[test]
    fn amounts_in_one_currency_add_and_subtract() {
        assert_eq!(
            eur("1440.00").checked_add(eur("0.05")).unwrap(),
            eur("1440.05")
        );
        assert_eq!(
            eur("100").checked_sub(eur("150.50")).unwrap(),
            eur("-50.50")
        );
    }

    #[test]
    fn mixing_currencies_is_refused() {
        let usd = Money::parse("10", Currency::parse("USD").unwrap()).unwrap();
        type Operation = fn(Money, Money) -> Result<Money, MoneyError>;
        let operations: [Operation; 4] = [
            Money::checked_add,
            Money::checked_sub,
            Money::checked_max,
            Money::checked_min,
        ];
        for operation in operations {
            let error = operation(eur("10"), usd).unwrap_err();
            assert_eq!(
                error.to_string(),
                "cannot combine 10.00 EUR and 10.00 USD: amounts in different \
                 currencies need an explicit exchange rate"
            );
        }
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let huge = Money::new(Decimal::MAX, Currency::parse("JPY").unwrap()).unwrap();
        let error = huge.checked_add(huge).unwrap_err();
        assert!(matches!(error, MoneyError::Overflow { .. }));
    }

    #[test]
    fn money_serializes_as_a_decimal_string_with_its_currency() {
        let json = serde_json::to_string(&eur("12.5")).unwrap();
        assert_eq!(json, r#"{"amount":"12.50","currency":"EUR"}"#);

        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, eur("12.50"));

        let too_precise = serde_json::from_str::<Money>(r#"{"amount":"1.234","currency":"EUR"}"#);
        assert!(too_precise.is_err());
    }
}
