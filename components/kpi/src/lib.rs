//! The `kpi` component: the figures the finance team opens every morning,
//! for any day and any slice of the ledger, scoped to the caller's
//! portfolio, and the exchange rates they are reported with.

// `#[http_component]` expands to the component's exported C ABI, which is unsafe code.
#![allow(unsafe_code)]

mod figures;
mod fx_rates;

use spin_sdk::http::{Params, Request, Response, Router};
use spin_sdk::http_component;

use relance_web::respond;

#[http_component]
fn handle(request: Request) -> Response {
    relance_web::init_logging();
    let mut router = Router::new();
    router.get("/api/v1/kpi/summary", |r: Request, _: Params| {
        respond(figures::summary(&r))
    });
    router.get("/api/v1/kpi/aged-balance", |r: Request, _: Params| {
        respond(figures::aged_balance(&r))
    });
    router.get("/api/v1/kpi/dso", |r: Request, _: Params| {
        respond(figures::dso(&r))
    });
    router.get("/api/v1/kpi/forecast", |r: Request, _: Params| {
        respond(figures::forecast(&r))
    });
    router.get("/api/v1/kpi/customers", |r: Request, _: Params| {
        respond(figures::customers(&r))
    });
    router.get("/api/v1/kpi/collectors", |r: Request, _: Params| {
        respond(figures::collectors(&r))
    });
    router.get("/api/v1/fx-rates", |r: Request, _: Params| {
        respond(fx_rates::list(&r))
    });
    router.put("/api/v1/fx-rates", |r: Request, _: Params| {
        respond(fx_rates::replace(&r))
    });
    router.handle(request)
}
