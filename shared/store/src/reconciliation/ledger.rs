//! What reconciliation reads: the open invoices and credit notes, the payers
//! known for each customer, and the bank transactions still to match.

use std::fmt;

use relance_matching::{OpenItem, OpenItemKind, PayerDirectory, Payment};
use serde::{Deserialize, Serialize};

use crate::{Database, Row, StoreError};

/// An invoice or a credit note, as a match names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ItemRef {
    /// An invoice's row id.
    Invoice(i64),
    /// A credit note's row id.
    CreditNote(i64),
}

impl ItemRef {
    /// The short key the matcher and stored matches use: `i12`, `c3`.
    pub fn key(self) -> String {
        self.to_string()
    }

    /// Reads a key made by [`ItemRef::key`].
    pub fn parse(key: &str) -> Option<ItemRef> {
        let (kind, id) = key.split_at_checked(1)?;
        let id = id.parse().ok()?;
        match kind {
            "i" => Some(ItemRef::Invoice(id)),
            "c" => Some(ItemRef::CreditNote(id)),
            _ => None,
        }
    }
}

impl fmt::Display for ItemRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemRef::Invoice(id) => write!(f, "i{id}"),
            ItemRef::CreditNote(id) => write!(f, "c{id}"),
        }
    }
}

/// The key of a set of items: their keys sorted, space-separated. Two
/// matches over the same items have the same key.
pub fn items_key<'a>(keys: impl IntoIterator<Item = &'a str>) -> String {
    let mut keys: Vec<&str> = keys.into_iter().collect();
    keys.sort_unstable();
    keys.dedup();
    keys.join(" ")
}

/// Every invoice that still asks for money, and every credit note not yet
/// set against an invoice, as the matcher takes them.
pub fn open_items(db: &impl Database) -> Result<Vec<OpenItem>, StoreError> {
    let invoices = db.execute(
        "SELECT i.id, i.number, i.customer_id, c.name AS customer_name, i.issue_date,
            i.due_date, i.currency, i.remaining, i.payment_reference
         FROM invoices i JOIN customers c ON c.id = i.customer_id
         WHERE i.status IN ('open', 'partially_paid', 'uncollectible')
           AND CAST(i.remaining AS REAL) > 0",
        &[],
    )?;
    let credit_notes = db.execute(
        "SELECT n.id, n.number, n.customer_id, c.name AS customer_name, n.issue_date,
            n.currency, n.total
         FROM credit_notes n JOIN customers c ON c.id = n.customer_id
         WHERE n.voided = 0 AND n.invoice_external_id IS NULL
           AND CAST(n.total AS REAL) > 0",
        &[],
    )?;

    let mut items = Vec::with_capacity(invoices.len() + credit_notes.len());
    for row in invoices.iter() {
        items.push(open_invoice(&row)?);
    }
    for row in credit_notes.iter() {
        items.push(open_credit_note(&row)?);
    }
    Ok(items)
}

fn open_invoice(row: &Row<'_>) -> Result<OpenItem, StoreError> {
    Ok(OpenItem {
        invoice_id: ItemRef::Invoice(row.integer("id")?).key(),
        number: row.text("number")?.to_owned(),
        customer_id: row.integer("customer_id")?.to_string(),
        customer_name: row.text("customer_name")?.to_owned(),
        issue_date: row.date("issue_date")?,
        due_date: row.date("due_date")?,
        currency: row.text("currency")?.to_owned(),
        remaining: row.decimal("remaining")?,
        payment_reference: row.optional_text("payment_reference")?.map(str::to_owned),
        kind: OpenItemKind::Invoice,
    })
}

fn open_credit_note(row: &Row<'_>) -> Result<OpenItem, StoreError> {
    let issue_date = row.date("issue_date")?;
    Ok(OpenItem {
        invoice_id: ItemRef::CreditNote(row.integer("id")?).key(),
        number: row.text("number")?.to_owned(),
        customer_id: row.integer("customer_id")?.to_string(),
        customer_name: row.text("customer_name")?.to_owned(),
        issue_date,
        due_date: issue_date,
        currency: row.text("currency")?.to_owned(),
        remaining: -row.decimal("total")?,
        payment_reference: None,
        kind: OpenItemKind::CreditNote {
            credits_invoice: None,
        },
    })
}

