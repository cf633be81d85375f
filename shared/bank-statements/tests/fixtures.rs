//! Every statement file in the shared fixture folders is imported, and its
//! summary compared with the saved expectation in `tests/expected/`.
//!
//! Run with `BLESS=1` to rewrite the expectations after checking a change by
//! hand against the source files.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use relance_bank_statements::{Statement, StatementFormat, parse_statement};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/bank-statements"
);
const EXPECTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/expected");
const FOLDERS: [&str; 5] = ["camt052", "camt053", "camt054", "mt940", "ofx"];

/// Statement files in the fixture folders (not the `expected/` parses).
fn fixture_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = FOLDERS
        .iter()
        .flat_map(|folder| {
            let entries =
                fs::read_dir(Path::new(DATA).join(folder)).expect("fixture folder exists");
            entries
                .map(|entry| entry.expect("readable folder entry").path())
                .collect::<Vec<_>>()
        })
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("file has a name")
        .to_string_lossy()
        .into_owned()
}

fn summary(statements: &[Statement]) -> Value {
    let statements: Vec<Value> = statements.iter().map(statement_summary).collect();
    json!({ "statements": statements })
}

fn statement_summary(statement: &Statement) -> Value {
    let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
    for transaction in &statement.transactions {
        let currency = transaction
            .currency
            .as_ref()
            .map_or("none", |currency| currency.code());
        *sums.entry(currency.to_owned()).or_default() += transaction.amount;
    }
    let transactions: Vec<Value> = statement
        .transactions
        .iter()
        .map(|transaction| {
            json!({
                "booking_date": transaction.booking_date,
                "value_date": transaction.value_date,
                "amount": transaction.amount,
                "currency": transaction.currency,
                "status": transaction.status,
                "reversal": transaction.reversal,
                "counterparty_name": transaction.counterparty_name,
                "counterparty_iban": transaction.counterparty_iban,
                "end_to_end_id": transaction.end_to_end_id,
                "customer_reference": transaction.customer_reference,
                "bank_reference": transaction.bank_reference,
                "bank_transaction_code": transaction.bank_transaction_code,
                "remittance": transaction.remittance,
                "fingerprint": transaction.fingerprint,
            })
        })
        .collect();
    json!({
        "format": statement.format,
        "account": statement.account,
        "currency": statement.currency,
        "statement_id": statement.statement_id,
        "from_date": statement.from_date,
        "to_date": statement.to_date,
        "opening_balance": statement.opening_balance,
        "closing_balance": statement.closing_balance,
        "transaction_count": statement.transactions.len(),
        "transaction_sums": sums,
        "transactions": transactions,
    })
}

#[test]
fn every_fixture_file_imports_and_matches_its_saved_summary() {
    let bless = std::env::var_os("BLESS").is_some();
    let files = fixture_files();
    assert!(
        files.len() >= 36,
        "expected the whole fixture set, found {} files",
        files.len()
    );

    let mut mismatches = Vec::new();
    for path in &files {
        let name = file_name(path);
        let bytes = fs::read(path).expect("fixture is readable");
        let statements = parse_statement(&bytes).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert!(!statements.is_empty(), "{name}: no statement read");

        let actual =
            serde_json::to_string_pretty(&summary(&statements)).expect("summary serialises") + "\n";
        let expected_path = Path::new(EXPECTED).join(format!("{name}.json"));
        if bless {
            fs::write(&expected_path, &actual).expect("expected summary is writable");
            continue;
        }
        match fs::read_to_string(&expected_path) {
            Ok(expected) if expected == actual => {}
            Ok(_) => mismatches.push(format!(
                "{name}: summary differs from {}",
                expected_path.display()
            )),
            Err(_) => mismatches.push(format!(
                "{name}: no saved summary; check it by hand, then run with BLESS=1"
            )),
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn formats_are_detected_from_content_for_every_fixture() {
    for path in fixture_files() {
        let name = file_name(&path);
        let bytes = fs::read(&path).expect("fixture is readable");
        let format =
            relance_bank_statements::detect_format(&bytes).expect("fixture format is recognised");
        let folder = path
            .parent()
            .and_then(Path::file_name)
            .expect("fixture is in a folder")
            .to_string_lossy();
        let expected: &[StatementFormat] = match folder.as_ref() {
            "camt052" => &[StatementFormat::Camt052],
            "camt053" => &[StatementFormat::Camt053],
            "camt054" => &[StatementFormat::Camt054],
            "mt940" => &[StatementFormat::Mt940, StatementFormat::Mt942],
            _ => &[StatementFormat::Ofx],
        };
        assert!(expected.contains(&format), "{name} detected as {format}");
    }
}
