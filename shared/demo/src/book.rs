//! Which generated ledger a state directory holds, and how many of its
//! months are already loaded: chosen once, on the first demo start, and read
//! back on every later one, so a restart resumes and never loads a month twice.

use std::path::{Path, PathBuf};

use chrono::{Datelike, Months, NaiveDate};
use relance_generator::GeneratorConfig;
use serde::{Deserialize, Serialize};

/// The file, in the state directory, that remembers the demo ledger.
pub const BOOK_FILE: &str = "demo-ledger.json";

/// The platform name the demo's invoices and events come from.
pub const DEMO_SOURCE: &str = "demo";

/// Months of history in a new demo ledger.
const HISTORY_MONTHS: u32 = 24;

/// Customers in a new demo ledger.
const DEMO_CUSTOMERS: u32 = 300;

/// Invoices in a new demo ledger, over all its months.
const DEMO_INVOICES: u64 = 10_000;

/// The demo ledger of one state directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoBook {
    /// The generator's seed.
    pub seed: u64,
    /// How many customers.
    pub customers: u32,
    /// How many invoices over the whole history.
    pub invoices: u64,
    /// The first day of the first month invoiced.
    pub first_month: NaiveDate,
    /// How many months are invoiced.
    pub months: u32,
    /// How many months, from the first, are loaded into the app.
    pub months_loaded: u32,
}

/// Why the remembered demo ledger cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DemoBookError {
    /// The file exists but cannot be read.
    #[error("cannot read the demo ledger file {path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not what the demo wrote.
    #[error("the demo ledger file {path} is damaged ({source}); delete it to start over")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// The file cannot be written.
    #[error("cannot write the demo ledger file {path}: {source}")]
    Unwritable {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl DemoBook {
    /// A new demo ledger whose history ends with the month before `today`,
    /// so its youngest invoices are not yet due and its oldest long overdue.
    pub fn ending_before(today: NaiveDate) -> DemoBook {
        let this_month = today.with_day(1).unwrap_or(today);
        let first_month = this_month
            .checked_sub_months(Months::new(HISTORY_MONTHS))
            .unwrap_or(this_month);

        DemoBook {
            seed: 42,
            customers: DEMO_CUSTOMERS,
            invoices: DEMO_INVOICES,
            first_month,
            months: HISTORY_MONTHS,
            months_loaded: 0,
        }
    }

    /// The demo ledger remembered in `state_dir`, or a new one ending before
    /// `today` when the directory holds none.
    pub fn open(state_dir: &Path, today: NaiveDate) -> Result<DemoBook, DemoBookError> {
        let path = state_dir.join(BOOK_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|source| DemoBookError::Damaged { path, source }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Ok(DemoBook::ending_before(today))
            }
            Err(source) => Err(DemoBookError::Unreadable { path, source }),
        }
    }

    /// Remembers the ledger and its progress in `state_dir`, replacing the
    /// file whole so a crash leaves the old or the new one.
    pub fn save(&self, state_dir: &Path) -> Result<(), DemoBookError> {
        let path = state_dir.join(BOOK_FILE);
        let temporary = path.with_extension("json.tmp");

        serde_json::to_vec_pretty(self)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&temporary, bytes))
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(|source| DemoBookError::Unwritable { path, source })
    }

    /// The generator configuration that gives this ledger.
    pub fn generator_config(&self) -> GeneratorConfig {
        GeneratorConfig {
            seed: self.seed,
            customers: self.customers,
            invoices: self.invoices,
            start_date: self.first_month,
            months: self.months,
            source: DEMO_SOURCE.to_owned(),
            ..GeneratorConfig::default()
        }
    }

    /// Every month is loaded.
    pub fn is_loaded(&self) -> bool {
        self.months_loaded >= self.months
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("a test date")
    }

    #[test]
    fn a_new_demo_ledger_covers_the_two_years_before_the_current_month() {
        let cases = [
            ("2026-03-15", "2024-03-01"),
            ("2026-01-01", "2024-01-01"),
            ("2026-12-31", "2024-12-01"),
            ("2024-02-29", "2022-02-01"),
        ];
        for (today, first_month) in cases {
            let book = DemoBook::ending_before(date(today));
            assert_eq!(book.first_month, date(first_month), "today {today}");
            assert_eq!(book.months, 24);
            assert_eq!(book.months_loaded, 0);
        }
    }

    #[test]
    fn a_state_directory_keeps_its_demo_ledger_when_the_months_go_by() {
        let state = tempfile::tempdir().expect("a temporary directory");
        let mut book = DemoBook::open(state.path(), date("2026-03-15")).expect("a new book");
        book.months_loaded = 7;
        book.save(state.path()).expect("saved");

        let later = DemoBook::open(state.path(), date("2026-09-02")).expect("the saved book");
        assert_eq!(later, book);
        assert!(!later.is_loaded());
    }

    #[test]
    fn a_damaged_demo_ledger_file_says_to_delete_it() {
        let state = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(state.path().join(BOOK_FILE), b"{ not json").expect("written");

        let error = DemoBook::open(state.path(), date("2026-03-15")).expect_err("damaged");
        assert!(error.to_string().contains("delete it"), "{error}");
    }

    #[test]
    fn the_generator_invoices_the_demo_source_over_the_remembered_months() {
        let book = DemoBook::ending_before(date("2026-03-15"));
        let config = book.generator_config();

        assert_eq!(config.start_date, date("2024-03-01"));
        assert_eq!(config.months, 24);
        assert_eq!(config.source, DEMO_SOURCE);
        assert!(config.validate().is_ok());
    }
}
