//! What reconciliation writes: a match applied (payments allocated, credit
//! notes netted, a small shortfall written off), suggestions waiting for a
//! person, the person's decision, and the undoing of a match.
//!
//! A payment is never allocated beyond what it has left, nor an invoice
//! beyond what it still asks for; a transaction already decided is claimed
//! again only from the state it was read in, so two runs never apply twice.

use chrono::{DateTime, NaiveDate, Utc};
use relance_matching::{Evidence, MatchProposal};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ledger::{ItemRef, items_key};
use crate::apply::reverse_one;
use crate::settlement::{recompute, stored_currency};
use crate::{Database, Row, StoreError, Value};

/// Who decided a match: the matcher on its own, or the holder of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecidedBy {
    /// Applied automatically, above the confidence threshold.
    Matcher,
    /// Decided by the holder of this API token (0 is the bootstrap admin).
    Token(i64),
}

impl DecidedBy {
    fn as_text(self) -> String {
        match self {
            DecidedBy::Matcher => "matcher".to_owned(),
            DecidedBy::Token(id) => format!("token:{id}"),
        }
    }
}

/// One line of a match: the part of the payment an invoice receives, or a
/// credit note netted against the invoices (a negative amount).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchLine {
    /// The invoice or credit note.
    #[serde(flatten)]
    pub item: ItemRef,
    /// Its number, for people.
    pub number: String,
    /// Positive for an invoice, negative for a credit note.
    pub amount: Decimal,
}

/// A match as stored: what it allocates and why.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchRecord {
    /// From 0 to 1.
    pub confidence: f64,
    /// The reasons in plain words.
    pub explanation: String,
    /// The rules that fired, as JSON.
    pub evidence: serde_json::Value,
    /// What it allocates.
    pub lines: Vec<MatchLine>,
    /// Payment minus what the items had left: negative when short.
    pub residual: Decimal,
    /// Short by a bank fee or exchange difference within tolerance: the
    /// shortfall is written off when the match is applied.
    pub writes_off_shortfall: bool,
}

