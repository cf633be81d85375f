//! Open Financial Exchange statements: OFX 1.x (SGML, where leaf elements
//! are not closed) and OFX 2.x (XML).
//!
//! Both are read by one tolerant tag reader into an element tree. Each bank
//! (`STMTRS`) or credit-card (`CCSTMTRS`) statement response becomes one
//! [`Statement`]; OFX amounts are already signed from the account holder's
//! side.

use std::collections::HashSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::detect::decode_text;
use crate::error::StatementError;
use crate::fingerprint::fingerprint;
use crate::model::{
    AccountRef, Balance, BankTransaction, Currency, Location, Remittance, Statement,
    StatementFormat, TransactionStatus,
};
use crate::text::{compact_iban, localized_amount, looks_like_iban, non_empty};
use crate::xml::Element;

const FORMAT: StatementFormat = StatementFormat::Ofx;

/// Reads every statement response in an OFX file.
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<Statement>, StatementError> {
    let text = decode_text(bytes);
    let root = read_tree(&text)?;

    let mut responses = Vec::new();
    collect(&root, &mut responses);
    responses
        .into_iter()
        .enumerate()
        .map(|(index, response)| {
            read_statement(response, &format!("{}[{}]", response.name, index + 1))
        })
        .collect()
}

/// Finds `STMTRS` and `CCSTMTRS` elements at any depth.
fn collect<'a>(element: &'a Element, found: &mut Vec<&'a Element>) {
    for child in &element.children {
        if child.name == "STMTRS" || child.name == "CCSTMTRS" {
            found.push(child);
        } else {
            collect(child, found);
        }
    }
}

/// Builds an element tree from SGML or XML OFX: the text from `<OFX>` on is
/// read tag by tag; an element that holds text and is not closed before the
/// next tag is a leaf, and a closing tag closes every element still open
/// inside it.
fn read_tree(text: &str) -> Result<Element, StatementError> {
    let upper = text.to_ascii_uppercase();
    let start = upper.find("<OFX>").ok_or(StatementError::MissingValue {
        format: FORMAT,
        location: Location::File,
        field: "<OFX> element",
        hint: "the OFX header is there but the body is missing; re-download the file",
    })?;
    let mut stack = vec![Element {
        name: "#document".to_owned(),
        ..Element::default()
    }];
    let mut rest = &text[start..];
    let closed = closed_names(rest);

    while let Some(open) = rest.find('<') {
        append_text(&mut stack, &rest[..open]);
        rest = &rest[open..];

        if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            let end = cdata.find("]]>").unwrap_or(cdata.len());
            if let Some(current) = stack.last_mut() {
                current.text.push_str(&cdata[..end]);
            }
            rest = cdata.get(end + 3..).unwrap_or_default();
            continue;
        }

        let close = rest.find('>').ok_or_else(|| StatementError::Malformed {
            format: FORMAT,
            location: Location::Element(stack_path(&stack)),
            reason: "a tag is not closed with '>'; the file looks truncated".to_owned(),
        })?;
        let tag = rest[1..close].trim();
        rest = &rest[close + 1..];

        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            close_element(&mut stack, name.trim());
        } else if let Some(name) = tag.strip_suffix('/') {
            close_open_leaf(&mut stack, &closed);
            push_child(
                &mut stack,
                Element {
                    name: name.trim().to_owned(),
                    ..Element::default()
                },
            );
        } else {
            close_open_leaf(&mut stack, &closed);
            stack.push(Element {
                name: tag.to_owned(),
                ..Element::default()
            });
        }
    }

    while stack.len() > 1 {
        pop_into_parent(&mut stack);
    }
    Ok(stack.pop().unwrap_or_default())
}

fn append_text(stack: &mut [Element], text: &str) {
    if let Some(current) = stack.last_mut() {
        current.text.push_str(&decode_entities(text));
    }
}

/// Names that appear in a closing tag somewhere in the document.
fn closed_names(text: &str) -> HashSet<String> {
    text.match_indices("</")
        .filter_map(|(position, _)| {
            let rest = &text[position + 2..];
            rest.find('>').map(|end| rest[..end].trim().to_owned())
        })
        .collect()
}

/// An SGML leaf (`<NAME>text` with no `</NAME>`) ends where the next tag
/// starts: an element never closed anywhere in the file, or one that holds
/// text and no children.
fn close_open_leaf(stack: &mut Vec<Element>, closed: &HashSet<String>) {
    let is_leaf = stack.last().is_some_and(|current| {
        let never_closed = !closed.contains(&current.name);
        let holds_text = current.children.is_empty() && !current.text.trim().is_empty();
        stack.len() > 1 && (never_closed || holds_text)
    });
    if is_leaf {
        pop_into_parent(stack);
    }
}

