//! Query strings of the bank routes: the transaction listing's filters and
//! page, and the column mapping a CSV statement upload needs.
//!
//! Every refusal is a 400 naming the parameter at fault and what it accepts.

use relance_api::{ApiError, Page, QueryParameters, invalid_parameter};
use relance_bank_statements::{
    AccountRef, AmountColumns, Column, CsvMapping, Currency, CurrencySource, TransactionStatus,
};
use relance_store::bank::TransactionFilter;

/// A parsed `GET /api/v1/bank/transactions` query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionQuery {
    /// Which transactions.
    pub filter: TransactionFilter,
    /// Which page.
    pub page: Page,
}

const TRANSACTION_PARAMETERS: &[&str] = &["account", "from", "to", "status", "limit", "cursor"];

impl TransactionQuery {
    /// Parses the query string (without `?`).
    pub fn parse(query: &str) -> Result<TransactionQuery, ApiError> {
        let mut parameters = QueryParameters::parse(query, TRANSACTION_PARAMETERS)?;

        let status = match parameters.take("status")? {
            None => None,
            Some(text) => Some(transaction_status(&text)?),
        };
        let filter = TransactionFilter {
            account: parameters.take("account")?,
            from: parameters.date("from")?,
            to: parameters.date("to")?,
            status,
        };

        let page = parameters.page(TransactionFilter::SORT)?;
        Ok(TransactionQuery { filter, page })
    }
}

fn transaction_status(text: &str) -> Result<TransactionStatus, ApiError> {
    match text {
        "booked" => Ok(TransactionStatus::Booked),
        "pending" => Ok(TransactionStatus::Pending),
        _ => Err(invalid_parameter(
            "status",
            text,
            "is not booked or pending",
        )),
    }
}

/// A parsed `POST /api/v1/bank/statements` query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadQuery {
    /// No parameters: the format is recognised from the content.
    Detect,
    /// `format=csv` with the column mapping.
    Csv(Box<CsvMapping>),
}

const UPLOAD_PARAMETERS: &[&str] = &[
    "format",
    "delimiter",
    "header",
    "iban",
    "account_number",
    "booking_date",
    "value_date",
    "amount",
    "debit",
    "credit",
    "currency",
    "currency_column",
    "counterparty_name",
    "counterparty_iban",
    "remittance",
    "bank_reference",
    "date_format",
    "decimal_comma",
];

impl UploadQuery {
    /// Parses the query string (without `?`).
    ///
    /// A CSV upload names its columns by header text or 0-based position:
    /// `format=csv&iban=FR76...&booking_date=Date&amount=Amount&currency=EUR`
    /// (or `debit=..&credit=..`, `currency_column=..`), with optional
    /// `value_date`, `counterparty_name`, `counterparty_iban`,
    /// `remittance` (comma-separated columns), `bank_reference`,
    /// `delimiter` (default `;`), `header` (default `true`), `date_format`
    /// (default `%Y-%m-%d`) and `decimal_comma` (default `false`).
    pub fn parse(query: &str) -> Result<UploadQuery, ApiError> {
        let mut parameters = QueryParameters::parse(query, UPLOAD_PARAMETERS)?;

        match parameters.take("format")?.as_deref() {
            None if parameters.is_empty() => Ok(UploadQuery::Detect),
            None => Err(ApiError::bad_request(
                "column mapping parameters need `format=csv`; other formats are recognised \
                 from the content and take no parameters",
            )
            .with_code("invalid_parameter")),
            Some("csv") => {
                csv_mapping(&mut parameters).map(|mapping| UploadQuery::Csv(Box::new(mapping)))
            }
            Some(other) => Err(invalid_parameter(
                "format",
                other,
                "is not accepted; leave `format` out to recognise camt, MT940 or OFX from \
                 the content, or say `format=csv` with a column mapping",
            )),
        }
    }
}

fn csv_mapping(parameters: &mut QueryParameters) -> Result<CsvMapping, ApiError> {
    let account = AccountRef {
        iban: parameters.take("iban")?,
        number: parameters.take("account_number")?,
        bank_id: None,
    };
    if account.iban.is_none() && account.number.is_none() {
        return Err(ApiError::bad_request(
            "a CSV statement does not say which account it is for: add `iban` (or \
             `account_number`) to the query",
        )
        .with_code("invalid_parameter"));
    }

    let amount = match (
        take_column(parameters, "amount")?,
        take_column(parameters, "debit")?,
        take_column(parameters, "credit")?,
    ) {
        (Some(signed), None, None) => AmountColumns::Signed(signed),
        (None, Some(debit), Some(credit)) => AmountColumns::DebitCredit { debit, credit },
        _ => {
            return Err(ApiError::bad_request(
                "say where the amount is: either `amount` (one signed column) or both \
                 `debit` and `credit`",
            )
            .with_code("invalid_parameter"));
        }
    };
    let currency = match (
        parameters.take("currency")?,
        take_column(parameters, "currency_column")?,
    ) {
        (Some(code), None) => CurrencySource::Fixed(
            Currency::parse(&code)
                .map_err(|error| invalid_parameter("currency", &code, &error.to_string()))?,
        ),
        (None, Some(column)) => CurrencySource::Column(column),
        _ => {
            return Err(ApiError::bad_request(
                "say the currency: either `currency` (one ISO code for every row) or \
                 `currency_column`",
            )
            .with_code("invalid_parameter"));
        }
    };

    let booking_date = take_column(parameters, "booking_date")?.ok_or_else(|| {
        ApiError::bad_request("`booking_date` is missing: name the column holding the date")
            .with_code("invalid_parameter")
    })?;
    let remittance = match parameters.take("remittance")? {
        None => Vec::new(),
        Some(list) => list.split(',').map(|name| column(name.trim())).collect(),
    };
    Ok(CsvMapping {
        delimiter: take_delimiter(parameters)?,
        has_header: parameters.flag("header", true)?,
        account,
        booking_date,
        value_date: take_column(parameters, "value_date")?,
        amount,
        currency,
        counterparty_name: take_column(parameters, "counterparty_name")?,
        counterparty_iban: take_column(parameters, "counterparty_iban")?,
        remittance,
        bank_reference: take_column(parameters, "bank_reference")?,
        date_format: parameters
            .take("date_format")?
            .unwrap_or_else(|| "%Y-%m-%d".to_owned()),
        decimal_comma: parameters.flag("decimal_comma", false)?,
    })
}

