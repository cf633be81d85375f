//! The `dunning` component: the daily run that chases late customers and
//! its preview, the policies, templates and settings it follows, the tasks
//! it gives people, the outbox it delivers through, and the history of
//! every action.

// `#[http_component]` expands to the component's exported C ABI, which is unsafe code.
#![allow(unsafe_code)]

mod delivery;
mod history;
mod outbox;
mod run;
mod settings;
mod tasks;

use relance_api::ApiError;
use relance_store::SpinDatabase;
use relance_web::{authenticate, require_job_token, respond};
use spin_sdk::http::{Params, Request, Response, Router};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    relance_web::init_logging();
    let mut router = Router::new();
    router.post("/jobs/dunning/run", |r: Request, _: Params| {
        respond(run::run(&r))
    });
    router.post("/jobs/dunning/deliver", |r: Request, _: Params| {
        respond(run::deliver(&r))
    });
    router.get("/api/v1/dunning/preview", |r: Request, _: Params| {
        respond(run::preview(&r))
    });
    router.get("/api/v1/dunning/policies", |r: Request, _: Params| {
        respond(settings::list_policies(&r))
    });
    router.get("/api/v1/dunning/policies/:code", |r: Request, p: Params| {
        respond(settings::get_policy(&r, &p))
    });
    router.put("/api/v1/dunning/policies/:code", |r: Request, p: Params| {
        respond(settings::put_policy(&r, &p))
    });
    router.get("/api/v1/dunning/templates", |r: Request, _: Params| {
        respond(settings::list_templates(&r))
    });
    router.get(
        "/api/v1/dunning/templates/:name/:language",
        |r: Request, p: Params| respond(settings::get_template(&r, &p)),
    );
    router.put(
        "/api/v1/dunning/templates/:name/:language",
        |r: Request, p: Params| respond(settings::put_template(&r, &p)),
    );
    router.get("/api/v1/dunning/settings", |r: Request, _: Params| {
        respond(settings::get_settings(&r))
    });
    router.put("/api/v1/dunning/settings", |r: Request, _: Params| {
        respond(settings::put_settings(&r))
    });
    router.get("/api/v1/dunning/interest-rates", |r: Request, _: Params| {
        respond(settings::list_rates(&r))
    });
    router.put("/api/v1/dunning/interest-rates", |r: Request, _: Params| {
        respond(settings::put_rate(&r))
    });
    router.get("/api/v1/dunning/history", |r: Request, _: Params| {
        respond(history::list(&r))
    });
    router.get("/api/v1/tasks", |r: Request, _: Params| {
        respond(tasks::list(&r))
    });
    router.get("/api/v1/tasks/:id", |r: Request, p: Params| {
        respond(tasks::get(&r, &p))
    });
    router.patch("/api/v1/tasks/:id", |r: Request, p: Params| {
        respond(tasks::record_outcome(&r, &p))
    });
    router.get("/api/v1/outbox", |r: Request, _: Params| {
        respond(outbox::list(&r))
    });
    router.get("/api/v1/outbox/:id", |r: Request, p: Params| {
        respond(outbox::get(&r, &p))
    });
    router.get("/api/v1/outbox/:id/print", |r: Request, p: Params| {
        respond(outbox::print(&r, &p))
    });
    router.handle(request)
}

/// Lets a job route in with the job token, or a manager's or admin's token.
fn job_caller(request: &Request, db: &SpinDatabase) -> Result<(), ApiError> {
    if require_job_token(request).is_ok() {
        return Ok(());
    }
    authenticate(request, db)?.require_settings()
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

/// A `next_cursor` for listings paged by id.
fn id_cursor(next: Option<i64>, sort: &str) -> Option<String> {
    next.map(|id| {
        relance_api::Cursor {
            sort: sort.to_owned(),
            key: id.to_string(),
            id,
        }
        .encode()
    })
}
