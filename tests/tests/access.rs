//! The `access` component through the host: health, version, and the tokens
//! that decide who may do what.

#![allow(clippy::unwrap_used)]

use relance_tests::{TestApp, build_app_components, relance_app, test_secret};
use serde_json::{Value, json};

fn start() -> (TestApp, String) {
    build_app_components().unwrap();
    (
        TestApp::start(relance_app()).unwrap(),
        test_secret("admin_token"),
    )
}

fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .unwrap();
    (
        response.status().as_u16(),
        response.json().unwrap_or(Value::Null),
    )
}

fn get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().unwrap();
    (
        response.status().as_u16(),
        response.json().unwrap_or(Value::Null),
    )
}

#[test]
fn the_app_reports_its_health_and_version() {
    let (app, _) = start();

    assert_eq!(
        get(&app, "/api/v1/health", None),
        (200, json!({ "status": "ok", "database": "ok" }))
    );
    let (status, version) = get(&app, "/api/v1/version", None);
    assert_eq!(status, 200);
    assert_eq!(version["name"], "relance");
}

#[test]
fn the_bootstrap_admin_creates_lists_and_revokes_tokens() {
    let (app, admin) = start();

    let (status, created) = post(
        &app,
        "/api/v1/tokens",
        &admin,
        json!({ "name": "Alice", "role": "sales", "person": "alice@example.com" }),
    );
    assert_eq!(status, 201, "{created}");
    let secret = created["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("rl_"));
    assert_eq!(
        created["scope"],
        json!({ "kind": "owner", "person": "alice@example.com" })
    );

    let (status, listed) = get(&app, "/api/v1/tokens", Some(admin.as_str()));
    assert_eq!(status, 200);
    assert_eq!(listed["tokens"][0]["name"], "Alice");
    assert!(
        !listed.to_string().contains(&secret),
        "a listing never shows a secret"
    );

    let (status, _) = get(&app, "/api/v1/tokens", Some(&secret));
    assert_eq!(status, 403, "a sales token may not administer tokens");

    let id = created["id"].as_i64().unwrap();
    let revoked = app
        .client
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let (status, body) = get(&app, "/api/v1/tokens", Some(&secret));
    assert_eq!(status, 401, "{body}");
}

#[test]
fn bad_token_requests_say_what_to_fix() {
    let (app, admin) = start();

    let (status, body) = get(&app, "/api/v1/tokens", None);
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Bearer"),
        "{body}"
    );

    let (status, body) = get(&app, "/api/v1/tokens", Some("rl_not-a-real-token"));
    assert_eq!(status, 401, "{body}");

    let (status, body) = post(
        &app,
        "/api/v1/tokens",
        &admin,
        json!({ "name": "Bob", "role": "sales" }),
    );
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("person"),
        "{body}"
    );

    let (status, body) = post(
        &app,
        "/api/v1/tokens",
        &admin,
        json!({ "name": "Bob", "role": "owner" }),
    );
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("admin, manager"),
        "{body}"
    );

    let response = app
        .client
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(&admin)
        .body("{not json")
        .send()
        .unwrap();
    assert_eq!(response.status(), 400);

    let response = app
        .client
        .delete(app.url("/api/v1/tokens/999"))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert_eq!(response.status(), 404);
}
