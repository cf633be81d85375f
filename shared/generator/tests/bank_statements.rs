//! The generated camt.053 and MT940 statements read back by independent
//! parsers and compared with real bank files.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use quick_xml::Reader;
use quick_xml::events::Event;
use relance_generator::{GeneratorConfig, LedgerHistory, LedgerMonth, write_camt053, write_mt940};
use rust_decimal::Decimal;

const CAMT053_FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/bank-statements/camt053"
);
const MT940_FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/bank-statements/mt940"
);

/// Eight months of a small ledger with foreign-currency customers, so several
/// accounts and fees show up.
fn generated_months() -> (LedgerHistory, Vec<LedgerMonth>) {
    let config = GeneratorConfig {
        seed: 7,
        customers: 80,
        invoices: 2_400,
        months: 8,
        foreign_currency_per_mille: 200,
        ..GeneratorConfig::default()
    };
    let mut history = LedgerHistory::new(config).expect("valid configuration");
    let months = history
        .by_ref()
        .collect::<Result<Vec<_>, _>>()
        .expect("generation succeeds");
    (history, months)
}

/// Every element of an XML document as (path, text of the element).
fn xml_leaves(xml: &str) -> Vec<(String, String)> {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut leaves: Vec<(String, String)> = Vec::new();
    let mut innermost_open: Option<usize> = None;

    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(element) => {
                path.push(String::from_utf8_lossy(element.local_name().as_ref()).into_owned());
                innermost_open = Some(leaves.len());
                leaves.push((format!("/{}", path.join("/")), String::new()));
            }
            Event::Empty(element) => {
                let name = String::from_utf8_lossy(element.local_name().as_ref()).into_owned();
                leaves.push((format!("/{}/{name}", path.join("/")), String::new()));
            }
            Event::Text(text) => {
                if let Some(position) = innermost_open {
                    let content = text.decode().expect("UTF-8 text");
                    leaves[position].1.push_str(content.trim());
                }
            }
            Event::End(_) => {
                path.pop();
                innermost_open = None;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(path.is_empty(), "every element is closed");
    leaves
}

fn decimal(text: &str) -> Decimal {
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{text:?} is a decimal"))
}

fn camt053_of(month: &LedgerMonth) -> String {
    let mut bytes = Vec::new();
    write_camt053(month, "Atelier Relance SAS", &mut bytes).expect("writes to memory");
    String::from_utf8(bytes).expect("UTF-8")
}

fn mt940_of(month: &LedgerMonth) -> String {
    let mut bytes = Vec::new();
    write_mt940(month, &mut bytes).expect("writes to memory");
    String::from_utf8(bytes).expect("UTF-8")
}

#[test]
fn camt053_declares_version_two_with_credit_entries_and_chained_balances() {
    let (history, months) = generated_months();
    let mut last_closing: BTreeMap<String, Decimal> = BTreeMap::new();

    for month in &months {
        let xml = camt053_of(month);
        assert!(xml.contains("xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\""));

        let mut account = String::new();
        let mut code = String::new();
        let mut statements = 0;
        for (path, text) in xml_leaves(&xml) {
            match path.as_str() {
                "/Document/BkToCstmrStmt/Stmt" => statements += 1,
                "/Document/BkToCstmrStmt/Stmt/Acct/Id/IBAN" => account = text,
                "/Document/BkToCstmrStmt/Stmt/Bal/Tp/CdOrPrtry/Cd" => code = text,
                "/Document/BkToCstmrStmt/Stmt/Bal/Amt" if code == "OPBD" => {
                    if let Some(previous) = last_closing.get(&account) {
                        assert_eq!(*previous, decimal(&text), "statements chain");
                    }
                }
                "/Document/BkToCstmrStmt/Stmt/Bal/Amt" => {
                    last_closing.insert(account.clone(), decimal(&text));
                }
                "/Document/BkToCstmrStmt/Stmt/Ntry/CdtDbtInd" => assert_eq!(text, "CRDT"),
                _ => {}
            }
        }
        assert_eq!(statements, history.accounts().len());
    }
}

#[test]
fn camt053_entry_amounts_add_up_to_the_closing_balance_per_statement() {
    let (_, months) = generated_months();

    for month in &months {
        let leaves = xml_leaves(&camt053_of(month));
        let mut per_statement: Vec<(Decimal, Decimal, Decimal, Decimal)> = Vec::new();
        let mut code = String::new();

        for (path, text) in leaves {
            let Some(current) = per_statement.last_mut() else {
                if path == "/Document/BkToCstmrStmt/Stmt" {
                    per_statement.push(Default::default());
                }
                continue;
            };
            match path.as_str() {
                "/Document/BkToCstmrStmt/Stmt" => per_statement.push(Default::default()),
                "/Document/BkToCstmrStmt/Stmt/Bal/Tp/CdOrPrtry/Cd" => code = text,
                "/Document/BkToCstmrStmt/Stmt/Bal/Amt" if code == "OPBD" => {
                    current.0 = decimal(&text)
                }
                "/Document/BkToCstmrStmt/Stmt/Bal/Amt" if code == "CLBD" => {
                    current.1 = decimal(&text)
                }
                "/Document/BkToCstmrStmt/Stmt/TxsSummry/TtlNtries/Sum" => {
                    current.2 = decimal(&text)
                }
                "/Document/BkToCstmrStmt/Stmt/Ntry/Amt" => current.3 += decimal(&text),
                _ => {}
            }
        }

        assert_eq!(per_statement.len(), month.statements.len());
        for (opening, closing, summary, entries) in per_statement {
            assert_eq!(opening + entries, closing, "opening + entries = closing");
            assert_eq!(
                summary, entries,
                "the transactions summary matches the entries"
            );
        }
    }
}

#[test]
fn camt053_uses_only_elements_that_real_bank_files_use() {
    let mut real_paths = BTreeSet::new();
    for file in fs::read_dir(CAMT053_FIXTURES).expect("camt.053 fixtures") {
        let xml = fs::read_to_string(file.expect("fixture entry").path()).expect("UTF-8 fixture");
        real_paths.extend(xml_leaves(&xml).into_iter().map(|(path, _)| path));
    }
    let (_, months) = generated_months();

    let mut generated_paths = BTreeSet::new();
    for month in &months {
        generated_paths.extend(
            xml_leaves(&camt053_of(month))
                .into_iter()
                .map(|(path, _)| path),
        );
    }

    let unknown: Vec<&String> = generated_paths.difference(&real_paths).collect();
    assert!(
        unknown.is_empty(),
        "elements no real camt.053 has: {unknown:?}"
    );
    for needed in [
        "/Document/BkToCstmrStmt/Stmt/Ntry/NtryDtls/TxDtls/RmtInf/Ustrd",
        "/Document/BkToCstmrStmt/Stmt/Ntry/NtryDtls/TxDtls/RmtInf/Strd/CdtrRefInf/Ref",
        "/Document/BkToCstmrStmt/Stmt/Ntry/NtryDtls/TxDtls/RltdPties/DbtrAcct/Id/IBAN",
        "/Document/BkToCstmrStmt/Stmt/Ntry/NtryDtls/TxDtls/AmtDtls/InstdAmt/Amt",
    ] {
        assert!(generated_paths.contains(needed), "{needed} is generated");
    }
}

/// One MT940 message: account, opening, closing, and the `:61:` amounts.
#[derive(Debug, Default)]
struct Mt940Message {
    account: String,
    opening: Decimal,
    closing: Decimal,
    movements: Vec<Decimal>,
}

/// `C240301EUR1234,56` → +1234.56 (negative for `D`).
fn mt940_balance(field: &str) -> Decimal {
    let amount = decimal(field[10..].trim_end_matches(',').replace(',', ".").as_str());
    if field.starts_with('D') {
        -amount
    } else {
        amount
    }
}

/// `2403010301C309,91NTRF…` → +309.91: value date, optional entry date,
/// mark (`C`, `D`, `RC`, `RD`), optional funds code, amount.
fn mt940_movement(field: &str) -> Decimal {
    let after_value_date = &field[6..];
    let has_entry_date = after_value_date.chars().take(4).all(|c| c.is_ascii_digit());
    let marked = if has_entry_date {
        &after_value_date[4..]
    } else {
        after_value_date
    };

    let (credit, mark_length) = match marked {
        m if m.starts_with("RC") => (false, 2),
        m if m.starts_with("RD") => (true, 2),
        m => (m.starts_with('C'), 1),
    };
    let amount: String = marked[mark_length..]
        .chars()
        .skip_while(|character| character.is_ascii_alphabetic())
        .take_while(|character| character.is_ascii_digit() || *character == ',')
        .collect();
    let amount = decimal(amount.trim_end_matches(',').replace(',', ".").as_str());
    if credit { amount } else { -amount }
}

fn parse_mt940(text: &str) -> Vec<Mt940Message> {
    let mut messages = Vec::new();
    let mut current = Mt940Message::default();
    for line in text.split("\r\n") {
        if let Some(account) = line.strip_prefix(":25:") {
            current.account = account.to_owned();
        } else if let Some(balance) = line.strip_prefix(":60F:") {
            current.opening = mt940_balance(balance);
        } else if let Some(movement) = line.strip_prefix(":61:") {
            current.movements.push(mt940_movement(movement));
        } else if let Some(balance) = line.strip_prefix(":62F:") {
            current.closing = mt940_balance(balance);
        } else if line == "-" {
            messages.push(std::mem::take(&mut current));
        }
    }
    messages
}

#[test]
fn mt940_balance_arithmetic_is_checked_against_a_real_bank_file() {
    // The reader used below, on a real statement: 84349.74 and its movements
    // give the closing balance of 84437.04 printed by the bank.
    let real =
        fs::read_to_string(format!("{MT940_FIXTURES}/WoLpH_cmxl_mt940.sta")).expect("fixture");
    let first_message: String = real
        .lines()
        .take_while(|line| *line != "-")
        .collect::<Vec<_>>()
        .join("\r\n");

    let message = &parse_mt940(&format!("{first_message}\r\n-\r\n"))[0];

    let moved: Decimal = message.movements.iter().sum();
    assert_eq!(message.opening + moved, message.closing);
}

#[test]
fn mt940_opening_plus_movements_is_the_closing_balance_month_after_month() {
    let (history, months) = generated_months();
    let mut last_closing: BTreeMap<String, Decimal> = BTreeMap::new();

    for month in &months {
        let messages = parse_mt940(&mt940_of(month));
        assert_eq!(messages.len(), history.accounts().len());

        for message in messages {
            let moved: Decimal = message.movements.iter().sum();
            assert_eq!(
                message.opening + moved,
                message.closing,
                "{}",
                message.account
            );
            if let Some(previous) = last_closing.get(&message.account) {
                assert_eq!(*previous, message.opening, "statements chain");
            }
            last_closing.insert(message.account.clone(), message.closing);
        }
    }
}

#[test]
fn mt940_lines_respect_swift_limits_and_tags_found_in_real_files() {
    let real_tags: BTreeSet<String> = fs::read_dir(MT940_FIXTURES)
        .expect("MT940 fixtures")
        .filter_map(|entry| fs::read(entry.ok()?.path()).ok())
        .flat_map(|bytes| {
            String::from_utf8_lossy(&bytes)
                .lines()
                .filter_map(|line| {
                    line.strip_prefix(':')?
                        .split_once(':')
                        .map(|(tag, _)| tag.to_owned())
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let (_, months) = generated_months();

    for month in &months {
        let text = mt940_of(month);
        for line in text.split("\r\n") {
            assert!(line.len() <= 65, "line too long: {line}");
            assert!(line.is_ascii(), "not ASCII: {line}");
            if let Some((tag, _)) = line.strip_prefix(':').and_then(|rest| rest.split_once(':')) {
                assert!(real_tags.contains(tag), "tag :{tag}: is in no real file");
            }
        }
        assert!(text.contains(":86:166?00SEPA-GUTSCHRIFT?20EREF+"));
        assert!(text.contains("?32"));
    }
}
