//! The reconciliation suite: a tenth as many new bank transactions as there
//! are open invoices (10,000 against 100,000 at `--scale 100k`), matched by
//! `POST /jobs/reconcile` in the `relance` host started as its own process,
//! and by the same store function natively on `rusqlite`. The host's peak
//! memory is read from its process.
//!
//! The ledger is the generator's: every invoice loaded open, through the
//! bulk API, and the earliest of the payments it booked for them, read from
//! its camt.053 statements and stored as the statement upload stores them,
//! so the timed run is the reconciliation alone.

use std::time::{Duration, Instant};

use chrono::Utc;
use relance_bank_statements::{Statement, parse_statement};
use relance_generator::{BulkChunks, write_camt053};
use relance_ingest::{InputKind, receive_and_apply};
use relance_matching::MatchingPolicy;
use relance_store::bank::{SourcedTransaction, TransactionSource, store_transactions};
use relance_store::reconciliation::reconcile;
use relance_store::{Database, NativeDatabase};
use serde_json::Value;

use crate::app::HostProcess;
use crate::ledger::{SOURCE, generated_history, with_source};
use crate::memory;
use crate::report::Report;

const SUITE: &str = "reconciliation";
const BULK_CHUNK: usize = 1_000;

/// Open invoices per new bank transaction.
const INVOICES_PER_TRANSACTION: usize = 10;

/// A generated ledger, ready to load.
struct Workload {
    bulk_bodies: Vec<Vec<u8>>,
    invoices: usize,
    statements: Vec<Statement>,
    transactions: usize,
}

pub fn run(report: &mut Report, invoices: usize) -> anyhow::Result<()> {
    eprintln!("reconciliation: generating {invoices} invoices and their payments");
    let workload = generate(invoices)?;
    let label = format!(
        "{} new transactions against {} open invoices",
        workload.transactions, workload.invoices
    );

    eprintln!("reconciliation: {label}, through the host process");
    let hosted = through_the_host(&workload)?;
    report.add(
        SUITE,
        format!("run, wasm through the host: {label}"),
        hosted.elapsed.as_secs_f64(),
        "s",
        None,
    );
    report.add(
        SUITE,
        "transactions reconciled per second, wasm",
        hosted.rate(),
        "transactions/s",
        None,
    );
    report.add(
        SUITE,
        "share of transactions applied without review",
        hosted.auto_applied as f64 / workload.transactions.max(1) as f64,
        "share",
        None,
    );
    if let Some(peak) = hosted.peak_mib {
        report.add(
            SUITE,
            "peak memory of the host process (relance up, RSS high-water mark)",
            peak,
            "MiB",
            None,
        );
    }

    eprintln!("reconciliation: the same run natively");
    let native = natively(&workload)?;
    report.add(
        SUITE,
        format!("run, native store: {label}"),
        native.elapsed.as_secs_f64(),
        "s",
        None,
    );
    report.add(
        SUITE,
        "transactions reconciled per second, native",
        native.rate(),
        "transactions/s",
        None,
    );
    report.add(
        SUITE,
        "reconciliation run: native / wasm",
        native.rate() / hosted.rate(),
        "×",
        Some("≤ 2×"),
    );
    anyhow::ensure!(
        native.auto_applied == hosted.auto_applied,
        "the host applied {} matches and the native run {}: they must decide alike",
        hosted.auto_applied,
        native.auto_applied
    );
    Ok(())
}

fn generate(invoices: usize) -> anyhow::Result<Workload> {
    let wanted_transactions = (invoices / INVOICES_PER_TRANSACTION).max(1);
    let mut history = generated_history(invoices)?;
    let customers = history.customers().to_vec();
    let company = history.config().company_name.clone();

    let mut chunks = BulkChunks::new(BULK_CHUNK);
    let mut workload = Workload {
        bulk_bodies: Vec::new(),
        invoices: 0,
        statements: Vec::new(),
        transactions: 0,
    };
    while let Some(month) = history.next_month()? {
        for invoice in &month.invoices {
            workload.invoices += 1;
            if let Some(body) = chunks.push(invoice, &customers)? {
                workload.bulk_bodies.push(with_source(body)?);
            }
        }
        if workload.transactions < wanted_transactions {
            let mut file = Vec::new();
            write_camt053(&month, &company, &mut file)?;
            for mut statement in parse_statement(&file)? {
                let room = wanted_transactions - workload.transactions;
                statement.transactions.truncate(room);
                workload.transactions += statement.transactions.len();
                workload.statements.push(statement);
            }
        }
    }
    if let Some(body) = chunks.finish() {
        workload.bulk_bodies.push(with_source(body)?);
    }
    Ok(workload)
}

/// What one reconciliation run did, and how long it took.
struct Timed {
    elapsed: Duration,
    transactions: usize,
    auto_applied: u64,
    peak_mib: Option<f64>,
}

impl Timed {
    fn rate(&self) -> f64 {
        self.transactions as f64 / self.elapsed.as_secs_f64()
    }
}

/// Loads the ledger into a `relance up` process, stores the transactions
/// into its database, and times `POST /jobs/reconcile`.
fn through_the_host(workload: &Workload) -> anyhow::Result<Timed> {
    let host = HostProcess::start()?;
    host.load_invoices(&workload.bulk_bodies)?;
    store_statements(&host.database()?, &workload.statements)?;

    let (elapsed, summary) = host.run_job("/jobs/reconcile")?;

    Ok(Timed {
        elapsed,
        transactions: considered(&summary, workload)?,
        auto_applied: summary["auto_applied"].as_u64().unwrap_or(0),
        peak_mib: memory::process_peak_mib(host.app.pid()),
    })
}

/// The same ledger and transactions in a native store, and the same run.
fn natively(workload: &Workload) -> anyhow::Result<Timed> {
    let dir = tempfile::tempdir()?;
    let db = NativeDatabase::open(dir.path().join("native.db"))?;
    for body in &workload.bulk_bodies {
        receive_and_apply(&db, SOURCE, InputKind::BulkInvoices, body, Utc::now())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    store_statements(&db, &workload.statements)?;

    let started = Instant::now();
    let summary = reconcile(&db, MatchingPolicy::default(), Utc::now())?;
    let elapsed = started.elapsed();

    Ok(Timed {
        elapsed,
        transactions: considered(&serde_json::to_value(&summary)?, workload)?,
        auto_applied: summary.auto_applied as u64,
        peak_mib: None,
    })
}

/// Stores the statements' transactions as the statement upload does.
fn store_statements(db: &impl Database, statements: &[Statement]) -> anyhow::Result<()> {
    for statement in statements {
        let batch: Vec<SourcedTransaction> = statement
            .transactions
            .iter()
            .map(|transaction| SourcedTransaction {
                transaction: transaction.clone(),
                source_id: statement.statement_id.clone(),
            })
            .collect();
        store_transactions(
            db,
            &statement.account,
            TransactionSource::File,
            &batch,
            Utc::now(),
        )?;
    }
    Ok(())
}

/// The run must have considered every new credit, or the timing is of
/// something else.
fn considered(summary: &Value, workload: &Workload) -> anyhow::Result<usize> {
    let considered = summary["considered"].as_u64().unwrap_or(0) as usize;
    anyhow::ensure!(
        considered > 0 && considered <= workload.transactions,
        "the run considered {considered} of {} new transactions: {summary}",
        workload.transactions
    );
    Ok(considered)
}
