//! Query strings of the list endpoints: segmentation filters, invoice status,
//! the `as_of` day, sort order and keyset pagination with an opaque cursor.
//!
//! Every refusal is a 400 naming the parameter at fault and what it accepts.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde_json::json;

use crate::ApiError;

/// The segmentation dimensions every list can be filtered by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentFilter {
    /// Legal entity (company of the group) that invoices the customer.
    pub entity: Option<String>,
    /// Sales region.
    pub region: Option<String>,
    /// Customer type, such as `smb` or `key-account`.
    pub segment: Option<String>,
    /// Salesperson who owns the customer.
    pub owner: Option<String>,
    /// Collector assigned to the customer.
    pub collector: Option<String>,
}

/// An invoice state to filter on; several are combined with "or".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusFilter {
    /// Stored as a draft; never chased.
    Draft,
    /// Issued and nothing paid yet.
    Open,
    /// Issued and partly paid.
    PartiallyPaid,
    /// Fully settled.
    Paid,
    /// Cancelled at the source.
    Void,
    /// Written off as uncollectible.
    Uncollectible,
    /// Open or partly paid, and the due date is before `as_of`.
    Overdue,
    /// Open or partly paid, and the due date is on or after `as_of`.
    NotDue,
    /// Open or partly paid, with a dispute in progress.
    Disputed,
}

impl StatusFilter {
    const ALL: [StatusFilter; 9] = [
        StatusFilter::Draft,
        StatusFilter::Open,
        StatusFilter::PartiallyPaid,
        StatusFilter::Paid,
        StatusFilter::Void,
        StatusFilter::Uncollectible,
        StatusFilter::Overdue,
        StatusFilter::NotDue,
        StatusFilter::Disputed,
    ];

    /// The name used in query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Draft => "draft",
            StatusFilter::Open => "open",
            StatusFilter::PartiallyPaid => "partially_paid",
            StatusFilter::Paid => "paid",
            StatusFilter::Void => "void",
            StatusFilter::Uncollectible => "uncollectible",
            StatusFilter::Overdue => "overdue",
            StatusFilter::NotDue => "not_due",
            StatusFilter::Disputed => "disputed",
        }
    }

    fn parse(text: &str) -> Option<StatusFilter> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// Ascending or descending order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    /// Smallest first (`sort=due_date`).
    #[default]
    Ascending,
    /// Largest first (`sort=-due_date`).
    Descending,
}

/// How invoice lists can be ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InvoiceSort {
    /// By due date, oldest first unless descending.
    #[default]
    DueDate,
    /// By issue date.
    IssueDate,
    /// By amount still due.
    Remaining,
    /// By invoice number.
    Number,
    /// By the customer's name.
    CustomerName,
}

impl InvoiceSort {
    const ALL: [InvoiceSort; 5] = [
        InvoiceSort::DueDate,
        InvoiceSort::IssueDate,
        InvoiceSort::Remaining,
        InvoiceSort::Number,
        InvoiceSort::CustomerName,
    ];

    /// The name used in query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceSort::DueDate => "due_date",
            InvoiceSort::IssueDate => "issue_date",
            InvoiceSort::Remaining => "remaining",
            InvoiceSort::Number => "number",
            InvoiceSort::CustomerName => "customer_name",
        }
    }
}

/// How customer lists can be ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CustomerSort {
    /// By name.
    #[default]
    Name,
    /// By the customer's identifier at its source platform.
    ExternalId,
}

impl CustomerSort {
    const ALL: [CustomerSort; 2] = [CustomerSort::Name, CustomerSort::ExternalId];

    /// The name used in query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerSort::Name => "name",
            CustomerSort::ExternalId => "external_id",
        }
    }
}

/// Where a listing resumes: the sort it was issued for, the sort key and
/// identifier of the last row already returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The `sort` parameter the cursor belongs to, in its canonical form.
    pub sort: String,
    /// The sort column's value in the last row returned.
    pub key: String,
    /// The identifier of the last row returned (ties on `key` are broken by it).
    pub id: i64,
}

/// Separates the cursor's parts; never found in a sort name or a stored key.
const CURSOR_SEPARATOR: char = '\u{1f}';

