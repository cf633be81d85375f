//! Our MT940 reading agrees with another library's parse of the same files
//! (`mt940/expected/*.yml`: amounts, dates, references, type codes, details
//! and balances).
//!
//! The YAML is a Python object dump with recursive anchors, which generic
//! YAML readers refuse, so the few fields compared are read line by line.

use std::fs;
use std::path::Path;
use std::str::FromStr;

use chrono::NaiveDate;
use relance_bank_statements::{Balance, Statement, parse_statement};
use rust_decimal::Decimal;

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/bank-statements/mt940"
);

/// One transaction as the other library read it.
#[derive(Debug, Default)]
struct Expected {
    amount: Option<Decimal>,
    currency: Option<String>,
    date: Option<NaiveDate>,
    entry_date: Option<NaiveDate>,
    type_code: Option<String>,
    customer_reference: Option<String>,
    bank_reference: Option<String>,
    details: Option<String>,
}

/// A balance as the other library read it: amount, currency, date.
type ExpectedBalance = (Decimal, String, NaiveDate);

/// Decodes the pickled date: base64 of year (two bytes), month, day.
fn pickled_date(encoded: &str) -> NaiveDate {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bits: Vec<u8> = encoded
        .trim()
        .bytes()
        .filter(|byte| *byte != b'=')
        .map(|byte| {
            ALPHABET
                .iter()
                .position(|&letter| letter == byte)
                .expect("base64 letter") as u8
        })
        .collect();
    let bytes = [
        (bits[0] << 2) | (bits[1] >> 4),
        (bits[1] << 4) | (bits[2] >> 2),
        (bits[2] << 6) | bits[3],
        (bits[4] << 2) | (bits[5] >> 4),
    ];
    let year = i32::from(bytes[0]) * 256 + i32::from(bytes[1]);
    NaiveDate::from_ymd_opt(year, u32::from(bytes[2]), u32::from(bytes[3]))
        .expect("pickled date is valid")
}

fn scalar(value: &str) -> Option<String> {
    let value = value.trim();
    if value == "null" {
        return None;
    }
    let unquoted = value
        .strip_prefix('\'')
        .and_then(|inner| inner.strip_suffix('\''))
        .map(|inner| inner.replace("''", "'"));
    Some(unquoted.unwrap_or_else(|| value.to_owned()))
}

fn decimal_in(line: &str) -> Decimal {
    let start = line.find("['").expect("decimal argument") + 2;
    let end = line[start..].find('\'').expect("decimal end") + start;
    Decimal::from_str(&line[start..end]).expect("decimal value")
}

