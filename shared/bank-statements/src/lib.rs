//! Bank statement parsing: turns any statement file a company receives from
//! its bank into one normalised list of [`BankTransaction`]s.
//!
//! The format is recognised from the content, never the file name:
//! ISO 20022 camt.052 / camt.053 / camt.054 (versions 02 to 08), SWIFT MT940
//! and MT942, OFX 1.x (SGML) and 2.x (XML). CSV layouts differ per bank, so a
//! CSV file is read with [`parse_csv_statement`] and a [`CsvMapping`].
//!
//! Amounts are exact [`rust_decimal::Decimal`]s, signed from the account
//! holder's side: money received is positive. Each transaction carries a
//! [`fingerprint`] that stays the same when the same payment arrives through
//! another file or a bank API.
//!
//! ```
//! let mt940 = b":20:STMT1\n:25:NL71RABO0123456789\n:28C:1\n:60F:C240102EUR100,00\n\
//! :61:2401020102C25,50NTRFNONREF\n:86:/EREF/INV-42/NAME/ACME BV/REMI/Invoice 42\n\
//! :62F:C240102EUR125,50\n-";
//! let statements = relance_bank_statements::parse_statement(mt940)?;
//! let payment = &statements[0].transactions[0];
//! assert_eq!(payment.amount.to_string(), "25.50");
//! assert_eq!(payment.counterparty_name.as_deref(), Some("ACME BV"));
//! # Ok::<(), relance_bank_statements::StatementError>(())
//! ```

mod camt;
mod csv_import;
mod detect;
mod error;
pub mod fingerprint;
mod model;
mod mt940;
mod ofx;
mod text;
mod xml;

pub use csv_import::{AmountColumns, Column, CsvMapping, CurrencySource, parse_csv_statement};
pub use detect::detect_format;
pub use error::StatementError;
pub use fingerprint::fingerprint;
pub use model::{
    AccountRef, Balance, BankTransaction, Currency, InvalidCurrency, Location, Remittance,
    Statement, StatementFormat, TransactionStatus,
};

/// Reads a statement file of any supported format except CSV, which needs a
/// [`CsvMapping`] and fails here with [`StatementError::CsvMappingRequired`].
pub fn parse_statement(bytes: &[u8]) -> Result<Vec<Statement>, StatementError> {
    let format = detect_format(bytes)?;
    match format {
        StatementFormat::Camt052 | StatementFormat::Camt053 | StatementFormat::Camt054 => {
            camt::parse(bytes, format)
        }
        StatementFormat::Mt940 | StatementFormat::Mt942 => mt940::parse(bytes, format),
        StatementFormat::Ofx => ofx::parse(bytes),
        StatementFormat::Csv => Err(StatementError::CsvMappingRequired),
    }
}
