//! IBANs (ISO 13616) with correct check digits, national ones included.

use std::fmt;

use serde::Serialize;

use crate::country::Country;
use crate::random::SeededRandom;

/// Why a text is not a valid IBAN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IbanError {
    /// The IBAN is longer or shorter than its country prescribes.
    #[error(
        "IBAN {iban:?} has {length} characters where its country needs {expected}: check for a \
         missing or extra digit"
    )]
    WrongLength {
        /// The text, spaces removed.
        iban: String,
        /// Its length.
        length: usize,
        /// The length its country prescribes.
        expected: usize,
    },
    /// The country prefix is unknown.
    #[error("IBAN {iban:?} starts with an unknown country code: use FR, BE, DE, NL, GB or CH")]
    UnknownCountry {
        /// The text, spaces removed.
        iban: String,
    },
    /// A character other than A–Z or 0–9.
    #[error("IBAN {iban:?} contains {character:?}: only letters A-Z and digits are allowed")]
    InvalidCharacter {
        /// The text, spaces removed.
        iban: String,
        /// The first offending character.
        character: char,
    },
    /// The check digits do not match.
    #[error("IBAN {iban:?} fails its mod-97 check: a character was probably mistyped")]
    WrongCheckDigits {
        /// The text, spaces removed.
        iban: String,
    },
}

/// A valid IBAN, stored without spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Iban(String);

impl Iban {
    /// Validates `text` (spaces allowed, any case) as an IBAN of a known country.
    pub fn parse(text: &str) -> Result<Iban, IbanError> {
        let iban: String = text
            .chars()
            .filter(|character| !character.is_whitespace())
            .map(|character| character.to_ascii_uppercase())
            .collect();

        if let Some(character) = iban.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(IbanError::InvalidCharacter { iban, character });
        }

        let expected = match iban.get(..2).and_then(length_for_country) {
            Some(expected) => expected,
            None => return Err(IbanError::UnknownCountry { iban }),
        };
        if iban.len() != expected {
            let length = iban.len();
            return Err(IbanError::WrongLength {
                iban,
                length,
                expected,
            });
        }

        let (prefix, bban) = iban.split_at(4);
        if mod97(&format!("{bban}{prefix}")) != 1 {
            return Err(IbanError::WrongCheckDigits { iban });
        }
        Ok(Iban(iban))
    }

    /// A random, valid IBAN of `country`, national check digits included
    /// (French RIB key, Belgian mod-97, Dutch eleven-test).
    pub fn generate(country: Country, random: &mut SeededRandom) -> Iban {
        let bban = match country {
            Country::France => french_bban(random),
            Country::Belgium => belgian_bban(random),
            Country::Germany => format!("{}{}", digits(random, 8), digits(random, 10)),
            Country::Netherlands => dutch_bban(random),
            Country::UnitedKingdom => british_bban(random),
            Country::Switzerland => format!("{}{}", digits(random, 5), digits(random, 12)),
        };
        Iban::from_country_and_bban(country, &bban)
    }

    /// The IBAN for a domestic account number (BBAN), check digits computed.
    pub fn from_country_and_bban(country: Country, bban: &str) -> Iban {
        let code = country.code();
        let check = 98 - mod97(&format!("{bban}{code}00"));
        Iban(format!("{code}{check:02}{bban}"))
    }

    /// The IBAN without spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// The remainder modulo 97 of an alphanumeric text read as a number, letters
/// counting A = 10 … Z = 35 (ISO 7064 MOD 97-10, as IBANs and RF references use).
pub(crate) fn mod97(text: &str) -> u32 {
    text.chars()
        .fold(0, |remainder, character| match character.to_digit(36) {
            Some(value) if value < 10 => (remainder * 10 + value) % 97,
            Some(value) => (remainder * 100 + value) % 97,
            None => remainder,
        })
}

fn length_for_country(code: &str) -> Option<usize> {
    match code {
        "FR" => Some(27),
        "BE" => Some(16),
        "DE" => Some(22),
        "NL" => Some(18),
        "GB" => Some(22),
        "CH" => Some(21),
        _ => None,
    }
}

fn digits(random: &mut SeededRandom, count: usize) -> String {
    (0..count)
        .map(|_| char::from(b'0' + random.below(10) as u8))
        .collect()
}

/// Bank (5) + branch (5) + account (11) + RIB key (2).
fn french_bban(random: &mut SeededRandom) -> String {
    let bank = digits(random, 5);
    let branch = digits(random, 5);
    let account = digits(random, 11);
    let key = french_rib_key(&bank, &branch, &account);
    format!("{bank}{branch}{account}{key:02}")
}

