//! `fermyon:spin/sqlite@2.0.0`: the databases each label names, in WAL mode.
//! Writes go through one connection that writers take turns on; reads go
//! through a pool of connections and run beside the writer.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use rusqlite::types::{ToSqlOutput, ValueRef};
use tokio::sync::{Mutex as TurnLock, OwnedMutexGuard};
use tracing::instrument;
use wasmtime::component::Resource;

use crate::bindings::fermyon::spin::sqlite::{self, Error, QueryResult, RowResult, Value};
use crate::state::RequestState;

/// How long a writer waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Distinct statements each connection keeps compiled.
const STATEMENT_CACHE: usize = 128;

/// One database file, the connections kept open on it, and the turn writers
/// take.
///
/// SQLite lets one connection write at a time, so every write goes through
/// the same connection, held by one guest from its first write or `BEGIN`
/// until its transaction ends. Waiting in that line costs nothing, where
/// SQLite's own busy handler sleeps and retries, and the writer's page cache
/// stays warm: a connection that sees another connection's commit must drop
/// its whole cache and read every page again.
pub struct SqliteDatabase {
    path: PathBuf,
    readers: Mutex<Vec<rusqlite::Connection>>,
    writer: Arc<TurnLock<rusqlite::Connection>>,
}

/// A connection a guest has opened.
///
/// Reads run on a pooled connection, taken at the first read and given back
/// when the guest drops the connection. A statement that may write waits
/// for the writer's turn, and everything up to the end of its transaction
/// runs on the writer connection. Connection state outside a transaction
/// (`last_insert_rowid()`, `changes()`, temporary tables) is therefore not
/// kept from one statement to the next: use `RETURNING`, as with Spin, whose
/// guests share one connection.
pub struct GuestConnection {
    database: Arc<SqliteDatabase>,
    reader: Option<rusqlite::Connection>,
    writing: Option<OwnedMutexGuard<rusqlite::Connection>>,
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
            let writer = connect(path).with_context(|| {
                format!(
                    "cannot open SQLite database `{label}` at {}",
                    path.display()
                )
            })?;
            let database = SqliteDatabase {
                path: path.clone(),
                readers: Mutex::new(Vec::new()),
                writer: Arc::new(TurnLock::new(writer)),
            };
            databases.insert(label, Arc::new(database));
        }
        Ok(Self { databases })
    }

    fn get(&self, label: &str) -> Option<Arc<SqliteDatabase>> {
        self.databases.get(label).cloned()
    }
}

fn connect(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    }
    let connection = rusqlite::Connection::open(path)?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    // A savepoint journals every page it changes; kept in memory, a bulk
    // request's thousand savepoints never touch a temporary file.
    connection.pragma_update(None, "temp_store", "MEMORY")?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(connection)
}

impl SqliteDatabase {
    fn take_reader(&self) -> rusqlite::Result<rusqlite::Connection> {
        let idle = self.readers.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(connection) => Ok(connection),
            None => off_the_workers(|| connect(&self.path)),
        }
    }

    fn give_back(&self, reader: rusqlite::Connection) {
        if let Ok(mut idle) = self.readers.lock() {
            idle.push(reader);
        }
    }
}

impl GuestConnection {
    /// The guest's reader connection, taken from the pool at its first read.
    fn reader(&mut self) -> rusqlite::Result<&rusqlite::Connection> {
        let reader = match self.reader.take() {
            Some(reader) => reader,
            None => self.database.take_reader()?,
        };
        Ok(self.reader.insert(reader))
    }

    /// Whether dropping the connection leaves a transaction to roll back.
    fn in_transaction(&self) -> bool {
        let open = |connection: &rusqlite::Connection| !connection.is_autocommit();
        self.writing.as_deref().is_some_and(open) || self.reader.as_ref().is_some_and(open)
    }
}

impl Drop for GuestConnection {
    fn drop(&mut self) {
        // A guest that ends without COMMIT leaves nothing half-written behind.
        if let Some(writer) = self.writing.take()
            && !writer.is_autocommit()
        {
            let _ = writer.execute_batch("ROLLBACK");
        }
        if let Some(reader) = self.reader.take() {
            if !reader.is_autocommit() {
                let _ = reader.execute_batch("ROLLBACK");
            }
            self.database.give_back(reader);
        }
    }
}

