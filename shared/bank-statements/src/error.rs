//! The one error type of statement parsing: which format, where, what to fix.

use crate::model::{Location, StatementFormat};

/// Why a statement file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// Nothing but whitespace was received.
    #[error("the statement file is empty: upload the file exactly as the bank sent it")]
    Empty,

    /// The content matches none of the supported formats.
    #[error(
        "the file is not a bank statement Relance can read (it starts with {start:?}): \
         send camt.052/053/054 XML, MT940/MT942, OFX or CSV"
    )]
    UnknownFormat {
        /// The first characters of the file, to recognise it by.
        start: String,
    },

    /// A CSV file was sent without saying which column holds what.
    #[error(
        "this is a CSV file: CSV layouts differ per bank, so pass a CsvMapping naming \
         the date, amount and currency columns"
    )]
    CsvMappingRequired,

    /// An ISO 20022 message other than camt.052/053/054 versions 02 to 08.
    #[error(
        "unsupported ISO 20022 message {namespace:?}: Relance reads camt.052, camt.053 \
         and camt.054 versions 02 to 08"
    )]
    UnsupportedCamtMessage {
        /// The XML namespace found in the file.
        namespace: String,
    },

    /// The file breaks the syntax of its format (XML not well formed, a
    /// broken CSV row, an MT940 field outside any statement).
    #[error("{format} {location}: {reason}")]
    Malformed {
        /// The format being read.
        format: StatementFormat,
        /// Where the problem is.
        location: Location,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// A field holds a value that cannot be read.
    #[error("{format} {location}: {field} {value:?} is not valid: expected {expected}")]
    InvalidValue {
        /// The format being read.
        format: StatementFormat,
        /// Where the value is.
        location: Location,
        /// Which field it is.
        field: &'static str,
        /// The value as found in the file.
        value: String,
        /// What a valid value looks like.
        expected: &'static str,
    },

    /// A field every statement of this format needs is absent.
    #[error("{format} {location}: {field} is missing: {hint}")]
    MissingValue {
        /// The format being read.
        format: StatementFormat,
        /// Where it was expected.
        location: Location,
        /// Which field is missing.
        field: &'static str,
        /// What to check or add.
        hint: &'static str,
    },
}
