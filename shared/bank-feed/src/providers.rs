//! Bank API answers read into transactions: GoCardless Bank Account Data and
//! Berlin Group NextGenPSD2 (one transaction shape, money out negative) and
//! Plaid `/transactions/sync` (money out POSITIVE, the opposite convention).

use std::str::FromStr;

use chrono::NaiveDate;
use relance_bank_statements::{
    AccountRef, BankTransaction, Currency, Remittance, TransactionStatus, fingerprint,
};
use relance_store::bank::SourcedTransaction;
use rust_decimal::Decimal;
use serde_json::Value;

/// A bank API answer that is not what its provider documents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {provider} answer is not as documented: {problem}")]
pub struct ProviderError {
    /// `gocardless`, `berlin_group` or `plaid`.
    pub provider: &'static str,
    /// What is wrong, quoting the value.
    pub problem: String,
}

/// One page of a GoCardless or Berlin Group transaction listing.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionPage {
    /// Booked then pending transactions of the page.
    pub transactions: Vec<SourcedTransaction>,
    /// The `_links.next.href` to follow, when another page follows.
    pub next: Option<String>,
}

/// Reads a `{"transactions": {"booked": [...], "pending": [...], "_links": ...}}`
/// answer, as GoCardless and Berlin Group banks send it.
pub fn read_transaction_page(
    provider: &'static str,
    body: &[u8],
    account: &AccountRef,
) -> Result<TransactionPage, ProviderError> {
    let fail = |problem: String| ProviderError { provider, problem };
    let document: Value = serde_json::from_slice(body)
        .map_err(|error| fail(format!("the body is not JSON ({error})")))?;
    let listing = document
        .get("transactions")
        .ok_or_else(|| fail("there is no `transactions` object".to_owned()))?;

    let mut transactions = Vec::new();
    for (list, status) in [
        ("booked", TransactionStatus::Booked),
        ("pending", TransactionStatus::Pending),
    ] {
        for item in listing
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let transaction = read_berlin_group_transaction(item, status, account).map_err(fail)?;
            transactions.push(transaction);
        }
    }

    let next = listing
        .pointer("/_links/next/href")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(TransactionPage { transactions, next })
}

fn read_berlin_group_transaction(
    item: &Value,
    status: TransactionStatus,
    account: &AccountRef,
) -> Result<SourcedTransaction, String> {
    let text = |pointer: &str| {
        item.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let amount_text = text("/transactionAmount/amount")
        .ok_or_else(|| format!("transaction {item} has no transactionAmount.amount"))?;
    let amount = Decimal::from_str(&amount_text)
        .map_err(|_| format!("amount {amount_text:?} is not a decimal number"))?;
    let currency = currency(text("/transactionAmount/currency"))?;
    let booking_date = date(text("/bookingDate").or_else(|| text("/valueDate")), item)?;

    // The other party is the debtor of money received, the creditor of money paid.
    let (name, iban) = if amount.is_sign_negative() {
        (text("/creditorName"), text("/creditorAccount/iban"))
    } else {
        (text("/debtorName"), text("/debtorAccount/iban"))
    };
    let mut unstructured: Vec<String> = text("/remittanceInformationUnstructured")
        .into_iter()
        .collect();
    unstructured.extend(strings(item.get("remittanceInformationUnstructuredArray")));
    let structured = text("/remittanceInformationStructured")
        .or_else(|| text("/remittanceInformationStructured/reference"));
    let description = if unstructured.is_empty() {
        text("/additionalInformation").unwrap_or_default()
    } else {
        unstructured.join("\n")
    };

    let mut transaction = BankTransaction {
        booking_date,
        value_date: text("/valueDate").and_then(|d| d.parse().ok()),
        amount,
        currency,
        status,
        counterparty_name: name,
        counterparty_iban: iban,
        end_to_end_id: text("/endToEndId"),
        customer_reference: None,
        bank_reference: text("/entryReference").or_else(|| text("/transactionId")),
        remittance: Remittance {
            unstructured,
            structured_references: structured.into_iter().collect(),
        },
        reversal: false,
        bank_transaction_code: text("/bankTransactionCode")
            .or_else(|| text("/proprietaryBankTransactionCode")),
        raw_description: description,
        fingerprint: String::new(),
    };
    transaction.fingerprint = fingerprint(account, &transaction);
    Ok(SourcedTransaction {
        transaction,
        source_id: text("/transactionId")
            .or_else(|| text("/internalTransactionId"))
            .or_else(|| text("/entryReference")),
    })
}

/// One page of Plaid `/transactions/sync`.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaidPage {
    /// Added and modified transactions of the connection's account.
    pub transactions: Vec<SourcedTransaction>,
    /// Transaction ids Plaid withdrew (pending items dropped or booked anew).
    pub removed: Vec<String>,
    /// The cursor to send next.
    pub next_cursor: String,
    /// Whether another page is waiting.
    pub has_more: bool,
}

