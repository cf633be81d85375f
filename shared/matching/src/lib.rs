//! Reconciliation matching for Relance: given the payments a bank booked and
//! the open invoices and credit notes, propose which payment settles what,
//! as a good credit controller would, and never apply a doubtful match
//! without a person.
//!
//! Evidence is weighed in the order of trust: references first (invoice
//! numbers however mangled, ISO 11649 `RF` creditor references, end-to-end
//! ids), then the payer (known IBAN, known or similar name), then amount and
//! date (one invoice, several adding up, partial payments, bank fees and
//! exchange differences within tolerance, credit notes netted). Each
//! [`MatchProposal`] carries a confidence and an explanation in plain words;
//! [`Matcher::propose`] decides between [`Decision::AutoApply`],
//! [`Decision::Review`] and [`Decision::NoMatch`].
//!
//! ```
//! use chrono::NaiveDate;
//! use relance_matching::{Decision, Matcher, MatchingPolicy, OpenItem, OpenItemKind};
//! use relance_matching::{PayerDirectory, Payment};
//!
//! let day = |d| NaiveDate::from_ymd_opt(2025, 3, d).expect("date");
//! let invoice = OpenItem {
//!     invoice_id: "inv_1".into(),
//!     number: "F2025-000123".into(),
//!     customer_id: "cus_1".into(),
//!     customer_name: "Boulangerie Martin SARL".into(),
//!     issue_date: day(1),
//!     due_date: day(31),
//!     currency: "EUR".into(),
//!     remaining: "1440.00".parse().expect("amount"),
//!     payment_reference: None,
//!     kind: OpenItemKind::Invoice,
//! };
//! let matcher = Matcher::new(vec![invoice], PayerDirectory::new(), MatchingPolicy::default())
//!     .expect("valid items");
//!
//! let payment = Payment {
//!     id: "tx_1".into(),
//!     booking_date: day(28),
//!     amount: "1440.00".parse().expect("amount"),
//!     currency: "EUR".into(),
//!     counterparty_name: Some("BOULANGERIE MARTIN".into()),
//!     counterparty_iban: None,
//!     end_to_end_id: None,
//!     remittance_lines: vec!["FACTURE F2025000123".into()],
//!     structured_references: Vec::new(),
//! };
//!
//! let Decision::AutoApply(proposal) = matcher.propose(&payment) else {
//!     panic!("a quoted number and the exact amount are enough");
//! };
//! assert_eq!(proposal.allocations[0].invoice_id, "inv_1");
//! ```

mod creditor_reference;
mod directory;
mod error;
mod evaluation;
#[cfg(feature = "generated-ledger")]
mod generated_ledger;
mod matcher;
mod model;
mod money;
mod names;
mod proposal;
mod reference;
mod subset;

pub use creditor_reference::{CreditorReference, find_creditor_references};
pub use directory::PayerDirectory;
pub use error::MatchingError;
pub use evaluation::{Evaluation, LabelledPayment, Metrics, evaluate};
#[cfg(feature = "generated-ledger")]
pub use generated_ledger::evaluate_generated_ledger;
pub use matcher::Matcher;
pub use model::{MatchingPolicy, OpenItem, OpenItemKind, Payment};
pub use money::{LARGEST_AMOUNT, format_amount};
pub use names::{
    NAME_SIMILARITY_FLOOR, NameIndex, NormalisedName, SimilarName, jaro_winkler, name_similarity,
};
pub use proposal::{Allocation, Decision, Evidence, MatchProposal};
pub use reference::{InvoiceNumberIndex, NumberHit, NumberQuality};
pub use subset::{SubsetBounds, SubsetSearch, find_subsets};
