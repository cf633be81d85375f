//! The SQL every listing shares: the caller's portfolio scope, segmentation
//! filters, and keyset pagination that resumes after the last row returned.

use relance_api::{Cursor, Page, Scope, SegmentFilter, SortDirection};
use serde::Serialize;

use crate::{Row, StoreError, Value};

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listing<T> {
    /// The rows of this page, in order.
    pub items: Vec<T>,
    /// The cursor to pass for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// SQL conditions (each starting with ` AND `) and their parameters.
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Conditions {
    pub fn add(&mut self, condition: &str, params: impl IntoIterator<Item = Value>) {
        self.sql.push_str(" AND ");
        self.sql.push_str(condition);
        self.params.extend(params);
    }

    /// Keeps only customers (alias `c`) the scope lets the caller see. This
    /// is the one place portfolio scoping is written.
    pub fn scope(&mut self, scope: &Scope) {
        match scope {
            Scope::Everything => {}
            Scope::Owner(person) => self.add("c.owner = ?", [person.into()]),
            Scope::Collector(person) => self.add("c.collector = ?", [person.into()]),
        }
    }

    /// Keeps only customers (alias `c`) in the requested segments.
    pub fn segments(&mut self, filter: &SegmentFilter) {
        let dimensions = [
            ("c.legal_entity", &filter.entity),
            ("c.region", &filter.region),
            ("c.segment", &filter.segment),
            ("c.owner", &filter.owner),
            ("c.collector", &filter.collector),
        ];

        for (column, wanted) in dimensions {
            if let Some(value) = wanted {
                self.add(&format!("{column} = ?"), [value.into()]);
            }
        }
    }
}

/// How a listing is ordered: the SQL expression sorted on, the text kept in
/// the cursor, and whether the key compares as a number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SortKey {
    /// The column whose stored text goes into the cursor.
    pub column: &'static str,
    /// Amounts are decimal text: they are compared as numbers.
    pub numeric: bool,
    /// The row identifier breaking ties.
    pub id_column: &'static str,
}

impl SortKey {
    fn expression(&self, operand: &str) -> String {
        if self.numeric {
            format!("CAST({operand} AS REAL)")
        } else {
            operand.to_owned()
        }
    }

    /// Adds "after the cursor" to `conditions` and returns `ORDER BY ... LIMIT ?`
    /// (asking for one row more than the page, to know if another follows).
    pub fn paginate(
        &self,
        direction: SortDirection,
        page: &Page,
        conditions: &mut Conditions,
    ) -> (String, Value) {
        let (comparison, order) = match direction {
            SortDirection::Ascending => (">", "ASC"),
            SortDirection::Descending => ("<", "DESC"),
        };

        if let Some(cursor) = &page.cursor {
            let condition = format!(
                "({}, {}) {comparison} ({}, ?)",
                self.expression(self.column),
                self.id_column,
                self.expression("?"),
            );
            conditions.add(
                &condition,
                [cursor.key.as_str().into(), Value::Integer(cursor.id)],
            );
        }

        let order_by = format!(
            " ORDER BY {} {order}, {} {order} LIMIT ?",
            self.expression(self.column),
            self.id_column
        );
        (order_by, Value::Integer(i64::from(page.limit) + 1))
    }
}

/// The column alias under which listings select the sort key's text.
pub(crate) const SORT_KEY: &str = "sort_key";

/// Turns the fetched rows (one more than the page) into a page and its cursor.
pub(crate) fn into_listing<T>(
    rows: &crate::Rows,
    page: &Page,
    sort: String,
    read: impl Fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Listing<T>, StoreError> {
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    let has_more = rows.len() > limit;

    let mut items = Vec::with_capacity(limit.min(rows.len()));
    let mut last = None;
    for row in rows.iter().take(limit) {
        items.push(read(&row)?);
        last = Some(row);
    }

    let next_cursor = match last {
        Some(row) if has_more => Some(
            Cursor {
                sort,
                key: row.text(SORT_KEY)?.to_owned(),
                id: row.integer("id")?,
            }
            .encode(),
        ),
        _ => None,
    };
    Ok(Listing { items, next_cursor })
}
