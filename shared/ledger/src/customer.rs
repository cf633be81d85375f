//! Customers as the finance team knows them: identity at a platform,
//! segmentation (entity, region, segment, owner, collector), language,
//! contacts for invoicing and dunning, and the bank accounts they pay from.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What can be wrong with a customer's identity, country, language or IBAN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    /// A source name outside `[a-z0-9_-]`.
    #[error(
        "source {source_name:?} is not a valid platform name: use lower-case letters, \
         digits, '-' and '_' only, such as \"stripe\" or \"sellsy\""
    )]
    InvalidSource {
        /// The source name as received.
        source_name: String,
    },

    /// An empty external id.
    #[error("the external id at {source_name:?} is empty: give the object's id at that platform")]
    EmptyExternalId {
        /// The source the id belongs to.
        source_name: String,
    },

    /// A language other than French or English.
    #[error("language {code:?} is not supported: use \"fr\" or \"en\"")]
    UnsupportedLanguage {
        /// The code as received.
        code: String,
    },

    /// A country that is not two ASCII letters.
    #[error("country {code:?} is not an ISO 3166 alpha-2 code such as \"FR\" or \"DE\"")]
    InvalidCountry {
        /// The code as received.
        code: String,
    },

    /// An IBAN with the wrong shape or length for its country.
    #[error(
        "IBAN {iban:?} is malformed: it should be a country code, two check digits \
         and the account number{length_hint}"
    )]
    MalformedIban {
        /// The IBAN as received.
        iban: String,
        /// The expected length for the country, when known.
        length_hint: String,
    },

    /// An IBAN whose check digits do not match its account number.
    #[error("IBAN {iban:?} fails its mod-97 check: a character is probably mistyped")]
    IbanChecksum {
        /// The IBAN as received.
        iban: String,
    },
}

/// The identity of an object at the platform it comes from: the platform's
/// name (`stripe`, `sellsy`, `ledger`) and the object's id there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceRef {
    /// The platform's name, lower case, `[a-z0-9_-]`.
    pub source: String,
    /// The object's id at that platform.
    pub external_id: String,
}

impl SourceRef {
    /// A checked identity: the source is a lower-case platform name and the
    /// external id is not blank (surrounding spaces are dropped).
    pub fn new(source: &str, external_id: &str) -> Result<SourceRef, CustomerError> {
        let valid_source = !source.is_empty()
            && source
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !valid_source {
            return Err(CustomerError::InvalidSource {
                source_name: source.to_string(),
            });
        }

        let external_id = external_id.trim();
        if external_id.is_empty() {
            return Err(CustomerError::EmptyExternalId {
                source_name: source.to_string(),
            });
        }

        Ok(SourceRef {
            source: source.to_string(),
            external_id: external_id.to_string(),
        })
    }
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.external_id)
    }
}

/// The language reminders are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Language {
    /// French, the default.
    #[default]
    #[serde(rename = "fr")]
    French,
    /// English.
    #[serde(rename = "en")]
    English,
}

impl Language {
    /// Reads an ISO 639-1 code, `fr` or `en` (any case).
    pub fn parse(code: &str) -> Result<Language, CustomerError> {
        match code.trim().to_ascii_lowercase().as_str() {
            "fr" => Ok(Language::French),
            "en" => Ok(Language::English),
            _ => Err(CustomerError::UnsupportedLanguage {
                code: code.to_string(),
            }),
        }
    }

    /// The ISO 639-1 code, `fr` or `en`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Language::French => "fr",
            Language::English => "en",
        }
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case (`FR`, `DE`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode(String);

impl CountryCode {
    /// Reads two ASCII letters, in any case.
    pub fn parse(code: &str) -> Result<CountryCode, CustomerError> {
        let trimmed = code.trim();
        if trimmed.len() != 2 || !trimmed.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(CustomerError::InvalidCountry {
                code: code.to_string(),
            });
        }

        Ok(CountryCode(trimmed.to_ascii_uppercase()))
    }

    /// The upper-case code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CountryCode {
    type Error = CustomerError;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        CountryCode::parse(&code)
    }
}

