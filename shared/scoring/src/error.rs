//! What can go wrong while training, scoring or reading a history file.

use relance_api::ApiError;
use relance_store::StoreError;

/// A scoring failure, quoting what was found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoringError {
    /// Not enough invoices with a known outcome to learn from.
    #[error(
        "only {found} invoices have a known outcome and at least {needed} are needed to train; \
         wait until more invoices are paid or overdue"
    )]
    TooFewExamples {
        /// Invoices with a known outcome.
        found: usize,
        /// The fewest accepted.
        needed: usize,
    },

    /// Every invoice learned from had the same outcome.
    #[error(
        "{late} of the {examples} invoices with a known outcome were paid late: a model needs \
         both late and on-time payments to learn from"
    )]
    SingleOutcome {
        /// Invoices with a known outcome.
        examples: usize,
        /// How many of them were late.
        late: usize,
    },

    /// Rows and labels given to a model do not pair up.
    #[error("{rows} rows were given with {labels} labels; each row needs exactly one")]
    MismatchedLabels {
        /// Rows given.
        rows: usize,
        /// Labels given.
        labels: usize,
    },

    /// The numbers left nothing to decide from.
    #[error("{what} has no solution: the training invoices are too alike")]
    Degenerate {
        /// What could not be computed.
        what: &'static str,
    },

    /// A stored model reads other features than this version computes.
    #[error(
        "the stored model reads {features} features, not the ones this version computes; \
         train it again with POST /jobs/scoring/train"
    )]
    OutdatedModel {
        /// How many features the stored model reads.
        features: usize,
    },

    /// The customer exists but was never scored.
    #[error(
        "customer {customer_id} has no score yet: scores follow POST /jobs/scoring/refresh, \
         which scores every customer with an invoice"
    )]
    NotScored {
        /// The customer.
        customer_id: i64,
    },

    /// No model was trained yet.
    #[error("no payment model is trained yet; run POST /jobs/scoring/train first")]
    NoModel,

    /// A stored model or metrics could not be read back.
    #[error("stored model {version} cannot be read: {message}")]
    StoredModel {
        /// The model version.
        version: i64,
        /// What is wrong with it.
        message: String,
    },

    /// A payment-history file has a value that cannot be read.
    #[error("payment history line {line}, column `{column}`: {problem}")]
    PaymentHistory {
        /// The line, 1 being the header.
        line: usize,
        /// The column at fault.
        column: String,
        /// What is wrong, quoting the value.
        problem: String,
    },

    /// The system of record failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ScoringError> for ApiError {
    /// Storage failures keep their own mapping; a model that cannot be
    /// trained or used yet is a conflict with the ledger's state the caller
    /// can resolve; the rest is ours.
    fn from(error: ScoringError) -> ApiError {
        match error {
            ScoringError::Store(store) => store.into(),
            ScoringError::NotScored { .. } => ApiError::not_found(error.to_string()),
            ScoringError::TooFewExamples { .. }
            | ScoringError::SingleOutcome { .. }
            | ScoringError::NoModel
            | ScoringError::OutdatedModel { .. } => ApiError::conflict(error.to_string()),
            _ => ApiError::internal(&error),
        }
    }
}
