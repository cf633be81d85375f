//! The ingestion suite: a generated ledger sent as signed canonical webhook
//! events and as bulk API calls through the host, and the same work done
//! natively on the `rusqlite` store in the same run.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use chrono::Utc;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use relance_generator::{BulkChunks, month_events};
use relance_ingest::{InputKind, receive_and_apply};
use relance_store::NativeDatabase;

use crate::app::BenchApp;
use crate::ledger::{SOURCE, generated_history, with_source};
use crate::report::Report;

const SUITE: &str = "ingestion";
const BULK_CHUNK: usize = 1_000;
const WEBHOOK_CONNECTIONS: usize = 8;

/// A generated ledger, ready to send.
struct Workload {
    events: Vec<Vec<u8>>,
    bulk_bodies: Vec<Vec<u8>>,
    invoices: usize,
}

pub fn run(report: &mut Report, invoices: usize) -> anyhow::Result<()> {
    eprintln!("ingestion: generating {invoices} invoices");
    let workload = generate(invoices)?;

    eprintln!(
        "ingestion: {} webhook events through the host",
        workload.events.len()
    );
    let served = BenchApp::start("ingestion-webhooks")?;
    let elapsed = send_webhooks(&served, &workload.events)?;
    let wasm_events = workload.events.len() as f64 / elapsed.as_secs_f64();
    report.add(
        SUITE,
        "webhook events, wasm through the host (8 connections)",
        wasm_events,
        "events/s",
        Some("≥ 2,000 events/s"),
    );
    drop(served);

    eprintln!(
        "ingestion: {} invoices in bulk through the host",
        workload.invoices
    );
    let served = BenchApp::start("ingestion-bulk")?;
    let elapsed = send_bulk(&served, &workload.bulk_bodies)?;
    let wasm_bulk = workload.invoices as f64 / elapsed.as_secs_f64();
    report.add(
        SUITE,
        "bulk invoices, wasm through the host",
        wasm_bulk,
        "invoices/s",
        Some("≥ 20,000 invoices/s"),
    );
    drop(served);

    eprintln!("ingestion: the same work natively");
    let native_events = workload.events.len() as f64
        / native(InputKind::CanonicalEvent, &workload.events)?.as_secs_f64();
    report.add(
        SUITE,
        "webhook events, native store, one writer",
        native_events,
        "events/s",
        None,
    );
    let native_bulk = workload.invoices as f64
        / native(InputKind::BulkInvoices, &workload.bulk_bodies)?.as_secs_f64();
    report.add(
        SUITE,
        "bulk invoices, native store",
        native_bulk,
        "invoices/s",
        None,
    );

    report.add(
        SUITE,
        "webhook events: native / wasm",
        native_events / wasm_events,
        "×",
        Some("≤ 2×"),
    );
    report.add(
        SUITE,
        "bulk invoices: native / wasm",
        native_bulk / wasm_bulk,
        "×",
        Some("≤ 2×"),
    );
    Ok(())
}

fn generate(invoices: usize) -> anyhow::Result<Workload> {
    let mut history = generated_history(invoices)?;
    let customers = history.customers().to_vec();

    let mut events = Vec::new();
    let mut chunks = BulkChunks::new(BULK_CHUNK);
    let mut bulk_bodies = Vec::new();
    let mut count = 0;
    while let Some(month) = history.next_month()? {
        for event in month_events(&month, &customers, SOURCE)? {
            events.push(serde_json::to_vec(&event)?);
        }
        for invoice in &month.invoices {
            count += 1;
            if let Some(body) = chunks.push(invoice, &customers)? {
                bulk_bodies.push(with_source(body)?);
            }
        }
    }
    if let Some(body) = chunks.finish() {
        bulk_bodies.push(with_source(body)?);
    }
    Ok(Workload {
        events,
        bulk_bodies,
        invoices: count,
    })
}

/// Sends every event signed, customers first, over keep-alive connections.
fn send_webhooks(served: &BenchApp, events: &[Vec<u8>]) -> anyhow::Result<Duration> {
    let secret = relance_tests::test_secret("invoices_webhook_secret");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let address = served.address;

    let (customers, rest): (Vec<&Vec<u8>>, Vec<&Vec<u8>>) =
        events.iter().partition(|event| is_customer_event(event));
    let started = Instant::now();
    runtime.block_on(async {
        post_all(address, "/webhooks/invoices", &customers, 1, &secret).await?;
        post_all(
            address,
            "/webhooks/invoices",
            &rest,
            WEBHOOK_CONNECTIONS,
            &secret,
        )
        .await
    })?;
    Ok(started.elapsed())
}

fn is_customer_event(event: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(event)
        .map(|value| {
            value["type"]
                .as_str()
                .unwrap_or_default()
                .starts_with("customer.")
        })
        .unwrap_or(false)
}

/// Sends the bulk bodies one after the other with the admin token.
fn send_bulk(served: &BenchApp, bodies: &[Vec<u8>]) -> anyhow::Result<Duration> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let token = relance_tests::test_secret("admin_token");
    let started = Instant::now();
    runtime.block_on(async {
        let mut connection = connect(served.address).await?;
        for body in bodies {
            let request = Request::post("/api/v1/invoices")
                .header(http::header::HOST, served.address.to_string())
                .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from(body.clone())))?;
            expect_success(&mut connection, request).await?;
        }
        anyhow::Ok(())
    })?;
    Ok(started.elapsed())
}

/// Posts signed bodies over `connections` connections, each taking every n-th body.
async fn post_all(
    address: SocketAddr,
    path: &'static str,
    bodies: &[&Vec<u8>],
    connections: usize,
    secret: &str,
) -> anyhow::Result<()> {
    let mut workers = Vec::new();
    for worker in 0..connections {
        let mine: Vec<Vec<u8>> = bodies
            .iter()
            .skip(worker)
            .step_by(connections)
            .map(|b| (*b).clone())
            .collect();
        let secret = secret.to_string();
        workers.push(tokio::spawn(async move {
            let mut connection = connect(address).await?;
            for body in mine {
                let signature = relance_ledger::signature::sign(
                    secret.as_bytes(),
                    Utc::now().timestamp(),
                    &body,
                );
                let request = Request::post(path)
                    .header(http::header::HOST, address.to_string())
                    .header("x-relance-signature", signature)
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(Full::new(Bytes::from(body)))?;
                expect_success(&mut connection, request).await?;
            }
            anyhow::Ok(())
        }));
    }
    for worker in workers {
        worker.await??;
    }
    Ok(())
}

type Connection = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(address: SocketAddr) -> anyhow::Result<Connection> {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .context("cannot connect to the host")?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

async fn expect_success(
    connection: &mut Connection,
    request: Request<Full<Bytes>>,
) -> anyhow::Result<()> {
    connection.ready().await?;
    let response = connection.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    anyhow::ensure!(
        status.is_success(),
        "the app answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    Ok(())
}

/// The component's ingestion path on the native store: store raw, apply, record.
fn native(kind: InputKind, inputs: &[Vec<u8>]) -> anyhow::Result<Duration> {
    let dir = tempfile::tempdir()?;
    let db = NativeDatabase::open(dir.path().join("native.db"))?;
    let started = Instant::now();
    for input in inputs {
        receive_and_apply(&db, SOURCE, kind, input, Utc::now())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(started.elapsed())
}