impl MatchRecord {
    /// The record of a matcher's proposal.
    pub fn from_proposal(proposal: &MatchProposal) -> Result<MatchRecord, StoreError> {
        let lines = proposal
            .allocations
            .iter()
            .map(|allocation| {
                let item = ItemRef::parse(&allocation.invoice_id).ok_or_else(|| {
                    StoreError::InvalidMatch {
                        reason: format!(
                            "the matcher named item {:?}, which is neither an invoice nor a \
                             credit note",
                            allocation.invoice_id
                        ),
                    }
                })?;
                Ok(MatchLine {
                    item,
                    number: allocation.number.clone(),
                    amount: allocation.amount,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let writes_off_shortfall = proposal.evidence.iter().any(|evidence| {
            matches!(evidence, Evidence::AmountWithinTolerance { difference, .. }
                if difference.is_sign_negative())
        });

        Ok(MatchRecord {
            confidence: proposal.confidence,
            explanation: proposal.explanation.clone(),
            evidence: serde_json::to_value(&proposal.evidence).map_err(|error| {
                StoreError::InvalidMatch {
                    reason: error.to_string(),
                }
            })?,
            lines,
            residual: proposal.residual,
            writes_off_shortfall,
        })
    }

    /// The key of the items it allocates.
    pub fn items_key(&self) -> String {
        let keys: Vec<String> = self.lines.iter().map(|line| line.item.key()).collect();
        items_key(keys.iter().map(String::as_str))
    }
}

/// A match applied: its id and the allocations it made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedMatch {
    /// The match's id.
    pub match_id: i64,
    /// The bank transaction it allocates.
    pub bank_transaction_id: i64,
    /// The allocations made, payments and write-offs.
    pub allocation_ids: Vec<i64>,
}

/// A bank transaction claimed for a decision, with what it has left.
#[derive(Debug, Clone)]
pub(crate) struct ClaimedTransaction {
    pub id: i64,
    pub amount: Decimal,
    pub currency: Option<String>,
    pub booking_date: NaiveDate,
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    /// Already allocated by earlier matches, not undone.
    pub allocated: Decimal,
}

impl ClaimedTransaction {
    fn unallocated(&self) -> Decimal {
        self.amount - self.allocated
    }
}

/// Reads the transaction when its reconciliation status is one of `from`;
/// `None` when it has moved on since it was read.
pub(crate) fn claim(
    db: &impl Database,
    transaction_id: i64,
    from: &[&str],
) -> Result<Option<ClaimedTransaction>, StoreError> {
    let rows = db.execute(
        "SELECT id, amount, currency, booking_date, counterparty_name, counterparty_iban,
            reconciliation_status, status, reversal
         FROM bank_transactions WHERE id = ?",
        &[Value::Integer(transaction_id)],
    )?;
    let row = rows.first().ok_or_else(|| StoreError::NotFound {
        what: "bank transaction",
        id: transaction_id.to_string(),
    })?;
    if !from.contains(&row.text("reconciliation_status")?) {
        return Ok(None);
    }
    if row.text("status")? != "booked" || row.boolean("reversal")? {
        return Err(StoreError::InvalidMatch {
            reason: format!(
                "bank transaction {transaction_id} is pending or a reversal; only booked \
                 payments are allocated to invoices"
            ),
        });
    }

    Ok(Some(ClaimedTransaction {
        id: transaction_id,
        amount: row.decimal("amount")?,
        currency: row.optional_text("currency")?.map(str::to_owned),
        booking_date: row.date("booking_date")?,
        counterparty_name: row.optional_text("counterparty_name")?.map(str::to_owned),
        counterparty_iban: row.optional_text("counterparty_iban")?.map(str::to_owned),
        allocated: allocated_from(db, transaction_id)?,
    }))
}

/// What the transaction's payments allocated, undone ones excluded.
fn allocated_from(db: &impl Database, transaction_id: i64) -> Result<Decimal, StoreError> {
    let rows = db.execute(
        "SELECT amount FROM allocations
         WHERE bank_transaction_id = ? AND source = 'bank' AND reversed_at IS NULL",
        &[Value::Integer(transaction_id)],
    )?;
    rows.iter().map(|row| row.decimal("amount")).sum()
}

/// Applies `record` to a claimed transaction: stores the match as applied,
/// sets aside its other suggestions, allocates, and settles the
/// transaction's status.
pub(crate) fn apply_claimed(
    db: &impl Database,
    transaction: &ClaimedTransaction,
    record: &MatchRecord,
    decided_by: DecidedBy,
    now: DateTime<Utc>,
) -> Result<AppliedMatch, StoreError> {
    supersede_suggestions(db, transaction.id, now)?;
    let match_id = insert_match(db, transaction, record, "applied", 1, decided_by, now)?;

    let allocation_ids = allocate(db, match_id, transaction, record, now)?;
    settle_transaction(db, transaction.id)?;
    Ok(AppliedMatch {
        match_id,
        bank_transaction_id: transaction.id,
        allocation_ids,
    })
}

/// Replaces the transaction's waiting suggestions with `records`, best first,
/// and puts it in review.
pub(crate) fn suggest(
    db: &impl Database,
    transaction: &ClaimedTransaction,
    records: &[MatchRecord],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    supersede_suggestions(db, transaction.id, now)?;
    for (rank, record) in (1..).zip(records) {
        insert_match(
            db,
            transaction,
            record,
            "suggested",
            rank,
            DecidedBy::Matcher,
            now,
        )?;
    }
    set_status(db, transaction.id, "review", None)
}

/// Leaves the transaction unmatched, saying why; its suggestions, if any,
/// are set aside.
pub(crate) fn leave_unmatched(
    db: &impl Database,
    transaction_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    supersede_suggestions(db, transaction_id, now)?;
    set_status(db, transaction_id, "unmatched", Some(reason))
}

/// Accepts a suggestion: its allocations are made, the transaction's other
/// suggestions set aside, and the payer's account and name remembered for
/// the customer.
pub fn accept_suggestion(
    db: &impl Database,
    match_id: i64,
    token_id: i64,
    now: DateTime<Utc>,
) -> Result<AppliedMatch, StoreError> {
    db.transaction(|db| {
        let (transaction_id, record) = suggestion(db, match_id)?;
        let transaction =
            claim(db, transaction_id, &["review"])?.ok_or_else(|| StoreError::AlreadyDecided {
                what: "bank transaction",
                id: transaction_id,
                status: "reconciled otherwise".to_owned(),
            })?;

        db.execute(
            "UPDATE reconciliation_matches SET status = 'applied', decided_by = ?,
                decided_at = ?
             WHERE id = ?",
            &[
                DecidedBy::Token(token_id).as_text().into(),
                now.into(),
                Value::Integer(match_id),
            ],
        )?;
        supersede_suggestions(db, transaction_id, now)?;
        let allocation_ids = allocate(db, match_id, &transaction, &record, now)?;
        settle_transaction(db, transaction_id)?;
        remember_payer(db, &transaction, &record.lines, now)?;

        Ok(AppliedMatch {
            match_id,
            bank_transaction_id: transaction_id,
            allocation_ids,
        })
    })
}

/// Rejects a suggestion: it is never proposed again for this transaction,
/// which goes back to unmatched once no suggestion is left.
pub fn reject_suggestion(
    db: &impl Database,
    match_id: i64,
    token_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    db.transaction(|db| {
        let (transaction_id, _) = suggestion(db, match_id)?;
        db.execute(
            "UPDATE reconciliation_matches SET status = 'rejected', decided_by = ?,
                decided_at = ?
             WHERE id = ?",
            &[
                DecidedBy::Token(token_id).as_text().into(),
                now.into(),
                Value::Integer(match_id),
            ],
        )?;

        let left = db.execute(
            "SELECT 1 FROM reconciliation_matches
             WHERE bank_transaction_id = ? AND status = 'suggested' LIMIT 1",
            &[Value::Integer(transaction_id)],
        )?;
        if left.is_empty() {
            set_status(
                db,
                transaction_id,
                "unmatched",
                Some("every suggestion was rejected; allocate it by hand"),
            )?;
        }
        Ok(())
    })
}

/// Allocates a payment by hand to invoices, each with its amount: recorded
/// as a match decided by the token's holder, which teaches the payer.
pub fn allocate_by_hand(
    db: &impl Database,
    transaction_id: i64,
    invoices: &[(i64, Decimal)],
    token_id: i64,
    now: DateTime<Utc>,
) -> Result<AppliedMatch, StoreError> {
    db.transaction(|db| {
        let transaction = claim(
            db,
            transaction_id,
            &["unmatched", "review", "partially_matched"],
        )?
        .ok_or_else(|| StoreError::AlreadyDecided {
            what: "bank transaction",
            id: transaction_id,
            status: "fully allocated".to_owned(),
        })?;

        let mut lines = Vec::with_capacity(invoices.len());
        for &(invoice_id, amount) in invoices {
            let invoice = invoice_state(db, invoice_id)?;
            let currency = stored_currency(&invoice.currency)?;
            if amount.scale() > currency.minor_units() {
                return Err(StoreError::InvalidMatch {
                    reason: format!(
                        "{amount} for invoice {} has more decimals than {} has ({}); round it",
                        invoice.number,
                        currency.code(),
                        currency.minor_units()
                    ),
                });
            }
            lines.push(MatchLine {
                item: ItemRef::Invoice(invoice_id),
                number: invoice.number,
                amount,
            });
        }
        let allocated: Decimal = invoices.iter().map(|(_, amount)| amount).sum();
        let record = MatchRecord {
            confidence: 1.0,
            explanation: "Allocated by hand".to_owned(),
            evidence: serde_json::Value::Array(Vec::new()),
            lines,
            residual: transaction.unallocated() - allocated,
            writes_off_shortfall: false,
        };

        let applied = apply_claimed(db, &transaction, &record, DecidedBy::Token(token_id), now)?;
        remember_payer(db, &transaction, &record.lines, now)?;
        Ok(applied)
    })
}

/// What undoing an allocation reversed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Undone {
    /// The match undone with it, when the allocation came from one.
    pub match_id: Option<i64>,
    /// Every allocation reversed: a match is undone as a whole.
    pub allocation_ids: Vec<i64>,
}

/// Undoes an allocation. One made by a match undoes the whole match (its
/// payments, write-off and netted credit notes): the invoices owe again what
/// it settled, the transaction is unmatched again, and the same match is
/// never applied automatically again.
pub fn undo_allocation(
    db: &impl Database,
    allocation_id: i64,
    token_id: i64,
    now: DateTime<Utc>,
) -> Result<Undone, StoreError> {
    db.transaction(|db| {
        let rows = db.execute(
            "SELECT match_id, bank_transaction_id, reversed_at FROM allocations WHERE id = ?",
            &[Value::Integer(allocation_id)],
        )?;
        let row = rows.first().ok_or_else(|| StoreError::NotFound {
            what: "allocation",
            id: allocation_id.to_string(),
        })?;
        if row.optional_text("reversed_at")?.is_some() {
            return Err(StoreError::AlreadyDecided {
                what: "allocation",
                id: allocation_id,
                status: "undone".to_owned(),
            });
        }

        let Some(match_id) = row.optional_integer("match_id")? else {
            reverse_one(db, allocation_id, now)?;
            return Ok(Undone {
                match_id: None,
                allocation_ids: vec![allocation_id],
            });
        };
        let allocation_ids = undo_match(db, match_id, token_id, now)?;
        if let Some(transaction_id) = row.optional_integer("bank_transaction_id")? {
            settle_transaction(db, transaction_id)?;
        }
        Ok(Undone {
            match_id: Some(match_id),
            allocation_ids,
        })
    })
}

fn undo_match(
    db: &impl Database,
    match_id: i64,
    token_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    let reversed = db.execute(
        "UPDATE allocations SET reversed_at = ? WHERE match_id = ? AND reversed_at IS NULL
         RETURNING id, invoice_id",
        &[now.into(), Value::Integer(match_id)],
    )?;
    let netted = db.execute(
        "SELECT i.id AS invoice_id FROM credit_notes n
         JOIN invoices i ON i.source = n.source AND i.external_id = n.invoice_external_id
         WHERE n.netted_by_match_id = ?",
        &[Value::Integer(match_id)],
    )?;
    db.execute(
        "UPDATE credit_notes SET invoice_external_id = NULL, netted_by_match_id = NULL
         WHERE netted_by_match_id = ?",
        &[Value::Integer(match_id)],
    )?;

    let mut invoices: Vec<i64> = reversed
        .iter()
        .chain(netted.iter())
        .map(|row| row.integer("invoice_id"))
        .collect::<Result<_, _>>()?;
    invoices.sort_unstable();
    invoices.dedup();
    for invoice_id in invoices {
        recompute(db, invoice_id)?;
    }

    db.execute(
        "UPDATE reconciliation_matches SET status = 'undone', decided_by = ?, decided_at = ?
         WHERE id = ?",
        &[
            DecidedBy::Token(token_id).as_text().into(),
            now.into(),
            Value::Integer(match_id),
        ],
    )?;
    reversed.iter().map(|row| row.integer("id")).collect()
}

/// The transaction and record of a suggestion still waiting for a person.
fn suggestion(db: &impl Database, match_id: i64) -> Result<(i64, MatchRecord), StoreError> {
    let rows = db.execute(
        "SELECT * FROM reconciliation_matches WHERE id = ?",
        &[Value::Integer(match_id)],
    )?;
    let row = rows.first().ok_or_else(|| StoreError::NotFound {
        what: "suggestion",
        id: match_id.to_string(),
    })?;
    let status = row.text("status")?;
    if status != "suggested" {
        return Err(StoreError::AlreadyDecided {
            what: "suggestion",
            id: match_id,
            status: status.to_owned(),
        });
    }

    Ok((row.integer("bank_transaction_id")?, stored_record(&row)?))
}

/// Reads a stored match back.
pub(crate) fn stored_record(row: &Row<'_>) -> Result<MatchRecord, StoreError> {
    let json = |column: &str| -> Result<serde_json::Value, StoreError> {
        let text = row.text(column)?;
        serde_json::from_str(text).map_err(|_| StoreError::UnexpectedValue {
            column: column.to_owned(),
            expected: "JSON",
            found: text.to_owned(),
        })
    };
    let lines = serde_json::from_value(json("allocations")?).map_err(|error| {
        StoreError::UnexpectedValue {
            column: "allocations".to_owned(),
            expected: "match lines",
            found: error.to_string(),
        }
    })?;

    Ok(MatchRecord {
        confidence: real(row, "confidence")?,
        explanation: row.text("explanation")?.to_owned(),
        evidence: json("evidence")?,
        lines,
        residual: row.decimal("residual")?,
        writes_off_shortfall: row.boolean("writes_off_shortfall")?,
    })
}

fn real(row: &Row<'_>, column: &str) -> Result<f64, StoreError> {
    match row.value(column)? {
        Value::Real(value) => Ok(*value),
        Value::Integer(value) => Ok(*value as f64),
        other => Err(StoreError::UnexpectedValue {
            column: column.to_owned(),
            expected: "a number",
            found: format!("{other:?}"),
        }),
    }
}

fn insert_match(
    db: &impl Database,
    transaction: &ClaimedTransaction,
    record: &MatchRecord,
    status: &str,
    rank: i64,
    decided_by: DecidedBy,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let lines = serde_json::to_string(&record.lines).map_err(|error| StoreError::InvalidMatch {
        reason: error.to_string(),
    })?;
    let decided_at = (status == "applied").then_some(now);

    let rows = db.execute(
        "INSERT INTO reconciliation_matches (bank_transaction_id, status, decided_by, rank,
            confidence, explanation, evidence, allocations, items_key, residual, currency,
            writes_off_shortfall, created_at, decided_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING id",
        &[
            Value::Integer(transaction.id),
            status.into(),
            decided_at.map(|_| decided_by.as_text()).into(),
            Value::Integer(rank),
            Value::Real(record.confidence),
            record.explanation.as_str().into(),
            record.evidence.to_string().into(),
            lines.into(),
            record.items_key().into(),
            record.residual.into(),
            transaction.currency.as_deref().unwrap_or_default().into(),
            record.writes_off_shortfall.into(),
            now.into(),
            decided_at.into(),
        ],
    )?;
    rows.first()
        .ok_or_else(|| StoreError::sqlite("INSERT INTO reconciliation_matches", "no id"))?
        .integer("id")
}

fn supersede_suggestions(
    db: &impl Database,
    transaction_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE reconciliation_matches SET status = 'superseded', decided_at = ?
         WHERE bank_transaction_id = ? AND status = 'suggested'",
        &[now.into(), Value::Integer(transaction_id)],
    )?;
    Ok(())
}

fn set_status(
    db: &impl Database,
    transaction_id: i64,
    status: &str,
    note: Option<&str>,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE bank_transactions SET reconciliation_status = ?, reconciliation_note = ?
         WHERE id = ?",
        &[status.into(), note.into(), Value::Integer(transaction_id)],
    )?;
    Ok(())
}

