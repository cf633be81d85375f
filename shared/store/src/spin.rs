//! [`Database`] over Spin's `fermyon:spin/sqlite@2.0.0`, inside components.

use std::cell::Cell;

use spin_sdk::sqlite::{self, Connection};

use crate::migrations::is_current;
use crate::{Database, Rows, StoreError, Value, migrate};

/// A Spin SQLite database the component's manifest grants it.
pub struct SpinDatabase {
    connection: Connection,
    open_transactions: Cell<u32>,
    schema_checked: Cell<bool>,
}

impl SpinDatabase {
    /// Opens the database labelled `label` (`default` in Relance's manifest).
    /// Its schema is brought up to date before the first statement runs.
    pub fn open(label: &str) -> Result<SpinDatabase, StoreError> {
        let connection = Connection::open(label).map_err(|e| StoreError::Unavailable {
            database: label.to_owned(),
            message: describe(&e),
        })?;

        Ok(SpinDatabase {
            connection,
            open_transactions: Cell::new(0),
            schema_checked: Cell::new(false),
        })
    }

    /// Opens the `default` database.
    pub fn open_default() -> Result<SpinDatabase, StoreError> {
        SpinDatabase::open("default")
    }
}

impl Database for SpinDatabase {
    fn open_transactions(&self) -> &Cell<u32> {
        &self.open_transactions
    }

    /// The connection's first statement checks the schema first. When it
    /// opens a transaction, the check runs inside it, on the connection the
    /// transaction's writes go through anyway; the transaction starts again
    /// once migrations have run, if any had to.
    fn execute(&self, sql: &str, params: &[Value]) -> Result<Rows, StoreError> {
        if self.schema_checked.replace(true) {
            return self.run(sql, params);
        }
        if !opens_transaction(sql) {
            migrate(self)?;
            return self.run(sql, params);
        }

        let rows = self.run(sql, params)?;
        if is_current(self) {
            return Ok(rows);
        }
        self.run("ROLLBACK", &[])?;
        migrate(self)?;
        self.run(sql, params)
    }
}

fn opens_transaction(sql: &str) -> bool {
    sql.trim_start()
        .get(..5)
        .is_some_and(|word| word.eq_ignore_ascii_case("BEGIN"))
}

impl SpinDatabase {
    fn run(&self, sql: &str, params: &[Value]) -> Result<Rows, StoreError> {
        let params: Vec<sqlite::Value> = params.iter().map(to_spin).collect();

        let result = self
            .connection
            .execute(sql, &params)
            .map_err(|e| StoreError::sqlite(sql, describe(&e)))?;

        Ok(Rows {
            columns: result.columns,
            rows: result
                .rows
                .into_iter()
                .map(|row| row.values.into_iter().map(from_spin).collect())
                .collect(),
        })
    }
}

fn to_spin(value: &Value) -> sqlite::Value {
    match value {
        Value::Integer(n) => sqlite::Value::Integer(*n),
        Value::Real(x) => sqlite::Value::Real(*x),
        Value::Text(text) => sqlite::Value::Text(text.clone()),
        Value::Blob(bytes) => sqlite::Value::Blob(bytes.clone()),
        Value::Null => sqlite::Value::Null,
    }
}

fn from_spin(value: sqlite::Value) -> Value {
    match value {
        sqlite::Value::Integer(n) => Value::Integer(n),
        sqlite::Value::Real(x) => Value::Real(x),
        sqlite::Value::Text(text) => Value::Text(text),
        sqlite::Value::Blob(bytes) => Value::Blob(bytes),
        sqlite::Value::Null => Value::Null,
    }
}

fn describe(error: &sqlite::Error) -> String {
    match error {
        sqlite::Error::NoSuchDatabase => "no such database is configured".to_owned(),
        sqlite::Error::AccessDenied => "the component is not granted this database".to_owned(),
        sqlite::Error::InvalidConnection => "the connection is no longer valid".to_owned(),
        sqlite::Error::DatabaseFull => "the database is full".to_owned(),
        sqlite::Error::Io(message) => message.clone(),
    }
}
