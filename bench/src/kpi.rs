//! The KPI suite: each KPI endpoint over the generator's ledger (invoices,
//! credit notes and the payments the bank booked for them), timed through
//! the `relance` host started as its own process, beside the same store
//! functions run natively on `rusqlite` over the same database file.
//!
//! The ledger is written straight into the database file before the host
//! starts, then its history is rebuilt natively (timed), so the timed
//! requests are the reads alone, as they are each morning.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use relance_api::Scope;
use relance_kpi::query::KpiFilter;
use relance_kpi::store::aged_balance::{GroupBy, aged_balance};
use relance_kpi::store::collectors::collector_work;
use relance_kpi::store::customers::{CustomerRanking, rank_customers};
use relance_kpi::store::dso_trend::{DsoMethod, dso_trend};
use relance_kpi::store::forecast::forecast;
use relance_kpi::store::rates::{FxRate, put_rates};
use relance_kpi::store::refresh::refresh;
use relance_kpi::store::summary::summary;
use relance_ledger::money::Currency;
use relance_store::{Database, NativeDatabase, Value};
use relance_tests::{TestApp, relance_app, test_secret};

use crate::app::{build_every_component, build_relance_binary};
use crate::ledger::{SOURCE, generated_history};
use crate::report::Report;

const SUITE: &str = "kpi";

/// Timed requests per endpoint, after two untimed ones.
const SAMPLES: usize = 20;

/// Rows per insert while loading the ledger.
const ROWS_PER_INSERT: usize = 500;

/// One endpoint as requested over HTTP and as called natively.
struct Endpoint {
    name: &'static str,
    path: &'static str,
    native: fn(&NativeDatabase, &KpiFilter) -> anyhow::Result<()>,
}

const ENDPOINTS: [Endpoint; 7] = [
    Endpoint {
        name: "summary",
        path: "/api/v1/kpi/summary",
        native: |db, filter| {
            summary(db, &Scope::Everything, filter, Currency::EUR, 3)?;
            Ok(())
        },
    },
    Endpoint {
        name: "aged balance by customer",
        path: "/api/v1/kpi/aged-balance?group_by=customer",
        native: |db, filter| {
            aged_balance(
                db,
                &Scope::Everything,
                filter,
                Currency::EUR,
                GroupBy::Customer,
                100,
            )?;
            Ok(())
        },
    },
    Endpoint {
        name: "aged balance by region",
        path: "/api/v1/kpi/aged-balance?group_by=region",
        native: |db, filter| {
            aged_balance(
                db,
                &Scope::Everything,
                filter,
                Currency::EUR,
                GroupBy::Region,
                100,
            )?;
            Ok(())
        },
    },
    Endpoint {
        name: "DSO trend, 12 months countback",
        path: "/api/v1/kpi/dso?method=countback&months=12",
        native: |db, filter| {
            dso_trend(
                db,
                &Scope::Everything,
                filter,
                Currency::EUR,
                DsoMethod::Countback,
                12,
            )?;
            Ok(())
        },
    },
    Endpoint {
        name: "forecast, 13 weeks and 3 months",
        path: "/api/v1/kpi/forecast",
        native: |db, filter| {
            forecast(db, &Scope::Everything, filter, Currency::EUR, 13, 3)?;
            Ok(())
        },
    },
    Endpoint {
        name: "customers ranked by overdue",
        path: "/api/v1/kpi/customers",
        native: |db, filter| {
            rank_customers(
                db,
                &Scope::Everything,
                filter,
                Currency::EUR,
                CustomerRanking::Overdue,
                50,
            )?;
            Ok(())
        },
    },
    Endpoint {
        name: "collectors' work, last month",
        path: "/api/v1/kpi/collectors",
        native: |db, filter| {
            collector_work(db, &Scope::Everything, filter, Currency::EUR, 1)?;
            Ok(())
        },
    },
];

