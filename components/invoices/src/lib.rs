//! The `invoices` component: fills the ledger from where finance teams keep
//! their invoices (Stripe and canonical webhooks, the bulk API, FEC and CSV
//! ledger files), keeps what failed for replay, and serves invoices and
//! customers to the team, each caller within their portfolio.

// `#[http_component]` expands to the component's exported C ABI, which is unsafe code.
#![allow(unsafe_code)]

mod bulk;
mod customers;
mod failures;
mod invoices;
mod ledger_import;
mod webhooks;

use relance_api::ApiError;
use relance_web::{init_logging, respond};
use spin_sdk::http::{Params, Request, Response, Router};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    init_logging();

    let mut router = Router::new();
    router.post("/webhooks/stripe", |r: Request, _| {
        respond(webhooks::receive_stripe_event(&r))
    });
    router.post("/webhooks/invoices", |r: Request, _| {
        respond(webhooks::receive_canonical_event(&r))
    });

    router.post("/api/v1/invoices", |r: Request, _| {
        respond(bulk::upsert_invoices(&r))
    });
    router.get("/api/v1/invoices", |r: Request, _| {
        respond(invoices::list_invoices(&r))
    });
    router.get("/api/v1/invoices/:id", |r: Request, p: Params| {
        respond(invoices::get_invoice(&r, &p))
    });
    router.patch("/api/v1/invoices/:id", |r: Request, p: Params| {
        respond(invoices::edit_invoice(&r, &p))
    });

    router.post("/api/v1/imports/ledger", |r: Request, _| {
        respond(ledger_import::import_ledger(&r))
    });
    router.get("/api/v1/ingestion/failures", |r: Request, _| {
        respond(failures::list_failures(&r))
    });
    router.post(
        "/api/v1/ingestion/failures/:id/replay",
        |r: Request, p: Params| respond(failures::replay_failure(&r, &p)),
    );

    router.get("/api/v1/customers", |r: Request, _| {
        respond(customers::list_customers(&r))
    });
    router.post("/api/v1/customers", |r: Request, _| {
        respond(customers::create_customer(&r))
    });
    router.get("/api/v1/customers/:id", |r: Request, p: Params| {
        respond(customers::get_customer(&r, &p))
    });
    router.patch("/api/v1/customers/:id", |r: Request, p: Params| {
        respond(customers::edit_customer(&r, &p))
    });
    router.get("/api/v1/customers/:id/payments", |r: Request, p: Params| {
        respond(customers::list_payments(&r, &p))
    });

    router.handle(request)
}

/// The numeric id in the route's `:id` segment; anything else names nothing.
fn path_id(params: &Params, what: &str) -> Result<i64, ApiError> {
    let text = params.get("id").unwrap_or_default();
    text.parse().map_err(|_| {
        ApiError::not_found(format!(
            "{what} {text:?} does not exist: ids are the numbers the API returns"
        ))
    })
}
