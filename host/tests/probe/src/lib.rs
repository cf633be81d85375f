//! A component for the host's tests: one route per Spin capability, each
//! answering with what the host gave it, so a test can check the host's
//! behaviour from outside.

// `#[http_component]` expands to the component's exported C ABI, which is unsafe code.
#![allow(unsafe_code)]

use spin_sdk::http::{IntoResponse, Method, Params, Request, Response, Router};
use spin_sdk::http_component;
use spin_sdk::{key_value, sqlite, variables};

#[http_component]
async fn handle(request: Request) -> Response {
    let mut router = Router::new();
    router.get("/probe/kv/:label/:key", kv_get);
    router.put("/probe/kv/:label/:key", kv_set);
    router.delete("/probe/kv/:label/:key", kv_delete);
    router.get("/probe/kv/:label", kv_keys);
    router.post("/probe/sql/:database", sql);
    router.get("/probe/variables/:name", variable);
    router.get_async("/probe/fetch", fetch);
    router.get("/probe/slow", slow);
    router.post("/jobs/:name", job);
    router.any("/*", headers);
    router.handle_async(request).await
}

fn json(status: u16, value: serde_json::Value) -> anyhow::Result<Response> {
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(value.to_string())
        .build())
}

fn param<'a>(params: &'a Params, name: &str) -> &'a str {
    params.get(name).unwrap_or_default()
}

/// Reports who answered (the `PROBE_NAME` environment variable) and the
/// `spin-*` headers the host sent.
fn headers(request: Request, _: Params) -> anyhow::Result<Response> {
    let spin: serde_json::Map<String, serde_json::Value> = request
        .headers()
        .filter(|(name, _)| name.starts_with("spin-"))
        .map(|(name, value)| (name.to_string(), value.as_str().unwrap_or_default().into()))
        .collect();
    let answered_by = std::env::var("PROBE_NAME").unwrap_or_default();
    json(
        200,
        serde_json::json!({ "component": answered_by, "method": request.method().to_string(), "headers": spin }),
    )
}

/// Counts the calls of a job in the default store, with the token it came with.
fn job(request: Request, params: Params) -> anyhow::Result<Response> {
    let store = key_value::Store::open_default()?;
    let key = format!("job:{}", param(&params, "name"));
    let count: u64 = store
        .get(&key)?
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.parse().ok())
        .unwrap_or(0);
    store.set(&key, (count + 1).to_string().as_bytes())?;
    let token = request
        .header("authorization")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    store.set(&format!("{key}:authorization"), token.as_bytes())?;
    json(200, serde_json::json!({ "runs": count + 1 }))
}

fn kv_get(_: Request, params: Params) -> anyhow::Result<Response> {
    match key_value::Store::open(param(&params, "label")) {
        Ok(store) => match store.get(param(&params, "key"))? {
            Some(value) => Ok(Response::new(200, value)),
            None => json(404, serde_json::json!({ "missing": param(&params, "key") })),
        },
        Err(error) => json(403, serde_json::json!({ "error": format!("{error:?}") })),
    }
}

fn kv_set(request: Request, params: Params) -> anyhow::Result<Response> {
    match key_value::Store::open(param(&params, "label")) {
        Ok(store) => {
            store.set(param(&params, "key"), request.body())?;
            json(200, serde_json::json!({ "stored": param(&params, "key") }))
        }
        Err(error) => json(403, serde_json::json!({ "error": format!("{error:?}") })),
    }
}

fn kv_delete(_: Request, params: Params) -> anyhow::Result<Response> {
    match key_value::Store::open(param(&params, "label")) {
        Ok(store) => {
            store.delete(param(&params, "key"))?;
            json(200, serde_json::json!({ "deleted": param(&params, "key") }))
        }
        Err(error) => json(403, serde_json::json!({ "error": format!("{error:?}") })),
    }
}

fn kv_keys(_: Request, params: Params) -> anyhow::Result<Response> {
    match key_value::Store::open(param(&params, "label")) {
        Ok(store) => {
            let mut keys = store.get_keys()?;
            keys.sort();
            json(200, serde_json::json!({ "keys": keys }))
        }
        Err(error) => json(403, serde_json::json!({ "error": format!("{error:?}") })),
    }
}

/// Runs the statements of the body, one per line, and returns the last result.
fn sql(request: Request, params: Params) -> anyhow::Result<Response> {
    let connection = match sqlite::Connection::open(param(&params, "database")) {
        Ok(connection) => connection,
        Err(error) => return json(403, serde_json::json!({ "error": format!("{error:?}") })),
    };
    let body = String::from_utf8(request.body().to_vec())?;
    let mut last = serde_json::json!({ "rows": [] });
    for statement in body.lines().filter(|line| !line.trim().is_empty()) {
        match connection.execute(statement, &[]) {
            Ok(result) => {
                let rows: Vec<Vec<serde_json::Value>> = result
                    .rows
                    .iter()
                    .map(|row| row.values.iter().map(value_to_json).collect())
                    .collect();
                last = serde_json::json!({ "columns": result.columns, "rows": rows });
            }
            Err(error) => return json(400, serde_json::json!({ "error": format!("{error:?}") })),
        }
    }
    json(200, last)
}

fn value_to_json(value: &sqlite::Value) -> serde_json::Value {
    match value {
        sqlite::Value::Integer(i) => (*i).into(),
        sqlite::Value::Real(r) => (*r).into(),
        sqlite::Value::Text(t) => t.clone().into(),
        sqlite::Value::Blob(b) => b.len().into(),
        sqlite::Value::Null => serde_json::Value::Null,
    }
}

fn variable(_: Request, params: Params) -> anyhow::Result<Response> {
    match variables::get(param(&params, "name")) {
        Ok(value) => json(200, serde_json::json!({ "value": value })),
        Err(error) => json(404, serde_json::json!({ "error": format!("{error:?}") })),
    }
}

/// Fetches the `url` query parameter and reports the status or the error.
async fn fetch(request: Request, _: Params) -> anyhow::Result<Response> {
    let url = request
        .query()
        .split('&')
        .find_map(|pair| pair.strip_prefix("url="))
        .unwrap_or_default()
        .replace("%2F", "/")
        .replace("%3A", ":");
    let outbound = Request::builder().method(Method::Get).uri(url).build();
    match spin_sdk::http::send::<_, Response>(outbound).await {
        Ok(response) => {
            let body = String::from_utf8_lossy(response.body()).into_owned();
            json(
                200,
                serde_json::json!({ "status": response.status(), "body": body }),
            )
        }
        Err(error) => json(502, serde_json::json!({ "error": error.to_string() })),
    }
}

/// Answers after busy work, so a test can stop the host mid-request.
fn slow(_: Request, _: Params) -> anyhow::Result<impl IntoResponse> {
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_millis(1500) {
        std::hint::spin_loop();
    }
    json(200, serde_json::json!({ "slow": true }))
}
