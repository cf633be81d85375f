//! The normalised statement model every bank file format is read into.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::StatementError;

/// The file format a statement was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum StatementFormat {
    /// ISO 20022 camt.052, the intraday account report.
    Camt052,
    /// ISO 20022 camt.053, the end-of-day account statement.
    Camt053,
    /// ISO 20022 camt.054, the debit / credit notification.
    Camt054,
    /// SWIFT MT940, the customer statement.
    Mt940,
    /// SWIFT MT942, the interim transaction report.
    Mt942,
    /// Open Financial Exchange, SGML (1.x) or XML (2.x).
    Ofx,
    /// A CSV export read with a caller-supplied [`crate::CsvMapping`].
    Csv,
}

impl fmt::Display for StatementFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Camt052 => "camt.052",
            Self::Camt053 => "camt.053",
            Self::Camt054 => "camt.054",
            Self::Mt940 => "MT940",
            Self::Mt942 => "MT942",
            Self::Ofx => "OFX",
            Self::Csv => "CSV",
        };
        f.write_str(name)
    }
}

/// An ISO 4217 currency code such as `EUR`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    /// Accepts three ASCII letters, in any case, and stores them upper-cased.
    pub fn parse(code: &str) -> Result<Self, InvalidCurrency> {
        let code = code.trim();
        if code.len() == 3 && code.bytes().all(|byte| byte.is_ascii_alphabetic()) {
            Ok(Self(code.to_ascii_uppercase()))
        } else {
            Err(InvalidCurrency(code.to_owned()))
        }
    }

    /// The three-letter code.
    pub fn code(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A currency code that is not three letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("currency {0:?} is not an ISO 4217 code: use three letters such as EUR")]
pub struct InvalidCurrency(pub String);

impl InvalidCurrency {
    /// Turns the bad code into a statement error located in the file.
    pub(crate) fn located(self, format: StatementFormat, location: Location) -> StatementError {
        StatementError::InvalidValue {
            format,
            location,
            field: "currency",
            value: self.0,
            expected: "an ISO 4217 code of three letters such as EUR",
        }
    }
}

/// Where in a file a problem was found, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A 1-based line number (MT940, OFX 1.x, CSV).
    Line(usize),
    /// An XML element path such as `Stmt/Ntry/Amt` (camt, OFX 2).
    Element(String),
    /// A byte offset, where the XML syntax breaks before any element is known.
    Byte(u64),
    /// The file as a whole.
    File,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(line) => write!(f, "line {line}"),
            Self::Element(path) => write!(f, "element <{path}>"),
            Self::Byte(offset) => write!(f, "byte {offset}"),
            Self::File => f.write_str("file"),
        }
    }
}

/// The account a statement belongs to, as far as the bank identifies it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccountRef {
    /// The IBAN, upper-cased without spaces, when the file gives one.
    pub iban: Option<String>,
    /// Any other account number (domestic number, MT940 `:25:` text).
    pub number: Option<String>,
    /// The bank: BIC, bank code or OFX `BANKID`.
    pub bank_id: Option<String>,
}

/// A balance reported by the bank on a given date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Balance {
    /// Signed amount: positive when the account is in credit.
    pub amount: Decimal,
    /// Currency of the balance.
    pub currency: Currency,
    /// The date the balance refers to.
    pub date: NaiveDate,
}

/// Whether the bank has booked a transaction or only announced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TransactionStatus {
    /// Booked on the account: final.
    Booked,
    /// Announced, pending or informational: may still change or disappear.
    Pending,
}

/// What the payer wrote to say what the payment is for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Remittance {
    /// Free-text remittance lines, in file order.
    pub unstructured: Vec<String>,
    /// Structured creditor references: ISO 11649 `RF`, Swiss QR `QRR`,
    /// camt `CdtrRefInf/Ref` and their MT940 equivalents.
    pub structured_references: Vec<String>,
}

impl Remittance {
    /// True when the payer gave neither text nor a reference.
    pub fn is_empty(&self) -> bool {
        self.unstructured.is_empty() && self.structured_references.is_empty()
    }
}

/// One movement of money on the account, normalised across formats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankTransaction {
    /// The day the bank booked it; the value date when the file gives no
    /// separate booking date.
    pub booking_date: NaiveDate,
    /// The day the money starts or stops earning interest, when given.
    pub value_date: Option<NaiveDate>,
    /// Signed amount: money received (credit) is positive, money paid out
    /// (debit) negative, whatever convention the file uses.
    pub amount: Decimal,
    /// Currency of `amount`; `None` only when the file states none at all.
    pub currency: Option<Currency>,
    /// Booked or pending.
    pub status: TransactionStatus,
    /// The other party: the payer of a credit, the payee of a debit.
    pub counterparty_name: Option<String>,
    /// The other party's IBAN (or account number when it has no IBAN).
    pub counterparty_iban: Option<String>,
    /// The payer's end-to-end reference, carried unchanged through SEPA.
    pub end_to_end_id: Option<String>,
    /// The account owner's own reference for the entry: MT940 `:61:`
    /// customer reference or `KREF+`, camt `Refs/InstrId`, OFX `REFNUM`.
    pub customer_reference: Option<String>,
    /// The bank's own reference: camt `AcctSvcrRef`, MT940 `:61:` bank
    /// reference, OFX `FITID`.
    pub bank_reference: Option<String>,
    /// Remittance information.
    pub remittance: Remittance,
    /// True when this entry reverses an earlier one (camt `RvslInd`, MT940
    /// `RC` / `RD` marks).
    pub reversal: bool,
    /// The bank transaction code: camt `Domain/Family/SubFamily` or
    /// proprietary code, MT940 type code, OFX `TRNTYPE`.
    pub bank_transaction_code: Option<String>,
    /// The bank's description as written in the file, lines joined by `\n`.
    pub raw_description: String,
    /// Stable identity for de-duplication across sources; see
    /// [`crate::fingerprint`].
    pub fingerprint: String,
}

/// One statement, report or notification for one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// The format the statement was read from.
    pub format: StatementFormat,
    /// The account the statement is for.
    pub account: AccountRef,
    /// The account currency, when the file states it.
    pub currency: Option<Currency>,
    /// The bank's identifier for this statement, when given.
    pub statement_id: Option<String>,
    /// Balance at the start of the period.
    pub opening_balance: Option<Balance>,
    /// Balance at the end of the period.
    pub closing_balance: Option<Balance>,
    /// First day covered, when stated.
    pub from_date: Option<NaiveDate>,
    /// Last day covered, when stated.
    pub to_date: Option<NaiveDate>,
    /// The movements, in file order.
    pub transactions: Vec<BankTransaction>,
}
