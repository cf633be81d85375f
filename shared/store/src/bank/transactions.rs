//! Bank transactions: stored once per fingerprint, listed by account, day and
//! status.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use relance_api::Page;
use relance_bank_statements::{AccountRef, BankTransaction, TransactionStatus, fingerprint};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

use crate::listing::{Conditions, SORT_KEY, SortKey, into_listing};
use crate::{Database, Listing, Row, StoreError, Value};

/// Where a transaction was first received from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionSource {
    /// A statement file uploaded to `POST /api/v1/bank/statements`.
    File,
    /// GoCardless Bank Account Data.
    Gocardless,
    /// A bank's Berlin Group NextGenPSD2 interface.
    BerlinGroup,
    /// Plaid `/transactions/sync`.
    Plaid,
}

impl TransactionSource {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionSource::File => "file",
            TransactionSource::Gocardless => "gocardless",
            TransactionSource::BerlinGroup => "berlin_group",
            TransactionSource::Plaid => "plaid",
        }
    }

    fn parse(text: &str) -> Result<TransactionSource, StoreError> {
        [
            TransactionSource::File,
            TransactionSource::Gocardless,
            TransactionSource::BerlinGroup,
            TransactionSource::Plaid,
        ]
        .into_iter()
        .find(|source| source.as_str() == text)
        .ok_or_else(|| unexpected("source", "file, gocardless, berlin_group or plaid", text))
    }
}

/// A transaction as received, with the source's own identifier for it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcedTransaction {
    /// The normalised transaction.
    pub transaction: BankTransaction,
    /// The source's identifier: the API's transaction id, or the file's
    /// statement id. Needed to remove what a bank API withdraws.
    pub source_id: Option<String>,
}

/// What storing a batch of transactions did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StoreOutcome {
    /// New transactions stored.
    pub inserted: u32,
    /// Transactions already stored; nothing changed.
    pub duplicates: u32,
    /// Pending transactions now received booked, updated in place.
    pub booked: u32,
}

/// Stores `transactions` of `account`, each once: a fingerprint already
/// stored is a duplicate, except that a booked copy replaces a pending one.
///
/// Two identical transactions in one batch (same day, amount and text, no
/// reference) are two payments: the second is stored under its fingerprint
/// with `#2` appended, so a batch received again still inserts nothing.
/// Everything is stored in one database transaction, or nothing is.
pub fn store_transactions(
    db: &impl Database,
    account: &AccountRef,
    source: TransactionSource,
    transactions: &[SourcedTransaction],
    received_at: DateTime<Utc>,
) -> Result<StoreOutcome, StoreError> {
    db.transaction(|db| {
        let account_id = ensure_account(db, account, received_at)?;
        let mut outcome = StoreOutcome::default();
        let mut occurrences: HashMap<String, u32> = HashMap::new();

        for sourced in transactions {
            let base = fingerprint(account, &sourced.transaction);
            let occurrence = occurrences.entry(base.clone()).or_insert(0);
            *occurrence += 1;
            let identity = match *occurrence {
                1 => base,
                n => format!("{base}#{n}"),
            };

            let row = StoredRow {
                account_id,
                source,
                sourced,
                fingerprint: &identity,
                at: received_at,
            };
            match store_one(db, &row)? {
                Stored::Inserted => outcome.inserted += 1,
                Stored::Duplicate => outcome.duplicates += 1,
                Stored::Booked => outcome.booked += 1,
            }
        }
        Ok(outcome)
    })
}

/// Removes transactions a bank API withdrew (Plaid's `removed`: a pending
/// item that was dropped or booked under another id). Transactions already
/// matched to invoices are kept for the team to review. Returns how many
/// were removed.
pub fn remove_transactions(
    db: &impl Database,
    source: TransactionSource,
    source_ids: &[String],
) -> Result<u32, StoreError> {
    let mut removed = 0;
    for source_id in source_ids {
        let rows = db.execute(
            "DELETE FROM bank_transactions
             WHERE source = ? AND source_id = ? AND reconciliation_status = 'unmatched'
             RETURNING id",
            &[source.as_str().into(), source_id.into()],
        )?;
        removed += u32::try_from(rows.len()).unwrap_or(u32::MAX);
    }
    Ok(removed)
}

/// The account key of statements that name no account (some MT940 exports
/// leave out `:25:`): their transactions are kept, under this key, for the
/// team to see rather than lost.
pub const UNIDENTIFIED_ACCOUNT: &str = "UNIDENTIFIED";

/// The account's row id, created on first sight.
fn ensure_account(
    db: &impl Database,
    account: &AccountRef,
    at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let key = account_key(account).unwrap_or_else(|| UNIDENTIFIED_ACCOUNT.to_owned());

    let rows = db.execute(
        "INSERT INTO bank_accounts (account_key, iban, number, bank_id, created_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (account_key) DO UPDATE SET
             iban = COALESCE(bank_accounts.iban, excluded.iban),
             bank_id = COALESCE(bank_accounts.bank_id, excluded.bank_id)
         RETURNING id",
        &[
            key.into(),
            account.iban.as_deref().into(),
            account.number.as_deref().into(),
            account.bank_id.as_deref().into(),
            at.into(),
        ],
    )?;
    single_id(&rows)
}

