//! The scoring suite: a generated ledger (every invoice, and every payment
//! the generator booked, allocated to what it paid) scored by
//! `POST /jobs/scoring/train` and `POST /jobs/scoring/refresh` in the
//! `relance` host started as its own process, and by the same store
//! functions natively on `rusqlite`. Reported: training and full-refresh
//! times, the refresh with nothing changed, and what training measured on
//! the generated ledger's most recent invoices.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use relance_generator::BulkChunks;
use relance_ingest::{InputKind, receive_and_apply};
use relance_ledger::allocation::{Allocation, InvoiceLocator, PaymentMethod};
use relance_ledger::customer::SourceRef;
use relance_ledger::money::{Currency, Money};
use relance_scoring::alerts::AlertPolicy;
use relance_scoring::model::TrainingSettings;
use relance_scoring::store;
use relance_store::{Database, NativeDatabase, record_allocation};
use serde_json::Value;

use crate::app::HostProcess;
use crate::ledger::{SOURCE, generated_history, with_source};
use crate::report::Report;

const SUITE: &str = "scoring";
const BULK_CHUNK: usize = 1_000;

/// A generated ledger, ready to load.
struct Workload {
    bulk_bodies: Vec<Vec<u8>>,
    allocations: Vec<Allocation>,
    invoices: usize,
    customers: usize,
    /// The day after the last generated day: everything is history.
    as_of: NaiveDate,
}

/// How long the jobs took, and what they answered.
struct Timed {
    train: Duration,
    refresh: Duration,
    idle_refresh: Duration,
    trained: Value,
    refreshed: Value,
}

pub fn run(report: &mut Report, invoices: usize) -> anyhow::Result<()> {
    eprintln!("scoring: generating {invoices} invoices and their payments");
    let workload = generate(invoices)?;
    let label = format!(
        "{} invoices of {} customers",
        workload.invoices, workload.customers
    );

    eprintln!("scoring: {label}, through the host process");
    let hosted = through_the_host(&workload)?;
    eprintln!("scoring: the same jobs natively");
    let native = natively(&workload)?;

    let metrics = &hosted.trained["model"]["metrics"];
    let examples = metrics["training_invoices"].as_f64().unwrap_or(0.0);
    let customers = hosted.refreshed["customers_scored"].as_f64().unwrap_or(0.0);
    for (name, timed) in [
        ("wasm through the host", &hosted),
        ("native store", &native),
    ] {
        report.add(
            SUITE,
            format!("training job, {name}: {label}"),
            timed.train.as_secs_f64(),
            "s",
            None,
        );
        report.add(
            SUITE,
            format!("full refresh, {name}: every customer and open invoice"),
            timed.refresh.as_secs_f64(),
            "s",
            None,
        );
        report.add(
            SUITE,
            format!("refresh with nothing changed, {name}"),
            crate::report::millis(timed.idle_refresh),
            "ms",
            None,
        );
    }
    report.add(
        SUITE,
        "invoices learned from per second of training, wasm",
        examples / hosted.train.as_secs_f64(),
        "invoices/s",
        None,
    );
    report.add(
        SUITE,
        "customers rescored per second, wasm",
        customers / hosted.refresh.as_secs_f64(),
        "customers/s",
        None,
    );
    report.add(
        SUITE,
        "training job: native / wasm",
        hosted.train.as_secs_f64() / native.train.as_secs_f64(),
        "×",
        Some("≤ 2×"),
    );

    let lateness = &metrics["lateness"];
    for (name, value, unit) in [
        (
            "AUC of paid late, generated ledger's newest invoices",
            &lateness["auc"],
            "AUC",
        ),
        (
            "accuracy of paid late, same invoices",
            &lateness["accuracy"],
            "share",
        ),
        (
            "MAE of days to settle, same invoices",
            &metrics["days"]["mae"],
            "days",
        ),
        (
            "RMSE of days to settle, same invoices",
            &metrics["days"]["rmse"],
            "days",
        ),
    ] {
        report.add(SUITE, name, value.as_f64().unwrap_or(f64::NAN), unit, None);
    }

    let native_metrics = &native.trained["model"]["metrics"];
    let agree = metrics["training_invoices"] == native_metrics["training_invoices"]
        && (lateness["auc"].as_f64().unwrap_or(0.0)
            - native_metrics["lateness"]["auc"].as_f64().unwrap_or(1.0))
        .abs()
            < 1e-6;
    anyhow::ensure!(
        agree,
        "the host and the native run trained different models ({metrics} against \
         {native_metrics}): the same code must agree"
    );
    Ok(())
}

