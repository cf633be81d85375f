//! The dunning suite: `POST /jobs/dunning/run` over a ledger of open
//! invoices (every one of `--scale` open), in the `relance` host started as
//! its own process, with messages kept in the local outbox; and the same
//! store function natively on `rusqlite`.
//!
//! The ledger: one customer per 40 invoices, half writing in French and
//! half in English, each with invoices falling due every few days from 140
//! days before the run to 20 days after it, a tenth partly paid and a
//! fiftieth disputed. Two runs are timed: the first, where every customer
//! is due for several steps at once (the heaviest day: a ledger imported
//! into Relance), and the next day's, the daily work.

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use relance_dunning::store::run::{Delivery, run_dunning};
use relance_store::{Database, NativeDatabase, Value};

use crate::app::HostProcess;
use crate::report::Report;

const SUITE: &str = "dunning";

/// Invoices per customer.
const INVOICES_PER_CUSTOMER: usize = 40;

/// Invoices written per statement while seeding.
const SEED_CHUNK: usize = 400;

/// The day the first timed run judges.
fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).unwrap_or_default()
}

pub fn run(report: &mut Report, invoices: usize) -> anyhow::Result<()> {
    eprintln!("dunning: {invoices} open invoices, through the host process");
    let hosted = through_the_host(invoices)?;
    report.add(
        SUITE,
        "first run, wasm through the host, every customer due at once",
        hosted.first.as_secs_f64(),
        "s",
        Some("< 60 s at 1,000,000 invoices"),
    );
    report.add(
        SUITE,
        "next day's run, wasm through the host",
        hosted.next_day.as_secs_f64(),
        "s",
        None,
    );
    report.add(
        SUITE,
        "first run, wasm: invoices per second",
        invoices as f64 / hosted.first.as_secs_f64(),
        "invoices/s",
        None,
    );
    report.add(
        SUITE,
        "first run, wasm: steps recorded (messages, letters, tasks)",
        hosted.steps as f64,
        "steps",
        None,
    );

    eprintln!("dunning: the same runs natively");
    let native = natively(invoices)?;
    report.add(
        SUITE,
        "first run, native store",
        native.first.as_secs_f64(),
        "s",
        None,
    );
    report.add(
        SUITE,
        "next day's run, native store",
        native.next_day.as_secs_f64(),
        "s",
        None,
    );
    report.add(
        SUITE,
        "first run: wasm / native",
        hosted.first.as_secs_f64() / native.first.as_secs_f64(),
        "×",
        None,
    );
    Ok(())
}

/// The two timed runs and how many steps the first recorded.
struct Timed {
    first: Duration,
    next_day: Duration,
    steps: u64,
}

fn through_the_host(invoices: usize) -> anyhow::Result<Timed> {
    let host = HostProcess::start()?;
    seed(&host.database()?, invoices)?;

    let run = |day: NaiveDate| host.run_job(&format!("/jobs/dunning/run?as_of={day}"));
    let (first, summary) = run(as_of())?;
    let (next_day, _) = run(next_day())?;
    let steps = summary["run"]["steps_taken"].as_u64().unwrap_or(0);
    anyhow::ensure!(steps > 0, "the first run recorded no step: {summary}");
    Ok(Timed {
        first,
        next_day,
        steps,
    })
}

fn natively(invoices: usize) -> anyhow::Result<Timed> {
    let dir = tempfile::tempdir()?;
    let db = NativeDatabase::open(dir.path().join("native.db"))?;
    seed(&db, invoices)?;

    let started = Instant::now();
    let summary = run_dunning(&db, as_of(), Delivery::LocalOutbox, Utc::now())?;
    let first = started.elapsed();
    let started = Instant::now();
    run_dunning(&db, next_day(), Delivery::LocalOutbox, Utc::now())?;
    let next_day = started.elapsed();

    Ok(Timed {
        first,
        next_day,
        steps: summary.steps_taken,
    })
}

