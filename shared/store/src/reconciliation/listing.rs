//! The matches a person reviews: suggestions waiting for a decision, and
//! the applied, rejected and undone ones, each with its bank transaction.

use chrono::{DateTime, NaiveDate, Utc};
use relance_api::Page;
use rust_decimal::Decimal;
use serde::Serialize;

use super::decisions::{MatchLine, stored_record};
use crate::listing::{Conditions, SORT_KEY, SortKey, into_listing};
use crate::{Database, Listing, Row, StoreError};

/// Where a match stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchStatus {
    /// Waiting for a person.
    #[default]
    Suggested,
    /// Allocations made.
    Applied,
    /// Refused by a person.
    Rejected,
    /// Applied, then undone.
    Undone,
    /// Set aside for another match.
    Superseded,
}

impl MatchStatus {
    /// Every status, in the order the API lists them.
    pub const ALL: [MatchStatus; 5] = [
        MatchStatus::Suggested,
        MatchStatus::Applied,
        MatchStatus::Rejected,
        MatchStatus::Undone,
        MatchStatus::Superseded,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchStatus::Suggested => "suggested",
            MatchStatus::Applied => "applied",
            MatchStatus::Rejected => "rejected",
            MatchStatus::Undone => "undone",
            MatchStatus::Superseded => "superseded",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<MatchStatus> {
        MatchStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// A match as the review screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchView {
    /// The match's id: accept or reject it by this id.
    pub id: i64,
    /// `suggested`, `applied`, `rejected`, `undone` or `superseded`.
    pub status: String,
    /// Its place among the transaction's suggestions, best first.
    pub rank: i64,
    /// From 0 to 1.
    pub confidence: f64,
    /// The reasons in plain words.
    pub explanation: String,
    /// The rules that fired.
    pub evidence: serde_json::Value,
    /// What it allocates.
    pub allocations: Vec<MatchLine>,
    /// Payment minus what the items had left: negative when short.
    pub residual: Decimal,
    /// The allocations it made, while applied: undo any of them to undo it.
    pub allocation_ids: Vec<i64>,
    /// `matcher`, or the token that decided.
    pub decided_by: Option<String>,
    /// When it was proposed.
    pub created_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// The payment.
    pub transaction: TransactionSummary,
}

/// The bank transaction a match is for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransactionSummary {
    /// Its id.
    pub id: i64,
    /// The day it was booked.
    pub booking_date: NaiveDate,
    /// Signed amount.
    pub amount: Decimal,
    /// ISO 4217 code.
    pub currency: Option<String>,
    /// The payer's name.
    pub counterparty_name: Option<String>,
    /// The payer's account.
    pub counterparty_iban: Option<String>,
    /// The remittance information.
    pub remittance: serde_json::Value,
}

/// The matches in `status`, oldest first.
pub fn list_matches(
    db: &impl Database,
    status: MatchStatus,
    page: &Page,
) -> Result<Listing<MatchView>, StoreError> {
    let mut conditions = Conditions::default();
    conditions.add("m.status = ?", [status.as_str().into()]);
    let (order_by, limit) = MATCH_ORDER.paginate(Default::default(), page, &mut conditions);

    let mut params = conditions.params;
    params.push(limit);
    let rows = db.execute(
        &format!(
            "SELECT m.*, CAST(m.id AS TEXT) AS {SORT_KEY},
                t.booking_date, t.amount, t.currency AS transaction_currency,
                t.counterparty_name, t.counterparty_iban, t.remittance,
                (SELECT group_concat(a.id, ' ') FROM allocations a
                  WHERE a.match_id = m.id AND a.reversed_at IS NULL) AS allocation_ids
             FROM reconciliation_matches m
             JOIN bank_transactions t ON t.id = m.bank_transaction_id
             WHERE 1 = 1{}{order_by}",
            conditions.sql
        ),
        &params,
    )?;
    into_listing(&rows, page, MATCH_ORDER.column.to_owned(), match_view)
}

/// Matches are listed in the order they were proposed.
const MATCH_ORDER: SortKey = SortKey {
    column: "m.id",
    numeric: true,
    id_column: "m.id",
};

fn match_view(row: &Row<'_>) -> Result<MatchView, StoreError> {
    let record = stored_record(row)?;
    let remittance_text = row.text("remittance")?;
    let allocation_ids = row
        .optional_text("allocation_ids")?
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|id| id.parse().ok())
        .collect();
    let owned = |column: &str| -> Result<Option<String>, StoreError> {
        Ok(row.optional_text(column)?.map(str::to_owned))
    };

    Ok(MatchView {
        id: row.integer("id")?,
        status: row.text("status")?.to_owned(),
        rank: row.integer("rank")?,
        confidence: record.confidence,
        explanation: record.explanation,
        evidence: record.evidence,
        allocations: record.lines,
        residual: record.residual,
        allocation_ids,
        decided_by: owned("decided_by")?,
        created_at: row.timestamp("created_at")?,
        decided_at: row.optional_timestamp("decided_at")?,
        transaction: TransactionSummary {
            id: row.integer("bank_transaction_id")?,
            booking_date: row.date("booking_date")?,
            amount: row.decimal("amount")?,
            currency: owned("transaction_currency")?,
            counterparty_name: owned("counterparty_name")?,
            counterparty_iban: owned("counterparty_iban")?,
            remittance: serde_json::from_str(remittance_text).unwrap_or(serde_json::Value::Null),
        },
    })
}
