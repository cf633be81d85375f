//! SWIFT MT940 customer statements and MT942 interim reports.
//!
//! A file holds one or more messages; each `:20:` opens a statement. The
//! `:61:` statement line gives date, sign and amount; the `:86:` field after
//! it describes the transaction in one of several bank dialects (see
//! [`narrative`]).
//!
//! MT942 entries are marked pending: the interim report is sent during the
//! day and the end-of-day MT940 is what the bank stands by.

mod fields;
mod narrative;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::detect::decode_text;
use crate::error::StatementError;
use crate::fingerprint::fingerprint;
use crate::model::{
    AccountRef, Balance, BankTransaction, Currency, Location, Remittance, Statement,
    StatementFormat, TransactionStatus,
};
use crate::text::{compact_iban, looks_like_iban, non_empty, swift_amount};
use fields::{Field, split_fields};

/// Reads every statement in an MT940 or MT942 file.
pub(crate) fn parse(
    bytes: &[u8],
    format: StatementFormat,
) -> Result<Vec<Statement>, StatementError> {
    let text = decode_text(bytes);
    let mut statements = Vec::new();
    let mut current: Option<StatementBuilder> = None;

    for field in split_fields(&text) {
        if field.tag == "20" {
            statements.extend(current.take().map(StatementBuilder::finish));
        }
        current
            .get_or_insert_with(|| StatementBuilder::new(format))
            .apply(&field)?;
    }
    statements.extend(current.map(StatementBuilder::finish));
    Ok(statements)
}

/// A `:61:` line waiting for its `:86:` details.
struct PendingLine {
    line: StatementLine,
    narrative_lines: Option<Vec<String>>,
}

/// Collects the fields of one statement.
struct StatementBuilder {
    format: StatementFormat,
    reference: Option<String>,
    number: Option<String>,
    account: AccountRef,
    currency: Option<Currency>,
    opening_balance: Option<Balance>,
    closing_balance: Option<Balance>,
    report_date: Option<NaiveDate>,
    lines: Vec<PendingLine>,
}

impl StatementBuilder {
    fn new(format: StatementFormat) -> Self {
        Self {
            format,
            reference: None,
            number: None,
            account: AccountRef::default(),
            currency: None,
            opening_balance: None,
            closing_balance: None,
            report_date: None,
            lines: Vec::new(),
        }
    }