pub fn run(report: &mut Report, invoices: usize) -> anyhow::Result<()> {
    build_relance_binary()?;
    build_every_component()?;
    let state = tempfile::tempdir()?;
    let database = state.path().join("sqlite_db.db");

    eprintln!("kpi: writing {invoices} generated invoices into the database");
    let as_of = load_ledger(&database, invoices)?;

    eprintln!("kpi: rebuilding the ledger's history natively");
    let native = NativeDatabase::open(&database)?;
    let started = Instant::now();
    let rebuilt = refresh(&native).map_err(|e| anyhow::anyhow!("{e}"))?;
    let elapsed = started.elapsed();
    report.add(
        SUITE,
        format!("history rebuilt from the documents, native ({rebuilt} invoices)"),
        rebuilt as f64 / elapsed.as_secs_f64(),
        "invoices/s",
        None,
    );

    let filter = KpiFilter {
        as_of,
        segments: Default::default(),
        currency: Some(Currency::EUR),
    };
    let app = TestApp::start(relance_app().state_dir(state.path()))?;
    let token = test_secret("admin_token");
    let get = |path: &str| -> anyhow::Result<()> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = app.url(&format!("{path}{separator}as_of={as_of}"));
        let response = app.client.get(&url).bearer_auth(&token).send()?;
        let status = response.status();
        let body = response.text()?;
        anyhow::ensure!(status.is_success(), "{url} answered {status}: {body}");
        Ok(())
    };

    time_placing_the_forecast_day(report, &native, &get)?;

    for endpoint in &ENDPOINTS {
        eprintln!("kpi: {}", endpoint.name);
        let mut served = time(|| get(endpoint.path))?;
        report.add_latencies(
            SUITE,
            format!("{}, wasm through the host", endpoint.name),
            &mut served,
            Some("p50 ≤ 100 ms at 1M invoices"),
        );

        let mut direct = time(|| (endpoint.native)(&native, &filter))?;
        report.add_latencies(
            SUITE,
            format!("{}, native store", endpoint.name),
            &mut direct,
            None,
        );
    }
    Ok(())
}