/// Reads a `/transactions/sync` answer, keeping the transactions of
/// `account_id` (every account when `None`). Plaid counts money out as
/// positive: amounts are negated here so money received is positive.
pub fn read_plaid_page(
    body: &[u8],
    account: &AccountRef,
    account_id: Option<&str>,
) -> Result<PlaidPage, ProviderError> {
    let fail = |problem: String| ProviderError {
        provider: "plaid",
        problem,
    };
    let document: Value = serde_json::from_slice(body)
        .map_err(|error| fail(format!("the body is not JSON ({error})")))?;
    let ours = |item: &&Value| {
        account_id.is_none_or(|id| item.get("account_id").and_then(Value::as_str) == Some(id))
    };

    let mut transactions = Vec::new();
    for list in ["added", "modified"] {
        let items = document.get(list).and_then(Value::as_array);
        for item in items.into_iter().flatten().filter(ours) {
            transactions.push(read_plaid_transaction(item, account).map_err(fail)?);
        }
    }
    let removed = document
        .get("removed")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(ours)
        .filter_map(|item| item.get("transaction_id").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();

    let next_cursor = document
        .get("next_cursor")
        .and_then(Value::as_str)
        .ok_or_else(|| fail("there is no `next_cursor`".to_owned()))?
        .to_owned();
    let has_more = document
        .get("has_more")
        .and_then(Value::as_bool)
        .ok_or_else(|| fail("there is no `has_more`".to_owned()))?;
    Ok(PlaidPage {
        transactions,
        removed,
        next_cursor,
        has_more,
    })
}

fn read_plaid_transaction(
    item: &Value,
    account: &AccountRef,
) -> Result<SourcedTransaction, String> {
    let text = |key: &str| {
        item.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let transaction_id = text("transaction_id")
        .ok_or_else(|| format!("transaction {item} has no transaction_id"))?;
    // serde_json writes a float back in its shortest exact form: "12.34".
    let amount_text = item
        .get("amount")
        .filter(|value| value.is_number())
        .map(Value::to_string)
        .ok_or_else(|| format!("transaction {transaction_id} has no numeric amount"))?;
    let paid_out = Decimal::from_str(&amount_text)
        .or_else(|_| Decimal::from_scientific(&amount_text))
        .map_err(|_| format!("amount {amount_text} is not a decimal number"))?;
    let name = text("name").unwrap_or_default();

    let mut transaction = BankTransaction {
        booking_date: date(text("date"), item)?,
        value_date: None,
        amount: -paid_out,
        currency: currency(text("iso_currency_code"))?,
        status: if item.get("pending").and_then(Value::as_bool) == Some(true) {
            TransactionStatus::Pending
        } else {
            TransactionStatus::Booked
        },
        counterparty_name: text("merchant_name").or_else(|| Some(name.clone())),
        counterparty_iban: None,
        end_to_end_id: None,
        customer_reference: None,
        bank_reference: Some(transaction_id.clone()),
        remittance: Remittance {
            unstructured: text("original_description")
                .or_else(|| Some(name.clone()))
                .into_iter()
                .collect(),
            structured_references: Vec::new(),
        },
        reversal: false,
        bank_transaction_code: text("transaction_code"),
        raw_description: name,
        fingerprint: String::new(),
    };
    transaction.fingerprint = fingerprint(account, &transaction);
    Ok(SourcedTransaction {
        transaction,
        source_id: Some(transaction_id),
    })
}

fn currency(code: Option<String>) -> Result<Option<Currency>, String> {
    code.map(|code| Currency::parse(&code).map_err(|error| error.to_string()))
        .transpose()
}

fn date(text: Option<String>, item: &Value) -> Result<NaiveDate, String> {
    let text = text.ok_or_else(|| format!("transaction {item} has no date"))?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|_| format!("date {text:?} is not YYYY-MM-DD"))
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn account() -> AccountRef {
        AccountRef {
            iban: Some("NL71RABO0123456789".to_owned()),
            ..AccountRef::default()
        }
    }

    #[test]
    fn berlin_group_pages_read_booked_and_pending_with_the_next_link() {
        let body = json!({"transactions": {
            "booked": [{
                "transactionId": "tx-1", "entryReference": "BANK-REF-1", "endToEndId": "E2E-1",
                "bookingDate": "2024-01-02", "valueDate": "2024-01-03",
                "transactionAmount": {"amount": "25.50", "currency": "EUR"},
                "debtorName": "ACME BV", "debtorAccount": {"iban": "NL91ABNA0417164300"},
                "creditorName": "Us", "remittanceInformationUnstructured": "Invoice F-42"
            }, {
                "transactionId": "tx-2", "bookingDate": "2024-01-02",
                "transactionAmount": {"amount": "-3.20", "currency": "EUR"},
                "creditorName": "Bank", "debtorName": "Us"
            }],
            "pending": [{
                "valueDate": "2024-01-04", "transactionAmount": {"amount": "10", "currency": "EUR"},
                "remittanceInformationUnstructuredArray": ["Invoice", "F-43"]
            }],
            "_links": {"next": {"href": "/v1/accounts/a1/transactions?page=2"}}
        }});

        let page = read_transaction_page("berlin_group", body.to_string().as_bytes(), &account())
            .expect("valid page");

        let [received, paid, pending] = &page.transactions[..] else {
            panic!("three transactions: {page:?}");
        };
        assert_eq!(received.transaction.amount.to_string(), "25.50");
        assert_eq!(
            received.transaction.counterparty_name.as_deref(),
            Some("ACME BV")
        );
        assert_eq!(received.transaction.end_to_end_id.as_deref(), Some("E2E-1"));
        assert_eq!(received.source_id.as_deref(), Some("tx-1"));
        assert_eq!(paid.transaction.counterparty_name.as_deref(), Some("Bank"));
        assert_eq!(pending.transaction.status, TransactionStatus::Pending);
        assert_eq!(pending.transaction.booking_date.to_string(), "2024-01-04");
        assert_eq!(pending.transaction.raw_description, "Invoice\nF-43");
        assert_eq!(
            page.next.as_deref(),
            Some("/v1/accounts/a1/transactions?page=2")
        );
    }

    #[test]
    fn plaid_amounts_are_negated_and_removed_ids_kept() {
        let body = json!({
            "added": [
                {"transaction_id": "p-1", "account_id": "acc-1", "amount": -1440.0,
                 "iso_currency_code": "EUR", "date": "2024-01-02", "pending": false,
                 "name": "ACME SA INVOICE F-42"},
                {"transaction_id": "p-2", "account_id": "acc-1", "amount": 12.34,
                 "iso_currency_code": "EUR", "date": "2024-01-02", "pending": true,
                 "name": "Card fee", "merchant_name": "Bank"},
                {"transaction_id": "p-3", "account_id": "other", "amount": 1.0,
                 "iso_currency_code": "EUR", "date": "2024-01-02", "pending": false, "name": "x"}
            ],
            "modified": [],
            "removed": [{"transaction_id": "p-0", "account_id": "acc-1"}],
            "next_cursor": "c-2", "has_more": true
        });

        let page = read_plaid_page(body.to_string().as_bytes(), &account(), Some("acc-1"))
            .expect("valid page");

        let amounts: Vec<String> = page
            .transactions
            .iter()
            .map(|t| t.transaction.amount.to_string())
            .collect();
        assert_eq!(amounts, ["1440.0", "-12.34"]);
        assert_eq!(
            page.transactions[1].transaction.status,
            TransactionStatus::Pending
        );
        assert_eq!(page.removed, ["p-0"]);
        assert_eq!((page.next_cursor.as_str(), page.has_more), ("c-2", true));
    }

    #[test]
    fn answers_that_break_the_documented_shape_say_what_is_wrong() {
        let cases: [(&[u8], &str); 3] = [
            (b"<html>", "not JSON"),
            (br#"{"account": {}}"#, "no `transactions`"),
            (
                br#"{"transactions": {"booked": [{"bookingDate": "2024-01-02",
                    "transactionAmount": {"amount": "12,50", "currency": "EUR"}}]}}"#,
                "\"12,50\"",
            ),
        ];
        for (body, expected) in cases {
            let error = read_transaction_page("gocardless", body, &account()).expect_err(expected);
            assert!(error.to_string().contains(expected), "{error}");
        }
    }
}
