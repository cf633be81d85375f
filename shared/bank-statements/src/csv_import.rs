//! CSV exports, read with a mapping the caller supplies.
//!
//! Every bank lays its CSV out differently, so nothing is guessed: the
//! [`CsvMapping`] says which column holds what, how dates are written and
//! which decimal mark is used.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::StatementError;
use crate::fingerprint::fingerprint;
use crate::model::{
    AccountRef, BankTransaction, Currency, Location, Remittance, Statement, StatementFormat,
    TransactionStatus,
};
use crate::text::{compact_iban, localized_amount, non_empty};

const FORMAT: StatementFormat = StatementFormat::Csv;

/// A column, by its header name or its 0-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The header text of the column (compared ignoring case and spaces
    /// around it); needs a header row.
    Name(String),
    /// The 0-based position of the column.
    Index(usize),
}

/// Where the signed amount comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountColumns {
    /// One column, negative for money paid out.
    Signed(Column),
    /// Separate columns for money out and money in; either may be empty.
    /// Amounts in them are taken as magnitudes, whatever their sign.
    DebitCredit {
        /// Money paid out.
        debit: Column,
        /// Money received.
        credit: Column,
    },
}

/// Where the currency comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CurrencySource {
    /// A column holding the ISO code on each row.
    Column(Column),
    /// The same currency for every row (the account currency).
    Fixed(Currency),
}

/// How to read one bank's CSV layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvMapping {
    /// Field separator, usually `b';'` or `b','`.
    pub delimiter: u8,
    /// Whether the first row holds column names (needed for [`Column::Name`]).
    pub has_header: bool,
    /// The account the export is for (CSV files rarely say).
    pub account: AccountRef,
    /// Booking date column.
    pub booking_date: Column,
    /// Value date column, if any.
    pub value_date: Option<Column>,
    /// Amount column(s).
    pub amount: AmountColumns,
    /// Currency column or fixed currency.
    pub currency: CurrencySource,
    /// Counterparty name column, if any.
    pub counterparty_name: Option<Column>,
    /// Counterparty IBAN column, if any.
    pub counterparty_iban: Option<Column>,
    /// Remittance text columns, in order.
    pub remittance: Vec<Column>,
    /// Bank reference column, if any.
    pub bank_reference: Option<Column>,
    /// `chrono` format of the dates, such as `%d.%m.%Y` or `%Y-%m-%d`.
    pub date_format: String,
    /// True when amounts use a decimal comma (`1.234,56`).
    pub decimal_comma: bool,
}

/// Reads a CSV export into one statement.
pub fn parse_csv_statement(
    bytes: &[u8],
    mapping: &CsvMapping,
) -> Result<Statement, StatementError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(mapping.delimiter)
        .has_headers(mapping.has_header)
        .flexible(true)
        .from_reader(bytes);
    let headers = if mapping.has_header {
        Some(read_headers(&mut reader)?)
    } else {
        None
    };
    let columns = ResolvedColumns::resolve(mapping, headers.as_ref())?;

    let mut transactions = Vec::new();
    for record in reader.byte_records() {
        let record = record.map_err(|error| StatementError::Malformed {
            format: FORMAT,
            location: Location::Line(line_at(bytes, error.position())),
            reason: format!("the row cannot be read ({error}); check the delimiter and quoting"),
        })?;
        let line = line_at(bytes, record.position());
        let row = Row {
            record: &record,
            line,
        };
        if row.is_blank() {
            continue;
        }
        transactions.push(read_row(&row, &columns, mapping)?);
    }

    let currency = match &mapping.currency {
        CurrencySource::Fixed(currency) => Some(currency.clone()),
        CurrencySource::Column(_) => transactions
            .iter()
            .find_map(|transaction| transaction.currency.clone()),
    };
    Ok(Statement {
        format: FORMAT,
        account: mapping.account.clone(),
        currency,
        statement_id: None,
        opening_balance: None,
        closing_balance: None,
        from_date: transactions
            .iter()
            .map(|transaction| transaction.booking_date)
            .min(),
        to_date: transactions
            .iter()
            .map(|transaction| transaction.booking_date)
            .max(),
        transactions,
    })
}