impl Cursor {
    /// The opaque text handed to the client as `next_cursor`.
    pub fn encode(&self) -> String {
        let plain = format!(
            "{}{CURSOR_SEPARATOR}{}{CURSOR_SEPARATOR}{}",
            self.sort, self.key, self.id
        );
        hex::encode(plain)
    }

    /// Reads a cursor produced by [`Cursor::encode`].
    pub fn decode(text: &str) -> Result<Cursor, ApiError> {
        let plain = hex::decode(text)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| invalid_cursor(text))?;

        let mut parts = plain.split(CURSOR_SEPARATOR);
        let (Some(sort), Some(key), Some(id), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid_cursor(text));
        };
        let id = id.parse().map_err(|_| invalid_cursor(text))?;

        Ok(Cursor {
            sort: sort.to_owned(),
            key: key.to_owned(),
            id,
        })
    }
}

fn invalid_cursor(text: &str) -> ApiError {
    invalid_parameter(
        "cursor",
        text,
        "is not a cursor this API issued; pass `next_cursor` from the previous page unchanged",
    )
}

/// Which slice of a listing to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// How many rows at most, 1 to [`Page::MAX_LIMIT`].
    pub limit: u32,
    /// Where to resume; `None` for the first page.
    pub cursor: Option<Cursor>,
}

impl Page {
    /// Rows per page when `limit` is not given.
    pub const DEFAULT_LIMIT: u32 = 100;
    /// The largest `limit` accepted.
    pub const MAX_LIMIT: u32 = 1000;

    /// The first page with `limit` rows.
    pub fn first(limit: u32) -> Page {
        Page {
            limit,
            cursor: None,
        }
    }
}

impl Default for Page {
    fn default() -> Self {
        Page::first(Page::DEFAULT_LIMIT)
    }
}

/// Filters and order of an invoice listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceFilter {
    /// Segmentation of the invoice's customer.
    pub segments: SegmentFilter,
    /// Only this customer's invoices (Relance's customer id).
    pub customer_id: Option<i64>,
    /// Invoice states to keep; empty keeps every state.
    pub statuses: Vec<StatusFilter>,
    /// The day "overdue" and "not due" are judged on.
    pub as_of: NaiveDate,
    /// Sort column.
    pub sort: InvoiceSort,
    /// Sort direction.
    pub direction: SortDirection,
}

impl InvoiceFilter {
    /// Every invoice, by due date, judged on `as_of`.
    pub fn all(as_of: NaiveDate) -> InvoiceFilter {
        InvoiceFilter {
            segments: SegmentFilter::default(),
            customer_id: None,
            statuses: Vec::new(),
            as_of,
            sort: InvoiceSort::default(),
            direction: SortDirection::default(),
        }
    }

    /// The canonical `sort` value, as stored in cursors.
    pub fn sort_parameter(&self) -> String {
        sort_parameter(self.sort.as_str(), self.direction)
    }
}

/// Filters and order of a customer listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerFilter {
    /// Segmentation of the customer.
    pub segments: SegmentFilter,
    /// Sort column.
    pub sort: CustomerSort,
    /// Sort direction.
    pub direction: SortDirection,
}

impl CustomerFilter {
    /// The canonical `sort` value, as stored in cursors.
    pub fn sort_parameter(&self) -> String {
        sort_parameter(self.sort.as_str(), self.direction)
    }
}

fn sort_parameter(column: &str, direction: SortDirection) -> String {
    match direction {
        SortDirection::Ascending => column.to_owned(),
        SortDirection::Descending => format!("-{column}"),
    }
}

/// A parsed `GET /api/v1/invoices` query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceQuery {
    /// What to list, in which order.
    pub filter: InvoiceFilter,
    /// Which page.
    pub page: Page,
}

const INVOICE_PARAMETERS: &[&str] = &[
    "entity",
    "region",
    "segment",
    "owner",
    "collector",
    "customer_id",
    "status",
    "as_of",
    "sort",
    "limit",
    "cursor",
];