fn close_element(stack: &mut Vec<Element>, name: &str) {
    if !stack.iter().skip(1).any(|element| element.name == name) {
        return;
    }
    while let Some(current) = stack.last() {
        let done = current.name == name;
        pop_into_parent(stack);
        if done {
            break;
        }
    }
}

fn pop_into_parent(stack: &mut Vec<Element>) {
    if stack.len() > 1
        && let Some(element) = stack.pop()
    {
        push_child(stack, element);
    }
}

fn push_child(stack: &mut [Element], element: Element) {
    if let Some(parent) = stack.last_mut() {
        parent.children.push(element);
    }
}

fn stack_path(stack: &[Element]) -> String {
    stack
        .iter()
        .skip(1)
        .map(|element| element.name.as_str())
        .collect::<Vec<_>>()
        .join("/")
}

fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn read_statement(response: &Element, path: &str) -> Result<Statement, StatementError> {
    let account = read_account(response);
    let currency = response
        .text_at(&["CURDEF"])
        .map(|code| {
            Currency::parse(code)
                .map_err(|error| error.located(FORMAT, Location::Element(format!("{path}/CURDEF"))))
        })
        .transpose()?;

    let list = response.child("BANKTRANLIST");
    let mut transactions = Vec::new();
    for (index, entry) in list
        .into_iter()
        .flat_map(|list| list.children_named("STMTTRN"))
        .enumerate()
    {
        let entry_path = format!("{path}/BANKTRANLIST/STMTTRN[{}]", index + 1);
        transactions.push(read_transaction(
            entry,
            currency.as_ref(),
            &account,
            &entry_path,
        )?);
    }

    let closing_balance = match &currency {
        Some(currency) => read_balance(response, currency, path)?,
        None => None,
    };

    Ok(Statement {
        format: FORMAT,
        account,
        currency: currency.clone().or_else(|| {
            transactions
                .iter()
                .find_map(|transaction| transaction.currency.clone())
        }),
        statement_id: None,
        opening_balance: None,
        closing_balance,
        from_date: list
            .and_then(|list| list.text_at(&["DTSTART"]))
            .and_then(ofx_date),
        to_date: list
            .and_then(|list| list.text_at(&["DTEND"]))
            .and_then(ofx_date),
        transactions,
    })
}

fn read_account(response: &Element) -> AccountRef {
    let from = response
        .child("BANKACCTFROM")
        .or_else(|| response.child("CCACCTFROM"));
    let Some(from) = from else {
        return AccountRef::default();
    };
    let number = from.text_at(&["ACCTID"]).map(str::to_owned);
    let iban = number
        .as_deref()
        .map(compact_iban)
        .filter(|number| looks_like_iban(number));
    AccountRef {
        number: if iban.is_some() { None } else { number },
        iban,
        bank_id: from.text_at(&["BANKID"]).map(str::to_owned),
    }
}

/// `LEDGERBAL` when both its amount and date are filled in.
fn read_balance(
    response: &Element,
    currency: &Currency,
    path: &str,
) -> Result<Option<Balance>, StatementError> {
    let Some(ledger) = response.child("LEDGERBAL") else {
        return Ok(None);
    };
    let (Some(amount), Some(date)) = (ledger.text_at(&["BALAMT"]), ledger.text_at(&["DTASOF"]))
    else {
        return Ok(None);
    };
    let amount = read_amount(amount, &format!("{path}/LEDGERBAL/BALAMT"))?;
    let date = read_date(date, &format!("{path}/LEDGERBAL/DTASOF"))?;
    Ok(Some(Balance {
        amount,
        currency: currency.clone(),
        date,
    }))
}

