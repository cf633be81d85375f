//! `POST /api/v1/bank/statements`: a statement file as the bank sent it.
//! The file is kept raw in the inbox first; its transactions are then stored
//! once each, so uploading the same file again inserts nothing.

use chrono::{DateTime, Utc};
use relance_api::ApiError;
use relance_bank_feed::query::UploadQuery;
use relance_bank_statements::{
    Statement, StatementError, StatementFormat, detect_format, parse_csv_statement, parse_statement,
};
use relance_store::bank::{
    SourcedTransaction, StoreOutcome, TransactionSource, store_transactions,
};
use relance_store::{ApplyOutcome, Database, inbox};
use relance_web::{authenticate, json_response, open_database, read_body};
use serde_json::json;
use spin_sdk::http::{Request, Response};

/// The largest statement file accepted: a year of a busy account in camt.053.
pub const STATEMENT_LIMIT_BYTES: usize = 32 * 1024 * 1024;

/// The inbox source and kind statement files are kept under.
const INBOX_SOURCE: &str = "bank-statement";
const INBOX_KIND: &str = "statement_file";

/// Receives a statement file: kept raw, read, its transactions stored.
pub fn upload(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?.require_settings()?;
    let query = UploadQuery::parse(request.query())?;
    let body = read_body(request, STATEMENT_LIMIT_BYTES)?;

    let now = Utc::now();
    let entry = inbox::receive(&db, INBOX_SOURCE, INBOX_KIND, body, now)?;

    match import(&db, &query, body, now) {
        Ok(imported) => {
            let outcome = if imported.stored.inserted + imported.stored.booked > 0 {
                ApplyOutcome::Applied
            } else {
                ApplyOutcome::Duplicate
            };
            inbox::mark_applied(&db, entry.id, outcome, now)?;
            tracing::info!(
                target: "relance.bank_feed.statement",
                inbox_id = entry.id,
                format = %imported.format,
                inserted = imported.stored.inserted,
                duplicates = imported.stored.duplicates,
                "statement file imported"
            );
            let reconciliation = (outcome == ApplyOutcome::Applied)
                .then(crate::reconcile::reconcile_new_transactions);
            json_response(
                200,
                &json!({
                    "format": imported.format.to_string(),
                    "statements": imported.statements,
                    "transactions": imported.stored,
                    "inbox_id": entry.id,
                    "reconciliation": reconciliation,
                }),
            )
        }
        Err(error) => {
            inbox::mark_failed(&db, entry.id, &error.message, now)?;
            Err(error)
        }
    }
}

/// What one file brought.
struct Imported {
    format: StatementFormat,
    statements: usize,
    stored: StoreOutcome,
}

fn import(
    db: &impl Database,
    query: &UploadQuery,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Imported, ApiError> {
    let (format, statements) = read(query, body).map_err(unreadable)?;

    let mut stored = StoreOutcome::default();
    for statement in &statements {
        let batch = sourced(statement);
        let outcome =
            store_transactions(db, &statement.account, TransactionSource::File, &batch, now)?;
        stored.inserted += outcome.inserted;
        stored.duplicates += outcome.duplicates;
        stored.booked += outcome.booked;
    }
    Ok(Imported {
        format,
        statements: statements.len(),
        stored,
    })
}

/// The parser's explanation, with the route's own way to give a CSV mapping.
fn unreadable(error: StatementError) -> ApiError {
    let message = match error {
        StatementError::CsvMappingRequired => "the file looks like CSV (or plain text): CSV \
             layouts differ per bank, so add `format=csv` and the column mapping to the query \
             (iban, booking_date, amount, currency, ...)"
            .to_owned(),
        other => other.to_string(),
    };
    ApiError::bad_request(format!("the statement file cannot be read: {message}"))
        .with_code("invalid_statement")
}

fn read(
    query: &UploadQuery,
    body: &[u8],
) -> Result<(StatementFormat, Vec<Statement>), StatementError> {
    match query {
        UploadQuery::Detect => {
            let format = detect_format(body)?;
            Ok((format, parse_statement(body)?))
        }
        UploadQuery::Csv(mapping) => Ok((
            StatementFormat::Csv,
            vec![parse_csv_statement(body, mapping)?],
        )),
    }
}

fn sourced(statement: &Statement) -> Vec<SourcedTransaction> {
    statement
        .transactions
        .iter()
        .map(|transaction| SourcedTransaction {
            transaction: transaction.clone(),
            source_id: statement.statement_id.clone(),
        })
        .collect()
}