/// The 1-based file line of a record, counting blank lines too (the `csv`
/// reader's own line count skips them).
fn line_at(bytes: &[u8], position: Option<&csv::Position>) -> usize {
    let start = position
        .map_or(0, |position| position.byte() as usize)
        .min(bytes.len());
    // The reader reports a record from the blank lines before it.
    let blank = bytes[start..]
        .iter()
        .take_while(|byte| matches!(byte, b'\r' | b'\n'))
        .count();
    bytes[..start + blank]
        .iter()
        .filter(|&&byte| byte == b'\n')
        .count()
        + 1
}

fn read_headers(reader: &mut csv::Reader<&[u8]>) -> Result<Vec<String>, StatementError> {
    let headers = reader
        .byte_headers()
        .map_err(|error| StatementError::Malformed {
            format: FORMAT,
            location: Location::Line(1),
            reason: format!("the header row cannot be read ({error})"),
        })?;
    Ok(headers
        .iter()
        .map(|header| {
            decode(header)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_owned()
        })
        .collect())
}

/// Decodes a cell as UTF-8, or Latin-1 when it is not valid UTF-8.
fn decode(bytes: &[u8]) -> String {
    crate::detect::decode_text(bytes)
}

/// Column positions once the header has been read.
struct ResolvedColumns {
    booking_date: usize,
    value_date: Option<usize>,
    amount: ResolvedAmount,
    currency: ResolvedCurrency,
    counterparty_name: Option<usize>,
    counterparty_iban: Option<usize>,
    remittance: Vec<usize>,
    bank_reference: Option<usize>,
}

enum ResolvedCurrency {
    Column(usize),
    Fixed(Currency),
}

enum ResolvedAmount {
    Signed(usize),
    DebitCredit { debit: usize, credit: usize },
}

impl ResolvedColumns {
    fn resolve(
        mapping: &CsvMapping,
        headers: Option<&Vec<String>>,
    ) -> Result<Self, StatementError> {
        let find = |column: &Column| position_of(column, headers);
        let find_optional = |column: &Option<Column>| column.as_ref().map(find).transpose();

        Ok(Self {
            booking_date: find(&mapping.booking_date)?,
            value_date: find_optional(&mapping.value_date)?,
            amount: match &mapping.amount {
                AmountColumns::Signed(column) => ResolvedAmount::Signed(find(column)?),
                AmountColumns::DebitCredit { debit, credit } => ResolvedAmount::DebitCredit {
                    debit: find(debit)?,
                    credit: find(credit)?,
                },
            },
            currency: match &mapping.currency {
                CurrencySource::Column(column) => ResolvedCurrency::Column(find(column)?),
                CurrencySource::Fixed(currency) => ResolvedCurrency::Fixed(currency.clone()),
            },
            counterparty_name: find_optional(&mapping.counterparty_name)?,
            counterparty_iban: find_optional(&mapping.counterparty_iban)?,
            remittance: mapping
                .remittance
                .iter()
                .map(find)
                .collect::<Result<_, _>>()?,
            bank_reference: find_optional(&mapping.bank_reference)?,
        })
    }
}

fn position_of(column: &Column, headers: Option<&Vec<String>>) -> Result<usize, StatementError> {
    match (column, headers) {
        (Column::Index(index), _) => Ok(*index),
        (Column::Name(name), Some(headers)) => headers
            .iter()
            .position(|header| header.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| StatementError::InvalidValue {
                format: FORMAT,
                location: Location::Line(1),
                field: "column name",
                value: name.clone(),
                expected: "a column name present in the header row; check the mapping's spelling",
            }),
        (Column::Name(name), None) => Err(StatementError::InvalidValue {
            format: FORMAT,
            location: Location::File,
            field: "column name",
            value: name.clone(),
            expected: "a column index, or set has_header so columns can be found by name",
        }),
    }
}

/// One data row with its line number.
struct Row<'a> {
    record: &'a csv::ByteRecord,
    line: usize,
}

