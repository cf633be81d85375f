//! Files that cannot be imported fail with an error that says where and why.

use relance_bank_statements::{StatementError, StatementFormat, parse_statement};

const FEBRUARY_30: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/bank-statements/mt940/WoLpH_self-provided_february_30.sta"
);

#[test]
fn a_csv_file_without_mapping_asks_for_one() {
    let error =
        parse_statement(b"date;amount\n2024-01-01;1,00\n").expect_err("CSV needs a mapping");
    assert_eq!(error, StatementError::CsvMappingRequired);
}

#[test]
fn the_thirtieth_of_february_fee_entry_imports_on_the_last_day_of_february() {
    // German savings banks settle fees and interest on 30-day months; the
    // entry's value date "30 February 2016" is read as 29 February 2016.
    let bytes = std::fs::read(FEBRUARY_30).expect("fixture is readable");
    let statements = parse_statement(&bytes).expect("the file imports");

    let fee = &statements[0].transactions[0];
    assert_eq!(
        fee.value_date.map(|date| date.to_string()).as_deref(),
        Some("2016-02-29")
    );
    assert_eq!(fee.booking_date.to_string(), "2016-03-01");
    assert_eq!(fee.amount.to_string(), "-6.00");
}

#[test]
fn an_impossible_date_is_reported_with_its_line() {
    let text = b":20:X\n:25:123\n:60F:C160229EUR1,00\n:61:1613300301DR6,00N024NONREF\n-";
    let error = parse_statement(text).expect_err("month 13 does not exist");

    match &error {
        StatementError::InvalidValue { format, value, .. } => {
            assert_eq!(*format, StatementFormat::Mt940);
            assert_eq!(value, "161330");
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert!(error.to_string().contains("MT940 line 4"), "{error}");
}

#[test]
fn a_truncated_camt_file_is_reported_as_malformed() {
    let text = br#"<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>"#;
    let error = parse_statement(text).expect_err("truncated XML");
    assert!(
        matches!(
            error,
            StatementError::Malformed {
                format: StatementFormat::Camt053,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn an_unknown_file_quotes_its_start() {
    let error = parse_statement(b"%PDF-1.7 binary").expect_err("a PDF is no statement");
    assert!(error.to_string().contains("%PDF-1.7"), "{error}");
}