impl InvoiceQuery {
    /// Parses the query string (without `?`); `today` is the default `as_of`.
    pub fn parse(query: &str, today: NaiveDate) -> Result<InvoiceQuery, ApiError> {
        let mut parameters = QueryParameters::parse(query, INVOICE_PARAMETERS)?;

        let segments = parameters.segments()?;
        let customer_id = parameters.customer_id()?;
        let statuses = parameters.statuses()?;
        let as_of = parameters.date("as_of")?.unwrap_or(today);
        let (sort, direction) = parameters.sort(&InvoiceSort::ALL, InvoiceSort::as_str)?;
        let filter = InvoiceFilter {
            segments,
            customer_id,
            statuses,
            as_of,
            sort: sort.unwrap_or_default(),
            direction,
        };

        let page = parameters.page(&filter.sort_parameter())?;
        Ok(InvoiceQuery { filter, page })
    }
}

/// A parsed `GET /api/v1/customers` query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerQuery {
    /// What to list, in which order.
    pub filter: CustomerFilter,
    /// Which page.
    pub page: Page,
}

const CUSTOMER_PARAMETERS: &[&str] = &[
    "entity",
    "region",
    "segment",
    "owner",
    "collector",
    "sort",
    "limit",
    "cursor",
];

impl CustomerQuery {
    /// Parses the query string (without `?`).
    pub fn parse(query: &str) -> Result<CustomerQuery, ApiError> {
        let mut parameters = QueryParameters::parse(query, CUSTOMER_PARAMETERS)?;

        let segments = parameters.segments()?;
        let (sort, direction) = parameters.sort(&CustomerSort::ALL, CustomerSort::as_str)?;
        let filter = CustomerFilter {
            segments,
            sort: sort.unwrap_or_default(),
            direction,
        };

        let page = parameters.page(&filter.sort_parameter())?;
        Ok(CustomerQuery { filter, page })
    }
}

/// The decoded parameters of one query string, each given at most once,
/// taken out one by one by the route that reads them.
pub struct QueryParameters {
    values: BTreeMap<String, String>,
}