impl From<CountryCode> for String {
    fn from(code: CountryCode) -> Self {
        code.0
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// IBAN lengths of the countries of the SWIFT IBAN registry that Relance's
/// customers commonly bank in. Other countries are checked for the general
/// shape (15 to 34 characters) and the mod-97 check only.
#[rustfmt::skip]
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("BA", 20), ("BE", 16),
    ("BG", 22), ("BH", 22), ("BR", 29), ("CH", 21), ("CY", 28), ("CZ", 24),
    ("DE", 22), ("DK", 18), ("EE", 20), ("ES", 24), ("FI", 18), ("FO", 18),
    ("FR", 27), ("GB", 22), ("GI", 23), ("GL", 18), ("GR", 27), ("HR", 21),
    ("HU", 28), ("IE", 22), ("IS", 26), ("IT", 27), ("KW", 30), ("LI", 21),
    ("LT", 20), ("LU", 20), ("LV", 21), ("MC", 27), ("MT", 31), ("NL", 18),
    ("NO", 15), ("PL", 28), ("PT", 25), ("RO", 24), ("SA", 24), ("SE", 24),
    ("SI", 19), ("SK", 24), ("SM", 27), ("TN", 24), ("TR", 26), ("VA", 22),
];

/// An International Bank Account Number, stored in its electronic form:
/// upper case, without spaces, with valid check digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iban(String);

impl Iban {
    /// Reads an IBAN in its printed (`FR76 3000 6000 ...`) or electronic form
    /// and verifies its length and ISO 7064 mod-97 check digits.
    pub fn parse(input: &str) -> Result<Iban, CustomerError> {
        let iban: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();

        let expected_length = iban
            .get(..2)
            .and_then(|country| IBAN_LENGTHS.iter().find(|(code, _)| *code == country))
            .map(|&(_, length)| length);
        if !has_iban_shape(&iban, expected_length) {
            return Err(CustomerError::MalformedIban {
                iban: input.to_string(),
                length_hint: expected_length
                    .map(|length| format!(", {length} characters in all for this country"))
                    .unwrap_or_default(),
            });
        }

        if iban_remainder(&iban) != 1 {
            return Err(CustomerError::IbanChecksum {
                iban: input.to_string(),
            });
        }

        Ok(Iban(iban))
    }

    /// The electronic form, e.g. `FR7630006000011234567890189`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-letter country code the IBAN starts with.
    pub fn country(&self) -> &str {
        &self.0[..2]
    }
}

impl TryFrom<String> for Iban {
    type Error = CustomerError;

    fn try_from(iban: String) -> Result<Self, Self::Error> {
        Iban::parse(&iban)
    }
}

impl From<Iban> for String {
    fn from(iban: Iban) -> Self {
        iban.0
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Two letters, two digits, then letters and digits, at the country's length.
fn has_iban_shape(iban: &str, expected_length: Option<usize>) -> bool {
    let bytes = iban.as_bytes();
    let length_ok = match expected_length {
        Some(length) => bytes.len() == length,
        None => (15..=34).contains(&bytes.len()),
    };

    length_ok
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..4].iter().all(u8::is_ascii_digit)
        && bytes.iter().all(u8::is_ascii_alphanumeric)
}

/// ISO 7064 mod 97-10 over the IBAN with its first four characters moved to
/// the end and letters counted as 10 to 35.
fn iban_remainder(iban: &str) -> u32 {
    let (head, tail) = iban.split_at(4);

    tail.chars().chain(head.chars()).fold(0, |remainder, c| {
        // Every character is ASCII alphanumeric, checked by `has_iban_shape`.
        let value = c.to_digit(36).unwrap_or(0);
        let shift = if value < 10 { 10 } else { 100 };
        (remainder * shift + value) % 97
    })
}

/// How a customer is sliced in reports and who looks after it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Segmentation {
    /// The company of the group that invoices the customer (`FR01`).
    pub legal_entity: Option<String>,
    /// The sales region.
    pub region: Option<String>,
    /// The customer type (`smb`, `enterprise`, `public`).
    pub segment: Option<String>,
    /// The salesperson who owns the account.
    pub owner: Option<String>,
    /// The collector who chases it.
    pub collector: Option<String>,
    /// Free tags.
    pub tags: Vec<String>,
}

/// A person or mailbox at the customer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Contact {
    /// Name of the person or department.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number as given.
    pub phone: Option<String>,
}

/// Whom to send invoices to and whom to chase.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Contacts {
    /// Receives invoices (accounts payable).
    pub invoicing: Option<Contact>,
    /// Receives reminders; falls back to the invoicing contact when absent.
    pub dunning: Option<Contact>,
}

