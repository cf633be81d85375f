//! The `access` component: the app's health and version, and the API tokens
//! every other route checks.

// `#[http_component]` expands to the component's exported C ABI, which is unsafe code.
#![allow(unsafe_code)]

use spin_sdk::http::{Params, Request, Response, Router};
use spin_sdk::http_component;
use spin_sdk::sqlite::Connection;

#[http_component]
fn handle(request: Request) -> Response {
    let mut router = Router::new();
    router.get("/api/v1/health", health);
    router.get("/api/v1/version", version);
    router.handle(request)
}

fn json(status: u16, body: serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

/// Healthy when the system of record answers a query.
fn health(_: Request, _: Params) -> anyhow::Result<Response> {
    let database = Connection::open_default()
        .map_err(|error| format!("{error:?}"))
        .and_then(|db| {
            db.execute("SELECT 1", &[])
                .map_err(|error| format!("{error:?}"))
        });
    Ok(match database {
        Ok(_) => json(200, serde_json::json!({ "status": "ok", "database": "ok" })),
        Err(error) => json(
            503,
            serde_json::json!({ "status": "unavailable", "database": error }),
        ),
    })
}

fn version(_: Request, _: Params) -> anyhow::Result<Response> {
    Ok(json(
        200,
        serde_json::json!({ "name": "relance", "version": env!("CARGO_PKG_VERSION") }),
    ))
}