/// Reads a possibly multi-line YAML scalar starting at `lines[index]` after
/// `key: `; returns it with whitespace collapsed.
fn multiline_scalar(lines: &[&str], index: usize, key: &str) -> String {
    let first = lines[index].trim_start().trim_start_matches(key).trim();
    let mut parts = vec![first.to_owned()];
    parts.extend(
        lines[index + 1..]
            .iter()
            .take_while(|line| line.starts_with("      ") || line.trim().is_empty())
            .map(|line| line.to_string()),
    );
    let text = if first.starts_with('"') {
        double_quoted(&parts)
    } else {
        let joined = parts
            .iter()
            .map(|part| part.trim())
            .collect::<Vec<_>>()
            .join(" ");
        scalar(&joined).unwrap_or_default()
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn double_quoted(parts: &[String]) -> String {
    let mut joined = String::new();
    for part in parts {
        let part = part.trim_start();
        let part = part.strip_prefix('\\').unwrap_or(part);
        match part.strip_suffix('\\') {
            Some(continued) => joined.push_str(continued),
            None => {
                joined.push_str(part);
                joined.push(' ');
            }
        }
    }
    let inner = joined.trim().trim_start_matches('"').trim_end_matches('"');
    let mut text = String::new();
    let mut characters = inner.chars();
    while let Some(character) = characters.next() {
        if character != '\\' {
            text.push(character);
            continue;
        }
        match characters.next() {
            Some('n' | 't') => text.push(' '),
            Some('x') => {
                let hex: String = characters.by_ref().take(2).collect();
                let code = u32::from_str_radix(&hex, 16).expect("hex escape");
                text.push(char::from_u32(code).expect("escaped character"));
            }
            Some(other) => text.push(other),
            None => {}
        }
    }
    text
}

fn read_expected(yaml: &str) -> (Vec<Expected>, Vec<(String, ExpectedBalance)>) {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut transactions: Vec<Expected> = Vec::new();
    let mut balances = Vec::new();
    let mut section = "";
    let mut balance_key: Option<String> = None;
    let mut balance_amount: Option<(Decimal, String)> = None;

    for (index, line) in lines.iter().enumerate() {
        if !line.starts_with(' ') {
            section = if line.starts_with("data:") {
                "data"
            } else if line.starts_with("- !!python/object:mt940.models.Transaction") {
                transactions.push(Expected::default());
                "transaction"
            } else if line.starts_with("transactions:") {
                "transactions"
            } else {
                "other"
            };
            continue;
        }
        let date_after = || pickled_date(lines[index + 2]);
        match section {
            "data" => {
                if line.starts_with("  ")
                    && !line.starts_with("   ")
                    && line.contains("mt940.models.Balance")
                {
                    balance_key = Some(line.trim().split(':').next().expect("key").to_owned());
                } else if line.starts_with("      amount: ") {
                    balance_amount = Some((decimal_in(line), String::new()));
                } else if let Some(currency) = line.strip_prefix("      currency: ") {
                    if let Some((amount, _)) = balance_amount.take() {
                        balance_amount = Some((amount, currency.trim().to_owned()));
                    }
                } else if line.starts_with("    date: ") {
                    if let (Some(key), Some((amount, currency))) =
                        (balance_key.clone(), balance_amount.clone())
                    {
                        balances.push((key, (amount, currency, date_after())));
                    }
                } else if let Some(status) = line.strip_prefix("    status: ") {
                    if status.trim() == "D"
                        && let Some((_, (amount, _, _))) = balances.last_mut()
                    {
                        *amount = -*amount;
                    }
                    balance_key = None;
                }
            }
            "transaction" => {
                let current = transactions.last_mut().expect("a transaction is open");
                let trimmed = line.trim_start();
                if line.starts_with("      amount: ") {
                    current.amount = Some(decimal_in(line));
                } else if let Some(currency) = line.strip_prefix("      currency: ") {
                    current.currency = scalar(currency);
                } else if line.starts_with("    date: ") {
                    current.date = Some(date_after());
                } else if line.starts_with("    entry_date: ") {
                    current.entry_date = Some(date_after());
                } else if let Some(code) = line.strip_prefix("    id: ") {
                    current.type_code = scalar(code);
                } else if let Some(reference) = line.strip_prefix("    customer_reference: ") {
                    current.customer_reference = scalar(reference);
                } else if let Some(reference) = line.strip_prefix("    bank_reference: ") {
                    current.bank_reference = scalar(reference);
                } else if trimmed.starts_with("transaction_details: ") && line.starts_with("    t")
                {
                    current.details = Some(multiline_scalar(&lines, index, "transaction_details:"));
                }
            }
            _ => {}
        }
    }
    (transactions, balances)
}

fn balance_matches(balance: &Option<Balance>, expected: &ExpectedBalance) -> bool {
    balance.as_ref().is_some_and(|balance| {
        balance.amount == expected.0
            && balance.currency.code() == expected.1
            && balance.date == expected.2
    })
}

fn compare(
    name: &str,
    statements: &[Statement],
    expected: &[Expected],
    balances: &[(String, ExpectedBalance)],
) -> Vec<String> {
    let mut problems = Vec::new();
    let actual: Vec<_> = statements
        .iter()
        .flat_map(|statement| &statement.transactions)
        .collect();
    if actual.len() != expected.len() {
        problems.push(format!(
            "{name}: {} transactions, expected {}",
            actual.len(),
            expected.len()
        ));
        return problems;
    }

    for (index, (ours, theirs)) in actual.iter().zip(expected).enumerate() {
        // The other library reads `ref//bankref` as one customer reference of
        // at most 16 characters, so it keeps the pair whole, or cut short.
        let references_agree = match (&theirs.customer_reference, &theirs.bank_reference) {
            (Some(customer), None) if customer.contains("//") => {
                let ours_joined = format!(
                    "{}//{}",
                    ours.customer_reference.as_deref().unwrap_or_default(),
                    ours.bank_reference.as_deref().unwrap_or_default()
                );
                ours_joined.starts_with(customer.as_str())
            }
            (customer, bank) => {
                ours.customer_reference == *customer && ours.bank_reference == *bank
            }
        };

        // It also glues the statement's own `:86:` after the closing balance,
        // and the trailer, to the last transaction of a file.
        let our_details = ours
            .raw_description
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let is_last = index + 1 == actual.len();
        let details_agree = match &theirs.details {
            Some(details) if is_last => {
                details == &our_details || details.starts_with(&format!("{our_details} "))
            }
            details => details.as_deref() == Some(our_details.as_str()),
        };
        let checks = [
            ("amount", Some(ours.amount) == theirs.amount),
            (
                "currency",
                ours.currency
                    .as_ref()
                    .map(|currency| currency.code().to_owned())
                    == theirs.currency,
            ),
            ("value date", ours.value_date == theirs.date),
            (
                "booking date",
                Some(ours.booking_date) == theirs.entry_date.or(theirs.date),
            ),
            ("type code", ours.bank_transaction_code == theirs.type_code),
            ("customer and bank references", references_agree),
            ("details", details_agree),
        ];
        for (what, agrees) in checks {
            if !agrees {
                problems.push(format!(
                    "{name} transaction {}: {what} differs: ours {ours:?}, theirs {theirs:?}",
                    index + 1
                ));
            }
        }
    }

    for (key, balance) in balances {
        let found = statements.iter().any(|statement| {
            balance_matches(&statement.opening_balance, balance)
                || balance_matches(&statement.closing_balance, balance)
        });
        if !found {
            problems.push(format!("{name}: {key} {balance:?} is in no statement"));
        }
    }
    problems
}

#[test]
fn mt940_parse_agrees_with_the_reference_library_on_every_expected_file() {
    let mut problems = Vec::new();
    let mut compared = 0;
    for entry in fs::read_dir(Path::new(DATA).join("expected")).expect("expected folder exists") {
        let path = entry.expect("readable entry").path();
        let stem = path
            .file_stem()
            .expect("file stem")
            .to_string_lossy()
            .into_owned();
        let statement_file = Path::new(DATA).join(format!("{stem}.sta"));
        let yaml = fs::read_to_string(&path).expect("expected YAML is readable");
        let (expected, balances) = read_expected(&yaml);
        assert!(
            !expected.is_empty(),
            "{stem}: no transaction read from the YAML"
        );
        assert!(
            !balances.is_empty(),
            "{stem}: no balance read from the YAML"
        );

        let statements =
            parse_statement(&fs::read(&statement_file).expect("statement file is readable"))
                .unwrap_or_else(|error| panic!("{stem}: {error}"));
        problems.extend(compare(&stem, &statements, &expected, &balances));
        compared += expected.len();
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(compared >= 30, "only {compared} transactions compared");
}