/// Times, through the host, the first forecast of the day, which places the
/// open amounts on their expected days, then a forecast after one invoice
/// changed, which places its customer's amounts again.
fn time_placing_the_forecast_day(
    report: &mut Report,
    native: &NativeDatabase,
    get: &dyn Fn(&str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut time_forecast = |name: &str| -> anyhow::Result<()> {
        let started = Instant::now();
        get("/api/v1/kpi/forecast")?;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        report.add(
            SUITE,
            format!("{name}, wasm through the host"),
            elapsed,
            "ms",
            None,
        );
        Ok(())
    };

    time_forecast("forecast, the day's first request (places every open amount)")?;
    native.execute(
        "UPDATE invoices SET updated_at = ? WHERE id = (SELECT MAX(id) FROM invoices)",
        &[Value::from(Utc::now())],
    )?;
    time_forecast("forecast after one invoice changed (places its customer again)")
}

/// Runs `request` twice untimed, then [`SAMPLES`] times timed.
fn time(mut request: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Vec<Duration>> {
    for _ in 0..2 {
        request()?;
    }

    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        request()?;
        samples.push(started.elapsed());
    }
    Ok(samples)
}

/// Writes the generator's ledger of `invoices` invoices into a new database
/// at `path` and returns the day it ends on. Foreign-currency customers get
/// a rate into euros.
fn load_ledger(path: &Path, invoices: usize) -> anyhow::Result<NaiveDate> {
    let db = NativeDatabase::open(path)?;
    let mut history = generated_history(invoices)?;
    let as_of = history.end_date();
    let now = Value::from(Utc::now());

    let customers = history.customers().to_vec();
    let rows: Vec<Vec<Value>> = customers
        .iter()
        .map(|c| {
            vec![
                Value::Integer(c.index as i64 + 1),
                SOURCE.into(),
                c.external_id.as_str().into(),
                c.name.as_str().into(),
                c.legal_entity.into(),
                c.region.into(),
                c.segment.as_str().into(),
                c.owner.into(),
                c.collector.into(),
                now.clone(),
                now.clone(),
            ]
        })
        .collect();
    insert(
        &db,
        "customers (id, source, external_id, name, legal_entity, region, segment, owner, \
         collector, created_at, updated_at)",
        rows,
    )?;

    let mut invoice_ids = std::collections::HashMap::new();
    while let Some(month) = history.next_month()? {
        let mut rows = Vec::with_capacity(month.invoices.len());
        for invoice in &month.invoices {
            let id = invoice_ids.len() as i64 + 1;
            invoice_ids.insert(invoice.external_id.clone(), id);
            let total = invoice.total.to_decimal_string();
            rows.push(vec![
                Value::Integer(id),
                SOURCE.into(),
                invoice.external_id.as_str().into(),
                invoice.number.as_str().into(),
                Value::Integer(invoice.customer_index as i64 + 1),
                invoice.issue_date.into(),
                invoice.due_date.into(),
                invoice.total.currency().code().into(),
                total.as_str().into(),
                invoice.tax.to_decimal_string().into(),
                "0".into(),
                "0".into(),
                "0".into(),
                total.into(),
                "open".into(),
                "open".into(),
                format!("{}T00:00:00.000000Z", invoice.issue_date).into(),
                now.clone(),
                now.clone(),
            ]);
        }
        insert(
            &db,
            "invoices (id, source, external_id, number, customer_id, issue_date, due_date, \
             currency, total, tax, amount_paid, credited, allocated, remaining, source_status, \
             status, version, created_at, updated_at)",
            rows,
        )?;

        let rows = month
            .credit_notes
            .iter()
            .map(|note| {
                vec![
                    SOURCE.into(),
                    note.external_id.as_str().into(),
                    note.number.as_str().into(),
                    Value::Integer(note.customer_index as i64 + 1),
                    note.invoice_external_id.as_str().into(),
                    note.issue_date.into(),
                    note.total.currency().code().into(),
                    note.total.to_decimal_string().into(),
                    format!("{}T00:00:00.000000Z", note.issue_date).into(),
                    now.clone(),
                    now.clone(),
                ]
            })
            .collect();
        insert(
            &db,
            "credit_notes (source, external_id, number, customer_id, invoice_external_id, \
             issue_date, currency, total, version, created_at, updated_at)",
            rows,
        )?;

        let mut rows = Vec::new();
        for payment in &month.payments {
            for (index, allocation) in payment.allocations.iter().enumerate() {
                let invoice_id = *invoice_ids
                    .get(&allocation.invoice)
                    .context("a payment settles an invoice not generated")?;
                rows.push(vec![
                    "bank".into(),
                    format!("{}-{index}", payment.id).into(),
                    Value::Integer(invoice_id),
                    allocation.amount.currency().code().into(),
                    allocation.amount.to_decimal_string().into(),
                    payment.booking_date.into(),
                    "bank_transfer".into(),
                    now.clone(),
                ]);
            }
        }
        insert(
            &db,
            "allocations (source, external_id, invoice_id, currency, amount, paid_on, method, \
             created_at)",
            rows,
        )?;
    }

    let valid_from = NaiveDate::from_ymd_opt(2000, 1, 1).context("a valid day")?;
    let rates: Vec<FxRate> = [("USD", "0.92"), ("GBP", "1.17"), ("CHF", "1.05")]
        .into_iter()
        .map(|(currency, rate)| {
            Ok(FxRate {
                currency,
                reporting_currency: "EUR",
                valid_from,
                rate: rate.parse()?,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    put_rates(&db, &rates, Utc::now())?;
    Ok(as_of)
}

/// Inserts rows of equal width in one transaction, many rows per statement.
fn insert(db: &NativeDatabase, target: &str, rows: Vec<Vec<Value>>) -> anyhow::Result<()> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    let placeholders = format!("({})", vec!["?"; width].join(", "));

    db.transaction(|db| {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let values = vec![placeholders.as_str(); chunk.len()].join(", ");
            let params: Vec<Value> = chunk.iter().flatten().cloned().collect();
            db.execute(&format!("INSERT INTO {target} VALUES {values}"), &params)?;
        }
        Ok::<_, relance_store::StoreError>(())
    })?;
    Ok(())
}
