//! The `reconciliation` component: the run that matches bank credits to the
//! open ledger, the review queue where a person accepts or rejects what the
//! matcher was unsure of, and allocations made or undone by hand.

// `#[http_component]` expands to the component's exported C ABI, which is unsafe code.
#![allow(unsafe_code)]

mod allocations;
mod run;
mod suggestions;

use relance_api::{ApiError, Principal};
use relance_store::SpinDatabase;
use relance_web::{authenticate, respond};
use spin_sdk::http::{Params, Request, Response, Router};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    relance_web::init_logging();
    let mut router = Router::new();
    router.post("/jobs/reconcile", |r: Request, _: Params| {
        respond(run::run(&r))
    });
    router.get(
        "/api/v1/reconciliation/suggestions",
        |r: Request, _: Params| respond(suggestions::list(&r)),
    );
    router.post(
        "/api/v1/reconciliation/suggestions/:id/accept",
        |r: Request, p: Params| respond(suggestions::accept(&r, &p)),
    );
    router.post(
        "/api/v1/reconciliation/suggestions/:id/reject",
        |r: Request, p: Params| respond(suggestions::reject(&r, &p)),
    );
    router.post("/api/v1/allocations", |r: Request, _: Params| {
        respond(allocations::create(&r))
    });
    router.delete("/api/v1/allocations/:id", |r: Request, p: Params| {
        respond(allocations::undo(&r, &p))
    });
    router.handle(request)
}

/// The caller, when it may see the whole bank account: bank lines name every
/// payer, so tokens confined to a portfolio (sales, collectors) may not.
fn whole_ledger_caller(request: &Request, db: &SpinDatabase) -> Result<Principal, ApiError> {
    let principal = authenticate(request, db)?;
    if principal.role.needs_portfolio() {
        return Err(ApiError::forbidden(format!(
            "a {} token sees its own portfolio only, and bank transactions name every payer; \
             ask a manager",
            principal.role
        )));
    }
    Ok(principal)
}

/// The numeric id in the route's `:id` segment.
fn id_parameter(params: &Params, what: &str) -> Result<i64, ApiError> {
    let text = params.get("id").unwrap_or_default();
    text.parse().map_err(|_| {
        ApiError::not_found(format!(
            "{what} {text:?} does not exist: ids are whole numbers, as listed by the API"
        ))
    })
}
