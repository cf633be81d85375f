//! ISO 20022 camt.052 (report), camt.053 (statement) and camt.054
//! (notification), versions 02 to 08.
//!
//! Each `Rpt` / `Stmt` / `Ntfctn` becomes one [`Statement`]. An entry (`Ntry`)
//! that books a batch carries one `TxDtls` per underlying payment; each
//! becomes its own transaction so that every payer can be matched.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::StatementError;
use crate::fingerprint::fingerprint;
use crate::model::{
    AccountRef, Balance, BankTransaction, Currency, Location, Remittance, Statement,
    StatementFormat, TransactionStatus,
};
use crate::text::{compact_iban, decimal_with_point, iso_date, non_empty};
use crate::xml::{Element, parse_document};

/// Placeholder end-to-end id that SEPA uses when the payer gave none.
const NOT_PROVIDED: &str = "NOTPROVIDED";

/// Reads every statement of a camt document.
pub(crate) fn parse(
    bytes: &[u8],
    format: StatementFormat,
) -> Result<Vec<Statement>, StatementError> {
    let document = parse_document(bytes, format)?;
    let (message, statement_tag) = message_and_statement_tag(&document, format)?;

    message
        .children_named(statement_tag)
        .enumerate()
        .map(|(index, statement)| {
            let path = format!("{}/{statement_tag}[{}]", message.name, index + 1);
            read_statement(statement, format, &path)
        })
        .collect()
}

/// The message element under `Document` and the name of its statement blocks.
fn message_and_statement_tag(
    document: &Element,
    format: StatementFormat,
) -> Result<(&Element, &'static str), StatementError> {
    let (message_tag, statement_tag) = match format {
        StatementFormat::Camt052 => ("BkToCstmrAcctRpt", "Rpt"),
        StatementFormat::Camt054 => ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
        _ => ("BkToCstmrStmt", "Stmt"),
    };
    let message = document
        .child(message_tag)
        .ok_or(StatementError::MissingValue {
            format,
            location: Location::Element(document.name.clone()),
            field: message_tag,
            hint: "the namespace announces this message but its body is absent; \
               check the file was not truncated",
        })?;
    Ok((message, statement_tag))
}

fn read_statement(
    statement: &Element,
    format: StatementFormat,
    path: &str,
) -> Result<Statement, StatementError> {
    let account = read_account(statement);
    let balances = read_balances(statement, format, path)?;

    let mut transactions = Vec::new();
    for (index, entry) in statement.children_named("Ntry").enumerate() {
        let entry_path = format!("{path}/Ntry[{}]", index + 1);
        transactions.extend(read_entry(entry, format, &entry_path, &account)?);
    }

    let currency = account_currency(statement, format, path)?
        .or_else(|| {
            balances
                .iter()
                .map(|(_, balance)| balance.currency.clone())
                .next()
        })
        .or_else(|| {
            transactions
                .iter()
                .find_map(|transaction| transaction.currency.clone())
        });

    Ok(Statement {
        format,
        account,
        currency,
        statement_id: statement.text_at(&["Id"]).map(str::to_owned),
        opening_balance: pick_balance(&balances, &["OPBD", "PRCD"]),
        closing_balance: pick_balance(&balances, &["CLBD", "ITBD"]),
        from_date: statement.text_at(&["FrToDt", "FrDtTm"]).and_then(iso_date),
        to_date: statement.text_at(&["FrToDt", "ToDtTm"]).and_then(iso_date),
        transactions,
    })
}

fn read_account(statement: &Element) -> AccountRef {
    let iban = statement.text_at(&["Acct", "Id", "IBAN"]).map(compact_iban);
    let number = statement
        .text_at(&["Acct", "Id", "Othr", "Id"])
        .map(str::to_owned);
    let servicer = ["BIC", "BICFI"]
        .iter()
        .find_map(|tag| statement.text_at(&["Acct", "Svcr", "FinInstnId", tag]));
    AccountRef {
        iban,
        number,
        bank_id: servicer.map(str::to_owned),
    }
}

fn account_currency(
    statement: &Element,
    format: StatementFormat,
    path: &str,
) -> Result<Option<Currency>, StatementError> {
    statement
        .text_at(&["Acct", "Ccy"])
        .map(|code| {
            Currency::parse(code).map_err(|error| {
                error.located(format, Location::Element(format!("{path}/Acct/Ccy")))
            })
        })
        .transpose()
}

