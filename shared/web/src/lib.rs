//! The HTTP edge every component shares: who is calling (API tokens, the
//! bootstrap admin token, the job token), reading JSON bodies within a size
//! limit, and answering in JSON with the app's error format.

use relance_api::{ApiError, Principal, Role, Scope, bearer_token};
use relance_store::SpinDatabase;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use spin_sdk::http::{Request, Response};
use spin_sdk::variables;

/// The variable holding the first administrator's token.
pub const ADMIN_TOKEN_VARIABLE: &str = "admin_token";

/// The variable holding the token scheduled jobs call with.
pub const JOB_TOKEN_VARIABLE: &str = "job_token";

/// Sends component logs (5xx causes among them) to stderr, which the host
/// prints with the component's id. Called once at the start of a request;
/// it costs a single allocation, so it is cheap on every request.
pub fn init_logging() {
    let _ = tracing::subscriber::set_global_default(StderrLog);
}

/// Writes events at `INFO` and above as one line each, fields after the message.
struct StderrLog;

impl tracing::Subscriber for StderrLog {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() <= tracing::Level::INFO
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = format!(
            "{} {}:",
            event.metadata().level(),
            event.metadata().target()
        );
        event.record(&mut LineWriter(&mut line));
        eprintln!("{line}");
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

struct LineWriter<'a>(&'a mut String);

impl tracing::field::Visit for LineWriter<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.push_str(&format!(" {value:?}"));
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}

/// Turns a handler's outcome into the HTTP answer.
pub fn respond(outcome: Result<Response, ApiError>) -> Response {
    outcome.unwrap_or_else(|error| error_response(&error))
}

/// A JSON answer.
pub fn json_response(status: u16, body: &impl Serialize) -> Result<Response, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(|error| ApiError::internal(&error))?;
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(bytes)
        .build())
}

/// The app's JSON error answer.
pub fn error_response(error: &ApiError) -> Response {
    Response::builder()
        .status(error.status)
        .header("content-type", "application/json")
        .body(error.body())
        .build()
}

/// Parses a JSON body no larger than `limit` bytes, with a 400 that says
/// where the JSON is wrong.
pub fn read_json<T: DeserializeOwned>(request: &Request, limit: usize) -> Result<T, ApiError> {
    let body = read_body(request, limit)?;
    serde_json::from_slice(body).map_err(|error| {
        ApiError::bad_request(format!(
            "the body is not valid JSON for this route: {error} (line {}, column {})",
            error.line(),
            error.column()
        ))
        .with_code("invalid_json")
    })
}

/// The raw body, refused with 413 past `limit` bytes.
pub fn read_body(request: &Request, limit: usize) -> Result<&[u8], ApiError> {
    let body = request.body();
    if body.len() > limit {
        return Err(ApiError::payload_too_large(limit));
    }
    Ok(body)
}

/// Opens the system of record, migrating it on first use.
pub fn open_database() -> Result<SpinDatabase, ApiError> {
    SpinDatabase::open_default().map_err(ApiError::from)
}

/// The caller behind the request's bearer token: the bootstrap admin token
/// from the `admin_token` variable, or a token stored in the database.
pub fn authenticate(request: &Request, db: &SpinDatabase) -> Result<Principal, ApiError> {
    let token = bearer_token(header(request, "authorization"))?;

    if variable_matches(ADMIN_TOKEN_VARIABLE, token) {
        return Ok(Principal {
            token_id: 0,
            role: Role::Admin,
            scope: Scope::Everything,
        });
    }
    relance_store::tokens::authenticate(db, token)
        .map_err(ApiError::from)?
        .ok_or_else(|| {
            ApiError::unauthorized(
                "the bearer token is unknown or revoked; ask an administrator for a new one",
            )
        })
}

/// Refuses a job route unless it carries the `job_token`.
pub fn require_job_token(request: &Request) -> Result<(), ApiError> {
    let token = bearer_token(header(request, "authorization"))?;
    if variable_matches(JOB_TOKEN_VARIABLE, token) {
        Ok(())
    } else {
        Err(ApiError::unauthorized(
            "job routes take the job token: `Authorization: Bearer <job_token>`",
        ))
    }
}

/// A request header as text.
pub fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.header(name).and_then(|value| value.as_str())
}

/// Compares a presented secret with a variable's value without leaking, by
/// timing, how much of it matched: both sides are hashed first.
fn variable_matches(variable: &str, presented: &str) -> bool {
    match variables::get(variable) {
        Ok(expected) if !expected.is_empty() => {
            Sha256::digest(expected.as_bytes()) == Sha256::digest(presented.as_bytes())
        }
        _ => false,
    }
}
