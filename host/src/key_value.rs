//! `fermyon:spin/key-value@2.0.0`: the stores each label names, on a SQLite
//! file (Spin's default) or on Redis, opened only by components granted them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use redis::AsyncCommands;
use rusqlite::OptionalExtension;
use tracing::instrument;
use wasmtime::component::Resource;

use crate::bindings::fermyon::spin::key_value::{self, Error};
use crate::runtime_config::KeyValueBackend;
use crate::state::RequestState;

/// An opened store, shared by every request.
pub enum KeyValueStore {
    File {
        label: String,
        connection: Arc<Mutex<rusqlite::Connection>>,
    },
    Redis {
        connection: redis::aio::ConnectionManager,
    },
}

/// A store as a guest's resource handle holds it.
pub type SharedStore = Arc<KeyValueStore>;

/// Every configured store, by label.
#[derive(Clone, Default)]
pub struct KeyValueStores {
    stores: HashMap<String, Arc<KeyValueStore>>,
}

impl KeyValueStores {
    /// Opens the stores that at least one component is granted; Redis must answer now.
    pub async fn open(
        backends: &std::collections::BTreeMap<String, KeyValueBackend>,
        used_labels: impl IntoIterator<Item = String>,
    ) -> anyhow::Result<Self> {
        let mut stores = HashMap::new();
        for label in used_labels {
            if stores.contains_key(&label) {
                continue;
            }
            let backend = backends.get(&label).with_context(|| {
                format!(
                    "a component is granted key-value store `{label}`, which is not configured: \
                     add [key_value_store.{label}] to the runtime config file"
                )
            })?;
            let store = match backend {
                KeyValueBackend::File(path) => open_file_store(&label, path)?,
                KeyValueBackend::Redis { url } => open_redis_store(&label, url).await?,
            };
            stores.insert(label, Arc::new(store));
        }
        Ok(Self { stores })
    }

    fn get(&self, label: &str) -> Option<Arc<KeyValueStore>> {
        self.stores.get(label).cloned()
    }
}

fn open_file_store(label: &str, path: &Path) -> anyhow::Result<KeyValueStore> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let connection = rusqlite::Connection::open(path).with_context(|| {
        format!(
            "cannot open key-value store `{label}` at {}",
            path.display()
        )
    })?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    connection.execute_batch(
        "CREATE TABLE IF NOT EXISTS spin_key_value (
             store TEXT NOT NULL,
             key TEXT NOT NULL,
             value BLOB NOT NULL,
             PRIMARY KEY (store, key)
         )",
    )?;
    Ok(KeyValueStore::File {
        label: label.to_string(),
        connection: Arc::new(Mutex::new(connection)),
    })
}

async fn open_redis_store(label: &str, url: &str) -> anyhow::Result<KeyValueStore> {
    let client = redis::Client::open(url)
        .with_context(|| format!("key-value store `{label}`: invalid Redis URL"))?;
    let connection = redis::aio::ConnectionManager::new(client)
        .await
        .with_context(|| format!("key-value store `{label}`: cannot reach Redis at {url}"))?;
    Ok(KeyValueStore::Redis { connection })
}

impl KeyValueStore {
    async fn get(&self, key: String) -> Result<Option<Vec<u8>>, Error> {
        match self {
            Self::File { label, connection } => {
                let label = label.clone();
                run_blocking(connection, move |db| {
                    db.query_row(
                        "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
                        (label, key),
                        |row| row.get(0),
                    )
                    .optional()
                })
                .await
            }
            Self::Redis { connection } => connection.clone().get(key).await.map_err(redis_error),
        }
    }

    async fn set(&self, key: String, value: Vec<u8>) -> Result<(), Error> {
        match self {
            Self::File { label, connection } => {
                let label = label.clone();
                run_blocking(connection, move |db| {
                    db.execute(
                        "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
                        (label, key, value),
                    )
                    .map(drop)
                })
                .await
            }
            Self::Redis { connection } => connection
                .clone()
                .set(key, value)
                .await
                .map_err(redis_error),
        }
    }