/// Balances with their type code (`OPBD`, `CLBD`, ...), in file order.
fn read_balances(
    statement: &Element,
    format: StatementFormat,
    path: &str,
) -> Result<Vec<(String, Balance)>, StatementError> {
    let mut balances = Vec::new();
    for (index, balance) in statement.children_named("Bal").enumerate() {
        let balance_path = format!("{path}/Bal[{}]", index + 1);
        let code = balance
            .text_at(&["Tp", "CdOrPrtry", "Cd"])
            .or_else(|| balance.text_at(&["Tp", "CdOrPrtry", "Prtry"]))
            .unwrap_or_default()
            .to_owned();

        let (amount, currency) = read_amount(balance, format, &balance_path)?;
        let signed = apply_direction(amount, balance, format, &balance_path)?;
        let date = balance
            .text_at(&["Dt", "Dt"])
            .or_else(|| balance.text_at(&["Dt", "DtTm"]))
            .ok_or(StatementError::MissingValue {
                format,
                location: Location::Element(format!("{balance_path}/Dt")),
                field: "balance date",
                hint: "every camt balance needs Dt/Dt or Dt/DtTm",
            })?;
        let date = parse_date(date, format, &format!("{balance_path}/Dt"))?;

        balances.push((
            code,
            Balance {
                amount: signed,
                currency,
                date,
            },
        ));
    }
    Ok(balances)
}

/// The balance of the first type in `codes` the statement reports; when it
/// reports that type several times (interim balances), the last one.
fn pick_balance(balances: &[(String, Balance)], codes: &[&str]) -> Option<Balance> {
    codes.iter().find_map(|wanted| {
        balances
            .iter()
            .rev()
            .find(|(code, _)| code == wanted)
            .map(|(_, balance)| balance.clone())
    })
}

/// The `Amt` child of an element with its `Ccy` attribute.
fn read_amount(
    owner: &Element,
    format: StatementFormat,
    path: &str,
) -> Result<(Decimal, Currency), StatementError> {
    let location = || Location::Element(format!("{path}/Amt"));
    let amount = owner
        .child("Amt")
        .ok_or_else(|| StatementError::MissingValue {
            format,
            location: location(),
            field: "amount",
            hint: "each balance and entry needs an Amt element with a Ccy attribute",
        })?;
    parse_amount_element(amount, format, &format!("{path}/Amt"))
}

fn parse_amount_element(
    amount: &Element,
    format: StatementFormat,
    path: &str,
) -> Result<(Decimal, Currency), StatementError> {
    let location = || Location::Element(path.to_owned());
    let value = decimal_with_point(&amount.text).ok_or_else(|| StatementError::InvalidValue {
        format,
        location: location(),
        field: "amount",
        value: amount.text.clone(),
        expected: "a decimal number with a point, such as 1234.56",
    })?;
    let code = amount
        .attribute("Ccy")
        .ok_or(StatementError::MissingValue {
            format,
            location: location(),
            field: "Ccy attribute",
            hint: "camt amounts state their currency, as in <Amt Ccy=\"EUR\">",
        })?;
    let currency = Currency::parse(code).map_err(|error| error.located(format, location()))?;
    Ok((value, currency))
}

