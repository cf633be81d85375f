//! The `access` component: the app's health and version, the OpenAPI
//! document of the whole public API, and the API tokens every other route
//! checks.

// `#[http_component]` expands to the component's exported C ABI, which is unsafe code.
#![allow(unsafe_code)]

use chrono::Utc;
use relance_api::{ApiError, Role, Scope};
use relance_store::{Database, tokens};
use relance_web::{authenticate, json_response, open_database, read_json, respond};
use serde::Deserialize;
use spin_sdk::http::{Params, Request, Response, Router};
use spin_sdk::http_component;

/// The OpenAPI 3.1 document of every component's routes.
const OPENAPI_DOCUMENT: &str = include_str!("../../../docs/openapi.json");

/// Token requests are small.
const TOKEN_BODY_LIMIT: usize = 16 * 1024;

#[http_component]
fn handle(request: Request) -> Response {
    relance_web::init_logging();
    let mut router = Router::new();
    router.get("/api/v1/health", |_: Request, _: Params| respond(health()));
    router.get(
        "/api/v1/version",
        |_: Request, _: Params| respond(version()),
    );
    router.get("/api/v1/openapi.json", |_: Request, _: Params| openapi());
    router.get("/api/v1/tokens", |r: Request, _: Params| respond(list(&r)));
    router.post("/api/v1/tokens", |r: Request, _: Params| {
        respond(create(&r))
    });
    router.delete("/api/v1/tokens/:id", |r: Request, p: Params| {
        respond(revoke(&r, &p))
    });
    router.handle(request)
}

/// Healthy when the system of record opens, migrated, and answers a query.
fn health() -> Result<Response, ApiError> {
    let checked =
        open_database().and_then(|db| db.execute("SELECT 1", &[]).map_err(ApiError::from));
    match checked {
        Ok(_) => json_response(
            200,
            &serde_json::json!({ "status": "ok", "database": "ok" }),
        ),
        Err(error) => json_response(
            503,
            &serde_json::json!({ "status": "unavailable", "database": error.message }),
        ),
    }
}

fn version() -> Result<Response, ApiError> {
    json_response(
        200,
        &serde_json::json!({ "name": "relance", "version": env!("CARGO_PKG_VERSION") }),
    )
}

fn openapi() -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(OPENAPI_DOCUMENT)
        .build()
}

/// `POST /api/v1/tokens`: what an administrator sends to create a token.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    role: String,
    /// The salesperson or collector whose portfolio a sales or collector token sees.
    #[serde(default)]
    person: Option<String>,
}

fn create(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?.require_admin()?;
    let new: NewToken = read_json(request, TOKEN_BODY_LIMIT)?;

    let name = new.name.trim();
    if name.is_empty() {
        return Err(ApiError::bad_request(
            "`name` is empty; say who or what the token is for",
        ));
    }
    let role: Role = new.role.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "`role` {:?} is unknown; use admin, manager, collector, sales or viewer",
            new.role
        ))
    })?;
    let scope = Scope::for_role(role, new.person.as_deref())?;

    let mut entropy = [0u8; 32];
    getrandom::fill(&mut entropy).map_err(|error| ApiError::internal(&error))?;
    let (id, secret) = tokens::create_token(&db, name, role, &scope, &entropy, Utc::now())?;
    json_response(
        201,
        &serde_json::json!({ "id": id, "name": name, "role": role, "scope": scope, "token": secret }),
    )
}

fn list(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?.require_admin()?;
    json_response(
        200,
        &serde_json::json!({ "tokens": tokens::list_tokens(&db)? }),
    )
}

fn revoke(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?.require_admin()?;
    let raw = params.get("id").unwrap_or_default();
    let id: i64 = raw
        .parse()
        .map_err(|_| ApiError::bad_request(format!("token id {raw:?} is not a number")))?;

    if tokens::revoke(&db, id, Utc::now())? {
        json_response(200, &serde_json::json!({ "id": id, "revoked": true }))
    } else {
        Err(ApiError::not_found(format!("no live token with id {id}")))
    }
}
