//! The bank side of a month as SWIFT MT940 messages, one per company account,
//! with German-style structured `:86:` details (`?20`–`?29` remittance,
//! `?31` payer IBAN, `?32`/`?33` payer name).

use std::io::{self, Write};

use chrono::NaiveDate;

use crate::ledger::{BankPayment, BankStatement, LedgerMonth, Remittance};
use crate::money::Money;

/// Longest line of an MT940 message.
const MAX_LINE_LENGTH: usize = 65;

/// Longest content of one `:86:` subfield.
const SUBFIELD_LENGTH: usize = 27;

/// Remittance subfields `?20` to `?29`.
const REMITTANCE_SUBFIELDS: usize = 10;

/// Writes the statements of `month` as MT940 messages, lines ending in CR LF,
/// each message closed by a `-` line.
pub fn write_mt940<W: Write>(month: &LedgerMonth, writer: &mut W) -> io::Result<()> {
    let mut text = String::with_capacity(512 + month.payments.len() * 400);
    for statement in &month.statements {
        push_message(&mut text, statement, &month.payments);
    }
    writer.write_all(text.as_bytes())
}

fn push_message(text: &mut String, statement: &BankStatement, payments: &[BankPayment]) {
    let currency = statement.currency.code();
    push_line(
        text,
        &format!(":20:RLC{}{currency}", statement.from_date.format("%Y%m")),
    );
    push_line(text, &format!(":25:{}", statement.account));
    push_line(text, &format!(":28C:{}/1", statement.sequence_number));
    push_line(
        text,
        &format!(
            ":60F:{}",
            balance_field(statement.opening_balance, statement.from_date)
        ),
    );

    for payment in statement
        .entries
        .iter()
        .filter_map(|position| payments.get(*position))
    {
        push_line(text, &statement_line(payment));
        push_details_field(text, &information_to_owner(payment));
    }

    push_line(
        text,
        &format!(
            ":62F:{}",
            balance_field(statement.closing_balance, statement.to_date)
        ),
    );
    push_line(text, "-");
}

/// `C250131EUR1234,56`: mark, date, currency and amount of a balance.
fn balance_field(balance: Money, date: NaiveDate) -> String {
    let mark = if balance.amount().is_sign_negative() {
        "D"
    } else {
        "C"
    };
    format!(
        "{mark}{}{}{}",
        date.format("%y%m%d"),
        balance.currency(),
        swift_amount(balance.abs())
    )
}

/// `:61:` value date, entry date, credit mark, amount, `NTRF`, the payer's
/// reference and the bank's.
fn statement_line(payment: &BankPayment) -> String {
    let customer_reference = if payment.end_to_end_id == "NOTPROVIDED" {
        "NONREF".to_owned()
    } else {
        swift_text(&payment.end_to_end_id)
            .chars()
            .take(16)
            .collect()
    };
    format!(
        ":61:{}{}C{}NTRF{customer_reference}//{}",
        payment.value_date.format("%y%m%d"),
        payment.booking_date.format("%m%d"),
        swift_amount(payment.amount),
        payment.id
    )
}

/// The `:86:` subfields: transaction code 166 (SEPA credit transfer), then
/// the end-to-end id, remittance and fees in `?20`…`?29`, each keyword
/// (`EREF+`, `SVWZ+`, `ENTG+`) starting a subfield, then the payer's IBAN and
/// name.
fn information_to_owner(payment: &BankPayment) -> Vec<String> {
    let mut keywords = vec![format!("EREF+{}", swift_text(&payment.end_to_end_id))];
    match &payment.remittance {
        Remittance::Unstructured(line) => keywords.push(format!("SVWZ+{}", swift_text(line))),
        Remittance::Structured(reference) => keywords.push(format!("SVWZ+{reference}")),
        Remittance::Nothing => {}
    }
    if !payment.fee.is_zero() {
        keywords.push(format!("ENTG+{}", swift_amount(payment.fee)));
    }

    let mut subfields = vec!["166".to_owned(), "?00SEPA-GUTSCHRIFT".to_owned()];
    let remittance = keywords
        .iter()
        .flat_map(|keyword| chunks(keyword, SUBFIELD_LENGTH));
    for (position, chunk) in remittance.take(REMITTANCE_SUBFIELDS).enumerate() {
        subfields.push(format!("?{}{chunk}", 20 + position));
    }
    subfields.push(format!("?31{}", payment.payer_iban));

    let name = swift_text(&payment.payer_name);
    for (code, part) in ["?32", "?33"]
        .into_iter()
        .zip(chunks(&name, SUBFIELD_LENGTH))
    {
        subfields.push(format!("{code}{part}"));
    }
    subfields
}

/// `1234,56`: the amount with a decimal comma, as SWIFT writes it.
fn swift_amount(amount: Money) -> String {
    amount.to_decimal_string().replace('.', ",")
}

/// `text` reduced to SWIFT's character set; `?` is the subfield separator, so
/// it never appears in content.
fn swift_text(text: &str) -> String {
    text.chars()
        .map(|character| match character {
            'a'..='z' | 'A'..='Z' | '0'..='9' => character,
            '/' | '-' | ':' | '(' | ')' | '.' | ',' | '\'' | '+' | ' ' => character,
            _ => '.',
        })
        .collect()
}

fn chunks(text: &str, size: usize) -> Vec<String> {
    let characters: Vec<char> = text.chars().collect();
    characters
        .chunks(size)
        .map(|chunk| chunk.iter().collect())
        .collect()
}

fn push_line(text: &mut String, line: &str) {
    text.push_str(line);
    text.push_str("\r\n");
}

/// Writes `:86:` with its subfields packed into lines of at most 65
/// characters, a line break only ever falling before a `?`.
fn push_details_field(text: &mut String, subfields: &[String]) {
    let mut line = String::from(":86:");
    for subfield in subfields {
        if line.len() + subfield.len() > MAX_LINE_LENGTH && !line.is_empty() {
            push_line(text, &line);
            line.clear();
        }
        line.push_str(subfield);
    }
    push_line(text, &line);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    #[test]
    fn balances_are_written_with_mark_date_currency_and_decimal_comma() {
        let date = NaiveDate::from_ymd_opt(2025, 1, 31).expect("valid date");
        let cases = [
            (123_456, "C250131EUR1234,56"),
            (0, "C250131EUR0,00"),
            (-5_000, "D250131EUR50,00"),
        ];

        for (cents, expected) in cases {
            let balance = Money::from_minor_units(cents, Currency::Eur);
            assert_eq!(balance_field(balance, date), expected);
        }
    }

    #[test]
    fn characters_outside_the_swift_set_are_replaced() {
        assert_eq!(
            swift_text("Inv F2025-1 ? ok & été"),
            "Inv F2025-1 . ok . .t."
        );
    }

    #[test]
    fn details_wrap_only_between_subfields() {
        let subfields: Vec<String> = (20..26)
            .map(|code| format!("?{code}{}", "x".repeat(27)))
            .collect();
        let mut text = String::new();

        push_details_field(&mut text, &subfields);

        let lines: Vec<&str> = text.split("\r\n").filter(|line| !line.is_empty()).collect();
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|line| line.len() <= MAX_LINE_LENGTH));
        assert!(lines[0].starts_with(":86:?20"));
        assert!(lines[1..].iter().all(|line| line.starts_with('?')));
    }
}
