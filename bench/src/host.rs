//! The host suite: a trivial route (`GET /api/v1/version`) through the real
//! host at 1 and 8 keep-alive connections, and what one instance costs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use relance_host::app::{App, Origin};

use crate::app::BenchApp;
use crate::report::{Report, micros, millis};

const SUITE: &str = "host";
const TRIVIAL_ROUTE: &str = "/api/v1/version";
const TRIVIAL_COMPONENT: &str = "access";
const IN_PROCESS_ITERATIONS: u32 = 2_000;

pub fn run(report: &mut Report, seconds: u64) -> anyhow::Result<()> {
    eprintln!("host: starting the app");
    let served = BenchApp::start(SUITE)?;
    report.add(
        SUITE,
        "start-up: compile and load every component",
        millis(served.started_in),
        "ms",
        None,
    );

    served.block_on(measure_in_process(report, &served.app))?;

    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    for connections in [1, 8] {
        eprintln!("host: {connections} connection(s) for {seconds} s");
        let (mut latencies, elapsed) = client_runtime.block_on(load(
            served.address,
            connections,
            Duration::from_secs(seconds),
        ))?;
        let requests = latencies.len() as f64;
        let target_rps = (connections == 8).then_some("≥ 5,000 requests/s");
        let target_p99 = (connections == 8).then_some("p99 ≤ 5 ms");
        report.add(
            SUITE,
            format!("trivial route, {connections} connection(s): throughput"),
            requests / elapsed.as_secs_f64(),
            "requests/s",
            target_rps,
        );
        report.add_latencies(
            SUITE,
            format!("trivial route, {connections} connection(s): latency"),
            &mut latencies,
            target_p99,
        );
    }
    Ok(())
}

/// The cost of an instance alone, and of a whole request without the network.
async fn measure_in_process(report: &mut Report, app: &Arc<App>) -> anyhow::Result<()> {
    for _ in 0..100 {
        app.instantiate_only(TRIVIAL_COMPONENT).await?;
    }
    let started = Instant::now();
    for _ in 0..IN_PROCESS_ITERATIONS {
        app.instantiate_only(TRIVIAL_COMPONENT).await?;
    }
    let per_instance = started.elapsed() / IN_PROCESS_ITERATIONS;
    report.add(
        SUITE,
        "instantiate one component (pooling allocator)",
        micros(per_instance),
        "µs",
        None,
    );

    let origin = Origin {
        scheme: "http",
        authority: "bench.local".into(),
    };
    let client = SocketAddr::from(([127, 0, 0, 1], 1));
    let started = Instant::now();
    for _ in 0..IN_PROCESS_ITERATIONS {
        let request = Request::get(TRIVIAL_ROUTE).body(empty_body())?;
        let response = app.handle(request, &origin, client).await;
        response
            .into_body()
            .collect()
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    let per_request = started.elapsed() / IN_PROCESS_ITERATIONS;
    report.add(
        SUITE,
        "one request in-process: route, instantiate, run, read",
        micros(per_request),
        "µs",
        None,
    );
    Ok(())
}

fn empty_body()
-> impl http_body::Body<Data = Bytes, Error = wasmtime_wasi_http::Error> + Send + 'static {
    Empty::<Bytes>::new().map_err(|never| -> wasmtime_wasi_http::Error { match never {} })
}

/// Keeps `connections` keep-alive connections busy for `duration`, after a
/// one-second warm-up, and returns every request's latency.
async fn load(
    address: SocketAddr,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<(Vec<Duration>, Duration)> {
    let warm_up = Duration::from_secs(1);
    let start = Instant::now();
    let measure_from = start + warm_up;
    let end = measure_from + duration;

    let mut workers = Vec::new();
    for _ in 0..connections {
        workers.push(tokio::spawn(connection_loop(address, measure_from, end)));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await??);
    }
    Ok((latencies, duration))
}

async fn connection_loop(
    address: SocketAddr,
    measure_from: Instant,
    end: Instant,
) -> anyhow::Result<Vec<Duration>> {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .context("cannot connect to the host")?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);

    let mut latencies = Vec::new();
    loop {
        let sent = Instant::now();
        if sent >= end {
            return Ok(latencies);
        }
        sender.ready().await?;
        let request = Request::get(TRIVIAL_ROUTE)
            .header(http::header::HOST, address.to_string())
            .body(Empty::<Bytes>::new())?;
        let response = sender.send_request(request).await?;
        anyhow::ensure!(
            response.status().is_success(),
            "the trivial route answered {}",
            response.status()
        );
        response.into_body().collect().await?;
        if sent >= measure_from {
            latencies.push(sent.elapsed());
        }
    }
}