/// Negates the amount when the element's `CdtDbtInd` says debit.
fn apply_direction(
    amount: Decimal,
    owner: &Element,
    format: StatementFormat,
    path: &str,
) -> Result<Decimal, StatementError> {
    match direction(owner, format, path)? {
        Some(Direction::Debit) => Ok(-amount),
        Some(Direction::Credit) => Ok(amount),
        None => Err(StatementError::MissingValue {
            format,
            location: Location::Element(format!("{path}/CdtDbtInd")),
            field: "credit/debit indicator",
            hint: "add CdtDbtInd CRDT or DBIT",
        }),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Credit,
    Debit,
}

fn direction(
    owner: &Element,
    format: StatementFormat,
    path: &str,
) -> Result<Option<Direction>, StatementError> {
    match owner.text_at(&["CdtDbtInd"]) {
        None => Ok(None),
        Some("CRDT") => Ok(Some(Direction::Credit)),
        Some("DBIT") => Ok(Some(Direction::Debit)),
        Some(other) => Err(StatementError::InvalidValue {
            format,
            location: Location::Element(format!("{path}/CdtDbtInd")),
            field: "credit/debit indicator",
            value: other.to_owned(),
            expected: "CRDT or DBIT",
        }),
    }
}

fn parse_date(
    text: &str,
    format: StatementFormat,
    path: &str,
) -> Result<NaiveDate, StatementError> {
    iso_date(text).ok_or_else(|| StatementError::InvalidValue {
        format,
        location: Location::Element(path.to_owned()),
        field: "date",
        value: text.to_owned(),
        expected: "an ISO date such as 2024-03-31",
    })
}

fn read_date_choice(
    owner: &Element,
    tag: &str,
    format: StatementFormat,
    path: &str,
) -> Result<Option<NaiveDate>, StatementError> {
    let text = owner
        .text_at(&[tag, "Dt"])
        .or_else(|| owner.text_at(&[tag, "DtTm"]));
    text.map(|text| parse_date(text, format, &format!("{path}/{tag}")))
        .transpose()
}

/// What an entry says that all its transaction details share.
struct EntryFacts {
    amount: Decimal,
    currency: Currency,
    direction: Direction,
    booking_date: NaiveDate,
    value_date: Option<NaiveDate>,
    status: TransactionStatus,
    reversal: bool,
    bank_reference: Option<String>,
    bank_transaction_code: Option<String>,
    additional_information: Option<String>,
}

fn read_entry(
    entry: &Element,
    format: StatementFormat,
    path: &str,
    account: &AccountRef,
) -> Result<Vec<BankTransaction>, StatementError> {
    let facts = read_entry_facts(entry, format, path)?;
    let details: Vec<&Element> = entry
        .children_named("NtryDtls")
        .flat_map(|entry_details| entry_details.children_named("TxDtls"))
        .collect();

    // A single payment: the entry amount is what hit the account.
    if details.len() <= 1 {
        let signed = signed(facts.amount, facts.direction);
        let transaction = build_transaction(
            &facts,
            details.first().copied(),
            signed,
            facts.currency.clone(),
            facts.direction,
            account,
        );
        return Ok(vec![transaction]);
    }

    // A batch: one transaction per underlying payment, with its own amount.
    details
        .iter()
        .enumerate()
        .map(|(index, detail)| {
            let detail_path = format!("{path}/NtryDtls/TxDtls[{}]", index + 1);
            let (amount, currency) = detail_amount(detail, format, &detail_path)?;
            let direction = direction(detail, format, &detail_path)?.unwrap_or(facts.direction);
            let signed = signed(amount, direction);
            Ok(build_transaction(
                &facts,
                Some(detail),
                signed,
                currency,
                direction,
                account,
            ))
        })
        .collect()
}

fn read_entry_facts(
    entry: &Element,
    format: StatementFormat,
    path: &str,
) -> Result<EntryFacts, StatementError> {
    let (amount, currency) = read_amount(entry, format, path)?;
    let direction = direction(entry, format, path)?.ok_or(StatementError::MissingValue {
        format,
        location: Location::Element(format!("{path}/CdtDbtInd")),
        field: "credit/debit indicator",
        hint: "every entry needs CdtDbtInd CRDT or DBIT",
    })?;

    let booking_date = read_date_choice(entry, "BookgDt", format, path)?;
    let value_date = read_date_choice(entry, "ValDt", format, path)?;
    let booking_date = booking_date
        .or(value_date)
        .ok_or(StatementError::MissingValue {
            format,
            location: Location::Element(path.to_owned()),
            field: "booking date",
            hint: "an entry needs BookgDt or at least ValDt",
        })?;

    let status_code = entry
        .text_at(&["Sts", "Cd"])
        .or_else(|| entry.text_at(&["Sts"]));
    let status = match status_code {
        None | Some("BOOK") => TransactionStatus::Booked,
        Some(_) => TransactionStatus::Pending,
    };

    Ok(EntryFacts {
        amount,
        currency,
        direction,
        booking_date,
        value_date,
        status,
        reversal: matches!(entry.text_at(&["RvslInd"]), Some("true" | "1")),
        bank_reference: entry.text_at(&["AcctSvcrRef"]).map(str::to_owned),
        bank_transaction_code: transaction_code(entry),
        additional_information: entry.text_at(&["AddtlNtryInf"]).map(str::to_owned),
    })
}

/// The amount of one payment within a batch: its own `Amt` (v03+), else the
/// transaction amount, else the instructed amount.
fn detail_amount(
    detail: &Element,
    format: StatementFormat,
    path: &str,
) -> Result<(Decimal, Currency), StatementError> {
    let candidates: [&[&str]; 3] = [
        &["Amt"],
        &["AmtDtls", "TxAmt", "Amt"],
        &["AmtDtls", "InstdAmt", "Amt"],
    ];
    let found = candidates
        .iter()
        .find_map(|candidate| detail.at(candidate).map(|amount| (candidate, amount)));
    let (candidate, amount) = found.ok_or(StatementError::MissingValue {
        format,
        location: Location::Element(path.to_owned()),
        field: "transaction amount",
        hint: "a batch entry with several TxDtls needs Amt, AmtDtls/TxAmt or AmtDtls/InstdAmt \
               in each of them",
    })?;
    parse_amount_element(amount, format, &format!("{path}/{}", candidate.join("/")))
}

fn signed(amount: Decimal, direction: Direction) -> Decimal {
    match direction {
        Direction::Credit => amount,
        Direction::Debit => -amount,
    }
}

fn transaction_code(owner: &Element) -> Option<String> {
    let domain = owner.text_at(&["BkTxCd", "Domn", "Cd"]);
    let family = owner.text_at(&["BkTxCd", "Domn", "Fmly", "Cd"]);
    let sub_family = owner.text_at(&["BkTxCd", "Domn", "Fmly", "SubFmlyCd"]);
    match (domain, family, sub_family) {
        (Some(domain), Some(family), Some(sub_family)) => {
            Some(format!("{domain}/{family}/{sub_family}"))
        }
        _ => owner.text_at(&["BkTxCd", "Prtry", "Cd"]).map(str::to_owned),
    }
}

fn build_transaction(
    facts: &EntryFacts,
    detail: Option<&Element>,
    amount: Decimal,
    currency: Currency,
    direction: Direction,
    account: &AccountRef,
) -> BankTransaction {
    let counterparty = detail
        .map(|detail| counterparty(detail, direction))
        .unwrap_or_default();
    let remittance = detail.map(read_remittance).unwrap_or_default();
    let end_to_end_id = detail
        .and_then(|detail| detail.text_at(&["Refs", "EndToEndId"]))
        .filter(|id| *id != NOT_PROVIDED)
        .map(str::to_owned);
    let bank_reference = detail
        .and_then(|detail| detail.text_at(&["Refs", "AcctSvcrRef"]))
        .map(str::to_owned)
        .or_else(|| facts.bank_reference.clone());
    let bank_transaction_code = detail
        .and_then(transaction_code)
        .or_else(|| facts.bank_transaction_code.clone());

    let mut description: Vec<String> = facts.additional_information.iter().cloned().collect();
    description.extend(
        detail
            .and_then(|detail| detail.text_at(&["AddtlTxInf"]))
            .map(str::to_owned),
    );
    description.extend(remittance.unstructured.iter().cloned());

    let mut transaction = BankTransaction {
        booking_date: facts.booking_date,
        value_date: facts.value_date,
        amount,
        currency: Some(currency),
        status: facts.status,
        counterparty_name: counterparty.0,
        counterparty_iban: counterparty.1,
        end_to_end_id,
        customer_reference: detail
            .and_then(|detail| detail.text_at(&["Refs", "InstrId"]))
            .map(str::to_owned),
        bank_reference,
        remittance,
        reversal: facts.reversal,
        bank_transaction_code,
        raw_description: description.join("\n"),
        fingerprint: String::new(),
    };
    transaction.fingerprint = fingerprint(account, &transaction);
    transaction
}

/// Name and account of the other party: the debtor of a credit, the
/// creditor of a debit.
fn counterparty(detail: &Element, direction: Direction) -> (Option<String>, Option<String>) {
    let (party, party_account, ultimate) = match direction {
        Direction::Credit => ("Dbtr", "DbtrAcct", "UltmtDbtr"),
        Direction::Debit => ("Cdtr", "CdtrAcct", "UltmtCdtr"),
    };
    let name = [party, ultimate].iter().find_map(|tag| {
        detail
            .text_at(&["RltdPties", tag, "Nm"])
            .or_else(|| detail.text_at(&["RltdPties", tag, "Pty", "Nm"]))
    });
    let account = detail
        .text_at(&["RltdPties", party_account, "Id", "IBAN"])
        .map(compact_iban)
        .or_else(|| {
            detail
                .text_at(&["RltdPties", party_account, "Id", "Othr", "Id"])
                .map(str::to_owned)
        });
    (name.and_then(non_empty), account)
}

fn read_remittance(detail: &Element) -> Remittance {
    let Some(information) = detail.child("RmtInf") else {
        return Remittance::default();
    };
    let mut remittance = Remittance::default();
    for line in information.children_named("Ustrd") {
        remittance.unstructured.extend(non_empty(&line.text));
    }
    for structured in information.children_named("Strd") {
        for reference in structured.children_named("CdtrRefInf") {
            remittance
                .structured_references
                .extend(reference.text_at(&["Ref"]).and_then(non_empty));
        }
        for additional in structured.children_named("AddtlRmtInf") {
            remittance.unstructured.extend(non_empty(&additional.text));
        }
    }
    remittance
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A camt.053 v08 document around the given entries.
    fn statement_with(entries: &str) -> Vec<u8> {
        format!(
            r#"<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>
<Id>S1</Id><Acct><Id><IBAN>DE89 3704 0044 0532 0130 00</IBAN></Id><Ccy>EUR</Ccy></Acct>
{entries}
</Stmt></BkToCstmrStmt></Document>"#
        )
        .into_bytes()
    }

    fn entry(amount: &str, direction: &str, extra: &str, details: &str) -> String {
        format!(
            r#"<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>{extra}
<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2024-03-01</Dt></BookgDt><AcctSvcrRef>BANK-1</AcctSvcrRef>
<NtryDtls>{details}</NtryDtls></Ntry>"#
        )
    }

    fn read(entries: &str) -> Vec<BankTransaction> {
        let statements =
            parse(&statement_with(entries), StatementFormat::Camt053).expect("valid camt");
        statements
            .into_iter()
            .flat_map(|statement| statement.transactions)
            .collect()
    }

    fn decimal(text: &str) -> Decimal {
        text.parse().expect("valid decimal")
    }

    const PARTIES: &str = r#"<RltdPties>
<Dbtr><Pty><Nm>Payer SA</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></DbtrAcct>
<Cdtr><Nm>Payee GmbH</Nm></Cdtr><CdtrAcct><Id><IBAN>DE02120300000000202051</IBAN></Id></CdtrAcct>
</RltdPties>"#;

    #[test]
    fn direction_sets_the_sign_and_picks_the_counterparty() {
        let cases = [
            (
                "CRDT",
                "",
                "125.40",
                "Payer SA",
                "FR7630006000011234567890189",
                false,
            ),
            (
                "DBIT",
                "",
                "-125.40",
                "Payee GmbH",
                "DE02120300000000202051",
                false,
            ),
            (
                "DBIT",
                "<RvslInd>true</RvslInd>",
                "-125.40",
                "Payee GmbH",
                "DE02120300000000202051",
                true,
            ),
            (
                "CRDT",
                "<RvslInd>true</RvslInd>",
                "125.40",
                "Payer SA",
                "FR7630006000011234567890189",
                true,
            ),
        ];
        for (direction, extra, amount, name, iban, reversal) in cases {
            let details = format!("<TxDtls>{PARTIES}</TxDtls>");
            let transactions = read(&entry("125.40", direction, extra, &details));

            let transaction = &transactions[0];
            assert_eq!(transaction.amount, decimal(amount), "{direction} {extra}");
            assert_eq!(
                transaction.counterparty_name.as_deref(),
                Some(name),
                "{direction}"
            );
            assert_eq!(
                transaction.counterparty_iban.as_deref(),
                Some(iban),
                "{direction}"
            );
            assert_eq!(transaction.reversal, reversal, "{direction} {extra}");
        }
    }

    #[test]
    fn a_batch_entry_is_split_into_one_transaction_per_payment() {
        let details = r#"
<TxDtls><Refs><EndToEndId>E1</EndToEndId></Refs><Amt Ccy="EUR">100.00</Amt></TxDtls>
<TxDtls><Refs><EndToEndId>E2</EndToEndId></Refs><AmtDtls><TxAmt><Amt Ccy="EUR">20.50</Amt></TxAmt></AmtDtls></TxDtls>
<TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><AmtDtls><InstdAmt><Amt Ccy="EUR">0.00001</Amt></InstdAmt></AmtDtls></TxDtls>"#;
        let transactions = read(&entry("120.50001", "CRDT", "", details));

        let amounts: Vec<Decimal> = transactions
            .iter()
            .map(|transaction| transaction.amount)
            .collect();
        assert_eq!(
            amounts,
            vec![decimal("100.00"), decimal("20.50"), decimal("0.00001")]
        );
        let ids: Vec<Option<&str>> = transactions
            .iter()
            .map(|transaction| transaction.end_to_end_id.as_deref())
            .collect();
        assert_eq!(ids, vec![Some("E1"), Some("E2"), None]);
        assert!(
            transactions
                .iter()
                .all(|transaction| transaction.bank_reference.as_deref() == Some("BANK-1"))
        );
        assert_ne!(transactions[0].fingerprint, transactions[1].fingerprint);
    }

    #[test]
    fn a_single_payment_takes_the_entry_amount_and_an_empty_batch_stays_one_entry() {
        let single = r#"<TxDtls><AmtDtls><InstdAmt><Amt Ccy="USD">110.00</Amt></InstdAmt></AmtDtls></TxDtls>"#;
        let transactions = read(&entry("100.00", "DBIT", "", single));
        assert_eq!(transactions.len(), 1);
        assert_eq!(transactions[0].amount, decimal("-100.00"));
        assert_eq!(
            transactions[0].currency.as_ref().map(Currency::code),
            Some("EUR")
        );

        let batch_without_details = read(&entry(
            "55.00",
            "CRDT",
            "",
            "<Btch><NbOfTxs>3</NbOfTxs></Btch>",
        ));
        assert_eq!(batch_without_details.len(), 1);
        assert_eq!(batch_without_details[0].amount, decimal("55.00"));
    }

    #[test]
    fn structured_and_unstructured_remittance_are_collected() {
        let details = r#"<TxDtls><RmtInf><Ustrd>Invoice 2024-17</Ustrd><Ustrd>second line</Ustrd>
<Strd><CdtrRefInf><Tp><CdOrPrtry><Prtry>QRR</Prtry></CdOrPrtry></Tp><Ref>210000000003139471430009017</Ref></CdtrRefInf></Strd>
<Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf></TxDtls>"#;
        let transactions = read(&entry("1.00", "CRDT", "", details));

        let remittance = &transactions[0].remittance;
        assert_eq!(
            remittance.unstructured,
            vec!["Invoice 2024-17", "second line"]
        );
        assert_eq!(
            remittance.structured_references,
            vec!["210000000003139471430009017", "RF18539007547034"]
        );
    }

    #[test]
    fn a_batch_payment_without_amount_is_an_error_naming_the_element() {
        let details = "<TxDtls></TxDtls><TxDtls></TxDtls>";
        let error = parse(
            &statement_with(&entry("1.00", "CRDT", "", details)),
            StatementFormat::Camt053,
        )
        .expect_err("amounts are needed to split a batch");

        let message = error.to_string();
        assert!(message.contains("Ntry[1]/NtryDtls/TxDtls[1]"), "{message}");
        assert!(message.contains("transaction amount"), "{message}");
    }

    #[test]
    fn a_bad_amount_or_indicator_is_quoted_in_the_error() {
        let cases = [
            (entry("12,50", "CRDT", "", ""), "\"12,50\""),
            (entry("12.50", "CREDIT", "", ""), "\"CREDIT\""),
        ];
        for (entries, quoted) in cases {
            let error = parse(&statement_with(&entries), StatementFormat::Camt053)
                .expect_err("invalid entry");
            assert!(error.to_string().contains(quoted), "{error}");
        }
    }

    #[test]
    fn pending_entries_and_account_details_are_read() {
        let pending = r#"<Ntry><Amt Ccy="EUR">5</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>PDNG</Sts><ValDt><Dt>2024-03-04</Dt></ValDt></Ntry>"#;
        let statements =
            parse(&statement_with(pending), StatementFormat::Camt053).expect("valid camt");

        let statement = &statements[0];
        assert_eq!(
            statement.account.iban.as_deref(),
            Some("DE89370400440532013000")
        );
        assert_eq!(statement.currency.as_ref().map(Currency::code), Some("EUR"));
        assert_eq!(statement.transactions[0].status, TransactionStatus::Pending);
        assert_eq!(
            statement.transactions[0].booking_date,
            NaiveDate::from_ymd_opt(2024, 3, 4).expect("valid date")
        );
    }
}
