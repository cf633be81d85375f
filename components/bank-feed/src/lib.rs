//! The `bank-feed` component: bank statement files uploaded by the team, the
//! bank API connections polled on schedule, and the bank transactions both
//! bring, stored once each.

// `#[http_component]` expands to the component's exported C ABI, which is unsafe code.
#![allow(unsafe_code)]

mod connections;
mod poll;
mod reconcile;
mod statements;
mod transactions;

use relance_web::respond;
use spin_sdk::http::{Params, Request, Response, Router};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    relance_web::init_logging();
    let mut router = Router::new();
    router.post("/api/v1/bank/statements", |r: Request, _: Params| {
        respond(statements::upload(&r))
    });
    router.get("/api/v1/bank/transactions", |r: Request, _: Params| {
        respond(transactions::list(&r))
    });
    router.get("/api/v1/bank/connections", |r: Request, _: Params| {
        respond(connections::list(&r))
    });
    router.post("/api/v1/bank/connections", |r: Request, _: Params| {
        respond(connections::create(&r))
    });
    router.post("/jobs/bank-feed/poll", |r: Request, _: Params| {
        respond(poll::poll(&r))
    });
    router.handle(request)
}