    fn apply(&mut self, field: &Field) -> Result<(), StatementError> {
        let value = field.joined();
        match field.tag.as_str() {
            "20" => self.reference = non_empty(&value),
            "25" => self.account = read_account(&value),
            "28" | "28C" => self.number = non_empty(&value),
            "60F" | "60M" | "60" => {
                let balance = read_balance(&value, self.format, field.line_number)?;
                self.adopt_currency(&balance.currency);
                self.opening_balance.get_or_insert(balance);
            }
            "62F" | "62M" | "62" => {
                let balance = read_balance(&value, self.format, field.line_number)?;
                self.adopt_currency(&balance.currency);
                self.closing_balance = Some(balance);
            }
            "64" | "65" => {
                read_balance(&value, self.format, field.line_number)?;
            }
            "34F" => {
                let currency = currency_at(&value, 0, self.format, field.line_number)?;
                self.adopt_currency(&currency);
            }
            "90D" | "90C" => {
                let start = value.bytes().take_while(u8::is_ascii_digit).count();
                let currency = currency_at(&value, start, self.format, field.line_number)?;
                self.adopt_currency(&currency);
            }
            "13" | "13D" => {
                self.report_date = Some(read_swift_date(&value, self.format, field.line_number)?)
            }
            "61" => {
                let line = read_statement_line(field, self.format)?;
                self.lines.push(PendingLine {
                    line,
                    narrative_lines: None,
                });
            }
            "86" => {
                // Details belong to the `:61:` just before; an `:86:` after the
                // closing balance describes the statement and is not needed.
                let before_closing = self.closing_balance.is_none();
                let waiting = self
                    .lines
                    .last_mut()
                    .filter(|pending| before_closing && pending.narrative_lines.is_none());
                if let Some(pending) = waiting {
                    pending.narrative_lines = Some(field.lines.clone());
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn adopt_currency(&mut self, currency: &Currency) {
        self.currency.get_or_insert_with(|| currency.clone());
    }

    fn finish(self) -> Statement {
        let status = match self.format {
            StatementFormat::Mt942 => TransactionStatus::Pending,
            _ => TransactionStatus::Booked,
        };
        let transactions = self
            .lines
            .into_iter()
            .map(|pending| build_transaction(pending, self.currency.clone(), status, &self.account))
            .collect();
        let statement_id = match (self.reference, self.number) {
            (Some(reference), Some(number)) => Some(format!("{reference}/{number}")),
            (reference, number) => reference.or(number),
        };
        Statement {
            format: self.format,
            from_date: self.opening_balance.as_ref().map(|balance| balance.date),
            to_date: self
                .closing_balance
                .as_ref()
                .map(|balance| balance.date)
                .or(self.report_date),
            account: self.account,
            currency: self.currency,
            statement_id,
            opening_balance: self.opening_balance,
            closing_balance: self.closing_balance,
            transactions,
        }
    }
}

/// `:25:` is an IBAN (possibly followed by the currency), or `bank/account`,
/// or a bare account number.
fn read_account(value: &str) -> AccountRef {
    let value = value.trim();
    let compact = compact_iban(value);
    let without_currency = compact
        .get(..compact.len().saturating_sub(3))
        .unwrap_or_default();
    if looks_like_iban(&compact)
        && !compact.ends_with(|character: char| character.is_ascii_alphabetic())
    {
        return AccountRef {
            iban: Some(compact),
            ..AccountRef::default()
        };
    }
    if looks_like_iban(without_currency) && compact.len() > 3 {
        return AccountRef {
            iban: Some(without_currency.to_owned()),
            ..AccountRef::default()
        };
    }
    match value.split_once('/') {
        Some((bank, account)) => AccountRef {
            iban: None,
            number: non_empty(account),
            bank_id: non_empty(bank),
        },
        None => AccountRef {
            number: non_empty(value),
            ..AccountRef::default()
        },
    }
}

/// `C110522EUR3236,28`: mark, date, currency, amount.
fn read_balance(
    value: &str,
    format: StatementFormat,
    line: usize,
) -> Result<Balance, StatementError> {
    let value = value.trim();
    let invalid = |expected: &'static str| StatementError::InvalidValue {
        format,
        location: Location::Line(line),
        field: "balance",
        value: value.to_owned(),
        expected,
    };
    let sign = match value.get(..1) {
        Some("C") => Decimal::ONE,
        Some("D") => Decimal::NEGATIVE_ONE,
        _ => {
            return Err(invalid(
                "C or D, then YYMMDD, currency and amount, as in C240131EUR100,00",
            ));
        }
    };
    let date = value
        .get(1..7)
        .ok_or_else(|| invalid("a YYMMDD date after the C/D mark"))?;
    let date = read_swift_date(date, format, line)?;
    let currency = currency_at(value, 7, format, line)?;
    let amount = value.get(10..).and_then(swift_amount).ok_or_else(|| {
        invalid("an amount with a decimal comma after the currency, as in 100,00")
    })?;
    Ok(Balance {
        amount: sign * amount,
        currency,
        date,
    })
}

fn currency_at(
    value: &str,
    start: usize,
    format: StatementFormat,
    line: usize,
) -> Result<Currency, StatementError> {
    let code = value.get(start..start + 3).unwrap_or(value);
    Currency::parse(code).map_err(|error| error.located(format, Location::Line(line)))
}

/// Reads `YYMMDD` (trailing text ignored). Years 80-99 are 19xx, others
/// 20xx. A day past the month's end but not past 31 is moved to the last day
/// of the month: banks that count interest on 30-day months book closing
/// entries on "30 February".
fn read_swift_date(
    value: &str,
    format: StatementFormat,
    line: usize,
) -> Result<NaiveDate, StatementError> {
    let digits = value
        .get(..6)
        .filter(|digits| digits.bytes().all(|byte| byte.is_ascii_digit()));
    let invalid = || StatementError::InvalidValue {
        format,
        location: Location::Line(line),
        field: "date",
        value: value.chars().take(6).collect(),
        expected: "a date as YYMMDD with a month 01-12 and a day 01-31",
    };
    let digits = digits.ok_or_else(invalid)?;
    let number = |range: std::ops::Range<usize>| digits[range].parse::<u32>().unwrap_or_default();
    let year_of_century = number(0..2) as i32;
    let year = if year_of_century >= 80 {
        1900 + year_of_century
    } else {
        2000 + year_of_century
    };
    calendar_date(year, number(2..4), number(4..6)).ok_or_else(invalid)
}

/// A valid date, with days 29-31 past the month's end moved to its last day.
fn calendar_date(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    if !(1..=31).contains(&day) {
        return None;
    }
    (1..=day)
        .rev()
        .take(4)
        .find_map(|day| NaiveDate::from_ymd_opt(year, month, day))
}

/// The pieces of a `:61:` statement line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StatementLine {
    value_date: NaiveDate,
    entry_date: Option<NaiveDate>,
    amount: Decimal,
    reversal: bool,
    type_code: Option<String>,
    customer_reference: Option<String>,
    bank_reference: Option<String>,
    supplementary: Option<String>,
}

/// `YYMMDD[MMDD]mark[funds]amount type customer-ref[//bank-ref]` then the
/// supplementary details on the next line. Some banks break the line before
/// the amount; that break is skipped.
fn read_statement_line(
    field: &Field,
    format: StatementFormat,
) -> Result<StatementLine, StatementError> {
    let text = field.lines.join("\n");
    let line = field.line_number;
    let invalid = |expected: &'static str| StatementError::InvalidValue {
        format,
        location: Location::Line(line),
        field: ":61: statement line",
        value: field.lines.first().cloned().unwrap_or_default(),
        expected,
    };
    let mut cursor = Cursor {
        text: &text,
        position: 0,
    };

    let value_date = read_swift_date(cursor.take(6), format, line)?;
    let entry_date = match cursor.peek(4) {
        Some(digits) if digits.bytes().all(|byte| byte.is_ascii_digit()) => {
            cursor.take(4);
            Some(entry_date(value_date, digits, format, line)?)
        }
        _ => None,
    };

    let (reversal, credit) = match (cursor.peek(2), cursor.peek(1)) {
        (Some("RC"), _) => (true, false),
        (Some("RD"), _) => (true, true),
        (_, Some("C")) => (false, true),
        (_, Some("D")) => (false, false),
        _ => {
            return Err(invalid(
                "a debit/credit mark C, D, RC or RD after the dates",
            ));
        }
    };
    cursor.take(if reversal { 2 } else { 1 });
    if cursor
        .peek(1)
        .is_some_and(|funds| funds.bytes().all(|byte| byte.is_ascii_uppercase()))
    {
        cursor.take(1);
    }
    cursor.skip_line_breaks();

    let amount_text = cursor.take_while(|character| character.is_ascii_digit() || character == ',');
    let amount = swift_amount(amount_text)
        .ok_or_else(|| invalid("an amount with a decimal comma after the mark, as in 100,00"))?;

    let rest_of_line = cursor.take_while(|character| character != '\n');
    let supplementary = non_empty(cursor.rest());
    let (type_code, references) = match rest_of_line.get(..4) {
        Some(code) if code.starts_with(|character: char| character.is_ascii_uppercase()) => {
            (non_empty(code), &rest_of_line[4..])
        }
        _ => (None, rest_of_line),
    };
    let (customer_reference, bank_reference) = match references.split_once("//") {
        Some((customer, bank)) => (non_empty(customer), non_empty(bank)),
        None => (non_empty(references), None),
    };

    Ok(StatementLine {
        value_date,
        entry_date,
        amount: if credit { amount } else { -amount },
        reversal,
        type_code,
        customer_reference,
        bank_reference,
        supplementary,
    })
}

/// The entry date `MMDD` takes the value date's year, moved by one when the
/// two dates straddle a new year (value 31 Dec, booked 2 Jan, or back).
fn entry_date(
    value_date: NaiveDate,
    digits: &str,
    format: StatementFormat,
    line: usize,
) -> Result<NaiveDate, StatementError> {
    let month: u32 = digits[..2].parse().unwrap_or_default();
    let day: u32 = digits[2..].parse().unwrap_or_default();
    let year = match month as i64 - value_date.month() as i64 {
        difference if difference > 6 => value_date.year() - 1,
        difference if difference < -6 => value_date.year() + 1,
        _ => value_date.year(),
    };
    calendar_date(year, month, day).ok_or_else(|| StatementError::InvalidValue {
        format,
        location: Location::Line(line),
        field: "entry date",
        value: digits.to_owned(),
        expected: "MMDD with a month 01-12 and a day 01-31",
    })
}

/// A position in the `:61:` text.
struct Cursor<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self, length: usize) -> Option<&'a str> {
        self.text.get(self.position..self.position + length)
    }

    fn take(&mut self, length: usize) -> &'a str {
        let end = (self.position + length).min(self.text.len());
        let taken = self.text.get(self.position..end).unwrap_or_default();
        self.position += taken.len();
        taken
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let rest = &self.text[self.position..];
        let length = rest
            .find(|character| !keep(character))
            .unwrap_or(rest.len());
        self.take(length)
    }

    fn skip_line_breaks(&mut self) {
        self.take_while(|character| character == '\n');
    }

    fn rest(&self) -> &'a str {
        &self.text[self.position..]
    }
}

