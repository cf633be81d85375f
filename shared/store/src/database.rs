//! The one SQL-access trait every repository is written against, its values
//! and rows, and the transaction helpers built on it.
//!
//! Two implementations exist: [`crate::NativeDatabase`] over rusqlite and
//! [`crate::SpinDatabase`] over Spin's `fermyon:spin/sqlite@2.0.0`. Both run
//! the same statements against the same schema.

use std::cell::Cell;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;

use crate::StoreError;

/// A SQL parameter or result value, mirroring the `value` variant of
/// `fermyon:spin/sqlite@2.0.0`.
///
/// Money is never stored as `Real`: amounts are `Text` decimals, exact.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A 64-bit signed integer.
    Integer(i64),
    /// A floating-point number (never used for money).
    Real(f64),
    /// UTF-8 text: names, decimal amounts, ISO-8601 dates and instants.
    Text(String),
    /// Raw bytes, such as a received webhook body.
    Blob(Vec<u8>),
    /// SQL `NULL`.
    Null,
}

impl Value {
    fn describe(&self) -> String {
        match self {
            Value::Integer(n) => format!("the integer {n}"),
            Value::Real(x) => format!("the real {x}"),
            Value::Text(text) => format!("the text {text:?}"),
            Value::Blob(bytes) => format!("a blob of {} bytes", bytes.len()),
            Value::Null => "NULL".to_owned(),
        }
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Integer(value)
    }
}

impl From<u32> for Value {
    fn from(value: u32) -> Self {
        Value::Integer(i64::from(value))
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Integer(i64::from(value))
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Text(value.to_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Text(value)
    }
}

impl From<&String> for Value {
    fn from(value: &String) -> Self {
        Value::Text(value.clone())
    }
}

impl From<Vec<u8>> for Value {
    fn from(value: Vec<u8>) -> Self {
        Value::Blob(value)
    }
}

impl From<Decimal> for Value {
    /// Amounts are stored as their exact decimal text, scale kept (`1440.00`).
    fn from(value: Decimal) -> Self {
        Value::Text(value.to_string())
    }
}

impl From<NaiveDate> for Value {
    /// Dates are stored as `YYYY-MM-DD`, which sorts as dates do.
    fn from(value: NaiveDate) -> Self {
        Value::Text(value.format("%Y-%m-%d").to_string())
    }
}

impl From<DateTime<Utc>> for Value {
    /// Instants are stored in one fixed-width UTC form, so that comparing the
    /// text compares the instants.
    fn from(value: DateTime<Utc>) -> Self {
        Value::Text(timestamp_text(value))
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

/// The stored form of an instant: RFC 3339, UTC, microseconds, `Z`.
pub fn timestamp_text(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The result of one statement: column names and the rows, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    /// Column names, as the statement names them.
    pub columns: Vec<String>,
    /// One vector of values per row, in column order.
    pub rows: Vec<Vec<Value>>,
}

impl Rows {
    /// The rows, each readable by column name.
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|values| Row {
            columns: &self.columns,
            values,
        })
    }

    /// The first row, if any.
    pub fn first(&self) -> Option<Row<'_>> {
        self.iter().next()
    }

    /// How many rows were returned.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row was returned.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// One result row with typed accessors by column name.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    columns: &'a [String],
    values: &'a [Value],
}