fn read_transaction(
    entry: &Element,
    statement_currency: Option<&Currency>,
    account: &AccountRef,
    path: &str,
) -> Result<BankTransaction, StatementError> {
    let missing = |field: &'static str, hint: &'static str| StatementError::MissingValue {
        format: FORMAT,
        location: Location::Element(path.to_owned()),
        field,
        hint,
    };
    let amount = entry
        .text_at(&["TRNAMT"])
        .ok_or_else(|| missing("TRNAMT", "every STMTTRN needs its amount"))?;
    let amount = read_amount(amount, &format!("{path}/TRNAMT"))?;
    let posted = entry
        .text_at(&["DTPOSTED"])
        .ok_or_else(|| missing("DTPOSTED", "every STMTTRN needs its posting date"))?;
    let booking_date = read_date(posted, &format!("{path}/DTPOSTED"))?;
    let value_date = ["DTAVAIL", "VALUEDATE", "DTUSER"]
        .iter()
        .find_map(|tag| entry.text_at(&[tag]))
        .and_then(ofx_date);

    let currency = match entry.text_at(&["CURRENCY", "CURSYM"]) {
        Some(code) => Some(Currency::parse(code).map_err(|error| {
            error.located(FORMAT, Location::Element(format!("{path}/CURRENCY/CURSYM")))
        })?),
        None => statement_currency.cloned(),
    };

    let name = entry
        .text_at(&["NAME"])
        .or_else(|| entry.text_at(&["PAYEE", "NAME"]))
        .and_then(non_empty);
    let memo = entry.text_at(&["MEMO"]).and_then(non_empty);
    let description: Vec<&str> = name.iter().chain(memo.iter()).map(String::as_str).collect();

    let mut transaction = BankTransaction {
        booking_date,
        value_date,
        amount,
        currency,
        status: TransactionStatus::Booked,
        counterparty_name: name.clone(),
        counterparty_iban: entry.text_at(&["BANKACCTTO", "ACCTID"]).map(str::to_owned),
        end_to_end_id: None,
        customer_reference: entry.text_at(&["REFNUM"]).map(str::to_owned),
        bank_reference: entry.text_at(&["FITID"]).map(str::to_owned),
        remittance: Remittance {
            unstructured: memo.iter().cloned().collect(),
            structured_references: Vec::new(),
        },
        reversal: false,
        bank_transaction_code: entry.text_at(&["TRNTYPE"]).map(str::to_ascii_uppercase),
        raw_description: description.join("\n"),
        fingerprint: String::new(),
    };
    transaction.fingerprint = fingerprint(account, &transaction);
    Ok(transaction)
}

fn read_amount(text: &str, path: &str) -> Result<Decimal, StatementError> {
    let decimal_comma = text.contains(',') && !text.contains('.');
    localized_amount(text, decimal_comma).ok_or_else(|| StatementError::InvalidValue {
        format: FORMAT,
        location: Location::Element(path.to_owned()),
        field: "amount",
        value: text.to_owned(),
        expected: "a signed decimal number such as -16.85",
    })
}

/// OFX dates start with `YYYYMMDD`; time and zone may follow.
fn ofx_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim().get(..8)?, "%Y%m%d").ok()
}

fn read_date(text: &str, path: &str) -> Result<NaiveDate, StatementError> {
    ofx_date(text).ok_or_else(|| StatementError::InvalidValue {
        format: FORMAT,
        location: Location::Element(path.to_owned()),
        field: "date",
        value: text.to_owned(),
        expected: "YYYYMMDD, optionally followed by a time, such as 20240131120000",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclosed_sgml_leaves_and_closed_xml_give_the_same_tree() {
        let sgml = "<OFX><STMTRS><CURDEF>EUR<BANKACCTFROM><ACCTID>42</BANKACCTFROM></STMTRS></OFX>";
        let empty_leaf =
            "<OFX><STMTRS><CURDEF><BANKACCTFROM><ACCTID>42</BANKACCTFROM></STMTRS></OFX>";
        let xml = "<OFX><STMTRS><CURDEF>EUR</CURDEF><BANKACCTFROM><ACCTID>42</ACCTID></BANKACCTFROM></STMTRS></OFX>";

        let from_sgml = read_tree(sgml).expect("SGML reads");
        let from_xml = read_tree(xml).expect("XML reads");

        assert_eq!(from_sgml, from_xml);
        assert_eq!(
            from_sgml.text_at(&["OFX", "STMTRS", "BANKACCTFROM", "ACCTID"]),
            Some("42")
        );
        let with_empty_leaf = read_tree(empty_leaf).expect("SGML with an empty leaf reads");
        assert_eq!(
            with_empty_leaf.text_at(&["OFX", "STMTRS", "BANKACCTFROM", "ACCTID"]),
            Some("42")
        );
    }

    #[test]
    fn ofx_dates_ignore_time_and_zone() {
        assert_eq!(
            ofx_date("20120603203135.547[-7:PDT]"),
            NaiveDate::from_ymd_opt(2012, 6, 3)
        );
        assert_eq!(ofx_date("2012"), None);
    }
}