impl Row<'_> {
    fn is_blank(&self) -> bool {
        self.record
            .iter()
            .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
    }

    fn cell(&self, index: usize) -> Option<String> {
        self.record
            .get(index)
            .map(decode)
            .and_then(|cell| non_empty(&cell))
    }

    fn required(&self, index: usize, field: &'static str) -> Result<String, StatementError> {
        self.cell(index).ok_or(StatementError::MissingValue {
            format: FORMAT,
            location: Location::Line(self.line),
            field,
            hint: "the column is empty or the row is shorter than the mapping expects",
        })
    }

    fn invalid(
        &self,
        field: &'static str,
        value: String,
        expected: &'static str,
    ) -> StatementError {
        StatementError::InvalidValue {
            format: FORMAT,
            location: Location::Line(self.line),
            field,
            value,
            expected,
        }
    }
}

fn read_row(
    row: &Row<'_>,
    columns: &ResolvedColumns,
    mapping: &CsvMapping,
) -> Result<BankTransaction, StatementError> {
    let booking_date = read_date(
        row,
        &row.required(columns.booking_date, "booking date")?,
        mapping,
    )?;
    let value_date = columns
        .value_date
        .and_then(|index| row.cell(index))
        .map(|text| read_date(row, &text, mapping))
        .transpose()?;
    let amount = read_amount(row, &columns.amount, mapping.decimal_comma)?;
    let currency = match &columns.currency {
        ResolvedCurrency::Fixed(currency) => currency.clone(),
        ResolvedCurrency::Column(index) => {
            let code = row.required(*index, "currency")?;
            Currency::parse(&code)
                .map_err(|error| error.located(FORMAT, Location::Line(row.line)))?
        }
    };

    let remittance: Vec<String> = columns
        .remittance
        .iter()
        .filter_map(|index| row.cell(*index))
        .collect();
    let name = columns.counterparty_name.and_then(|index| row.cell(index));
    let mut transaction = BankTransaction {
        booking_date,
        value_date,
        amount,
        currency: Some(currency),
        status: TransactionStatus::Booked,
        counterparty_name: name.clone(),
        counterparty_iban: columns
            .counterparty_iban
            .and_then(|index| row.cell(index))
            .map(|iban| compact_iban(&iban)),
        end_to_end_id: None,
        customer_reference: None,
        bank_reference: columns.bank_reference.and_then(|index| row.cell(index)),
        raw_description: name
            .iter()
            .chain(remittance.iter())
            .cloned()
            .collect::<Vec<_>>()
            .join("\n"),
        remittance: Remittance {
            unstructured: remittance,
            structured_references: Vec::new(),
        },
        reversal: false,
        bank_transaction_code: None,
        fingerprint: String::new(),
    };
    transaction.fingerprint = fingerprint(&mapping.account, &transaction);
    Ok(transaction)
}

fn read_date(row: &Row<'_>, text: &str, mapping: &CsvMapping) -> Result<NaiveDate, StatementError> {
    NaiveDate::parse_from_str(text, &mapping.date_format).map_err(|_| {
        row.invalid(
            "date",
            text.to_owned(),
            "a date in the mapping's date_format",
        )
    })
}