fn next_day() -> NaiveDate {
    as_of().checked_add_days(Days::new(1)).unwrap_or_default()
}

/// Writes the customers and their open invoices straight into the store.
fn seed(db: &NativeDatabase, invoices: usize) -> anyhow::Result<()> {
    let customers = invoices.div_ceil(INVOICES_PER_CUSTOMER);
    let created = "2026-01-01T00:00:00.000000Z";

    db.transaction(|db| {
        for first in (0..customers).step_by(SEED_CHUNK) {
            let last = (first + SEED_CHUNK).min(customers);
            let mut params = Vec::new();
            for n in first..last {
                let language = if n % 2 == 0 { "fr" } else { "en" };
                params.extend([
                    Value::from(format!("C-{n:07}")),
                    format!("Client {n} SAS").into(),
                    language.into(),
                    format!("collector-{}", n % 20).into(),
                    format!("Contact {n}").into(),
                    format!("ar{n}@client.example").into(),
                    created.into(),
                    created.into(),
                ]);
            }
            let rows = vec!["('bench', ?, ?, 'smb', ?, ?, ?, ?, ?, ?)"; last - first].join(", ");
            db.execute(
                &format!(
                    "INSERT INTO customers (source, external_id, name, segment, language,
                        collector, dunning_contact_name, dunning_contact_email, created_at,
                        updated_at) VALUES {rows}"
                ),
                &params,
            )?;
        }

        for first in (0..invoices).step_by(SEED_CHUNK) {
            let last = (first + SEED_CHUNK).min(invoices);
            let mut params = Vec::new();
            for n in first..last {
                params.extend(invoice_values(n));
            }
            let rows = vec![
                "('bench', ?, ?, ?, ?, ?, 'EUR', ?, '0.00', ?, '0.00', '0.00', ?, ?, ?, ?, ?, ?, ?)";
                last - first
            ]
            .join(", ");
            db.execute(
                &format!(
                    "INSERT INTO invoices (source, external_id, number, customer_id, issue_date,
                        due_date, currency, total, tax, amount_paid, credited, allocated,
                        remaining, source_status, status, dispute_opened_on, version,
                        created_at, updated_at) VALUES {rows}"
                ),
                &params,
            )?;
        }
        Ok::<_, anyhow::Error>(())
    })
}

/// Invoice `n`: its customer, due date spread from 140 days before the run
/// to 20 days after, amount, and whether it is partly paid or disputed.
fn invoice_values(n: usize) -> Vec<Value> {
    let customer_id = i64::try_from(n / INVOICES_PER_CUSTOMER + 1).unwrap_or(i64::MAX);
    let offset = i64::try_from((n * 37) % 160).unwrap_or(0) - 140;
    let due = if offset >= 0 {
        as_of().checked_add_days(Days::new(offset.unsigned_abs()))
    } else {
        as_of().checked_sub_days(Days::new(offset.unsigned_abs()))
    }
    .unwrap_or_default();
    let issued = due.checked_sub_days(Days::new(30)).unwrap_or(due);

    let cents = 10_000 + (n * 7_919) % 500_000;
    let money = |cents: usize| format!("{}.{:02}", cents / 100, cents % 100);
    let (paid, remaining, status) = if n % 10 == 3 {
        (money(cents / 2), money(cents - cents / 2), "partially_paid")
    } else {
        ("0.00".to_owned(), money(cents), "open")
    };
    let disputed = (n % 50 == 7).then_some("2026-05-01");
    let version = "2026-01-01T00:00:00.000000Z";

    vec![
        format!("inv-{n}").into(),
        format!("B-{n:08}").into(),
        Value::Integer(customer_id),
        issued.into(),
        due.into(),
        money(cents).into(),
        paid.into(),
        remaining.into(),
        status.into(),
        status.into(),
        disputed.into(),
        version.into(),
        version.into(),
        version.into(),
    ]
}