impl Contacts {
    /// The contact reminders go to: the dunning contact, else the invoicing one.
    pub fn for_dunning(&self) -> Option<&Contact> {
        self.dunning.as_ref().or(self.invoicing.as_ref())
    }
}

/// A customer who owes, or may come to owe, money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Identity at the platform that sent it.
    pub source_ref: SourceRef,
    /// Legal or trading name.
    pub name: String,
    /// Reporting dimensions, owner and collector.
    pub segmentation: Segmentation,
    /// Language of the reminders.
    pub language: Language,
    /// Country of the billing address.
    pub country: Option<CountryCode>,
    /// Intra-community VAT number, as given.
    pub vat_number: Option<String>,
    /// Agreed payment terms, in days from the issue date.
    pub payment_terms_days: Option<u32>,
    /// Invoicing and dunning contacts.
    pub contacts: Contacts,
    /// Accounts the customer pays from; they help match its payments.
    pub bank_accounts: Vec<Iban>,
}

impl Customer {
    /// A customer known only by its identity and name, with every other field
    /// empty: how a customer first appears when an invoice names it.
    pub fn stub(source_ref: SourceRef, name: &str) -> Customer {
        Customer {
            source_ref,
            name: name.to_string(),
            segmentation: Segmentation::default(),
            language: Language::default(),
            country: None,
            vat_number: None,
            payment_terms_days: None,
            contacts: Contacts::default(),
            bank_accounts: Vec::new(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ibans_are_checked_and_normalised() {
        let table = [
            (
                "FR76 3000 6000 0112 3456 7890 189",
                Ok("FR7630006000011234567890189"),
            ),
            (
                "fr7630006000011234567890189",
                Ok("FR7630006000011234567890189"),
            ),
            ("DE89370400440532013000", Ok("DE89370400440532013000")),
            ("GB82 WEST 1234 5698 7654 32", Ok("GB82WEST12345698765432")),
            ("BE68539007547034", Ok("BE68539007547034")),
            ("CH93 0076 2011 6238 5295 7", Ok("CH9300762011623852957")),
            ("NO9386011117947", Ok("NO9386011117947")),
            ("FR7630006000011234567890188", Err("fails its mod-97 check")),
            ("DE89370400440532013001", Err("fails its mod-97 check")),
            ("DE8937040044053201300", Err("22 characters in all")),
            ("FR76-3000-6000", Err("is malformed")),
            ("7630006000011234567890189", Err("is malformed")),
            ("", Err("is malformed")),
        ];
        for (input, expected) in table {
            let parsed = Iban::parse(input).map(|iban| iban.to_string());
            match expected {
                Ok(iban) => assert_eq!(parsed.unwrap(), iban, "{input}"),
                Err(message) => {
                    let error = parsed.unwrap_err().to_string();
                    assert!(error.contains(message), "{input}: {error}");
                    assert!(error.contains(&format!("{input:?}")), "{error}");
                }
            }
        }
    }

    #[test]
    fn source_names_are_lower_case_platform_names() {
        assert!(SourceRef::new("stripe", "cus_1").is_ok());
        assert!(SourceRef::new("sage-100_fr", " C-1 ").is_ok());
        assert_eq!(
            SourceRef::new("ledger", " C-1 ").unwrap().external_id,
            "C-1"
        );
        assert!(SourceRef::new("Stripe", "cus_1").is_err());
        assert!(SourceRef::new("", "cus_1").is_err());
        assert!(SourceRef::new("stripe", "  ").is_err());
    }

    #[test]
    fn languages_and_countries_are_read_in_any_case() {
        assert_eq!(Language::parse("FR").unwrap(), Language::French);
        assert_eq!(Language::parse("en").unwrap(), Language::English);
        assert!(Language::parse("de").is_err());
        assert_eq!(CountryCode::parse("fr").unwrap().as_str(), "FR");
        assert!(CountryCode::parse("FRA").is_err());
    }

    #[test]
    fn reminders_fall_back_to_the_invoicing_contact() {
        let invoicing = Contact {
            email: Some("compta@martin.example".to_string()),
            ..Contact::default()
        };
        let contacts = Contacts {
            invoicing: Some(invoicing.clone()),
            dunning: None,
        };
        assert_eq!(contacts.for_dunning(), Some(&invoicing));
    }
}