/// Sets the transaction's status from what its live allocations cover.
fn settle_transaction(db: &impl Database, transaction_id: i64) -> Result<(), StoreError> {
    let rows = db.execute(
        "SELECT amount FROM bank_transactions WHERE id = ?",
        &[Value::Integer(transaction_id)],
    )?;
    let amount = rows
        .first()
        .ok_or_else(|| StoreError::NotFound {
            what: "bank transaction",
            id: transaction_id.to_string(),
        })?
        .decimal("amount")?;
    let allocated = allocated_from(db, transaction_id)?;

    let (status, note) = if allocated.is_zero() {
        (
            "unmatched",
            Some("its match was undone; allocate it by hand"),
        )
    } else if allocated < amount {
        ("partially_matched", None)
    } else {
        ("matched", None)
    };
    set_status(db, transaction_id, status, note)
}

/// What an invoice still asks for, as stored now.
struct InvoiceState {
    number: String,
    currency: String,
    remaining: Decimal,
    customer_id: i64,
}

fn invoice_state(db: &impl Database, invoice_id: i64) -> Result<InvoiceState, StoreError> {
    let rows = db.execute(
        "SELECT number, currency, remaining, customer_id FROM invoices WHERE id = ?",
        &[Value::Integer(invoice_id)],
    )?;
    let row = rows.first().ok_or_else(|| StoreError::NotFound {
        what: "invoice",
        id: invoice_id.to_string(),
    })?;
    Ok(InvoiceState {
        number: row.text("number")?.to_owned(),
        currency: row.text("currency")?.to_owned(),
        remaining: row.decimal("remaining")?,
        customer_id: row.integer("customer_id")?,
    })
}