/// A column by 0-based position when the text is a number, else by header name.
fn column(text: &str) -> Column {
    text.parse()
        .map(Column::Index)
        .unwrap_or_else(|_| Column::Name(text.to_owned()))
}

/// Takes out a column given by header name or position.
fn take_column(parameters: &mut QueryParameters, name: &str) -> Result<Option<Column>, ApiError> {
    Ok(parameters.take(name)?.as_deref().map(column))
}

/// Takes out the one-character field delimiter, `;` by default.
fn take_delimiter(parameters: &mut QueryParameters) -> Result<u8, ApiError> {
    // `form_urlencoded` has already decoded `%3B` and `%09` here, and a tab
    // must not be trimmed away.
    match parameters.take_untrimmed("delimiter").as_deref() {
        None => Ok(b';'),
        Some(text) => match text.as_bytes() {
            [byte] => Ok(*byte),
            _ => Err(invalid_parameter(
                "delimiter",
                text,
                "must be one character such as ; or , (URL-encoded)",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn every_transaction_filter_is_read() {
        let query = TransactionQuery::parse(
            "account=FR7630006000011234567890189&from=2026-03-01&to=2026-03-31&status=pending&limit=5",
        )
        .expect("valid query");

        assert_eq!(
            query.filter,
            TransactionFilter {
                account: Some("FR7630006000011234567890189".to_owned()),
                from: NaiveDate::from_ymd_opt(2026, 3, 1),
                to: NaiveDate::from_ymd_opt(2026, 3, 31),
                status: Some(TransactionStatus::Pending),
            }
        );
        assert_eq!(query.page, Page::first(5));
    }

    #[test]
    fn bad_transaction_parameters_name_the_parameter_and_the_fix() {
        let cases = [
            (
                "status=cleared",
                "`status=cleared` is not booked or pending",
            ),
            ("from=01/03/2026", "use YYYY-MM-DD"),
            ("limit=0", "from 1 to 1000"),
            ("sort=amount", "unknown parameter `sort`"),
            ("to=", "is empty"),
            ("cursor=zz", "pass `next_cursor`"),
        ];
        for (query, expected) in cases {
            let error = TransactionQuery::parse(query).expect_err(query);
            assert_eq!(error.status, 400, "{query}");
            assert!(
                error.message.contains(expected),
                "{query}: {}",
                error.message
            );
        }
    }

    #[test]
    fn an_upload_without_parameters_recognises_the_format() {
        assert_eq!(UploadQuery::parse(""), Ok(UploadQuery::Detect));
    }

    #[test]
    fn a_csv_upload_reads_its_column_mapping() {
        let query = "format=csv&iban=FR7630006000011234567890189&delimiter=%2C&booking_date=Date\
                     &debit=2&credit=3&currency=eur&remittance=Label,Memo&date_format=%25d.%25m.%25Y\
                     &decimal_comma=true";

        let Ok(UploadQuery::Csv(mapping)) = UploadQuery::parse(query) else {
            panic!("a CSV mapping");
        };

        assert_eq!(mapping.delimiter, b',');
        assert!(mapping.has_header);
        assert_eq!(mapping.booking_date, Column::Name("Date".to_owned()));
        assert_eq!(
            mapping.amount,
            AmountColumns::DebitCredit {
                debit: Column::Index(2),
                credit: Column::Index(3)
            }
        );
        assert_eq!(
            mapping.currency,
            CurrencySource::Fixed(Currency::parse("EUR").expect("currency"))
        );
        assert_eq!(
            mapping.remittance,
            [
                Column::Name("Label".to_owned()),
                Column::Name("Memo".to_owned())
            ]
        );
        assert_eq!(mapping.date_format, "%d.%m.%Y");
        assert!(mapping.decimal_comma);
    }

    #[test]
    fn an_incomplete_csv_mapping_says_what_is_missing() {
        let base = "format=csv&iban=FR76&booking_date=Date";
        let cases = [
            (
                "format=csv&booking_date=Date&amount=A&currency=EUR",
                "`iban`",
            ),
            (
                &format!("{base}&currency=EUR") as &str,
                "where the amount is",
            ),
            (
                &format!("{base}&amount=A&debit=B&currency=EUR"),
                "where the amount is",
            ),
            (&format!("{base}&amount=A"), "say the currency"),
            (&format!("{base}&amount=A&currency=EURO"), "`currency=EURO`"),
            (
                "format=csv&iban=FR76&amount=A&currency=EUR",
                "`booking_date` is missing",
            ),
            (
                &format!("{base}&amount=A&currency=EUR&delimiter=;;"),
                "one character",
            ),
            ("format=mt940", "`format=mt940` is not accepted"),
            ("delimiter=%3B", "need `format=csv`"),
        ];
        for (query, expected) in cases {
            let error = UploadQuery::parse(query).expect_err(query);
            assert!(
                error.message.contains(expected),
                "{query}: {}",
                error.message
            );
        }
    }
}
