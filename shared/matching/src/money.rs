//! Amounts as the matcher compares and writes them: whole minor units
//! (cents) for searching combinations, and `1,440.00` in explanations.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// The largest amount the matcher handles (10^15), so that sums over any
/// number of items stay far from `Decimal`'s limits; larger amounts are
/// refused as implausible rather than risking an overflow.
pub const LARGEST_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// How many decimals a currency's minor unit has (ISO 4217).
pub fn minor_digits(currency: &str) -> u32 {
    match currency.to_ascii_uppercase().as_str() {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// `amount` in whole minor units of `currency`, rounded half away from zero
/// when the bank gives more decimals than the currency has; `None` when it
/// does not fit.
pub fn to_minor_units(amount: Decimal, currency: &str) -> Option<i64> {
    let digits = minor_digits(currency);
    let rounded = amount.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero);
    rounded
        .checked_mul(Decimal::from(10_i64.pow(digits)))?
        .to_i64()
}

/// `amount` as finance teams read it: thousands separated by commas, the
/// currency's decimals (`1,440.00`).
pub fn format_amount(amount: Decimal, currency: &str) -> String {
    let digits = minor_digits(currency);
    let rounded = amount.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.*}", digits as usize, rounded.abs());
    let (whole, decimals) = text.split_once('.').unwrap_or((text.as_str(), ""));

    let mut grouped = String::new();
    for (position, digit) in whole.chars().enumerate() {
        if position > 0 && (whole.len() - position) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }

    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    if decimals.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{decimals}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> Decimal {
        text.parse().expect("amount")
    }

    #[test]
    fn amounts_are_written_with_thousands_separators_and_the_currency_decimals() {
        // (amount, currency, written)
        let table = [
            ("1440", "EUR", "1,440.00"),
            ("1234567.891", "EUR", "1,234,567.89"),
            ("999.5", "USD", "999.50"),
            ("-0.30", "EUR", "-0.30"),
            ("150000", "JPY", "150,000"),
            ("12.3456", "KWD", "12.346"),
            ("0", "EUR", "0.00"),
        ];

        for (value, currency, written) in table {
            assert_eq!(
                format_amount(amount(value), currency),
                written,
                "{value} {currency}"
            );
        }
    }

    #[test]
    fn the_largest_amount_is_ten_to_the_fifteenth() {
        assert_eq!(LARGEST_AMOUNT, amount("1000000000000000"));
    }

    #[test]
    fn minor_units_follow_the_currency() {
        // (amount, currency, minor units)
        let table = [
            ("1440.00", "EUR", Some(144_000)),
            ("1440.005", "EUR", Some(144_001)),
            ("-12.5", "EUR", Some(-1_250)),
            ("150000", "JPY", Some(150_000)),
            ("1.234", "KWD", Some(1_234)),
            ("1000000000000000000000", "EUR", None),
        ];

        for (value, currency, units) in table {
            assert_eq!(to_minor_units(amount(value), currency), units, "{value}");
        }
    }
}
