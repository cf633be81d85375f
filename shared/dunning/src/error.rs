//! The errors of dunning's storage and API, and the HTTP answer each is.

use relance_api::ApiError;
use relance_store::StoreError;

use crate::interest::InterestError;
use crate::policy::PolicyError;
use crate::tasks::OutcomeError;
use crate::template::TemplateError;

/// Everything dunning's storage functions can refuse or fail with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DunningError {
    /// The system of record failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),

    /// A policy that cannot be followed.
    #[error(transparent)]
    Policy(#[from] PolicyError),

    /// A template that cannot be rendered.
    #[error(transparent)]
    Template(#[from] TemplateError),

    /// A reference rate that cannot be used.
    #[error(transparent)]
    Interest(#[from] InterestError),

    /// A task outcome that cannot be recorded.
    #[error(transparent)]
    Outcome(#[from] OutcomeError),

    /// Something named that does not exist or is outside the caller's
    /// portfolio.
    #[error("{what} {id} does not exist or is outside your portfolio")]
    NotFound {
        /// `task`, `policy`, `message`, ...
        what: &'static str,
        /// The id given.
        id: String,
    },

    /// A request that contradicts what is stored.
    #[error("{0}")]
    Conflict(String),

    /// A request the caller must correct.
    #[error("{0}")]
    Invalid(String),
}

impl From<DunningError> for ApiError {
    /// 404 for what is missing, 409 for conflicts, 400 for the caller's
    /// other mistakes, 500 (logged) for ours.
    fn from(error: DunningError) -> ApiError {
        match error {
            DunningError::Store(store) => ApiError::from(store),
            DunningError::NotFound { .. } => ApiError::not_found(error.to_string()),
            DunningError::Conflict(_) => ApiError::conflict(error.to_string()),
            DunningError::Interest(InterestError::Money(_)) => ApiError::internal(&error),
            DunningError::Policy(_)
            | DunningError::Template(_)
            | DunningError::Interest(_)
            | DunningError::Outcome(_)
            | DunningError::Invalid(_) => {
                ApiError::bad_request(error.to_string()).with_code("invalid_dunning_request")
            }
        }
    }
}