    async fn delete(&self, key: String) -> Result<(), Error> {
        match self {
            Self::File { label, connection } => {
                let label = label.clone();
                run_blocking(connection, move |db| {
                    db.execute(
                        "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2",
                        (label, key),
                    )
                    .map(drop)
                })
                .await
            }
            Self::Redis { connection } => connection
                .clone()
                .del::<_, ()>(key)
                .await
                .map_err(redis_error),
        }
    }

    async fn exists(&self, key: String) -> Result<bool, Error> {
        match self {
            Self::File { .. } => self.get(key).await.map(|value| value.is_some()),
            Self::Redis { connection } => connection.clone().exists(key).await.map_err(redis_error),
        }
    }

    async fn keys(&self) -> Result<Vec<String>, Error> {
        match self {
            Self::File { label, connection } => {
                let label = label.clone();
                run_blocking(connection, move |db| {
                    let mut statement =
                        db.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1")?;
                    let keys = statement.query_map([label], |row| row.get(0))?;
                    keys.collect()
                })
                .await
            }
            Self::Redis { connection } => {
                let mut connection = connection.clone();
                let mut keys = Vec::new();
                let mut cursor: u64 = 0;
                loop {
                    let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("COUNT")
                        .arg(1000)
                        .query_async(&mut connection)
                        .await
                        .map_err(redis_error)?;
                    keys.extend(batch);
                    if next == 0 {
                        break Ok(keys);
                    }
                    cursor = next;
                }
            }
        }
    }
}

/// Runs SQLite work on the blocking pool, off the async workers.
async fn run_blocking<T: Send + 'static>(
    connection: &Arc<Mutex<rusqlite::Connection>>,
    work: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
) -> Result<T, Error> {
    let connection = Arc::clone(connection);
    tokio::task::spawn_blocking(move || {
        let db = connection
            .lock()
            .map_err(|_| Error::Other("key-value store lock poisoned".into()))?;
        work(&db).map_err(|e| Error::Other(e.to_string()))
    })
    .await
    .map_err(|e| Error::Other(e.to_string()))?
}

fn redis_error(error: redis::RedisError) -> Error {
    Error::Other(format!("redis: {error}"))
}

impl key_value::Host for RequestState {}

impl key_value::HostStore for RequestState {
    #[instrument(name = "spin_key_value.open", skip_all, fields(component = %self.component.id, label))]
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<SharedStore>, Error>> {
        if !self.component.key_value_stores.contains(&label) {
            return Ok(Err(Error::AccessDenied));
        }
        let Some(store) = self.app.key_value.get(&label) else {
            return Ok(Err(Error::NoSuchStore));
        };
        Ok(Ok(self.table.push(store)?))
    }

    #[instrument(name = "spin_key_value.get", skip_all)]
    async fn get(
        &mut self,
        store: Resource<SharedStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let store = Arc::clone(self.table.get(&store)?);
        Ok(store.get(key).await)
    }

    #[instrument(name = "spin_key_value.set", skip_all)]
    async fn set(
        &mut self,
        store: Resource<SharedStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let store = Arc::clone(self.table.get(&store)?);
        Ok(store.set(key, value).await)
    }

    #[instrument(name = "spin_key_value.delete", skip_all)]
    async fn delete(
        &mut self,
        store: Resource<SharedStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        let store = Arc::clone(self.table.get(&store)?);
        Ok(store.delete(key).await)
    }

    #[instrument(name = "spin_key_value.exists", skip_all)]
    async fn exists(
        &mut self,
        store: Resource<SharedStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        let store = Arc::clone(self.table.get(&store)?);
        Ok(store.exists(key).await)
    }

    #[instrument(name = "spin_key_value.get_keys", skip_all)]
    async fn get_keys(
        &mut self,
        store: Resource<SharedStore>,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        let store = Arc::clone(self.table.get(&store)?);
        Ok(store.keys().await)
    }

    async fn drop(&mut self, store: Resource<SharedStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}
