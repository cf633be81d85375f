//! `fermyon:spin/sqlite@2.0.0`: the databases each label names, in WAL mode,
//! with each statement run where it cannot stall the async workers.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use rusqlite::types::{ToSqlOutput, ValueRef};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::instrument;
use wasmtime::component::Resource;

use crate::bindings::fermyon::spin::sqlite::{self, Error, QueryResult, RowResult, Value};
use crate::state::RequestState;

/// How long a writer waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// One database file, the idle connections kept open on it, and the turn
/// writers take: SQLite lets one write at a time, and waiting here in line
/// costs nothing, where SQLite's own busy handler sleeps and retries.
pub struct SqliteDatabase {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
    writer: Arc<Semaphore>,
}

/// A connection a guest has opened; it goes back to the pool when dropped.
pub struct GuestConnection {
    database: Arc<SqliteDatabase>,
    connection: Arc<Mutex<Option<rusqlite::Connection>>>,
    /// Held from a guest's first write or `BEGIN` until its transaction ends.
    writing: Option<OwnedSemaphorePermit>,
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
                writer: Arc::new(Semaphore::new(1)),
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

/// Runs SQLite work where it cannot stall other requests: the current worker
/// thread hands its queued tasks to another worker first, so there is no
/// thread switch per statement, and a long query holds up nobody.
fn off_the_workers<T>(work: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(work)
}

/// Whether a statement may write or open a transaction; plain reads never
/// wait for the writer's turn.
fn may_write(statement: &str) -> bool {
    let first_word = statement
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default();
    !["SELECT", "VALUES", "EXPLAIN"]
        .iter()
        .any(|read| first_word.eq_ignore_ascii_case(read))
}

/// Waits for the writer's turn, up to the busy timeout; past it the
/// statement goes ahead and SQLite's own locking decides.
async fn wait_for_turn(writer: &Arc<Semaphore>) -> Option<OwnedSemaphorePermit> {
    tokio::time::timeout(BUSY_TIMEOUT, Arc::clone(writer).acquire_owned())
        .await
        .ok()
        .and_then(Result::ok)
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
        let connection = off_the_workers(move || pool.take());
        let connection = match connection {
            Ok(connection) => connection,
            Err(error) => return Ok(Err(guest_error(error))),
        };
        let guest = GuestConnection {
            database,
            connection: Arc::new(Mutex::new(Some(connection))),
            writing: None,
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
        let guest = self.table.get(&connection)?;
        let slot = Arc::clone(&guest.connection);
        let turn = match (&guest.writing, may_write(&statement)) {
            (None, true) => wait_for_turn(&guest.database.writer).await,
            _ => None,
        };

        let outcome = off_the_workers(move || {
            let guard = slot.lock().map_err(|_| Error::InvalidConnection)?;
            let connection = guard.as_ref().ok_or(Error::InvalidConnection)?;
            let result = execute(connection, &statement, &parameters).map_err(guest_error);
            Ok::<_, Error>((result, connection.is_autocommit()))
        });

        let guest = self.table.get_mut(&connection)?;
        let (result, transaction_over) = match outcome {
            Ok(done) => done,
            Err(error) => (Err(error), true),
        };
        if turn.is_some() {
            guest.writing = turn;
        }
        if transaction_over {
            guest.writing = None;
        }
        Ok(result)
    }

    async fn drop(&mut self, connection: Resource<GuestConnection>) -> wasmtime::Result<()> {
        let guest = self.table.delete(connection)?;
        off_the_workers(move || drop(guest));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_reads_skip_the_writers_turn() {
        let cases = [
            ("SELECT 1", false),
            ("  select * from invoices", false),
            ("VALUES (1)", false),
            ("EXPLAIN QUERY PLAN SELECT 1", false),
            ("BEGIN IMMEDIATE", true),
            ("INSERT INTO t VALUES (1)", true),
            ("update t set x = 1", true),
            ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", true),
            ("PRAGMA journal_mode = WAL", true),
            ("CREATE TABLE t (x)", true),
        ];
        for (statement, expected) in cases {
            assert_eq!(may_write(statement), expected, "{statement}");
        }
    }
}
