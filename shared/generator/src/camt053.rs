//! The bank side of a month as an ISO 20022 camt.053.001.02 document: one
//! `Stmt` per company account, one credit `Ntry` per payment.

use std::io::{self, Write};

use chrono::NaiveDate;

use crate::error::add_days;
use crate::ledger::{BankPayment, BankStatement, LedgerMonth, Remittance};
use crate::money::Money;

/// The XML namespace of camt.053 version 2.
pub const CAMT053_NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02";

/// Writes the statements of `month` as one camt.053 document whose account
/// owner is `company_name`.
pub fn write_camt053<W: Write>(
    month: &LedgerMonth,
    company_name: &str,
    writer: &mut W,
) -> io::Result<()> {
    let created = creation_instant(month.last_day);
    let mut xml = XmlText::with_capacity(2_048 + month.payments.len() * 1_600);

    xml.declaration();
    xml.open_with_attributes(
        "Document",
        &[
            ("xmlns", CAMT053_NAMESPACE),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
        ],
    );
    xml.open("BkToCstmrStmt");

    xml.open("GrpHdr");
    xml.leaf(
        "MsgId",
        &format!("RLC053-{}", month.first_day.format("%Y-%m")),
    );
    xml.leaf("CreDtTm", &created);
    xml.open("MsgPgntn");
    xml.leaf("PgNb", "1");
    xml.leaf("LastPgInd", "true");
    xml.close("MsgPgntn");
    xml.close("GrpHdr");

    for statement in &month.statements {
        push_statement(&mut xml, statement, &month.payments, company_name, &created);
    }

    xml.close("BkToCstmrStmt");
    xml.close("Document");
    writer.write_all(xml.text.as_bytes())
}

fn push_statement(
    xml: &mut XmlText,
    statement: &BankStatement,
    payments: &[BankPayment],
    company_name: &str,
    created: &str,
) {
    let currency = statement.currency.code();
    let entries: Vec<&BankPayment> = statement
        .entries
        .iter()
        .filter_map(|position| payments.get(*position))
        .collect();
    let credited = statement
        .closing_balance
        .checked_sub(statement.opening_balance)
        .map_or_else(|_| String::from("0.00"), |sum| sum.to_decimal_string());

    xml.open("Stmt");
    xml.leaf(
        "Id",
        &format!("STMT-{}-{currency}", statement.from_date.format("%Y-%m")),
    );
    xml.leaf("ElctrncSeqNb", &statement.sequence_number.to_string());
    xml.leaf("CreDtTm", created);
    xml.open("FrToDt");
    xml.leaf("FrDtTm", &format!("{}T00:00:00", statement.from_date));
    xml.leaf("ToDtTm", &format!("{}T23:59:59", statement.to_date));
    xml.close("FrToDt");

    xml.open("Acct");
    xml.open("Id");
    xml.leaf("IBAN", statement.account.as_str());
    xml.close("Id");
    xml.leaf("Ccy", currency);
    xml.open("Ownr");
    xml.leaf("Nm", company_name);
    xml.close("Ownr");
    xml.close("Acct");

    push_balance(xml, "OPBD", statement.opening_balance, statement.from_date);
    push_balance(xml, "CLBD", statement.closing_balance, statement.to_date);

    let count = entries.len().to_string();
    xml.open("TxsSummry");
    xml.open("TtlNtries");
    xml.leaf("NbOfNtries", &count);
    xml.leaf("Sum", &credited);
    xml.close("TtlNtries");
    xml.open("TtlCdtNtries");
    xml.leaf("NbOfNtries", &count);
    xml.leaf("Sum", &credited);
    xml.close("TtlCdtNtries");
    xml.close("TxsSummry");

    for payment in entries {
        push_entry(xml, payment);
    }
    xml.close("Stmt");
}

fn push_balance(xml: &mut XmlText, code: &str, balance: Money, date: NaiveDate) {
    let indicator = if balance.amount().is_sign_negative() {
        "DBIT"
    } else {
        "CRDT"
    };

    xml.open("Bal");
    xml.open("Tp");
    xml.open("CdOrPrtry");
    xml.leaf("Cd", code);
    xml.close("CdOrPrtry");
    xml.close("Tp");
    push_amount(xml, "Amt", balance.abs());
    xml.leaf("CdtDbtInd", indicator);
    xml.open("Dt");
    xml.leaf("Dt", &date.to_string());
    xml.close("Dt");
    xml.close("Bal");
}

fn push_entry(xml: &mut XmlText, payment: &BankPayment) {
    xml.open("Ntry");
    xml.leaf("NtryRef", &payment.id);
    push_amount(xml, "Amt", payment.amount);
    xml.leaf("CdtDbtInd", "CRDT");
    xml.leaf("Sts", "BOOK");
    xml.open("BookgDt");
    xml.leaf("Dt", &payment.booking_date.to_string());
    xml.close("BookgDt");
    xml.open("ValDt");
    xml.leaf("Dt", &payment.value_date.to_string());
    xml.close("ValDt");
    xml.leaf("AcctSvcrRef", &payment.id);
    push_bank_transaction_code(xml);

    xml.open("NtryDtls");
    xml.open("TxDtls");
    xml.open("Refs");
    xml.leaf("AcctSvcrRef", &payment.id);
    xml.leaf("EndToEndId", &payment.end_to_end_id);
    xml.close("Refs");
    if !payment.fee.is_zero() {
        push_amount_details(xml, payment);
    }
    push_bank_transaction_code(xml);
    push_related_parties(xml, payment);
    push_remittance(xml, &payment.remittance);
    xml.close("TxDtls");
    xml.close("NtryDtls");
    xml.close("Ntry");
}

