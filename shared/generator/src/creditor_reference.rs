//! ISO 11649 structured creditor references (`RF18 5390 0754 7034`).

use std::fmt;

use serde::Serialize;

use crate::iban::mod97;

/// Why a text is not a valid creditor reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditorReferenceError {
    /// The reference does not start with `RF` and two digits or is too long.
    #[error(
        "creditor reference {reference:?} must be RF, two check digits, then 1 to 21 letters or \
         digits"
    )]
    Malformed {
        /// The text, spaces removed.
        reference: String,
    },
    /// The check digits do not match.
    #[error("creditor reference {reference:?} fails its mod-97 check: a character was mistyped")]
    WrongCheckDigits {
        /// The text, spaces removed.
        reference: String,
    },
}

/// A valid ISO 11649 creditor reference, stored without spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CreditorReference(String);

impl CreditorReference {
    /// The reference for the creditor's own `reference` (1 to 21 letters or
    /// digits): `RF`, then 98 − (reference + `RF00`) mod 97 on two digits.
    pub fn for_reference(reference: &str) -> Result<CreditorReference, CreditorReferenceError> {
        let body = reference.to_ascii_uppercase();
        if !is_valid_body(&body) {
            return Err(CreditorReferenceError::Malformed { reference: body });
        }

        let check = 98 - mod97(&format!("{body}RF00"));
        Ok(CreditorReference(format!("RF{check:02}{body}")))
    }

    /// Validates `text` (spaces allowed, any case) as a creditor reference.
    pub fn parse(text: &str) -> Result<CreditorReference, CreditorReferenceError> {
        let reference: String = text
            .chars()
            .filter(|character| !character.is_whitespace())
            .map(|character| character.to_ascii_uppercase())
            .collect();

        let well_formed = reference.starts_with("RF")
            && reference
                .get(2..4)
                .is_some_and(|check| check.chars().all(|c| c.is_ascii_digit()))
            && reference.get(4..).is_some_and(is_valid_body);
        if !well_formed {
            return Err(CreditorReferenceError::Malformed { reference });
        }

        let (prefix, body) = reference.split_at(4);
        if mod97(&format!("{body}{prefix}")) != 1 {
            return Err(CreditorReferenceError::WrongCheckDigits { reference });
        }
        Ok(CreditorReference(reference))
    }

    /// The reference without spaces, as banks carry it in `CdtrRefInf/Ref`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditorReference {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

fn is_valid_body(body: &str) -> bool {
    (1..=21).contains(&body.len()) && body.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_match_the_standard_examples() {
        let cases = [
            ("539007547034", "RF18539007547034"),
            ("2348231", "RF712348231"),
        ];

        for (reference, expected) in cases {
            let computed = CreditorReference::for_reference(reference).expect(reference);
            assert_eq!(computed.as_str(), expected);
        }
    }

    #[test]
    fn printed_references_with_spaces_are_accepted() {
        let reference = CreditorReference::parse("RF18 5390 0754 7034").expect("valid");

        assert_eq!(reference.as_str(), "RF18539007547034");
    }

    #[test]
    fn invalid_references_are_refused_with_the_reason() {
        let cases = [
            ("RF19539007547034", "mod-97"),
            ("RX18539007547034", "must be RF"),
            ("RF18", "must be RF"),
            ("RF181234567890123456789012", "must be RF"),
        ];

        for (text, reason) in cases {
            let error = CreditorReference::parse(text).expect_err(text);
            assert!(error.to_string().contains(reason), "{error}");
        }
    }
}
