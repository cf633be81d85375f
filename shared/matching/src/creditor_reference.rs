//! ISO 11649 structured creditor references (`RF18 5390 0754 7034`): how
//! to create one for an invoice, validate one, and find them in free text.

use std::fmt;

use serde::Serialize;

use crate::error::MatchingError;

/// The most letters or digits a creditor reference may carry after `RF`
/// and its two check digits.
const MAX_BODY_LENGTH: usize = 21;

/// A valid ISO 11649 creditor reference, upper-cased and without spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CreditorReference(String);

impl CreditorReference {
    /// Creates the reference for the creditor's own `body` (1 to 21 letters
    /// or digits, such as an invoice's sequence): `RF`, then the two check
    /// digits 98 − (body + `RF00`) mod 97.
    pub fn for_reference(body: &str) -> Result<Self, MatchingError> {
        let body = body.trim().to_ascii_uppercase();
        if !is_valid_body(&body) {
            return Err(MatchingError::MalformedCreditorReference { reference: body });
        }

        let check = 98 - mod97(&format!("{body}RF00"));
        Ok(Self(format!("RF{check:02}{body}")))
    }

    /// Validates `text` as a creditor reference; spaces and lower case are
    /// accepted, as payers type them.
    pub fn parse(text: &str) -> Result<Self, MatchingError> {
        let reference: String = text
            .chars()
            .filter(|character| !character.is_whitespace())
            .map(|character| character.to_ascii_uppercase())
            .collect();

        if !is_well_formed(&reference) {
            return Err(MatchingError::MalformedCreditorReference { reference });
        }

        let (prefix, body) = reference.split_at(4);
        if mod97(&format!("{body}{prefix}")) != 1 {
            return Err(MatchingError::WrongCreditorReferenceCheck { reference });
        }
        Ok(Self(reference))
    }

    /// The reference without spaces, as banks carry it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditorReference {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// Every valid creditor reference written in `text`, in order.
///
/// Payers write them with or without the usual spaces every four
/// characters, and often follow them with other words; so after each `RF`
/// and two digits, every run of letters and digits that ends where a word
/// ends (single spaces allowed inside) and passes the check is a candidate,
/// longest first. The caller keeps the one it knows.
pub fn find_creditor_references(text: &str) -> Vec<CreditorReference> {
    let characters: Vec<char> = text.chars().map(|c| c.to_ascii_uppercase()).collect();
    let mut found = Vec::new();

    let mut position = 0;
    while position + 4 < characters.len() {
        if starts_reference(&characters, position) {
            let candidates = candidates_from(&characters, position);
            if let Some(longest) = candidates.first() {
                position += longest.0.len();
                found.extend(candidates);
                continue;
            }
        }
        position += 1;
    }
    found
}

/// True when `RF` and two digits start at `position`, not inside a word.
fn starts_reference(characters: &[char], position: usize) -> bool {
    let at_word_start = position == 0
        || !characters
            .get(position - 1)
            .is_some_and(|c| c.is_alphanumeric());

    at_word_start
        && characters.get(position) == Some(&'R')
        && characters.get(position + 1) == Some(&'F')
        && characters
            .get(position + 2)
            .is_some_and(char::is_ascii_digit)
        && characters
            .get(position + 3)
            .is_some_and(char::is_ascii_digit)
}

/// The valid references starting at `position`, longest first: the letters
/// and digits collected (skipping single spaces) cut where a word ends.
fn candidates_from(characters: &[char], position: usize) -> Vec<CreditorReference> {
    let mut collected = String::new();
    let mut word_ends = Vec::new();

    for &character in characters.iter().skip(position) {
        if character.is_ascii_alphanumeric() && collected.len() < 4 + MAX_BODY_LENGTH {
            collected.push(character);
        } else if character == ' ' && word_ends.last() != Some(&collected.len()) {
            word_ends.push(collected.len());
        } else {
            break;
        }
    }
    word_ends.push(collected.len());

    word_ends
        .iter()
        .rev()
        .filter_map(|&length| collected.get(..length))
        .filter_map(|prefix| CreditorReference::parse(prefix).ok())
        .collect()
}

fn is_well_formed(reference: &str) -> bool {
    reference.starts_with("RF")
        && reference
            .get(2..4)
            .is_some_and(|check| check.bytes().all(|b| b.is_ascii_digit()))
        && reference.get(4..).is_some_and(is_valid_body)
}

fn is_valid_body(body: &str) -> bool {
    (1..=MAX_BODY_LENGTH).contains(&body.len()) && body.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The ISO 7064 mod-97 remainder of `text`, letters counting A = 10 … Z = 35.
fn mod97(text: &str) -> u32 {
    text.chars().fold(0, |remainder, character| {
        let value = character.to_digit(36).unwrap_or(0);
        if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creditor_references_are_validated_by_their_check_digits() {
        // (text, valid)
        let table = [
            ("RF18539007547034", true),
            ("RF18 5390 0754 7034", true),
            ("rf18539007547034", true),
            ("RF18539007547035", false),
            ("RF19539007547034", false),
            ("RF712348231", true),
            ("RF18", false),
            ("RX18539007547034", false),
            ("RF1853900754703412345678901", false),
            ("RF18-5390", false),
        ];

        for (text, valid) in table {
            assert_eq!(CreditorReference::parse(text).is_ok(), valid, "{text}");
        }
    }

    #[test]
    fn a_wrong_check_digit_is_reported_as_a_mistyped_reference() {
        let error = CreditorReference::parse("RF18539007547035").expect_err("bad check");

        assert_eq!(
            error,
            MatchingError::WrongCreditorReferenceCheck {
                reference: "RF18539007547035".into()
            }
        );
        assert!(error.to_string().contains("RF18539007547035"));
    }

    #[test]
    fn created_references_carry_the_check_digits_that_validate_them() {
        // (body, reference)
        let table = [
            ("539007547034", "RF18539007547034"),
            ("2348231", "RF712348231"),
        ];

        for (body, expected) in table {
            let created = CreditorReference::for_reference(body).expect("valid body");
            assert_eq!(created.as_str(), expected);
        }
        for body in ["1", "2025000123", "INV42", "ABCDEFGHIJKLMNOPQRSTU"] {
            let created = CreditorReference::for_reference(body).expect("valid body");
            assert_eq!(
                CreditorReference::parse(created.as_str()),
                Ok(created.clone()),
                "{body}"
            );
        }
    }

    #[test]
    fn bodies_that_cannot_be_referenced_are_refused() {
        for body in ["", "2025-000123", "ABCDEFGHIJKLMNOPQRSTUV"] {
            assert!(CreditorReference::for_reference(body).is_err(), "{body:?}");
        }
    }

    #[test]
    fn references_are_found_in_free_text_with_or_without_spaces() {
        // (text, references found)
        let table: [(&str, &[&str]); 6] = [
            ("RF18539007547034", &["RF18539007547034"]),
            ("PAIEMENT RF18 5390 0754 7034 MERCI", &["RF18539007547034"]),
            ("ref rf712348231/F2025-000123", &["RF712348231"]),
            (
                "RF18539007547034 RF712348231",
                &["RF18539007547034", "RF712348231"],
            ),
            ("RF18539007547035", &[]),
            ("INTERF18539007547034", &[]),
        ];

        for (text, expected) in table {
            let found: Vec<String> = find_creditor_references(text)
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect();
            assert_eq!(found, expected, "{text}");
        }
    }
}