/// How an account is known: its IBAN, else its number, upper case without
/// spaces (the same key the fingerprint uses).
fn account_key(account: &AccountRef) -> Option<String> {
    account
        .iban
        .as_deref()
        .or(account.number.as_deref())
        .map(|key| {
            key.split_whitespace()
                .collect::<String>()
                .to_ascii_uppercase()
        })
        .filter(|key| !key.is_empty())
}

fn single_id(rows: &crate::Rows) -> Result<i64, StoreError> {
    rows.first()
        .ok_or_else(|| StoreError::MissingColumn {
            column: "id".to_owned(),
        })?
        .integer("id")
}

/// One transaction on its way into the table.
struct StoredRow<'a> {
    account_id: i64,
    source: TransactionSource,
    sourced: &'a SourcedTransaction,
    fingerprint: &'a str,
    at: DateTime<Utc>,
}

enum Stored {
    Inserted,
    Duplicate,
    Booked,
}

fn store_one(db: &impl Database, row: &StoredRow<'_>) -> Result<Stored, StoreError> {
    let existing = db.execute(
        "SELECT id, status FROM bank_transactions WHERE fingerprint = ?",
        &[row.fingerprint.into()],
    )?;
    let incoming = row.sourced.transaction.status;

    match existing.first() {
        None => {
            insert(db, row)?;
            Ok(Stored::Inserted)
        }
        Some(stored)
            if stored.text("status")? == "pending" && incoming == TransactionStatus::Booked =>
        {
            replace(db, stored.integer("id")?, row)?;
            Ok(Stored::Booked)
        }
        Some(_) => Ok(Stored::Duplicate),
    }
}

/// The columns describing the transaction itself, in the order
/// [`described`] gives their values.
const DESCRIBED_COLUMNS: [&str; 14] = [
    "booking_date",
    "value_date",
    "amount",
    "currency",
    "status",
    "counterparty_name",
    "counterparty_iban",
    "end_to_end_id",
    "customer_reference",
    "bank_reference",
    "remittance",
    "reversal",
    "bank_transaction_code",
    "description",
];

fn described(transaction: &BankTransaction) -> Vec<Value> {
    let remittance = json!({
        "unstructured": transaction.remittance.unstructured,
        "structured_references": transaction.remittance.structured_references,
    });
    vec![
        transaction.booking_date.into(),
        transaction.value_date.into(),
        transaction.amount.into(),
        transaction.currency.as_ref().map(|c| c.code()).into(),
        status_name(transaction.status).into(),
        transaction.counterparty_name.as_deref().into(),
        transaction.counterparty_iban.as_deref().into(),
        transaction.end_to_end_id.as_deref().into(),
        transaction.customer_reference.as_deref().into(),
        transaction.bank_reference.as_deref().into(),
        remittance.to_string().into(),
        transaction.reversal.into(),
        transaction.bank_transaction_code.as_deref().into(),
        transaction.raw_description.as_str().into(),
    ]
}

fn insert(db: &impl Database, row: &StoredRow<'_>) -> Result<(), StoreError> {
    let mut columns: Vec<&str> = DESCRIBED_COLUMNS.to_vec();
    columns.extend([
        "account_id",
        "fingerprint",
        "source",
        "source_id",
        "first_seen_at",
        "updated_at",
    ]);
    let mut params = described(&row.sourced.transaction);
    params.extend([
        Value::Integer(row.account_id),
        row.fingerprint.into(),
        row.source.as_str().into(),
        row.sourced.source_id.as_deref().into(),
        row.at.into(),
        row.at.into(),
    ]);

    let placeholders = vec!["?"; columns.len()].join(", ");
    db.execute(
        &format!(
            "INSERT INTO bank_transactions ({}) VALUES ({placeholders})",
            columns.join(", ")
        ),
        &params,
    )?;
    Ok(())
}

/// Replaces a pending transaction by its booked copy, keeping its id and
/// when it was first seen.
fn replace(db: &impl Database, id: i64, row: &StoredRow<'_>) -> Result<(), StoreError> {
    let assignments: Vec<String> = DESCRIBED_COLUMNS
        .iter()
        .map(|column| format!("{column} = ?"))
        .collect();
    let mut params = described(&row.sourced.transaction);
    params.extend([
        row.source.as_str().into(),
        row.sourced.source_id.as_deref().into(),
        row.at.into(),
        Value::Integer(id),
    ]);

    db.execute(
        &format!(
            "UPDATE bank_transactions SET {}, source = ?, source_id = ?, updated_at = ?
             WHERE id = ?",
            assignments.join(", ")
        ),
        &params,
    )?;
    Ok(())
}

fn status_name(status: TransactionStatus) -> &'static str {
    match status {
        TransactionStatus::Booked => "booked",
        TransactionStatus::Pending => "pending",
    }
}

/// Which transactions to list. Every field left `None` keeps everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionFilter {
    /// The account's IBAN or number (spaces and case ignored).
    pub account: Option<String>,
    /// First booking day kept.
    pub from: Option<NaiveDate>,
    /// Last booking day kept.
    pub to: Option<NaiveDate>,
    /// Booked or pending only.
    pub status: Option<TransactionStatus>,
}