/// Runs SQLite work where it cannot stall other requests: the current worker
/// thread hands its queued tasks to another worker first.
fn off_the_workers<T>(work: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(work)
}

/// Whether a statement may write or open a transaction; plain reads never
/// wait for the writer's turn.
fn may_write(statement: &str) -> bool {
    !["SELECT", "VALUES", "EXPLAIN"]
        .iter()
        .any(|read| first_word(statement).eq_ignore_ascii_case(read))
}

/// Whether a statement starting with `WITH`, which may lead to a read or a
/// write, only reads, as SQLite says once the reader has prepared it. Other
/// statements are not asked, so they take no reader.
fn only_reads<'a>(
    statement: &str,
    reader: impl FnOnce() -> rusqlite::Result<&'a rusqlite::Connection>,
) -> bool {
    first_word(statement).eq_ignore_ascii_case("WITH")
        && reader().is_ok_and(|reader| {
            reader
                .prepare_cached(statement)
                .is_ok_and(|prepared| prepared.readonly())
        })
}

fn first_word(statement: &str) -> &str {
    statement
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default()
}

/// Waits for the writer's turn, up to the busy timeout; past it the
/// statement goes ahead on the guest's reader connection and SQLite's own
/// locking decides.
async fn wait_for_turn(
    writer: Arc<TurnLock<rusqlite::Connection>>,
) -> Option<OwnedMutexGuard<rusqlite::Connection>> {
    if let Ok(turn) = Arc::clone(&writer).try_lock_owned() {
        return Some(turn);
    }
    tokio::time::timeout(BUSY_TIMEOUT, writer.lock_owned())
        .await
        .ok()
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

        let guest = GuestConnection {
            database,
            reader: None,
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
        // A transaction begun on the reader, after the writer's turn timed
        // out, goes on there.
        let guest = self.table.get_mut(&connection)?;
        let reader_in_transaction = guest.reader.as_ref().is_some_and(|c| !c.is_autocommit());
        if guest.writing.is_none()
            && !reader_in_transaction
            && may_write(&statement)
            && !only_reads(&statement, || guest.reader())
        {
            let turn = wait_for_turn(Arc::clone(&guest.database.writer)).await;
            self.table.get_mut(&connection)?.writing = turn;
        }

        let guest = self.table.get_mut(&connection)?;
        let result = match guest.writing.as_deref() {
            // Writers already take turns, so a write runs in place: handing
            // the worker's tasks to another thread would only lengthen the
            // turn every other writer is waiting for.
            Some(writer) => execute(writer, &statement, &parameters),
            None => guest
                .reader()
                .and_then(|reader| off_the_workers(|| execute(reader, &statement, &parameters))),
        };

        // The turn ends with the transaction.
        if guest
            .writing
            .as_deref()
            .is_some_and(|writer| writer.is_autocommit())
        {
            guest.writing = None;
        }
        Ok(result.map_err(guest_error))
    }

    async fn drop(&mut self, connection: Resource<GuestConnection>) -> wasmtime::Result<()> {
        let guest = self.table.delete(connection)?;
        if guest.in_transaction() {
            off_the_workers(move || drop(guest));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_says_which_common_table_expressions_only_read() {
        let dir = tempfile::tempdir().expect("directory");
        let reader = connect(&dir.path().join("db.sqlite")).expect("connection");
        reader
            .execute_batch("CREATE TABLE t (x INTEGER)")
            .expect("table");

        let cases = [
            ("WITH x AS (SELECT 1) SELECT * FROM x", true),
            ("with x as materialized (select 1) select * from x, t", true),
            ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", false),
            ("WITH x AS (SELECT 1) SELECT * FROM missing", false),
            ("SELECT 1", false),
            ("BEGIN", false),
        ];
        for (statement, expected) in cases {
            assert_eq!(
                only_reads(statement, || Ok(&reader)),
                expected,
                "{statement}"
            );
        }

        // Writes and transactions are not prepared on a reader: they take none.
        for statement in ["BEGIN IMMEDIATE", "INSERT INTO t VALUES (1)"] {
            let asked = only_reads(statement, || panic!("{statement} took a reader"));
            assert!(!asked, "{statement}");
        }
    }

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
