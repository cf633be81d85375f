//! The schema's versioned migrations, embedded in the binary and applied on
//! first use, once, even when several instances start together.

use crate::{Database, StoreError, Value};

/// One schema change, identified by its version number.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Applied in increasing order; never reused.
    pub version: i64,
    /// The file the SQL comes from.
    pub name: &'static str,
    sql: &'static str,
}

/// Every migration, in the order they are applied.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_ledger.sql",
        sql: include_str!("../migrations/0001_ledger.sql"),
    },
    Migration {
        version: 2,
        name: "0002_inbox.sql",
        sql: include_str!("../migrations/0002_inbox.sql"),
    },
    Migration {
        version: 3,
        name: "0003_access.sql",
        sql: include_str!("../migrations/0003_access.sql"),
    },
    Migration {
        version: 4,
        name: "0004_bank.sql",
        sql: include_str!("../migrations/0004_bank.sql"),
    },
    Migration {
        version: 5,
        name: "0005_reconciliation.sql",
        sql: include_str!("../migrations/0005_reconciliation.sql"),
    },
    Migration {
        version: 6,
        name: "0006_dunning.sql",
        sql: include_str!("../migrations/0006_dunning.sql"),
    },
    Migration {
        version: 7,
        name: "0007_kpi.sql",
        sql: include_str!("../migrations/0007_kpi.sql"),
    },
    Migration {
        version: 8,
        name: "0008_scoring.sql",
        sql: include_str!("../migrations/0008_scoring.sql"),
    },
    Migration {
        version: 9,
        name: "0009_ingestion.sql",
        sql: include_str!("../migrations/0009_ingestion.sql"),
    },
    Migration {
        version: 10,
        name: "0010_kpi_still_open.sql",
        sql: include_str!("../migrations/0010_kpi_still_open.sql"),
    },
    Migration {
        version: 11,
        name: "0011_kpi_payments_by_currency.sql",
        sql: include_str!("../migrations/0011_kpi_payments_by_currency.sql"),
    },
    Migration {
        version: 12,
        name: "0012_kpi_still_open_by_currency.sql",
        sql: include_str!("../migrations/0012_kpi_still_open_by_currency.sql"),
    },
    Migration {
        version: 13,
        name: "0013_kpi_forecast_days.sql",
        sql: include_str!("../migrations/0013_kpi_forecast_days.sql"),
    },
];

impl Migration {
    /// The migration's statements. Spin's SQLite runs one statement per call,
    /// so files separate statements with a semicolon at the end of a line.
    fn statements(&self) -> impl Iterator<Item = String> {
        self.sql
            .split(";\n")
            .map(|chunk| {
                chunk
                    .lines()
                    .filter(|line| !line.trim_start().starts_with("--"))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .map(|statement| statement.trim().trim_end_matches(';').to_owned())
            .filter(|statement| !statement.is_empty())
    }
}

/// Brings the schema up to date and returns the versions this call applied
/// (empty when the schema was already current).
///
/// Each migration runs in its own `BEGIN IMMEDIATE` transaction that first
/// checks whether another instance applied it meanwhile, so concurrent
/// starts apply each migration exactly once.
pub fn migrate(db: &impl Database) -> Result<Vec<i64>, StoreError> {
    // Every request opens the database: when the schema is current, a single
    // read says so and nothing waits for a writer.
    if is_current(db) {
        return Ok(Vec::new());
    }

    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
        &[],
    )?;

    let current = current_version(db)?;
    let mut applied = Vec::new();

    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        if db.transaction(|db| apply_once(db, migration))? {
            tracing::info!(
                target: "relance.store.migrate",
                version = migration.version,
                name = migration.name,
                "schema migration applied"
            );
            applied.push(migration.version);
        }
    }

    Ok(applied)
}

/// Whether every embedded migration is already applied. A new database has
/// no `schema_migrations` to read, which says it is not.
pub(crate) fn is_current(db: &impl Database) -> bool {
    let latest = MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0);
    current_version(db).is_ok_and(|version| version >= latest)
}

/// The highest migration version applied, 0 for a new database.
pub fn current_version(db: &impl Database) -> Result<i64, StoreError> {
    let rows = db.execute(
        "SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations",
        &[],
    )?;

    match rows.first() {
        Some(row) => row.integer("version"),
        None => Ok(0),
    }
}