fn generate(invoices: usize) -> anyhow::Result<Workload> {
    let mut history = generated_history(invoices)?;
    let customers = history.customers().to_vec();
    let as_of = history
        .end_date()
        .succ_opt()
        .context("the period ends too late")?;

    let mut chunks = BulkChunks::new(BULK_CHUNK);
    let mut workload = Workload {
        bulk_bodies: Vec::new(),
        allocations: Vec::new(),
        invoices: 0,
        customers: customers.len(),
        as_of,
    };
    while let Some(month) = history.next_month()? {
        for invoice in &month.invoices {
            workload.invoices += 1;
            if let Some(body) = chunks.push(invoice, &customers)? {
                workload.bulk_bodies.push(with_source(body)?);
            }
        }
        for payment in &month.payments {
            for (position, share) in payment.allocations.iter().enumerate() {
                let currency = Currency::parse(share.amount.currency().code())?;
                workload.allocations.push(Allocation {
                    source_ref: SourceRef {
                        source: "bank".to_owned(),
                        external_id: format!("{}-{position}", payment.id),
                    },
                    invoice: InvoiceLocator::Source(SourceRef {
                        source: SOURCE.to_owned(),
                        external_id: share.invoice.clone(),
                    }),
                    amount: Money::new(share.amount.amount(), currency)?,
                    paid_on: payment.booking_date,
                    method: PaymentMethod::BankTransfer,
                });
            }
        }
    }
    if let Some(body) = chunks.finish() {
        workload.bulk_bodies.push(with_source(body)?);
    }
    Ok(workload)
}

/// Records every payment in one transaction.
fn allocate(db: &impl Database, allocations: &[Allocation]) -> anyhow::Result<()> {
    let now = Utc::now();
    db.transaction(|db| {
        allocations
            .iter()
            .try_for_each(|allocation| record_allocation(db, allocation, now))
    })?;
    Ok(())
}

/// Loads the invoices through the bulk API of a `relance up` process,
/// records the payments into its database, and times the two jobs.
fn through_the_host(workload: &Workload) -> anyhow::Result<Timed> {
    let host = HostProcess::start()?;
    host.load_invoices(&workload.bulk_bodies)?;
    allocate(&host.database()?, &workload.allocations)?;

    let job = |route: &str| host.run_job(&format!("{route}?as_of={}", workload.as_of));
    let (train, trained) = job("/jobs/scoring/train")?;
    let (refresh, refreshed) = job("/jobs/scoring/refresh")?;
    let (idle_refresh, _) = job("/jobs/scoring/refresh")?;
    Ok(Timed {
        train,
        refresh,
        idle_refresh,
        trained,
        refreshed,
    })
}

/// The same ledger in a native store, and the same jobs.
fn natively(workload: &Workload) -> anyhow::Result<Timed> {
    let dir = tempfile::tempdir()?;
    let db = NativeDatabase::open(dir.path().join("native.db"))?;
    for body in &workload.bulk_bodies {
        receive_and_apply(&db, SOURCE, InputKind::BulkInvoices, body, Utc::now())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    allocate(&db, &workload.allocations)?;

    let started = Instant::now();
    let trained = store::train(
        &db,
        workload.as_of,
        &TrainingSettings::default(),
        Utc::now(),
    )?;
    let train = started.elapsed();
    let policy = AlertPolicy::default();
    let started = Instant::now();
    let refreshed = store::refresh(&db, workload.as_of, &policy, Utc::now())?;
    let refresh = started.elapsed();
    let started = Instant::now();
    store::refresh(&db, workload.as_of, &policy, Utc::now())?;
    let idle_refresh = started.elapsed();

    Ok(Timed {
        train,
        refresh,
        idle_refresh,
        trained: serde_json::to_value(&trained)?,
        refreshed: serde_json::to_value(&refreshed)?,
    })
}
