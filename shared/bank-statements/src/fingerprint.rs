//! The de-duplication identity of a bank transaction.
//!
//! The same payment reaches Relance more than once: in the intraday camt.052,
//! again in the evening camt.053, and through a bank API poll. Each copy gets
//! the same fingerprint, so it is stored once. The fingerprint is the
//! lower-case hex SHA-256 of these lines, joined by `\n`:
//!
//! 1. `relance-bank-transaction-v1` (the rule's version);
//! 2. the account: IBAN, else account number, upper case without spaces;
//! 3. the booking date, `YYYY-MM-DD`;
//! 4. the signed amount without trailing zeros (`-12.5`, `100`);
//! 5. the currency code, empty when the file states none;
//! 6. the best reference available, tagged with its kind:
//!    `e2e:` + end-to-end id, else `bank:` + bank reference, else `text:` +
//!    remittance lines and counterparty name, else `text:` + the raw
//!    description; text is upper-cased with whitespace collapsed.
//!
//! Status and value date are left out on purpose: a pending entry that is
//! later booked is the same payment. The placeholders `NONREF` and
//! `NOTPROVIDED` do not count as references. Two different payments on one
//! account, day and amount that carry no reference and the same text share a
//! fingerprint; callers that must keep both count occurrences in a file.

use sha2::{Digest, Sha256};

use crate::model::{AccountRef, BankTransaction};
use crate::text::collapse_whitespace;

/// References banks write when there is none.
const PLACEHOLDER_REFERENCES: [&str; 2] = ["NONREF", "NOTPROVIDED"];

/// Computes the fingerprint of a transaction on an account (rule above).
pub fn fingerprint(account: &AccountRef, transaction: &BankTransaction) -> String {
    let account_key = account
        .iban
        .as_deref()
        .or(account.number.as_deref())
        .map(|key| {
            key.split_whitespace()
                .collect::<String>()
                .to_ascii_uppercase()
        })
        .unwrap_or_default();
    let currency = transaction
        .currency
        .as_ref()
        .map(|currency| currency.code())
        .unwrap_or("");

    let lines = [
        "relance-bank-transaction-v1".to_owned(),
        account_key,
        transaction.booking_date.format("%Y-%m-%d").to_string(),
        transaction.amount.normalize().to_string(),
        currency.to_owned(),
        best_reference(transaction),
    ];
    hex::encode(Sha256::digest(lines.join("\n").as_bytes()))
}

fn best_reference(transaction: &BankTransaction) -> String {
    let real = |reference: &Option<String>| {
        reference
            .as_deref()
            .map(str::trim)
            .filter(|reference| !reference.is_empty())
            .filter(|reference| {
                !PLACEHOLDER_REFERENCES.contains(&reference.to_ascii_uppercase().as_str())
            })
            .map(str::to_owned)
    };
    if let Some(end_to_end_id) = real(&transaction.end_to_end_id) {
        return format!("e2e:{end_to_end_id}");
    }
    if let Some(bank_reference) = real(&transaction.bank_reference) {
        return format!("bank:{bank_reference}");
    }

    let mut text: Vec<&str> = transaction
        .remittance
        .unstructured
        .iter()
        .map(String::as_str)
        .collect();
    text.extend(
        transaction
            .remittance
            .structured_references
            .iter()
            .map(String::as_str),
    );
    text.extend(transaction.counterparty_name.as_deref());
    if text.is_empty() {
        text.push(&transaction.raw_description);
    }
    format!(
        "text:{}",
        collapse_whitespace(&text.join(" ")).to_uppercase()
    )
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    use super::*;
    use crate::model::{Currency, Remittance, TransactionStatus};

    fn transaction() -> BankTransaction {
        BankTransaction {
            booking_date: NaiveDate::from_ymd_opt(2024, 3, 1).expect("valid date"),
            value_date: None,
            amount: Decimal::new(12_500, 2),
            currency: Some(Currency::parse("EUR").expect("valid currency")),
            status: TransactionStatus::Booked,
            counterparty_name: Some("ACME SA".to_owned()),
            counterparty_iban: None,
            end_to_end_id: Some("E2E-1".to_owned()),
            customer_reference: None,
            bank_reference: Some("BANK-1".to_owned()),
            remittance: Remittance {
                unstructured: vec!["Invoice 42".to_owned()],
                ..Remittance::default()
            },
            reversal: false,
            bank_transaction_code: None,
            raw_description: "Invoice 42".to_owned(),
            fingerprint: String::new(),
        }
    }

    fn account() -> AccountRef {
        AccountRef {
            iban: Some("FR7630006000011234567890189".to_owned()),
            ..AccountRef::default()
        }
    }

    #[test]
    fn the_same_payment_from_two_sources_has_one_fingerprint() {
        let from_statement = transaction();
        let mut from_api = transaction();
        from_api.status = TransactionStatus::Pending;
        from_api.amount = Decimal::new(125, 0);
        from_api.bank_reference = Some("OTHER-ID".to_owned());
        from_api.raw_description = "different wording".to_owned();

        assert_eq!(
            fingerprint(&account(), &from_statement),
            fingerprint(&account(), &from_api)
        );
    }

    #[test]
    fn each_identity_field_changes_the_fingerprint() {
        let base = fingerprint(&account(), &transaction());
        type Change = fn(&mut BankTransaction);
        let changes: [(&str, Change); 4] = [
            ("amount", |t| t.amount = Decimal::new(12_501, 2)),
            ("sign", |t| t.amount = -t.amount),
            ("date", |t| {
                t.booking_date = NaiveDate::from_ymd_opt(2024, 3, 2).expect("valid date")
            }),
            ("end-to-end id", |t| {
                t.end_to_end_id = Some("E2E-2".to_owned())
            }),
        ];
        for (what, change) in changes {
            let mut changed = transaction();
            change(&mut changed);
            assert_ne!(
                fingerprint(&account(), &changed),
                base,
                "changing the {what}"
            );
        }
    }

    #[test]
    fn placeholder_references_fall_back_to_the_remittance_text() {
        let mut with_placeholders = transaction();
        with_placeholders.end_to_end_id = Some("NOTPROVIDED".to_owned());
        with_placeholders.bank_reference = Some("NONREF".to_owned());
        let mut without_references = transaction();
        without_references.end_to_end_id = None;
        without_references.bank_reference = None;
        without_references.remittance.unstructured = vec!["invoice   42".to_owned()];

        assert_eq!(
            fingerprint(&account(), &with_placeholders),
            fingerprint(&account(), &without_references)
        );
    }
}
