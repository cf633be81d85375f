//! `fermyon:spin/sqlite@2.0.0`: the databases each label names, in WAL mode,
//! with statements run on the blocking pool so the async workers stay free.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use rusqlite::types::{ToSqlOutput, ValueRef};
use tracing::instrument;
use wasmtime::component::Resource;

use crate::bindings::fermyon::spin::sqlite::{self, Error, QueryResult, RowResult, Value};
use crate::state::RequestState;

/// How long a writer waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// One database file and the idle connections kept open on it.
pub struct SqliteDatabase {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

/// A connection a guest has opened; it goes back to the pool when dropped.
pub struct GuestConnection {
    database: Arc<SqliteDatabase>,
    connection: Arc<Mutex<Option<rusqlite::Connection>>>,
}

/// Every configured database, by label.
#[derive(Clone, Default)]
pub struct SqliteDatabases {
    databases: HashMap<String, Arc<SqliteDatabase>>,
}

impl SqliteDatabases {
    /// Opens the databases that at least one component is granted.
    pub fn open(
        paths: &BTreeMap<String, PathBuf>,
        used_labels: impl IntoIterator<Item = String>,
    ) -> anyhow::Result<Self> {
        let mut databases = HashMap::new();
        for label in used_labels {
            if databases.contains_key(&label) {
                continue;
            }
            let path = paths.get(&label).with_context(|| {
                format!(
                    "a component is granted SQLite database `{label}`, which is not configured: \
                     add [sqlite_database.{label}] to the runtime config file"
                )
            })?;
            let database = SqliteDatabase {
                path: path.clone(),
                idle: Mutex::new(Vec::new()),
            };
            let first = database.connect().with_context(|| {
                format!(
                    "cannot open SQLite database `{label}` at {}",
                    path.display()
                )
            })?;
            database.give_back(first);
            databases.insert(label, Arc::new(database));
        }
        Ok(Self { databases })
    }

    fn get(&self, label: &str) -> Option<Arc<SqliteDatabase>> {
        self.databases.get(label).cloned()
    }
}

impl SqliteDatabase {
    fn connect(&self) -> rusqlite::Result<rusqlite::Connection> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        }
        let connection = rusqlite::Connection::open(&self.path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        connection.set_prepared_statement_cache_capacity(64);
        Ok(connection)
    }

    fn take(&self) -> rusqlite::Result<rusqlite::Connection> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(connection) => Ok(connection),
            None => self.connect(),
        }
    }

    fn give_back(&self, connection: rusqlite::Connection) {
        if !connection.is_autocommit() {
            // A guest that ends without COMMIT leaves nothing half-written behind.
            let _ = connection.execute_batch("ROLLBACK");
        }
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(connection);
        }
    }
}

impl Drop for GuestConnection {
    fn drop(&mut self) {
        let taken = self.connection.lock().ok().and_then(|mut slot| slot.take());
        if let Some(connection) = taken {
            self.database.give_back(connection);
        }
    }
}

/// Runs one statement and collects its columns and rows.
fn execute(
    connection: &rusqlite::Connection,
    statement: &str,
    parameters: &[Value],
) -> rusqlite::Result<QueryResult> {
    let mut prepared = connection.prepare_cached(statement)?;
    let columns: Vec<String> = prepared
        .column_names()
        .into_iter()
        .map(String::from)
        .collect();
    let column_count = columns.len();

    let mut rows = prepared.query(rusqlite::params_from_iter(
        parameters.iter().map(SqlParameter),
    ))?;
    let mut results = Vec::new();
    while let Some(row) = rows.next()? {
        let values = (0..column_count)
            .map(|index| row.get_ref(index).map(to_guest_value))
            .collect::<rusqlite::Result<_>>()?;
        results.push(RowResult { values });
    }
    Ok(QueryResult {
        columns,
        rows: results,
    })
}

struct SqlParameter<'a>(&'a Value);

impl rusqlite::ToSql for SqlParameter<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Integer(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Real(r) => ToSqlOutput::Borrowed(ValueRef::Real(*r)),
            Value::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }
}

fn to_guest_value(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn guest_error(error: rusqlite::Error) -> Error {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => Error::DatabaseFull,
        _ => Error::Io(error.to_string()),
    }
}

impl sqlite::Host for RequestState {}

impl sqlite::HostConnection for RequestState {
    #[instrument(name = "spin_sqlite.open", skip_all, fields(component = %self.component.id, database))]
    async fn open(
        &mut self,
        database: String,
    ) -> wasmtime::Result<Result<Resource<GuestConnection>, Error>> {
        if !self.component.sqlite_databases.contains(&database) {
            return Ok(Err(Error::AccessDenied));
        }
        let Some(database) = self.app.sqlite.get(&database) else {
            return Ok(Err(Error::NoSuchDatabase));
        };

        let pool = Arc::clone(&database);
        let connection = tokio::task::spawn_blocking(move || pool.take()).await?;
        let connection = match connection {
            Ok(connection) => connection,
            Err(error) => return Ok(Err(guest_error(error))),
        };
        let guest = GuestConnection {
            database,
            connection: Arc::new(Mutex::new(Some(connection))),
        };
        Ok(Ok(self.table.push(guest)?))
    }

    #[instrument(name = "spin_sqlite.execute", skip_all)]
    async fn execute(
        &mut self,
        connection: Resource<GuestConnection>,
        statement: String,
        parameters: Vec<Value>,
    ) -> wasmtime::Result<Result<QueryResult, Error>> {
        let slot = Arc::clone(&self.table.get(&connection)?.connection);
        let result = tokio::task::spawn_blocking(move || {
            let guard = slot.lock().map_err(|_| Error::InvalidConnection)?;
            let connection = guard.as_ref().ok_or(Error::InvalidConnection)?;
            execute(connection, &statement, &parameters).map_err(guest_error)
        })
        .await?;
        Ok(result)
    }

    async fn drop(&mut self, connection: Resource<GuestConnection>) -> wasmtime::Result<()> {
        let guest = self.table.delete(connection)?;
        tokio::task::spawn_blocking(move || drop(guest)).await?;
        Ok(())
    }
}
