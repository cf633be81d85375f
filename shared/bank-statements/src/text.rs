//! Small readers for the amounts, dates and text found in statement files.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Reads a decimal written with a point, as in XML (`1234.56`, `-7`).
pub(crate) fn decimal_with_point(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let digits_only = text
        .trim_start_matches(['-', '+'])
        .bytes()
        .all(|byte| byte.is_ascii_digit() || byte == b'.');
    if text.is_empty() || !digits_only {
        return None;
    }
    Decimal::from_str(text).ok()
}

/// Reads a SWIFT amount: digits with a decimal comma, fraction optional
/// (`1234,56`, `500,`, `0,`). Some banks drop the comma of whole amounts
/// (`500`), which is read as well.
pub(crate) fn swift_amount(text: &str) -> Option<Decimal> {
    let (whole, fraction) = text.split_once(',').unwrap_or((text, ""));
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let fraction = if fraction.is_empty() { "0" } else { fraction };
    Decimal::from_str(&format!("{whole}.{fraction}")).ok()
}

/// Reads an amount as typed by people or spreadsheets: optional sign,
/// thousands separators, and either a decimal point or a decimal comma.
pub(crate) fn localized_amount(text: &str, decimal_comma: bool) -> Option<Decimal> {
    let (decimal_mark, thousands_mark) = if decimal_comma {
        (',', '.')
    } else {
        ('.', ',')
    };
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|character| {
            *character != thousands_mark && *character != ' ' && *character != '\u{a0}'
        })
        .map(|character| {
            if character == decimal_mark {
                '.'
            } else {
                character
            }
        })
        .collect();
    decimal_with_point(&cleaned)
}

/// Reads the date at the start of an ISO 8601 date or date-time
/// (`2019-05-21`, `2019-05-21T10:00:00+02:00`).
pub(crate) fn iso_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let date = text.get(..10)?;
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

/// Collapses runs of whitespace to one space and trims the ends.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Returns the text trimmed, or `None` when nothing is left.
pub(crate) fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Normalises an IBAN: upper case, no spaces.
pub(crate) fn compact_iban(text: &str) -> String {
    text.chars()
        .filter(|character| !character.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// True when the text has the shape of an IBAN: two letters, two check
/// digits, then 11 to 30 letters or digits.
pub(crate) fn looks_like_iban(text: &str) -> bool {
    let bytes = text.as_bytes();
    (15..=34).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..4].iter().all(u8::is_ascii_digit)
        && bytes[4..].iter().all(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(text: &str) -> Decimal {
        Decimal::from_str(text).expect("test decimals are valid")
    }

    #[test]
    fn swift_amounts_use_a_decimal_comma_with_an_optional_fraction() {
        let cases = [
            ("1234,56", Some(decimal("1234.56"))),
            ("500,", Some(decimal("500"))),
            ("0,", Some(decimal("0"))),
            ("000000001000,00", Some(decimal("1000.00"))),
            ("12.50", None),
            ("1200", Some(decimal("1200"))),
            (",5", None),
            ("1,2,3", None),
        ];
        for (text, expected) in cases {
            assert_eq!(swift_amount(text), expected, "amount {text:?}");
        }
    }

    #[test]
    fn localized_amounts_follow_the_decimal_mark_chosen() {
        let cases = [
            ("1.234,56", true, Some(decimal("1234.56"))),
            ("-1.234,56", true, Some(decimal("-1234.56"))),
            ("1,234.56", false, Some(decimal("1234.56"))),
            ("-0.5", false, Some(decimal("-0.5"))),
            ("abc", false, None),
            ("", true, None),
        ];
        for (text, decimal_comma, expected) in cases {
            assert_eq!(
                localized_amount(text, decimal_comma),
                expected,
                "amount {text:?}"
            );
        }
    }

    #[test]
    fn five_decimal_amounts_stay_exact() {
        assert_eq!(decimal_with_point("0.00001"), Some(decimal("0.00001")));
        assert_eq!(decimal_with_point("1e5"), None);
    }

    #[test]
    fn iban_shape_is_recognised() {
        assert!(looks_like_iban("NL71RABO0123456789"));
        assert!(!looks_like_iban("0123456789"));
        assert!(!looks_like_iban("NLXXRABO0123456789"));
    }
}