/// Makes a match's allocations. Each credit note is netted off the invoice
/// receiving the most; the money left goes to the invoices as the lines say,
/// never beyond what the payment or an invoice has left.
fn allocate(
    db: &impl Database,
    match_id: i64,
    transaction: &ClaimedTransaction,
    record: &MatchRecord,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    let mut payments: Vec<(i64, Decimal)> = Vec::new();
    let mut credit_notes: Vec<(i64, Decimal)> = Vec::new();
    for line in &record.lines {
        match line.item {
            ItemRef::Invoice(id) => payments.push((id, line.amount)),
            ItemRef::CreditNote(id) => credit_notes.push((id, line.amount)),
        }
    }
    if payments.is_empty() || payments.iter().any(|(_, amount)| *amount <= Decimal::ZERO) {
        return Err(StoreError::InvalidMatch {
            reason: "a match allocates a positive amount to at least one invoice".to_owned(),
        });
    }

    for (credit_note_id, amount) in credit_notes {
        let receiving = payments
            .iter_mut()
            .max_by_key(|(_, share)| *share)
            .ok_or_else(|| StoreError::InvalidMatch {
                reason: "a credit note is netted only against an invoice".to_owned(),
            })?;
        net_credit_note(db, match_id, credit_note_id, receiving.0)?;
        receiving.1 += amount;
    }

    let total: Decimal = payments.iter().map(|(_, share)| share).sum();
    if total > transaction.unallocated() {
        return Err(StoreError::OverAllocation {
            what: format!("bank transaction {}", transaction.id),
            amount: total.to_string(),
            available: transaction.unallocated().to_string(),
        });
    }

    let mut allocation_ids = Vec::with_capacity(payments.len());
    for (invoice_id, share) in payments {
        if share > Decimal::ZERO {
            allocation_ids.push(pay_invoice(
                db,
                match_id,
                transaction,
                invoice_id,
                share,
                now,
            )?);
        }
    }
    if record.writes_off_shortfall {
        allocation_ids.extend(write_off_shortfall(db, match_id, transaction, record, now)?);
    }
    Ok(allocation_ids)
}