impl QueryParameters {
    /// Decodes `query` (without `?`), refusing a parameter not in `allowed`
    /// or given twice.
    pub fn parse(query: &str, allowed: &[&str]) -> Result<QueryParameters, ApiError> {
        let mut values = BTreeMap::new();

        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if !allowed.contains(&name.as_ref()) {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter `{name}`; this endpoint accepts {}",
                    allowed.join(", ")
                ))
                .with_code("invalid_parameter")
                .with_details(json!({ "parameter": name, "allowed": allowed })));
            }

            if values.insert(name.to_string(), value.to_string()).is_some() {
                return Err(invalid_parameter(
                    &name,
                    &value,
                    "is given more than once; give it once \
                     (several values are separated by commas)",
                ));
            }
        }

        Ok(QueryParameters { values })
    }

    /// Takes a parameter out, trimmed, refusing an empty value.
    pub fn take(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        match self.values.remove(name) {
            Some(value) if value.trim().is_empty() => Err(invalid_parameter(
                name,
                &value,
                "is empty; give a value or leave the parameter out",
            )),
            Some(value) => Ok(Some(value.trim().to_owned())),
            None => Ok(None),
        }
    }

    /// True once every parameter was taken out.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Takes a parameter out exactly as decoded, blanks included.
    pub fn take_untrimmed(&mut self, name: &str) -> Option<String> {
        self.values.remove(name)
    }

    /// Takes a `YYYY-MM-DD` date out.
    pub fn date(&mut self, name: &str) -> Result<Option<NaiveDate>, ApiError> {
        self.take(name)?
            .map(|text| {
                NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .map_err(|_| invalid_parameter(name, &text, "is not a date; use YYYY-MM-DD"))
            })
            .transpose()
    }

    /// Takes `true` or `false` out, `default` when absent.
    pub fn flag(&mut self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.take(name)?.as_deref() {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(invalid_parameter(name, other, "must be true or false")),
        }
    }

    fn customer_id(&mut self) -> Result<Option<i64>, ApiError> {
        self.take("customer_id")?
            .map(|text| {
                text.parse().map_err(|_| {
                    invalid_parameter(
                        "customer_id",
                        &text,
                        "is not a customer id; use the number the customers API returns",
                    )
                })
            })
            .transpose()
    }

    fn segments(&mut self) -> Result<SegmentFilter, ApiError> {
        Ok(SegmentFilter {
            entity: self.take("entity")?,
            region: self.take("region")?,
            segment: self.take("segment")?,
            owner: self.take("owner")?,
            collector: self.take("collector")?,
        })
    }

    fn statuses(&mut self) -> Result<Vec<StatusFilter>, ApiError> {
        let Some(list) = self.take("status")? else {
            return Ok(Vec::new());
        };

        let mut statuses = Vec::new();
        for name in list.split(',').map(str::trim) {
            let status = StatusFilter::parse(name).ok_or_else(|| {
                let allowed: Vec<_> = StatusFilter::ALL.iter().map(|s| s.as_str()).collect();
                invalid_parameter(
                    "status",
                    name,
                    &format!("is not an invoice status; use {}", allowed.join(", ")),
                )
                .with_details(json!({ "parameter": "status", "allowed": allowed }))
            })?;
            if !statuses.contains(&status) {
                statuses.push(status);
            }
        }

        Ok(statuses)
    }

    fn sort<S: Copy>(
        &mut self,
        columns: &[S],
        name: fn(S) -> &'static str,
    ) -> Result<(Option<S>, SortDirection), ApiError> {
        let Some(text) = self.take("sort")? else {
            return Ok((None, SortDirection::Ascending));
        };

        let (direction, column) = match text.strip_prefix('-') {
            Some(column) => (SortDirection::Descending, column),
            None => (SortDirection::Ascending, text.as_str()),
        };

        match columns.iter().copied().find(|c| name(*c) == column) {
            Some(column) => Ok((Some(column), direction)),
            None => {
                let allowed: Vec<_> = columns.iter().map(|c| name(*c)).collect();
                Err(invalid_parameter(
                    "sort",
                    &text,
                    &format!(
                        "is not a sort order; use one of {} (prefix `-` for descending)",
                        allowed.join(", ")
                    ),
                )
                .with_details(json!({ "parameter": "sort", "allowed": allowed })))
            }
        }
    }

    /// Takes `limit` and `cursor` out; a cursor must have been issued for
    /// the same `sort`.
    pub fn page(&mut self, sort: &str) -> Result<Page, ApiError> {
        let limit = match self.take("limit")? {
            None => Page::DEFAULT_LIMIT,
            Some(text) => parse_limit(&text)?,
        };

        let cursor = match self.take("cursor")? {
            None => None,
            Some(text) => Some(cursor_for_sort(&text, sort)?),
        };

        Ok(Page { limit, cursor })
    }
}

fn parse_limit(text: &str) -> Result<u32, ApiError> {
    text.parse::<u32>()
        .ok()
        .filter(|limit| (1..=Page::MAX_LIMIT).contains(limit))
        .ok_or_else(|| {
            invalid_parameter(
                "limit",
                text,
                &format!("must be a whole number from 1 to {}", Page::MAX_LIMIT),
            )
        })
}

fn cursor_for_sort(text: &str, sort: &str) -> Result<Cursor, ApiError> {
    let cursor = Cursor::decode(text)?;

    if cursor.sort != sort {
        return Err(invalid_parameter(
            "cursor",
            text,
            &format!(
                "was issued for sort={}, not sort={sort}; \
                 keep the same sort or start again without a cursor",
                cursor.sort
            ),
        ));
    }

    Ok(cursor)
}

/// A 400 naming the parameter at fault, its value and what is wrong with it.
pub fn invalid_parameter(name: &str, value: &str, problem: &str) -> ApiError {
    ApiError::bad_request(format!("`{name}={value}` {problem}"))
        .with_code("invalid_parameter")
        .with_details(json!({ "parameter": name, "value": value }))
}