impl<'a> Row<'a> {
    /// The raw value of `column`.
    pub fn value(&self, column: &str) -> Result<&'a Value, StoreError> {
        self.columns
            .iter()
            .position(|name| name == column)
            .and_then(|index| self.values.get(index))
            .ok_or_else(|| StoreError::MissingColumn {
                column: column.to_owned(),
            })
    }

    /// A non-null integer.
    pub fn integer(&self, column: &str) -> Result<i64, StoreError> {
        match self.value(column)? {
            Value::Integer(n) => Ok(*n),
            other => Err(unexpected(column, "an integer", other)),
        }
    }

    /// An integer or `None` for `NULL`.
    pub fn optional_integer(&self, column: &str) -> Result<Option<i64>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            _ => self.integer(column).map(Some),
        }
    }

    /// A boolean stored as 0 or 1.
    pub fn boolean(&self, column: &str) -> Result<bool, StoreError> {
        match self.integer(column)? {
            0 => Ok(false),
            1 => Ok(true),
            n => Err(unexpected(column, "0 or 1", &Value::Integer(n))),
        }
    }

    /// Non-null text.
    pub fn text(&self, column: &str) -> Result<&'a str, StoreError> {
        match self.value(column)? {
            Value::Text(text) => Ok(text),
            other => Err(unexpected(column, "text", other)),
        }
    }

    /// Text or `None` for `NULL`.
    pub fn optional_text(&self, column: &str) -> Result<Option<&'a str>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            _ => self.text(column).map(Some),
        }
    }

    /// A blob; text is accepted as its UTF-8 bytes.
    pub fn blob(&self, column: &str) -> Result<&'a [u8], StoreError> {
        match self.value(column)? {
            Value::Blob(bytes) => Ok(bytes),
            Value::Text(text) => Ok(text.as_bytes()),
            other => Err(unexpected(column, "a blob", other)),
        }
    }

    /// An exact decimal amount stored as text.
    pub fn decimal(&self, column: &str) -> Result<Decimal, StoreError> {
        let text = self.text(column)?;
        text.parse()
            .map_err(|_| unexpected(column, "a decimal amount", &Value::Text(text.to_owned())))
    }

    /// A decimal amount or `None` for `NULL`.
    pub fn optional_decimal(&self, column: &str) -> Result<Option<Decimal>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            _ => self.decimal(column).map(Some),
        }
    }

    /// A `YYYY-MM-DD` date.
    pub fn date(&self, column: &str) -> Result<NaiveDate, StoreError> {
        let text = self.text(column)?;
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| unexpected(column, "a YYYY-MM-DD date", &Value::Text(text.to_owned())))
    }

    /// A date or `None` for `NULL`.
    pub fn optional_date(&self, column: &str) -> Result<Option<NaiveDate>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            _ => self.date(column).map(Some),
        }
    }

    /// An RFC 3339 instant.
    pub fn timestamp(&self, column: &str) -> Result<DateTime<Utc>, StoreError> {
        let text = self.text(column)?;
        DateTime::parse_from_rfc3339(text)
            .map(|instant| instant.with_timezone(&Utc))
            .map_err(|_| unexpected(column, "an RFC 3339 instant", &Value::Text(text.to_owned())))
    }

    /// An instant or `None` for `NULL`.
    pub fn optional_timestamp(&self, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            _ => self.timestamp(column).map(Some),
        }
    }
}

fn unexpected(column: &str, expected: &'static str, found: &Value) -> StoreError {
    StoreError::UnexpectedValue {
        column: column.to_owned(),
        expected,
        found: found.describe(),
    }
}

/// Runs SQL statements, one at a time, against the system of record.
///
/// Implementations run each statement on the same connection, so
/// `BEGIN` / `COMMIT` issued through [`Database::execute`] span the
/// statements in between; [`Database::transaction`] does exactly that.
pub trait Database {
    /// Runs one statement with positional `?` parameters and returns its rows
    /// (none for statements without `RETURNING`).
    fn execute(&self, sql: &str, params: &[Value]) -> Result<Rows, StoreError>;

    /// How many [`Database::transaction`] calls are running on this
    /// connection; implementations keep a counter starting at 0.
    fn open_transactions(&self) -> &Cell<u32>;

    /// Runs `work` inside `BEGIN IMMEDIATE` ... `COMMIT`; any error rolls
    /// everything back. `IMMEDIATE` takes the write lock at once, so two
    /// writers queue up instead of failing halfway.
    ///
    /// Called inside another transaction, `work` runs in a savepoint of it
    /// instead: an error undoes `work` alone, and the outer transaction
    /// decides whether the rest is kept.
    fn transaction<T, E>(&self, work: impl FnOnce(&Self) -> Result<T, E>) -> Result<T, E>
    where
        Self: Sized,
        E: From<StoreError>,
    {
        if self.open_transactions().get() > 0 {
            return self.savepoint("nested_transaction", work);
        }

        self.execute("BEGIN IMMEDIATE", &[])?;
        let outcome = {
            let _open = OpenTransaction::enter(self.open_transactions());
            work(self).and_then(|value| {
                self.execute("COMMIT", &[])?;
                Ok(value)
            })
        };

        if outcome.is_err() {
            // The transaction may already be gone (a failed COMMIT ends it),
            // so a failing ROLLBACK adds nothing to the error being returned.
            let _ = self.execute("ROLLBACK", &[]);
        }
        outcome
    }