fn pay_invoice(
    db: &impl Database,
    match_id: i64,
    transaction: &ClaimedTransaction,
    invoice_id: i64,
    amount: Decimal,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let invoice = invoice_state(db, invoice_id)?;
    if transaction.currency.as_deref() != Some(invoice.currency.as_str()) {
        return Err(StoreError::InvalidMatch {
            reason: format!(
                "bank transaction {} is in {} but invoice {} is in {}; amounts in different \
                 currencies are never offset",
                transaction.id,
                transaction.currency.as_deref().unwrap_or("no currency"),
                invoice.number,
                invoice.currency
            ),
        });
    }
    if amount > invoice.remaining {
        return Err(StoreError::OverAllocation {
            what: format!("invoice {}", invoice.number),
            amount: amount.to_string(),
            available: invoice.remaining.to_string(),
        });
    }

    let id = insert_allocation(
        db,
        ("bank", "bank_transfer"),
        match_id,
        transaction,
        invoice_id,
        (&invoice.currency, amount),
        now,
    )?;
    recompute(db, invoice_id)?;
    Ok(id)
}

/// Writes off what the match's invoices still ask for once paid, when the
/// payment was short by a bank fee or exchange difference within tolerance.
fn write_off_shortfall(
    db: &impl Database,
    match_id: i64,
    transaction: &ClaimedTransaction,
    record: &MatchRecord,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    let shortfall = -record.residual;
    let mut written_off = Decimal::ZERO;
    let mut allocation_ids = Vec::new();

    for line in &record.lines {
        let ItemRef::Invoice(invoice_id) = line.item else {
            continue;
        };
        let invoice = invoice_state(db, invoice_id)?;
        if invoice.remaining <= Decimal::ZERO || written_off + invoice.remaining > shortfall {
            continue;
        }
        written_off += invoice.remaining;
        allocation_ids.push(insert_allocation(
            db,
            ("write_off", "other"),
            match_id,
            transaction,
            invoice_id,
            (&invoice.currency, invoice.remaining),
            now,
        )?);
        recompute(db, invoice_id)?;
    }
    Ok(allocation_ids)
}