fn read_amount(
    row: &Row<'_>,
    amount: &ResolvedAmount,
    decimal_comma: bool,
) -> Result<Decimal, StatementError> {
    let parse = |text: String| {
        localized_amount(&text, decimal_comma).ok_or_else(|| {
            row.invalid(
                "amount",
                text,
                "a number written with the mapping's decimal mark",
            )
        })
    };
    match amount {
        ResolvedAmount::Signed(index) => parse(row.required(*index, "amount")?),
        ResolvedAmount::DebitCredit { debit, credit } => {
            let (debit, credit) = (row.cell(*debit), row.cell(*credit));
            if debit.is_none() && credit.is_none() {
                return Err(StatementError::MissingValue {
                    format: FORMAT,
                    location: Location::Line(row.line),
                    field: "amount",
                    hint: "both the debit and the credit column are empty",
                });
            }
            let debit = debit.map(parse).transpose()?.unwrap_or_default();
            let credit = credit.map(parse).transpose()?.unwrap_or_default();
            credit.abs().checked_sub(debit.abs()).ok_or_else(|| {
                row.invalid(
                    "amount",
                    format!("{credit} - {debit}"),
                    "amounts within the decimal range",
                )
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").expect("valid currency")
    }

    fn german_mapping() -> CsvMapping {
        CsvMapping {
            delimiter: b';',
            has_header: true,
            account: AccountRef {
                iban: Some("DE89370400440532013000".to_owned()),
                ..AccountRef::default()
            },
            booking_date: Column::Name("Buchungstag".to_owned()),
            value_date: Some(Column::Name("Valuta".to_owned())),
            amount: AmountColumns::Signed(Column::Name("Betrag".to_owned())),
            currency: CurrencySource::Column(Column::Name("Währung".to_owned())),
            counterparty_name: Some(Column::Name("Auftraggeber".to_owned())),
            counterparty_iban: Some(Column::Name("IBAN".to_owned())),
            remittance: vec![Column::Name("Verwendungszweck".to_owned())],
            bank_reference: None,
            date_format: "%d.%m.%Y".to_owned(),
            decimal_comma: true,
        }
    }

    const GERMAN_EXPORT: &str = "Buchungstag;Valuta;Auftraggeber;IBAN;Verwendungszweck;Betrag;Währung\n\
        01.03.2024;02.03.2024;Kunde GmbH;DE02 1203 0000 0000 2020 51;\"RE 2024-17; Danke\";1.234,56;EUR\n\
        \n\
        04.03.2024;04.03.2024;Bank;;Kontoführung;-9,90;EUR\n";

    #[test]
    fn a_mapped_csv_export_is_read_with_names_dates_and_decimal_commas() {
        let statement =
            parse_csv_statement(GERMAN_EXPORT.as_bytes(), &german_mapping()).expect("valid CSV");

        assert_eq!(statement.transactions.len(), 2);
        let first = &statement.transactions[0];
        assert_eq!(first.amount, Decimal::new(123_456, 2));
        assert_eq!(
            first.booking_date,
            NaiveDate::from_ymd_opt(2024, 3, 1).expect("valid date")
        );
        assert_eq!(first.value_date, NaiveDate::from_ymd_opt(2024, 3, 2));
        assert_eq!(
            first.counterparty_iban.as_deref(),
            Some("DE02120300000000202051")
        );
        assert_eq!(first.remittance.unstructured, vec!["RE 2024-17; Danke"]);
        assert_eq!(statement.transactions[1].amount, Decimal::new(-990, 2));
        assert_eq!(statement.currency, Some(eur()));
    }

    #[test]
    fn debit_and_credit_columns_give_signed_amounts() {
        let export = "2024-03-01,,100.00\n2024-03-02,25.50,\n2024-03-03,-7.00,\n";
        let mapping = CsvMapping {
            delimiter: b',',
            has_header: false,
            booking_date: Column::Index(0),
            value_date: None,
            amount: AmountColumns::DebitCredit {
                debit: Column::Index(1),
                credit: Column::Index(2),
            },
            currency: CurrencySource::Fixed(eur()),
            counterparty_name: None,
            counterparty_iban: None,
            remittance: Vec::new(),
            date_format: "%Y-%m-%d".to_owned(),
            decimal_comma: false,
            ..german_mapping()
        };
        let statement = parse_csv_statement(export.as_bytes(), &mapping).expect("valid CSV");

        let amounts: Vec<Decimal> = statement
            .transactions
            .iter()
            .map(|transaction| transaction.amount)
            .collect();
        assert_eq!(
            amounts,
            vec![
                Decimal::new(10_000, 2),
                Decimal::new(-2_550, 2),
                Decimal::new(-700, 2)
            ]
        );
    }

    #[test]
    fn mapping_and_row_errors_name_the_column_or_line() {
        let mut misspelt = german_mapping();
        misspelt.amount = AmountColumns::Signed(Column::Name("Amount".to_owned()));
        let bad_date = GERMAN_EXPORT.replace("04.03.2024;04.03.2024", "2024-03-04;04.03.2024");
        let bad_amount = GERMAN_EXPORT.replace("-9,90", "neun");

        let cases = [
            (GERMAN_EXPORT.to_owned(), misspelt, "\"Amount\""),
            (bad_date, german_mapping(), "line 4"),
            (bad_amount, german_mapping(), "\"neun\""),
        ];
        for (export, mapping, expected) in cases {
            let error =
                parse_csv_statement(export.as_bytes(), &mapping).expect_err("invalid input");
            assert!(
                error.to_string().contains(expected),
                "{error} should mention {expected}"
            );
        }
    }
}
