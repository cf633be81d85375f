//! [`Database`] over rusqlite, for tests, benchmarks and native tools.
//!
//! Statements go through rusqlite's prepared-statement cache, so a statement
//! run in a loop is compiled once.

use std::cell::Cell;
use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, ToSql};

use crate::{Database, Rows, StoreError, Value, migrate};

/// How long a writer waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Distinct statements kept compiled per connection.
const STATEMENT_CACHE: usize = 128;

/// A native SQLite database: a file in WAL mode, or in memory.
pub struct NativeDatabase {
    connection: Connection,
    open_transactions: Cell<u32>,
}

impl NativeDatabase {
    /// Opens (creating if needed) the database file at `path` and brings its
    /// schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<NativeDatabase, StoreError> {
        let path = path.as_ref();
        let connection = Connection::open(path).map_err(|e| StoreError::Unavailable {
            database: path.display().to_string(),
            message: e.to_string(),
        })?;

        use_wal(&connection)?;
        let database = NativeDatabase::configure(connection)?;
        database.execute("PRAGMA synchronous = NORMAL", &[])?;

        migrate(&database)?;
        Ok(database)
    }

    /// Opens a private in-memory database with the current schema.
    pub fn open_in_memory() -> Result<NativeDatabase, StoreError> {
        let connection = Connection::open_in_memory().map_err(|e| StoreError::Unavailable {
            database: ":memory:".to_owned(),
            message: e.to_string(),
        })?;

        let database = NativeDatabase::configure(connection)?;
        migrate(&database)?;
        Ok(database)
    }

    fn configure(connection: Connection) -> Result<NativeDatabase, StoreError> {
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| StoreError::sqlite("PRAGMA busy_timeout", e))?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);

        let database = NativeDatabase {
            connection,
            open_transactions: Cell::new(0),
        };
        database.execute("PRAGMA foreign_keys = ON", &[])?;
        // As in the host: savepoint journals stay in memory.
        database.execute("PRAGMA temp_store = MEMORY", &[])?;
        Ok(database)
    }
}

/// Puts the file in WAL mode. Switching needs the file to itself, and SQLite
/// answers "busy" at once, without waiting, while another connection opening
/// the same new file holds it: so this retries, up to the busy timeout.
fn use_wal(connection: &Connection) -> Result<(), StoreError> {
    let started = Instant::now();
    loop {
        match connection.pragma_update(None, "journal_mode", "WAL") {
            Err(error)
                if error.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            outcome => {
                return outcome.map_err(|e| StoreError::sqlite("PRAGMA journal_mode = WAL", e));
            }
        }
    }
}

impl Database for NativeDatabase {
    fn open_transactions(&self) -> &Cell<u32> {
        &self.open_transactions
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<Rows, StoreError> {
        let failed = |e: rusqlite::Error| StoreError::sqlite(sql, e);

        let mut statement = self.connection.prepare_cached(sql).map_err(failed)?;
        let columns: Vec<String> = statement
            .column_names()
            .into_iter()
            .map(str::to_owned)
            .collect();

        let mut cursor = statement
            .query(rusqlite::params_from_iter(params))
            .map_err(failed)?;
        let mut rows = Vec::new();
        while let Some(row) = cursor.next().map_err(failed)? {
            let values = (0..columns.len())
                .map(|index| row.get_ref(index).map(value_from_sqlite))
                .collect::<Result<Vec<_>, _>>()
                .map_err(failed)?;
            rows.push(values);
        }

        Ok(Rows { columns, rows })
    }
}

fn value_from_sqlite(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Integer(n),
        ValueRef::Real(x) => Value::Real(x),
        ValueRef::Text(bytes) => Value::Text(String::from_utf8_lossy(bytes).into_owned()),
        ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
    }
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Integer(n) => ValueRef::Integer(*n),
            Value::Real(x) => ValueRef::Real(*x),
            Value::Text(text) => ValueRef::Text(text.as_bytes()),
            Value::Blob(bytes) => ValueRef::Blob(bytes),
            Value::Null => ValueRef::Null,
        }))
    }
}