fn build_transaction(
    pending: PendingLine,
    currency: Option<Currency>,
    status: TransactionStatus,
    account: &AccountRef,
) -> BankTransaction {
    let PendingLine {
        line,
        narrative_lines,
    } = pending;
    let narrative_lines = narrative_lines.unwrap_or_default();
    let details = narrative::read(&narrative_lines);

    let mut description: Vec<&str> = narrative_lines.iter().map(|line| line.trim_end()).collect();
    while description.last().is_some_and(|line| line.is_empty()) {
        description.pop();
    }

    let mut transaction = BankTransaction {
        booking_date: line.entry_date.unwrap_or(line.value_date),
        value_date: Some(line.value_date),
        amount: line.amount,
        currency,
        status,
        counterparty_name: details.counterparty_name,
        counterparty_iban: details.counterparty_account,
        end_to_end_id: details.end_to_end_id,
        customer_reference: details.customer_reference.or(line.customer_reference),
        bank_reference: line.bank_reference,
        remittance: Remittance {
            unstructured: details.remittance_lines,
            structured_references: details.structured_references,
        },
        reversal: line.reversal,
        bank_transaction_code: line.type_code,
        raw_description: description.join("\n"),
        fingerprint: String::new(),
    };
    if transaction.raw_description.is_empty() {
        transaction.raw_description = line.supplementary.unwrap_or_default();
    }
    transaction.fingerprint = fingerprint(account, &transaction);
    transaction
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &str) -> Field {
        Field {
            tag: "61".to_owned(),
            lines: text.lines().map(str::to_owned).collect(),
            line_number: 7,
        }
    }

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid date")
    }

    fn decimal(text: &str) -> Decimal {
        text.parse().expect("valid decimal")
    }

    #[test]
    fn marks_give_the_sign_and_reversal_flag() {
        let cases = [
            ("1105240524C9,N192NONREF", "9", false),
            ("1105240524D9,N192NONREF", "-9", false),
            ("0709040904RCR204,88NRTINONREF", "-204.88", true),
            ("0709040904RD10,NRTINONREF", "10", true),
            ("0211011102DR800,NSTONONREF//55555", "-800", false),
            ("0211021102CR3000,NTRFNONREF//55555", "3000", false),
        ];
        for (text, amount, reversal) in cases {
            let line =
                read_statement_line(&field(text), StatementFormat::Mt940).expect("valid :61:");
            assert_eq!(line.amount, decimal(amount), "{text}");
            assert_eq!(line.reversal, reversal, "{text}");
        }
    }

    #[test]
    fn statement_line_pieces_are_split_out() {
        let line = read_statement_line(
            &field("1407290729C500NTRF29-07-2014 10:05//B4G29PGDCK1QFV3E\nextra words"),
            StatementFormat::Mt940,
        );
        let line = line.expect("valid :61:");
        assert_eq!(line.value_date, date(2014, 7, 29));
        assert_eq!(line.entry_date, Some(date(2014, 7, 29)));
        assert_eq!(line.type_code.as_deref(), Some("NTRF"));
        assert_eq!(line.customer_reference.as_deref(), Some("29-07-2014 10:05"));
        assert_eq!(line.bank_reference.as_deref(), Some("B4G29PGDCK1QFV3E"));
        assert_eq!(line.supplementary.as_deref(), Some("extra words"));
    }

    #[test]
    fn an_amount_broken_onto_the_next_line_is_read() {
        let line = read_statement_line(
            &field("1811261126CR\n30,00N062NONREF"),
            StatementFormat::Mt940,
        )
        .expect("valid :61:");
        assert_eq!(line.amount, decimal("30.00"));
        assert_eq!(line.type_code.as_deref(), Some("N062"));
    }

    #[test]
    fn entry_dates_across_new_year_take_the_neighbouring_year() {
        let cases = [
            ("2312310102C1,00NTRF", date(2023, 12, 31), date(2024, 1, 2)),
            ("2401021231C1,00NTRF", date(2024, 1, 2), date(2023, 12, 31)),
            ("2406150617C1,00NTRF", date(2024, 6, 15), date(2024, 6, 17)),
        ];
        for (text, value_date, booked) in cases {
            let line =
                read_statement_line(&field(text), StatementFormat::Mt940).expect("valid :61:");
            assert_eq!(line.value_date, value_date, "{text}");
            assert_eq!(line.entry_date, Some(booked), "{text}");
        }
    }

    #[test]
    fn day_past_month_end_moves_to_month_end_but_nonsense_dates_fail() {
        let valid = [
            ("160230", date(2016, 2, 29)),
            ("150230", date(2015, 2, 28)),
            ("240431", date(2024, 4, 30)),
        ];
        for (text, expected) in valid {
            assert_eq!(
                read_swift_date(text, StatementFormat::Mt940, 1),
                Ok(expected),
                "{text}"
            );
        }
        for text in ["161301", "160200", "160132", "16AB01"] {
            let error = read_swift_date(text, StatementFormat::Mt940, 12).expect_err(text);
            assert!(error.to_string().contains("line 12"), "{error}");
        }
    }

    #[test]
    fn account_identification_forms_are_recognised() {
        let cases = [
            ("NL71RABO0123456789", Some("NL71RABO0123456789"), None, None),
            (
                "NL20INGB0001234567EUR",
                Some("NL20INGB0001234567"),
                None,
                None,
            ),
            (
                "45050050/76198810",
                None,
                Some("76198810"),
                Some("45050050"),
            ),
            ("517852257", None, Some("517852257"), None),
        ];
        for (text, iban, number, bank) in cases {
            let account = read_account(text);
            assert_eq!(account.iban.as_deref(), iban, "{text}");
            assert_eq!(account.number.as_deref(), number, "{text}");
            assert_eq!(account.bank_id.as_deref(), bank, "{text}");
        }
    }
}