/// The RIB key: 97 − ((89 × bank + 15 × branch + 3 × account) mod 97), for
/// all-digit account numbers.
fn french_rib_key(bank: &str, branch: &str, account: &str) -> u32 {
    let weighted = 89 * mod97(bank) + 15 * mod97(branch) + 3 * mod97(account);
    97 - weighted % 97
}

/// Bank (3) + account (7) + check (2) = the first ten digits mod 97 (97 for 0).
fn belgian_bban(random: &mut SeededRandom) -> String {
    let account = digits(random, 10);
    let check = match mod97(&account) {
        0 => 97,
        remainder => remainder,
    };
    format!("{account}{check:02}")
}

/// Bank code (4 letters) + a ten-digit account passing the eleven-test.
fn dutch_bban(random: &mut SeededRandom) -> String {
    const BANKS: [&str; 6] = ["ABNA", "INGB", "RABO", "SNSB", "TRIO", "KNAB"];
    let bank = random.pick(&BANKS).copied().unwrap_or("INGB");

    loop {
        let first_nine = digits(random, 9);
        let weighted: u32 = first_nine
            .chars()
            .zip((2..=10).rev())
            .filter_map(|(digit, weight)| digit.to_digit(10).map(|value| value * weight))
            .sum();
        let last = (11 - weighted % 11) % 11;
        if last < 10 {
            return format!("{bank}{first_nine}{last}");
        }
    }
}

/// Bank code (4 letters) + sort code (6) + account (8).
fn british_bban(random: &mut SeededRandom) -> String {
    const BANKS: [&str; 5] = ["NWBK", "BARC", "LOYD", "HBUK", "MIDL"];
    let bank = random.pick(&BANKS).copied().unwrap_or("NWBK");
    format!("{bank}{}{}", digits(random, 6), digits(random, 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_example_ibans_are_accepted() {
        let examples = [
            "FR14 2004 1010 0505 0001 3M02 606",
            "DE89 3704 0044 0532 0130 00",
            "BE68 5390 0754 7034",
            "NL91 ABNA 0417 1643 00",
            "GB29 NWBK 6016 1331 9268 19",
            "CH93 0076 2011 6238 5295 7",
        ];

        for example in examples {
            assert!(Iban::parse(example).is_ok(), "{example} should be valid");
        }
    }

    #[test]
    fn broken_ibans_are_refused_with_the_reason() {
        let cases = [
            ("FR14 2004 1010 0505 0001 3M02 607", "mod-97"),
            ("DE89 3704 0044 0532 0130 0", "22"),
            ("XX89 3704", "unknown country"),
            ("DE89-3704-0044-0532-0130-00", "'-'"),
        ];

        for (text, reason) in cases {
            let error = Iban::parse(text).expect_err(text);
            assert!(error.to_string().contains(reason), "{error}");
        }
    }

    #[test]
    fn generated_ibans_pass_the_international_check_in_every_country() {
        let mut random = SeededRandom::new(1);
        let countries = [
            Country::France,
            Country::Belgium,
            Country::Germany,
            Country::Netherlands,
            Country::UnitedKingdom,
            Country::Switzerland,
        ];

        for country in countries {
            for _ in 0..200 {
                let iban = Iban::generate(country, &mut random);
                assert_eq!(Iban::parse(iban.as_str()), Ok(iban.clone()));
                assert!(iban.as_str().starts_with(country.code()));
            }
        }
    }

    #[test]
    fn generated_french_ibans_carry_a_correct_rib_key() {
        let mut random = SeededRandom::new(2);

        for _ in 0..200 {
            let iban = Iban::generate(Country::France, &mut random);
            let bban = &iban.as_str()[4..];
            let key: u32 = bban[21..].parse().expect("two-digit key");
            assert_eq!(key, french_rib_key(&bban[..5], &bban[5..10], &bban[10..21]));
            // The whole RIB, key included, is a multiple of 97.
            assert_eq!(mod97(bban), 0);
        }
    }

    #[test]
    fn generated_belgian_and_dutch_accounts_pass_their_national_checks() {
        let mut random = SeededRandom::new(3);

        for _ in 0..200 {
            let belgian = Iban::generate(Country::Belgium, &mut random);
            let account = &belgian.as_str()[4..];
            let expected = match mod97(&account[..10]) {
                0 => 97,
                remainder => remainder,
            };
            assert_eq!(account[10..].parse::<u32>().expect("digits"), expected);

            let dutch = Iban::generate(Country::Netherlands, &mut random);
            let weighted: u32 = dutch.as_str()[8..]
                .chars()
                .zip((1..=10).rev())
                .map(|(digit, weight)| digit.to_digit(10).expect("digit") * weight)
                .sum();
            assert_eq!(weighted % 11, 0, "{dutch}");
        }
    }
}
