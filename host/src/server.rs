//! The HTTP listener: one task per connection, requests handed to the app,
//! and a graceful stop that lets in-flight requests finish.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tracing::{debug, info, warn};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::app::{App, Origin};

/// How long in-flight requests get to finish after a stop signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Binds the listening socket, with an error that says what to do when the port is taken.
pub async fn bind(address: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address).await.map_err(|error| {
        let hint = if error.kind() == std::io::ErrorKind::AddrInUse {
            "the address is already in use: stop the other server or choose another with --listen"
        } else {
            "check the address given to --listen"
        };
        anyhow::anyhow!("cannot listen on {address}: {error}; {hint}")
    })
}

/// Serves until `stop` resolves, then waits for open requests to complete.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    stop: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let local = listener
        .local_addr()
        .context("the listener has no address")?;
    let origin = Arc::new(Origin {
        scheme: "http",
        authority: local.to_string(),
    });
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);

    loop {
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    warn!(%error, "accepting a connection failed");
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);

        let app = Arc::clone(&app);
        let origin = Arc::clone(&origin);
        let service = hyper::service::service_fn(move |request| {
            let app = Arc::clone(&app);
            let origin = Arc::clone(&origin);
            async move {
                Ok::<_, std::convert::Infallible>(answer(&app, request, &origin, client).await)
            }
        });
        let connection = http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                debug!(%error, %client, "connection closed with an error");
            }
        });
    }

    info!("stopping: waiting for in-flight requests to finish");
    tokio::select! {
        () = graceful.shutdown() => info!("all requests finished"),
        () = tokio::time::sleep(DRAIN_TIMEOUT) => warn!("some requests did not finish in time"),
    }
    Ok(())
}

async fn answer(
    app: &Arc<App>,
    request: hyper::Request<hyper::body::Incoming>,
    origin: &Origin,
    client: SocketAddr,
) -> Response<HyperOutgoingBody> {
    if request.uri().path() == "/.well-known/spin/health" && request.method() == Method::GET {
        return plain(StatusCode::OK, "OK");
    }
    app.handle(request, origin, client).await
}

fn plain(status: StatusCode, text: &'static str) -> Response<HyperOutgoingBody> {
    let body = Full::new(Bytes::from_static(text.as_bytes()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn stop_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = interrupt => info!("Ctrl-C received"),
        () = terminate => info!("SIGTERM received"),
    }
}