    /// Runs `work` in the transaction already open on this connection, or in
    /// a new one when none is: for work that opens a savepoint per item.
    /// SQLite journals each savepoint's pages after those of the savepoints
    /// around it and walks that journal on every release, so one more
    /// savepoint around a thousand items would make each item cost more
    /// than the one before.
    fn within_transaction<T, E>(&self, work: impl FnOnce(&Self) -> Result<T, E>) -> Result<T, E>
    where
        Self: Sized,
        E: From<StoreError>,
    {
        if self.open_transactions().get() > 0 {
            return work(self);
        }
        self.transaction(work)
    }

    /// Runs `work` inside a savepoint: an error undoes only what `work` did,
    /// leaving the enclosing transaction open. `name` must be a plain
    /// identifier.
    fn savepoint<T, E>(&self, name: &str, work: impl FnOnce(&Self) -> Result<T, E>) -> Result<T, E>
    where
        Self: Sized,
        E: From<StoreError>,
    {
        self.execute(&format!("SAVEPOINT {name}"), &[])?;

        match work(self) {
            Ok(value) => {
                self.execute(&format!("RELEASE {name}"), &[])?;
                Ok(value)
            }
            Err(error) => {
                self.execute(&format!("ROLLBACK TO {name}"), &[])?;
                self.execute(&format!("RELEASE {name}"), &[])?;
                Err(error)
            }
        }
    }
}

/// Counts a transaction as open until dropped, even when its work panics.
struct OpenTransaction<'a>(&'a Cell<u32>);

impl<'a> OpenTransaction<'a> {
    fn enter(count: &'a Cell<u32>) -> Self {
        count.set(count.get() + 1);
        OpenTransaction(count)
    }
}

impl Drop for OpenTransaction<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(columns: &[&str], values: Vec<Value>) -> Rows {
        Rows {
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: vec![values],
        }
    }

    #[test]
    fn typed_accessors_read_stored_forms() {
        let result = rows(
            &["total", "due_date", "version", "archived", "note"],
            vec![
                Value::Text("1440.00".into()),
                Value::Text("2026-03-31".into()),
                Value::Text("2026-03-02T09:15:00.000000Z".into()),
                Value::Integer(1),
                Value::Null,
            ],
        );
        let row = result.first().expect("one row");

        assert_eq!(row.decimal("total").expect("amount").to_string(), "1440.00");
        assert_eq!(
            row.date("due_date").expect("date").to_string(),
            "2026-03-31"
        );
        assert_eq!(
            timestamp_text(row.timestamp("version").expect("instant")),
            "2026-03-02T09:15:00.000000Z"
        );
        assert!(row.boolean("archived").expect("flag"));
        assert_eq!(row.optional_text("note").expect("nullable"), None);
    }

    #[test]
    fn accessors_quote_the_unexpected_value() {
        let result = rows(&["total"], vec![Value::Text("12,50".into())]);
        let row = result.first().expect("one row");

        let error = row
            .decimal("total")
            .expect_err("a comma is not a decimal point");
        assert!(error.to_string().contains("\"12,50\""), "{error}");

        let error = row.integer("missing").expect_err("no such column");
        assert!(error.to_string().contains("`missing`"), "{error}");
    }

    #[test]
    fn a_transaction_inside_another_is_undone_alone_on_error() {
        let db = crate::NativeDatabase::open_in_memory().expect("database");
        db.execute("CREATE TABLE entries (n INTEGER)", &[])
            .expect("table");

        db.transaction(|db| {
            db.execute("INSERT INTO entries VALUES (1)", &[])?;
            let refused: Result<(), StoreError> = db.transaction(|db| {
                db.execute("INSERT INTO entries VALUES (2)", &[])?;
                Err(StoreError::sqlite("INSERT", "refused"))
            });
            assert!(refused.is_err());
            db.transaction(|db| db.execute("INSERT INTO entries VALUES (3)", &[]))?;
            Ok::<_, StoreError>(())
        })
        .expect("outer transaction");

        let rows = db
            .execute("SELECT n FROM entries ORDER BY n", &[])
            .expect("entries");
        let kept: Vec<i64> = rows
            .iter()
            .map(|row| row.integer("n").expect("n"))
            .collect();
        assert_eq!(kept, [1, 3]);
        assert_eq!(db.open_transactions().get(), 0);
    }

    #[test]
    fn stored_instants_sort_as_text_in_time_order() {
        let earlier: DateTime<Utc> = "2026-03-02T09:15:00Z".parse().expect("instant");
        let later: DateTime<Utc> = "2026-03-02T09:15:00.5Z".parse().expect("instant");

        assert!(timestamp_text(earlier) < timestamp_text(later));
    }
}
