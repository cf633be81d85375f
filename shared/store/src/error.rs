//! What can go wrong when reading or writing the system of record, and which
//! of those failures are the caller's to fix.

use relance_api::ApiError;
use relance_ledger::money::MoneyError;

/// A storage failure: the database refused a statement, a migration failed, or
/// a stored value is not what the schema promises.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused or failed a statement.
    #[error("the database failed on `{statement}`: {message}")]
    Sqlite {
        /// The first line of the statement, to find it in the code.
        statement: String,
        /// SQLite's own explanation.
        message: String,
    },

    /// The database could not be opened at all.
    #[error(
        "the database {database:?} cannot be opened: {message}; check that the component \
         is granted it in spin.toml (`sqlite_databases`) or that the path is writable"
    )]
    Unavailable {
        /// The database's label or path.
        database: String,
        /// Why it could not be opened.
        message: String,
    },

    /// A schema migration failed; the database is left at the previous version.
    #[error("migration {version} ({name}) failed: {message}")]
    Migration {
        /// The migration's version number.
        version: i64,
        /// The migration's file name.
        name: &'static str,
        /// The underlying failure.
        message: String,
    },

    /// A query did not return a column the code reads.
    #[error("the query result has no column `{column}`; the query and the code disagree")]
    MissingColumn {
        /// The column name looked up.
        column: String,
    },

    /// A stored value does not have the type or shape the schema promises.
    #[error("column `{column}` holds {found}, expected {expected}")]
    UnexpectedValue {
        /// The column read.
        column: String,
        /// What the code expected (`an integer`, `a decimal amount`, ...).
        expected: &'static str,
        /// What was found, quoted.
        found: String,
    },

    /// Nothing with this identity exists, or the caller may not see it.
    #[error("{what} {id} does not exist or is outside your portfolio")]
    NotFound {
        /// What was looked up (`invoice`, `customer`, `token`, ...).
        what: &'static str,
        /// The identity looked up.
        id: String,
    },

    /// Something with this identity is already stored.
    #[error("{what} {id} already exists; update it instead of creating it again")]
    AlreadyExists {
        /// What was created.
        what: &'static str,
        /// Its identity.
        id: String,
    },

    /// A change names an invoice that is not stored (yet).
    #[error("invoice {reference} is not known; send the invoice first, then replay this change")]
    UnknownInvoice {
        /// How the change names the invoice.
        reference: String,
    },

    /// A change names a credit note that is not stored (yet).
    #[error(
        "credit note {reference} is not known; send the credit note first, then replay this change"
    )]
    UnknownCreditNote {
        /// How the change names the credit note.
        reference: String,
    },

    /// An invoice number that several stored invoices share.
    #[error(
        "invoice number {number:?} is used by more than one invoice; \
         name the invoice by its platform and external id"
    )]
    AmbiguousInvoice {
        /// The number quoted.
        number: String,
    },

    /// A document or payment in another currency than the invoice it settles.
    #[error(
        "{document} is in {found} but invoice {invoice} is in {expected}; \
         amounts in different currencies are never offset"
    )]
    CurrencyMismatch {
        /// The credit note, allocation or promise at fault.
        document: String,
        /// The invoice concerned.
        invoice: String,
        /// The invoice's currency.
        expected: &'static str,
        /// The currency received.
        found: &'static str,
    },

    /// A status change the invoice life cycle forbids (a void invoice never
    /// changes again, a paid one cannot be voided).
    #[error(
        "invoice {invoice} cannot go from {from} to {to}; \
         issue a credit note or a new invoice instead"
    )]
    ForbiddenTransition {
        /// The invoice concerned.
        invoice: String,
        /// Its stored status.
        from: String,
        /// The status received.
        to: String,
    },

    /// A token scope that does not suit its role.
    #[error(
        "a {role} token cannot have the scope {scope}; sales tokens are limited to \
         an owner, collector tokens to a collector, other roles see everything"
    )]
    InvalidScope {
        /// The role asked for.
        role: String,
        /// The scope asked for.
        scope: String,
    },

    /// An allocation larger than what the payment or the invoice has left.
    #[error(
        "{what} has {available} left to allocate, not {amount}; lower the amount or undo \
         the allocation that took the rest"
    )]
    OverAllocation {
        /// The payment or invoice concerned.
        what: String,
        /// The amount asked for.
        amount: String,
        /// What it has left.
        available: String,
    },

    /// A suggestion or allocation a person or the matcher already decided.
    #[error("{what} {id} is already {status}; list it again to see where it stands")]
    AlreadyDecided {
        /// `suggestion`, `allocation` or `bank transaction`.
        what: &'static str,
        /// Its id.
        id: i64,
        /// Where it stands.
        status: String,
    },

    /// A match that cannot be made as asked.
    #[error("{reason}")]
    InvalidMatch {
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// Amounts that cannot be combined (different currencies, overflow).
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl StoreError {
    /// A failure reported by SQLite for `sql`.
    pub fn sqlite(sql: &str, message: impl ToString) -> StoreError {
        StoreError::Sqlite {
            statement: first_line(sql),
            message: message.to_string(),
        }
    }
}

impl StoreError {
    /// Whether the caller can fix this by changing what they sent (4xx), as
    /// opposed to a failure on our side (5xx).
    pub fn is_callers_fault(&self) -> bool {
        !matches!(
            self,
            StoreError::Sqlite { .. }
                | StoreError::Unavailable { .. }
                | StoreError::Migration { .. }
                | StoreError::MissingColumn { .. }
                | StoreError::UnexpectedValue { .. }
        )
    }
}

impl From<StoreError> for ApiError {
    /// 404 for what is missing or hidden, 409 for what clashes with the stored
    /// state, 400 for other faults of the caller, 500 (logged) for ours.
    fn from(error: StoreError) -> ApiError {
        match &error {
            StoreError::NotFound { .. } => ApiError::not_found(error.to_string()),
            StoreError::AlreadyExists { .. }
            | StoreError::ForbiddenTransition { .. }
            | StoreError::OverAllocation { .. }
            | StoreError::AlreadyDecided { .. } => ApiError::conflict(error.to_string()),
            _ if error.is_callers_fault() => ApiError::bad_request(error.to_string()),
            _ => ApiError::internal(&error),
        }
    }
}

fn first_line(sql: &str) -> String {
    let line = sql.trim().lines().next().unwrap_or_default().trim();
    let mut shortened: String = line.chars().take(120).collect();
    if shortened.len() < line.len() {
        shortened.push('…');
    }
    shortened
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_map_to_the_status_the_caller_needs() {
        let table = [
            (
                StoreError::NotFound {
                    what: "invoice",
                    id: "7".into(),
                },
                404,
            ),
            (
                StoreError::AlreadyExists {
                    what: "customer",
                    id: "manual:C-1".into(),
                },
                409,
            ),
            (
                StoreError::UnknownInvoice {
                    reference: "sellsy:inv_1".into(),
                },
                400,
            ),
            (StoreError::sqlite("SELECT 1", "disk I/O error"), 500),
        ];

        for (error, status) in table {
            assert_eq!(ApiError::from(error.clone()).status, status, "{error}");
        }
    }

    #[test]
    fn database_failures_never_reach_the_caller() {
        let error = StoreError::sqlite("SELECT secret_column FROM api_tokens", "disk I/O error");

        let answer = ApiError::from(error);

        assert!(!answer.message.contains("api_tokens"), "{}", answer.message);
        assert!(!answer.message.contains("disk"), "{}", answer.message);
    }
}
