//! The runtime configuration file (`--runtime-config-file`) in Spin's format:
//! where each key-value store and SQLite database label lives.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// The label every app gets without configuration.
pub const DEFAULT_LABEL: &str = "default";

/// Where one key-value store keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValueBackend {
    /// A SQLite file, Spin's default store.
    File(PathBuf),
    /// A Redis server.
    Redis { url: String },
}

/// Where each store and database label lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeConfig {
    pub key_value_stores: BTreeMap<String, KeyValueBackend>,
    pub sqlite_databases: BTreeMap<String, PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuntimeConfig {
    #[serde(default)]
    key_value_store: BTreeMap<String, RawKeyValueStore>,
    #[serde(default)]
    sqlite_database: BTreeMap<String, RawSqliteDatabase>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum RawKeyValueStore {
    Spin { path: Option<PathBuf> },
    Redis { url: String },
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum RawSqliteDatabase {
    Spin { path: Option<PathBuf> },
}

impl RuntimeConfig {
    /// The configuration Spin uses when no file is given: `default` for both,
    /// in the state directory.
    pub fn defaults(state_dir: &Path) -> Self {
        Self {
            key_value_stores: BTreeMap::from([(
                DEFAULT_LABEL.to_string(),
                KeyValueBackend::File(state_dir.join("sqlite_key_value.db")),
            )]),
            sqlite_databases: BTreeMap::from([(
                DEFAULT_LABEL.to_string(),
                state_dir.join("sqlite_db.db"),
            )]),
        }
    }

    /// Reads a runtime config file over the defaults; relative paths are taken
    /// from the file's directory, as Spin does.
    pub fn load(file: Option<&Path>, state_dir: &Path) -> anyhow::Result<Self> {
        let mut config = Self::defaults(state_dir);
        let Some(file) = file else { return Ok(config) };

        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the runtime config {}", file.display()))?;
        let raw: RawRuntimeConfig = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("invalid runtime config {}: {e}", file.display()))?;
        let relative_to = file.parent().unwrap_or(Path::new("."));

        for (label, store) in raw.key_value_store {
            let backend = match store {
                RawKeyValueStore::Spin { path } => KeyValueBackend::File(match path {
                    Some(path) => relative_to.join(path),
                    None => state_dir.join(format!("sqlite_key_value_{label}.db")),
                }),
                RawKeyValueStore::Redis { url } => {
                    if !url.starts_with("redis://") && !url.starts_with("rediss://") {
                        bail!("key_value_store.{label}: url {url:?} must start with redis://");
                    }
                    KeyValueBackend::Redis { url }
                }
            };
            config.key_value_stores.insert(label, backend);
        }
        for (label, database) in raw.sqlite_database {
            let RawSqliteDatabase::Spin { path } = database;
            let path = match path {
                Some(path) => relative_to.join(path),
                None => state_dir.join(format!("sqlite_db_{label}.db")),
            };
            config.sqlite_databases.insert(label, path);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> anyhow::Result<RuntimeConfig> {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("runtime.toml");
        std::fs::write(&file, text).expect("write");
        RuntimeConfig::load(Some(&file), Path::new("/state")).map(|mut config| {
            for path in config.sqlite_databases.values_mut() {
                *path = path
                    .strip_prefix(dir.path())
                    .map(Path::to_path_buf)
                    .unwrap_or(path.clone());
            }
            config
        })
    }

    #[test]
    fn without_a_file_the_defaults_live_in_the_state_dir() {
        let config = RuntimeConfig::load(None, Path::new("/state")).expect("defaults");

        assert_eq!(
            config.key_value_stores[DEFAULT_LABEL],
            KeyValueBackend::File(PathBuf::from("/state/sqlite_key_value.db"))
        );
        assert_eq!(
            config.sqlite_databases[DEFAULT_LABEL],
            PathBuf::from("/state/sqlite_db.db")
        );
    }

    #[test]
    fn redis_and_file_stores_are_read() {
        let config = load(
            r#"
[key_value_store.default]
type = "redis"
url = "redis://127.0.0.1:6379"

[sqlite_database.reports]
type = "spin"
path = "reports.db"
"#,
        )
        .expect("valid config");

        assert_eq!(
            config.key_value_stores[DEFAULT_LABEL],
            KeyValueBackend::Redis {
                url: "redis://127.0.0.1:6379".to_string()
            }
        );
        assert_eq!(
            config.sqlite_databases["reports"],
            PathBuf::from("reports.db")
        );
    }

    #[test]
    fn an_unknown_store_type_is_refused_with_its_line() {
        let error = load("[key_value_store.default]\ntype = \"dynamo\"\n")
            .expect_err("unknown type")
            .to_string();

        assert!(error.contains("dynamo"), "{error}");
        assert!(error.contains("line 2"), "{error}");
    }
}
