//! The `dashboard` component: the page credit managers, collectors and
//! salespeople open in a browser. It serves the page and its scripts, styles
//! and icon from inside the component, and tells the page who the signed-in
//! token belongs to; every figure the page shows comes from the public API,
//! called by the browser with the caller's own token.

// `#[http_component]` expands to the component's exported C ABI, which is unsafe code.
#![allow(unsafe_code)]

mod assets;

use relance_api::ApiError;
use relance_web::{authenticate, init_logging, json_response, open_database, respond};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

use crate::assets::{Asset, PAGE_ROOT};

#[http_component]
fn handle(request: Request) -> Response {
    init_logging();

    if *request.method() != Method::Get {
        return only_get();
    }
    // Spin sends `/` and everything under `/dashboard` here.
    match request.path() {
        "/" | "/dashboard" => redirect_to_page(),
        "/dashboard/session" => respond(session(&request)),
        _ => serve(&request),
    }
}

/// 405: the page and its files are only ever read.
fn only_get() -> Response {
    let body = serde_json::json!({ "error": {
        "code": "method_not_allowed",
        "message": "the dashboard only answers GET; the API is under /api/v1",
        "details": null,
    }});
    Response::builder()
        .status(405)
        .header("allow", "GET")
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

/// The page lives under `/dashboard/`, so its relative links resolve there.
fn redirect_to_page() -> Response {
    Response::builder()
        .status(302)
        .header("location", PAGE_ROOT)
        .body(Vec::new())
        .build()
}

/// `GET /dashboard/session`: the role and portfolio of the bearer token, so
/// the page shows what that token may see. It answers 401 for an unknown or
/// revoked token, which is how the sign-in form checks a token.
fn session(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;

    json_response(
        200,
        &serde_json::json!({
            "role": principal.role,
            "scope": principal.scope,
            "can_write_ledger": principal.role.can_write_ledger(),
        }),
    )
}

/// A file of the page, or the page itself for any view's address, so a
/// shared link such as `/dashboard/customers/12?region=west` opens that view.
fn serve(request: &Request) -> Response {
    let asset = Asset::for_path(request.path());
    let unchanged =
        relance_web::header(request, "if-none-match").is_some_and(|tags| asset.matches_etag(tags));

    let builder = &mut Response::builder();
    builder
        .header("etag", asset.etag())
        .header("cache-control", "no-cache")
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .header("content-security-policy", assets::CONTENT_SECURITY_POLICY);
    if unchanged {
        return builder.status(304).body(Vec::new()).build();
    }
    builder
        .status(200)
        .header("content-type", asset.content_type)
        .body(asset.bytes.to_vec())
        .build()
}