fn insert_allocation(
    db: &impl Database,
    (source, method): (&str, &str),
    match_id: i64,
    transaction: &ClaimedTransaction,
    invoice_id: i64,
    (currency, amount): (&str, Decimal),
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let rows = db.execute(
        "INSERT INTO allocations (source, external_id, invoice_id, currency, amount, paid_on,
            method, created_at, bank_transaction_id, match_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING id",
        &[
            source.into(),
            format!("m{match_id}-i{invoice_id}").into(),
            Value::Integer(invoice_id),
            currency.into(),
            amount.into(),
            transaction.booking_date.into(),
            method.into(),
            now.into(),
            Value::Integer(transaction.id),
            Value::Integer(match_id),
        ],
    )?;
    rows.first()
        .ok_or_else(|| StoreError::sqlite("INSERT INTO allocations", "no id"))?
        .integer("id")
}

/// Sets a free credit note against an invoice of the same platform.
fn net_credit_note(
    db: &impl Database,
    match_id: i64,
    credit_note_id: i64,
    invoice_id: i64,
) -> Result<(), StoreError> {
    let netted = db.execute(
        "UPDATE credit_notes SET netted_by_match_id = ?,
            invoice_external_id = (SELECT i.external_id FROM invoices i
                                    WHERE i.id = ? AND i.source = credit_notes.source)
         WHERE id = ? AND voided = 0 AND invoice_external_id IS NULL
           AND EXISTS (SELECT 1 FROM invoices i
                        WHERE i.id = ? AND i.source = credit_notes.source
                          AND i.currency = credit_notes.currency)
         RETURNING id",
        &[
            Value::Integer(match_id),
            Value::Integer(invoice_id),
            Value::Integer(credit_note_id),
            Value::Integer(invoice_id),
        ],
    )?;
    if netted.is_empty() {
        return Err(StoreError::InvalidMatch {
            reason: format!(
                "credit note {credit_note_id} is voided, already set against an invoice, or \
                 from another platform or currency than invoice {invoice_id}"
            ),
        });
    }
    recompute(db, invoice_id)
}

/// Remembers the payer's account and name for the customer the lines are
/// for, when they are all one customer's.
fn remember_payer(
    db: &impl Database,
    transaction: &ClaimedTransaction,
    lines: &[MatchLine],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut customers = Vec::new();
    for line in lines {
        if let ItemRef::Invoice(invoice_id) = line.item {
            customers.push(invoice_state(db, invoice_id)?.customer_id);
        }
    }
    customers.sort_unstable();
    customers.dedup();
    let [customer_id] = customers[..] else {
        return Ok(());
    };

    let iban = transaction
        .counterparty_iban
        .as_deref()
        .map(|iban| iban.replace(' ', "").to_ascii_uppercase());
    let name = transaction.counterparty_name.as_deref().map(str::trim);
    for (kind, payer) in [("iban", iban.as_deref()), ("name", name)] {
        let Some(payer) = payer.filter(|payer| !payer.is_empty()) else {
            continue;
        };
        db.execute(
            "INSERT OR IGNORE INTO payer_mappings (kind, payer, customer_id, learned_at)
             VALUES (?, ?, ?, ?)",
            &[
                kind.into(),
                payer.into(),
                Value::Integer(customer_id),
                now.into(),
            ],
        )?;
    }
    Ok(())
}