/// The accounts customers pay from (their own, as their platform knows
/// them) and the payer accounts and names the team confirmed.
pub fn payer_directory(db: &impl Database) -> Result<PayerDirectory, StoreError> {
    let mut directory = PayerDirectory::new();

    let accounts = db.execute("SELECT iban, customer_id FROM customer_bank_accounts", &[])?;
    for row in accounts.iter() {
        let customer_id = row.integer("customer_id")?.to_string();
        directory.learn(Some(row.text("iban")?), None, &customer_id);
    }

    let confirmed = db.execute("SELECT kind, payer, customer_id FROM payer_mappings", &[])?;
    for row in confirmed.iter() {
        let customer_id = row.integer("customer_id")?.to_string();
        let payer = row.text("payer")?;
        match row.text("kind")? {
            "iban" => directory.learn(Some(payer), None, &customer_id),
            _ => directory.learn(None, Some(payer), &customer_id),
        }
    }
    Ok(directory)
}

/// A booked bank credit not yet reconciled, with what the team already said
/// about its earlier matches.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionToReconcile {
    /// The bank transaction's row id.
    pub id: i64,
    /// `unmatched` or `review`.
    pub reconciliation_status: String,
    /// Why the last run left it unmatched.
    pub note: Option<String>,
    /// The payment, as the matcher takes it.
    pub payment: Payment,
    /// Item keys of matches a person rejected or undid: never proposed again.
    pub refused: Vec<String>,
    /// Item keys of the suggestions waiting for a person.
    pub suggested: Vec<String>,
}

/// Booked money received and not reconciled yet, oldest first: each run
/// meets the ledger as the earlier payments left it.
pub fn transactions_to_reconcile(
    db: &impl Database,
) -> Result<Vec<TransactionToReconcile>, StoreError> {
    let rows = db.execute(
        "SELECT t.id, t.booking_date, t.amount, t.currency, t.counterparty_name,
            t.counterparty_iban, t.end_to_end_id, t.customer_reference, t.remittance,
            t.reconciliation_status, t.reconciliation_note,
            (SELECT group_concat(m.items_key, '|') FROM reconciliation_matches m
              WHERE m.bank_transaction_id = t.id AND m.status IN ('rejected', 'undone'))
              AS refused,
            (SELECT group_concat(m.items_key, '|') FROM reconciliation_matches m
              WHERE m.bank_transaction_id = t.id AND m.status = 'suggested') AS suggested
         FROM bank_transactions t
         WHERE t.reconciliation_status IN ('unmatched', 'review')
           AND t.status = 'booked' AND t.reversal = 0 AND CAST(t.amount AS REAL) > 0
         ORDER BY t.booking_date, t.id",
        &[],
    )?;

    rows.iter()
        .map(|row| transaction_to_reconcile(&row))
        .collect()
}

fn transaction_to_reconcile(row: &Row<'_>) -> Result<TransactionToReconcile, StoreError> {
    let remittance: StoredRemittance =
        serde_json::from_str(row.text("remittance")?).map_err(|_| StoreError::UnexpectedValue {
            column: "remittance".to_owned(),
            expected: "the stored remittance object",
            found: row.text("remittance").unwrap_or_default().to_owned(),
        })?;
    let mut remittance_lines = remittance.unstructured;
    remittance_lines.extend(row.optional_text("customer_reference")?.map(str::to_owned));
    let owned = |column: &str| -> Result<Option<String>, StoreError> {
        Ok(row.optional_text(column)?.map(str::to_owned))
    };

    let payment = Payment {
        id: row.integer("id")?.to_string(),
        booking_date: row.date("booking_date")?,
        amount: row.decimal("amount")?,
        currency: owned("currency")?.unwrap_or_default(),
        counterparty_name: owned("counterparty_name")?,
        counterparty_iban: owned("counterparty_iban")?,
        end_to_end_id: owned("end_to_end_id")?,
        remittance_lines,
        structured_references: remittance.structured_references,
    };
    Ok(TransactionToReconcile {
        id: row.integer("id")?,
        reconciliation_status: row.text("reconciliation_status")?.to_owned(),
        note: owned("reconciliation_note")?,
        payment,
        refused: split_keys(row.optional_text("refused")?),
        suggested: split_keys(row.optional_text("suggested")?),
    })
}

#[derive(Deserialize)]
struct StoredRemittance {
    #[serde(default)]
    unstructured: Vec<String>,
    #[serde(default)]
    structured_references: Vec<String>,
}

fn split_keys(joined: Option<&str>) -> Vec<String> {
    joined
        .unwrap_or_default()
        .split('|')
        .filter(|key| !key.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_keys_read_back_and_sets_compare_in_any_order() {
        for item in [ItemRef::Invoice(12), ItemRef::CreditNote(3)] {
            assert_eq!(ItemRef::parse(&item.key()), Some(item));
        }
        assert_eq!(ItemRef::parse("x12"), None);
        assert_eq!(ItemRef::parse("i"), None);

        assert_eq!(
            items_key(["i12", "c3", "i2"]),
            items_key(["i2", "i12", "c3"])
        );
    }
}