/// Applies `migration` unless it is already recorded; says whether it did.
fn apply_once(db: &impl Database, migration: &Migration) -> Result<bool, StoreError> {
    let recorded = db.execute(
        "SELECT 1 FROM schema_migrations WHERE version = ?",
        &[Value::Integer(migration.version)],
    )?;
    if !recorded.is_empty() {
        return Ok(false);
    }

    for statement in migration.statements() {
        db.execute(&statement, &[])
            .map_err(|e| StoreError::Migration {
                version: migration.version,
                name: migration.name,
                message: e.to_string(),
            })?;
    }

    db.execute(
        "INSERT INTO schema_migrations (version, name, applied_at)
         VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        &[Value::Integer(migration.version), migration.name.into()],
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NativeDatabase;

    /// The version a new database ends at.
    fn latest() -> i64 {
        i64::try_from(MIGRATIONS.len()).expect("few migrations")
    }

    #[test]
    fn migration_versions_are_increasing_and_files_numbered_alike() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            let expected = i64::try_from(index).expect("few migrations") + 1;
            assert_eq!(migration.version, expected);
            assert!(
                migration.name.starts_with(&format!("{expected:04}_")),
                "{}",
                migration.name
            );
        }
    }

    #[test]
    fn statements_are_split_without_comments() {
        let statements: Vec<_> = MIGRATIONS[1].statements().collect();

        assert!(statements.iter().all(|s| !s.contains("--")));
        assert!(statements.iter().all(|s| !s.ends_with(';')));
        assert!(
            statements[0].starts_with("CREATE TABLE inbox"),
            "{}",
            statements[0]
        );
    }

    #[test]
    fn new_database_gets_every_migration_once() {
        let db = NativeDatabase::open_in_memory().expect("in-memory database");

        assert_eq!(current_version(&db).expect("version"), latest());
        assert_eq!(migrate(&db).expect("second run"), Vec::<i64>::new());

        let recorded = db
            .execute("SELECT COUNT(*) AS n FROM schema_migrations", &[])
            .expect("count");
        assert_eq!(
            recorded.first().expect("row").integer("n").expect("n"),
            latest()
        );
    }

    #[test]
    fn reopening_a_file_database_applies_nothing_again() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let path = folder.path().join("sqlite_db.db");

        drop(NativeDatabase::open(&path).expect("first open"));
        let db = NativeDatabase::open(&path).expect("second open");

        assert_eq!(migrate(&db).expect("third run"), Vec::<i64>::new());
        assert_eq!(current_version(&db).expect("version"), latest());
    }

    #[test]
    fn instances_starting_together_apply_each_migration_once() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let path = folder.path().join("sqlite_db.db");

        let handles: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || NativeDatabase::open(&path).map(|_| ()))
            })
            .collect();
        for handle in handles {
            handle.join().expect("thread").expect("open");
        }

        let db = NativeDatabase::open(&path).expect("open");
        let recorded = db
            .execute(
                "SELECT version FROM schema_migrations ORDER BY version",
                &[],
            )
            .expect("versions");
        let versions: Vec<i64> = recorded
            .iter()
            .map(|row| row.integer("version").expect("version"))
            .collect();
        assert_eq!(versions, (1..=latest()).collect::<Vec<_>>());
    }

    #[test]
    fn a_failing_statement_rolls_the_whole_migration_back() {
        let db = NativeDatabase::open_in_memory().expect("in-memory database");
        let broken = Migration {
            version: 99,
            name: "0099_broken.sql",
            sql: "CREATE TABLE half_done (id INTEGER);\nCREATE TABLE customers (id INTEGER);\n",
        };

        let error = db
            .transaction(|db| apply_once(db, &broken))
            .expect_err("customers already exists");

        assert!(error.to_string().contains("0099_broken.sql"), "{error}");
        let leftover = db
            .execute(
                "SELECT name FROM sqlite_master WHERE name = 'half_done'",
                &[],
            )
            .expect("schema");
        assert!(leftover.is_empty());
        assert_eq!(current_version(&db).expect("version"), latest());
    }
}