/// A received SEPA credit transfer: PMNT / RCDT / ESCT.
fn push_bank_transaction_code(xml: &mut XmlText) {
    xml.open("BkTxCd");
    xml.open("Domn");
    xml.leaf("Cd", "PMNT");
    xml.open("Fmly");
    xml.leaf("Cd", "RCDT");
    xml.leaf("SubFmlyCd", "ESCT");
    xml.close("Fmly");
    xml.close("Domn");
    xml.close("BkTxCd");
}

/// What the payer instructed and what reached the account, when a bank took
/// fees on the way: the difference is the fee.
fn push_amount_details(xml: &mut XmlText, payment: &BankPayment) {
    let instructed = payment
        .amount
        .checked_add(payment.fee)
        .unwrap_or(payment.amount);

    xml.open("AmtDtls");
    xml.open("InstdAmt");
    push_amount(xml, "Amt", instructed);
    xml.close("InstdAmt");
    xml.open("TxAmt");
    push_amount(xml, "Amt", payment.amount);
    xml.close("TxAmt");
    xml.close("AmtDtls");
}

fn push_related_parties(xml: &mut XmlText, payment: &BankPayment) {
    xml.open("RltdPties");
    xml.open("Dbtr");
    xml.leaf("Nm", &payment.payer_name);
    xml.close("Dbtr");
    xml.open("DbtrAcct");
    xml.open("Id");
    xml.leaf("IBAN", payment.payer_iban.as_str());
    xml.close("Id");
    xml.close("DbtrAcct");
    xml.close("RltdPties");
}

fn push_remittance(xml: &mut XmlText, remittance: &Remittance) {
    match remittance {
        Remittance::Nothing => {}
        Remittance::Unstructured(text) => {
            xml.open("RmtInf");
            xml.leaf("Ustrd", text);
            xml.close("RmtInf");
        }
        Remittance::Structured(reference) => {
            xml.open("RmtInf");
            xml.open("Strd");
            xml.open("CdtrRefInf");
            xml.open("Tp");
            xml.open("CdOrPrtry");
            xml.leaf("Cd", "SCOR");
            xml.close("CdOrPrtry");
            xml.leaf("Issr", "ISO");
            xml.close("Tp");
            xml.leaf("Ref", reference.as_str());
            xml.close("CdtrRefInf");
            xml.close("Strd");
            xml.close("RmtInf");
        }
    }
}

fn push_amount(xml: &mut XmlText, tag: &str, amount: Money) {
    xml.leaf_with_attribute(
        tag,
        ("Ccy", amount.currency().code()),
        &amount.to_decimal_string(),
    );
}

/// Statements are produced at 05:00 UTC the morning after the month ends.
fn creation_instant(last_day: NaiveDate) -> String {
    let day = add_days(last_day, 1).unwrap_or(last_day);
    format!("{day}T05:00:00Z")
}

/// An indented XML document under construction.
struct XmlText {
    text: String,
    depth: usize,
}

impl XmlText {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            text: String::with_capacity(capacity),
            depth: 0,
        }
    }

    fn declaration(&mut self) {
        self.text
            .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    }

    fn open(&mut self, tag: &str) {
        self.open_with_attributes(tag, &[]);
    }

    fn open_with_attributes(&mut self, tag: &str, attributes: &[(&str, &str)]) {
        self.indent();
        self.text.push('<');
        self.text.push_str(tag);
        self.push_attributes(attributes);
        self.text.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, tag: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.text.push_str("</");
        self.text.push_str(tag);
        self.text.push_str(">\n");
    }

    fn leaf(&mut self, tag: &str, content: &str) {
        self.leaf_with_attributes(tag, &[], content);
    }

    fn leaf_with_attribute(&mut self, tag: &str, attribute: (&str, &str), content: &str) {
        self.leaf_with_attributes(tag, &[attribute], content);
    }

    fn leaf_with_attributes(&mut self, tag: &str, attributes: &[(&str, &str)], content: &str) {
        self.indent();
        self.text.push('<');
        self.text.push_str(tag);
        self.push_attributes(attributes);
        self.text.push('>');
        push_escaped(&mut self.text, content);
        self.text.push_str("</");
        self.text.push_str(tag);
        self.text.push_str(">\n");
    }

    fn push_attributes(&mut self, attributes: &[(&str, &str)]) {
        for (name, value) in attributes {
            self.text.push(' ');
            self.text.push_str(name);
            self.text.push_str("=\"");
            push_escaped(&mut self.text, value);
            self.text.push('"');
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.text.push_str("  ");
        }
    }
}

/// Appends `text` with the five XML special characters escaped.
fn push_escaped(out: &mut String, text: &str) {
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_special_characters_are_escaped() {
        let mut out = String::new();

        push_escaped(&mut out, "Müller & Co. <GmbH> \"d'Or\"");

        assert_eq!(out, "Müller &amp; Co. &lt;GmbH&gt; &quot;d&apos;Or&quot;");
    }

    #[test]
    fn elements_nest_with_two_space_indentation() {
        let mut xml = XmlText::with_capacity(64);

        xml.open("Bal");
        xml.leaf_with_attribute("Amt", ("Ccy", "EUR"), "1.00");
        xml.close("Bal");

        assert_eq!(xml.text, "<Bal>\n  <Amt Ccy=\"EUR\">1.00</Amt>\n</Bal>\n");
    }
}