impl TransactionFilter {
    /// The only order transactions are listed in, as named in cursors.
    pub const SORT: &'static str = "booking_date";
}

/// A stored transaction, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredTransaction {
    /// Row id.
    pub id: i64,
    /// The account's IBAN, else its number.
    pub account: String,
    /// The day the bank booked it.
    pub booking_date: NaiveDate,
    /// The value date, when given.
    pub value_date: Option<NaiveDate>,
    /// Signed amount: money received is positive.
    pub amount: Decimal,
    /// ISO 4217 code, when the source states one.
    pub currency: Option<String>,
    /// `booked` or `pending`.
    pub status: String,
    /// The payer of a credit, the payee of a debit.
    pub counterparty_name: Option<String>,
    /// The other party's IBAN or account number.
    pub counterparty_iban: Option<String>,
    /// The payer's end-to-end reference.
    pub end_to_end_id: Option<String>,
    /// The account owner's reference.
    pub customer_reference: Option<String>,
    /// The bank's reference.
    pub bank_reference: Option<String>,
    /// `{"unstructured": [...], "structured_references": [...]}`.
    pub remittance: serde_json::Value,
    /// Whether it reverses an earlier entry.
    pub reversal: bool,
    /// The bank transaction code.
    pub bank_transaction_code: Option<String>,
    /// The bank's description as received.
    pub description: String,
    /// The de-duplication identity.
    pub fingerprint: String,
    /// Where it was first received from.
    pub source: TransactionSource,
    /// The source's identifier for it.
    pub source_id: Option<String>,
    /// When it was first received.
    pub first_seen_at: DateTime<Utc>,
    /// `unmatched` until reconciliation allocates it.
    pub reconciliation_status: String,
}

impl StoredTransaction {
    fn from_row(row: &Row<'_>) -> Result<StoredTransaction, StoreError> {
        let remittance_text = row.text("remittance")?;
        let remittance = serde_json::from_str(remittance_text)
            .map_err(|_| unexpected("remittance", "a JSON object", remittance_text))?;
        let owned = |column: &str| -> Result<Option<String>, StoreError> {
            Ok(row.optional_text(column)?.map(str::to_owned))
        };

        Ok(StoredTransaction {
            id: row.integer("id")?,
            account: row.text("account_key")?.to_owned(),
            booking_date: row.date("booking_date")?,
            value_date: row.optional_date("value_date")?,
            amount: row.decimal("amount")?,
            currency: owned("currency")?,
            status: row.text("status")?.to_owned(),
            counterparty_name: owned("counterparty_name")?,
            counterparty_iban: owned("counterparty_iban")?,
            end_to_end_id: owned("end_to_end_id")?,
            customer_reference: owned("customer_reference")?,
            bank_reference: owned("bank_reference")?,
            remittance,
            reversal: row.boolean("reversal")?,
            bank_transaction_code: owned("bank_transaction_code")?,
            description: row.text("description")?.to_owned(),
            fingerprint: row.text("fingerprint")?.to_owned(),
            source: TransactionSource::parse(row.text("source")?)?,
            source_id: owned("source_id")?,
            first_seen_at: row.timestamp("first_seen_at")?,
            reconciliation_status: row.text("reconciliation_status")?.to_owned(),
        })
    }
}

/// Transactions by booking day (then arrival), one page at a time.
pub fn list_transactions(
    db: &impl Database,
    filter: &TransactionFilter,
    page: &Page,
) -> Result<Listing<StoredTransaction>, StoreError> {
    let mut conditions = Conditions::default();
    if let Some(account) = &filter.account {
        let key = account
            .split_whitespace()
            .collect::<String>()
            .to_ascii_uppercase();
        conditions.add("a.account_key = ?", [key.into()]);
    }
    if let Some(from) = filter.from {
        conditions.add("t.booking_date >= ?", [from.into()]);
    }
    if let Some(to) = filter.to {
        conditions.add("t.booking_date <= ?", [to.into()]);
    }
    if let Some(status) = filter.status {
        conditions.add("t.status = ?", [status_name(status).into()]);
    }

    let sort = SortKey {
        column: "t.booking_date",
        numeric: false,
        id_column: "t.id",
    };
    let (order_by, limit) = sort.paginate(Default::default(), page, &mut conditions);
    let mut params = conditions.params;
    params.push(limit);

    let rows = db.execute(
        &format!(
            "SELECT t.*, a.account_key, t.booking_date AS {SORT_KEY}
             FROM bank_transactions t JOIN bank_accounts a ON a.id = t.account_id
             WHERE 1 = 1{}{order_by}",
            conditions.sql
        ),
        &params,
    )?;
    into_listing(
        &rows,
        page,
        TransactionFilter::SORT.to_owned(),
        StoredTransaction::from_row,
    )
}

fn unexpected(column: &str, expected: &'static str, found: &str) -> StoreError {
    StoreError::UnexpectedValue {
        column: column.to_owned(),
        expected,
        found: format!("the text {found:?}"),
    }
}
