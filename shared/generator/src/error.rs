//! The one error type of the generator.

use chrono::NaiveDate;

use crate::config::ConfigError;
use crate::creditor_reference::CreditorReferenceError;
use crate::money::MoneyError;

/// Why a ledger could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GeneratorError {
    /// The configuration cannot work; the message says what to change.
    #[error("invalid generator configuration: {0}")]
    Config(#[from] ConfigError),
    /// An amount could not be computed.
    #[error("amount arithmetic failed: {0}")]
    Money(#[from] MoneyError),
    /// An invoice's creditor reference could not be built.
    #[error("invoice creditor reference: {0}")]
    Reference(#[from] CreditorReferenceError),
    /// A date moved past the calendar chrono supports.
    #[error("{date} moved by {days} days leaves the supported calendar: start the period earlier")]
    DateOutOfRange {
        /// The date moved.
        date: NaiveDate,
        /// By how many days.
        days: i64,
    },
}

/// `date` plus `days` (negative to go back), refused past the calendar's end.
pub(crate) fn add_days(date: NaiveDate, days: i64) -> Result<NaiveDate, GeneratorError> {
    date.checked_add_signed(chrono::TimeDelta::days(days))
        .ok_or(GeneratorError::DateOutOfRange { date, days })
}
