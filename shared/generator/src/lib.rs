//! Deterministic generator of realistic receivables ledgers, for tests,
//! benchmarks and demonstrations.
//!
//! One [`GeneratorConfig`] (a seed and a size) always gives the same ledger,
//! byte for byte: customers with their segmentation and payment behaviour, two
//! years of invoices and credit notes, the payments the bank booked for them
//! with remittance information as messy as real payers write it, and the truth
//! of what paid what. [`LedgerHistory`] produces it month by month, so a
//! million invoices stream through in bounded memory; the writers turn each
//! month into canonical JSON events, bulk API bodies, camt.053 and MT940
//! statements.
//!
//! ```
//! use relance_generator::{GeneratorConfig, LedgerHistory};
//!
//! let config = GeneratorConfig { customers: 20, invoices: 200, ..GeneratorConfig::default() };
//! let mut history = LedgerHistory::new(config)?;
//! let mut invoices = 0;
//! while let Some(month) = history.next_month()? {
//!     invoices += month.invoices.len();
//! }
//! assert_eq!(invoices, 200);
//! # Ok::<(), relance_generator::GeneratorError>(())
//! ```

mod camt053;
mod config;
mod country;
mod creditor_reference;
mod customers;
mod error;
mod events;
mod history;
mod iban;
mod ledger;
mod money;
mod mt940;
mod names;
mod random;
mod remittance;
mod summary;

pub use camt053::{CAMT053_NAMESPACE, write_camt053};
pub use config::{BehaviourMix, ConfigError, GeneratorConfig};
pub use country::Country;
pub use creditor_reference::{CreditorReference, CreditorReferenceError};
pub use customers::{
    Contact, Contacts, Customer, Language, PaymentBehaviour, RemittanceHabit, Segment,
};
pub use error::GeneratorError;
pub use events::{BulkChunks, invoice_object, month_events, write_month_events};
pub use history::{CompanyAccount, LedgerHistory};
pub use iban::{Iban, IbanError};
pub use ledger::{
    Allocation, BankPayment, BankStatement, Channel, CreditNote, Invoice, LedgerMonth, Remittance,
};
pub use money::{Currency, Money, MoneyError};
pub use mt940::write_mt940;
pub use random::SeededRandom;
pub use summary::CustomerSummary;
