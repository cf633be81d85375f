//! `GET /api/v1/bank/transactions`: the bank transactions, by booking day,
//! filtered by account, days and status.

use relance_api::ApiError;
use relance_bank_feed::query::TransactionQuery;
use relance_store::bank::list_transactions;
use relance_web::{authenticate, json_response, open_database};
use spin_sdk::http::{Request, Response};

/// Lists transactions. Bank lines name every payer, so callers confined to
/// a portfolio (sales, collectors) may not list them.
pub fn list(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    if principal.role.needs_portfolio() {
        return Err(ApiError::forbidden(format!(
            "a {} token sees its own portfolio only, and bank transactions name every payer; \
             ask a manager",
            principal.role
        )));
    }
    let query = TransactionQuery::parse(request.query())?;

    let listing = list_transactions(&db, &query.filter, &query.page)?;
    json_response(200, &listing)
}