impl fmt::Display for StatusFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 15).expect("valid date")
    }

    #[test]
    fn empty_query_lists_everything_by_due_date_with_default_limit() {
        let query = InvoiceQuery::parse("", today()).expect("empty query is valid");

        assert_eq!(query.filter, InvoiceFilter::all(today()));
        assert_eq!(query.page, Page::default());
    }

    #[test]
    fn every_filter_is_read_and_decoded() {
        let query = InvoiceQuery::parse(
            "entity=FR01&region=%C3%8Ele-de-France&segment=smb&owner=alice%40example.com\
             &collector=bruno&status=open,partially_paid,overdue&as_of=2026-01-31&sort=-remaining&limit=25",
            today(),
        )
        .expect("valid query");

        let segments = SegmentFilter {
            entity: Some("FR01".into()),
            region: Some("Île-de-France".into()),
            segment: Some("smb".into()),
            owner: Some("alice@example.com".into()),
            collector: Some("bruno".into()),
        };
        assert_eq!(query.filter.segments, segments);
        assert_eq!(
            query.filter.statuses,
            [
                StatusFilter::Open,
                StatusFilter::PartiallyPaid,
                StatusFilter::Overdue
            ]
        );
        assert_eq!(query.filter.as_of.to_string(), "2026-01-31");
        assert_eq!(query.filter.sort, InvoiceSort::Remaining);
        assert_eq!(query.filter.direction, SortDirection::Descending);
        assert_eq!(query.page.limit, 25);
    }

    #[test]
    fn wrong_parameters_are_refused_naming_the_parameter() {
        let table = [
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("limit=ten", "limit"),
            ("status=late", "status"),
            ("as_of=15/03/2026", "as_of"),
            ("sort=amount", "sort"),
            ("sort=--due_date", "sort"),
            ("owner=", "owner"),
            ("owner=a&owner=b", "owner"),
            ("cursor=zz", "cursor"),
            ("page=2", "page"),
        ];

        for (query, parameter) in table {
            let error = InvoiceQuery::parse(query, today()).expect_err(query);
            assert_eq!(error.status, 400, "{query}");
            assert_eq!(error.code, "invalid_parameter", "{query}");
            assert_eq!(error.details["parameter"], parameter, "{query}");
            assert!(
                error.message.contains(parameter),
                "{query}: {}",
                error.message
            );
        }
    }

    #[test]
    fn customer_id_narrows_invoices_to_one_customer_and_must_be_a_number() {
        let table = [
            ("customer_id=12", Ok(Some(12))),
            ("customer_id=ACME", Err(400)),
            ("", Ok(None)),
        ];

        for (query, expected) in table {
            let got = InvoiceQuery::parse(query, today())
                .map(|parsed| parsed.filter.customer_id)
                .map_err(|error| error.status);
            assert_eq!(got, expected, "{query}");
        }
    }

    #[test]
    fn limit_bounds_are_inclusive() {
        for (text, limit) in [("1", 1), ("1000", 1000)] {
            let query = InvoiceQuery::parse(&format!("limit={text}"), today()).expect(text);
            assert_eq!(query.page.limit, limit);
        }
    }

    #[test]
    fn cursor_round_trips_through_its_opaque_form() {
        let cursor = Cursor {
            sort: "-remaining".into(),
            key: "1440.00".into(),
            id: 42,
        };

        let query = InvoiceQuery::parse(
            &format!("sort=-remaining&cursor={}", cursor.encode()),
            today(),
        )
        .expect("cursor is valid for its sort");

        assert_eq!(query.page.cursor, Some(cursor));
    }

    #[test]
    fn cursor_from_another_sort_is_refused() {
        let cursor = Cursor {
            sort: "due_date".into(),
            key: "2026-03-31".into(),
            id: 1,
        };

        let error =
            InvoiceQuery::parse(&format!("sort=number&cursor={}", cursor.encode()), today())
                .expect_err("sort differs");

        assert_eq!(error.details["parameter"], "cursor");
        assert!(error.message.contains("sort=due_date"), "{}", error.message);
    }

    #[test]
    fn customer_listing_refuses_invoice_only_parameters() {
        let error = CustomerQuery::parse("status=open").expect_err("no status on customers");
        assert_eq!(error.details["parameter"], "status");

        let query = CustomerQuery::parse("sort=-external_id&region=Nord").expect("valid query");
        assert_eq!(query.filter.sort, CustomerSort::ExternalId);
        assert_eq!(query.filter.direction, SortDirection::Descending);
        assert_eq!(query.filter.segments.region.as_deref(), Some("Nord"));
    }
}
