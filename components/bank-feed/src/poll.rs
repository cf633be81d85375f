//! `POST /jobs/bank-feed/poll`: reads every connection's bank API. Each page
//! is kept raw in the inbox, its transactions stored, and only then is the
//! connection's cursor moved past it: a poll that stops half-way reads that
//! page again next time, and de-duplication makes that harmless.
//!
//! The job answers 200 with one result per connection; failures (expired
//! consent, bank errors) are recorded on the connection and listed in the
//! answer. When every connection failed it answers 502, so a scheduler that
//! only looks at the status still notices.

use chrono::{DateTime, NaiveDate, Utc};
use relance_api::ApiError;
use relance_bank_feed::providers::{read_plaid_page, read_transaction_page};
use relance_bank_feed::settings::{ConnectionSettings, poll_window};
use relance_bank_statements::AccountRef;
use relance_store::bank::{
    Connection, ConnectionStatus, Provider, SourcedTransaction, TransactionSource, advance_cursor,
    pollable_connections, record_poll_failure, record_poll_success, remove_transactions,
    store_transactions,
};
use relance_store::{ApplyOutcome, SpinDatabase, StoreError, inbox};
use relance_web::{json_response, open_database, require_job_token};
use serde::Serialize;
use serde_json::{Value, json};
use spin_sdk::http::{Method, Request, Response};

/// Pages read per connection and poll at most; the cursor keeps the rest
/// for the next poll.
const MAX_PAGES: u32 = 100;

/// Transactions asked for per Plaid page (Plaid accepts 1 to 500).
const PLAID_PAGE_SIZE: u32 = 500;

/// Polls every connection that is not disabled.
pub fn poll(request: &Request) -> Result<Response, ApiError> {
    require_job_token(request)?;
    let db = open_database()?;

    let results: Vec<PollResult> = pollable_connections(&db)?
        .iter()
        .map(|connection| poll_connection(&db, connection))
        .collect();

    let all_failed = !results.is_empty() && results.iter().all(|r| r.error.is_some());
    let reconciliation = results
        .iter()
        .any(|r| r.inserted + r.booked > 0)
        .then(crate::reconcile::reconcile_new_transactions);
    json_response(
        if all_failed { 502 } else { 200 },
        &json!({ "connections": results, "reconciliation": reconciliation }),
    )
}

/// What one connection's poll did.
#[derive(Debug, Serialize)]
struct PollResult {
    id: i64,
    provider: Provider,
    status: ConnectionStatus,
    pages: u32,
    inserted: u32,
    duplicates: u32,
    booked: u32,
    removed: u32,
    error: Option<String>,
}

/// Why a poll stopped, and what that says about the connection.
struct PollFailure {
    status: ConnectionStatus,
    message: String,
}

impl PollFailure {
    fn failing(message: String) -> PollFailure {
        PollFailure {
            status: ConnectionStatus::Failing,
            message,
        }
    }
}

impl From<StoreError> for PollFailure {
    fn from(error: StoreError) -> PollFailure {
        tracing::error!(target: "relance.bank_feed.poll", cause = %error, "storing a page failed");
        PollFailure::failing(format!("storing the page failed: {error}"))
    }
}

fn poll_connection(db: &SpinDatabase, connection: &Connection) -> PollResult {
    let mut result = PollResult {
        id: connection.id,
        provider: connection.provider,
        status: ConnectionStatus::Active,
        pages: 0,
        inserted: 0,
        duplicates: 0,
        booked: 0,
        removed: 0,
        error: None,
    };

    let outcome = ConnectionSettings::parse(connection.provider, &connection.config)
        .map_err(|error| PollFailure::failing(error.message))
        .and_then(|settings| {
            let poller = Poller {
                db,
                connection,
                settings: &settings,
                account: settings.account(),
                now: Utc::now(),
            };
            match connection.provider {
                Provider::Gocardless => poller.gocardless(&mut result),
                Provider::BerlinGroup => poller.berlin_group(&mut result),
                Provider::Plaid => poller.plaid(&mut result),
            }
        });

    let now = Utc::now();
    let recorded = match outcome {
        Ok(()) => record_poll_success(db, connection.id, now),
        Err(failure) => {
            tracing::warn!(
                target: "relance.bank_feed.poll",
                connection = connection.id,
                status = failure.status.as_str(),
                error = %failure.message,
                "bank poll failed"
            );
            result.status = failure.status;
            result.error = Some(failure.message.clone());
            record_poll_failure(db, connection.id, failure.status, &failure.message, now)
        }
    };
    if let Err(error) = recorded {
        result.status = ConnectionStatus::Failing;
        result.error = Some(format!("recording the poll failed: {error}"));
    }
    result
}

/// One connection's poll in progress.
struct Poller<'a> {
    db: &'a SpinDatabase,
    connection: &'a Connection,
    settings: &'a ConnectionSettings,
    account: AccountRef,
    now: DateTime<Utc>,
}

impl Poller<'_> {
    /// GoCardless: the whole date window in one answer, booked and pending.
    fn gocardless(&self, result: &mut PollResult) -> Result<(), PollFailure> {
        let (from, to) = poll_window(self.window_end(), self.now.date_naive());
        let url = format!(
            "{}/api/v2/accounts/{}/transactions/?date_from={from}&date_to={to}",
            self.settings.base_url,
            self.settings.account_id.as_deref().unwrap_or_default()
        );

        let body = self.call(self.get(&url)?)?;
        self.receive(
            TransactionSource::Gocardless,
            &body,
            |body| {
                read_transaction_page("gocardless", body, &self.account)
                    .map(|page| (page.transactions, Vec::new()))
                    .map_err(|error| error.to_string())
            },
            result,
        )?;
        self.advance(&json!({ "until": to }))
    }

    /// Berlin Group: booked and pending, page after page through `_links.next`.
    fn berlin_group(&self, result: &mut PollResult) -> Result<(), PollFailure> {
        let (from, to) = poll_window(self.window_end(), self.now.date_naive());
        let mut url = match self.cursor_text("next") {
            Some(next) => self.settings.resolve(&next),
            None => format!(
                "{}/v1/accounts/{}/transactions?bookingStatus=both&dateFrom={from}&dateTo={to}",
                self.settings.base_url,
                self.settings.account_id.as_deref().unwrap_or_default()
            ),
        };

        for _ in 0..MAX_PAGES {
            let mut request = self.get(&url)?;
            request.set_header(
                "consent-id",
                self.settings.consent_id.as_deref().unwrap_or_default(),
            );
            request.set_header(
                "x-request-id",
                format!(
                    "relance-{}-{}",
                    self.connection.id,
                    self.now.timestamp_micros()
                ),
            );
            let body = self.call(request)?;

            let next = self.receive(
                TransactionSource::BerlinGroup,
                &body,
                |body| {
                    read_transaction_page("berlin_group", body, &self.account)
                        .map(|page| (page.transactions, page.next.into_iter().collect()))
                        .map_err(|error| error.to_string())
                },
                result,
            )?;
            match next.into_iter().next() {
                Some(href) => {
                    self.advance(&json!({ "next": href, "until": to }))?;
                    url = self.settings.resolve(&href);
                }
                None => return self.advance(&json!({ "until": to })),
            }
        }
        Ok(())
    }

    /// Plaid: `/transactions/sync` from the stored cursor while `has_more`.
    fn plaid(&self, result: &mut PollResult) -> Result<(), PollFailure> {
        let url = format!("{}/transactions/sync", self.settings.base_url);
        let mut cursor = self.cursor_text("cursor");

        for _ in 0..MAX_PAGES {
            let mut body = json!({
                "client_id": self.secret(self.settings.client_id_variable.as_deref())?,
                "secret": self.secret(self.settings.secret_variable.as_deref())?,
                "access_token": self.secret(self.settings.access_token_variable.as_deref())?,
                "count": PLAID_PAGE_SIZE,
            });
            if let Some(cursor) = &cursor {
                body["cursor"] = Value::String(cursor.clone());
            }
            let request = Request::builder()
                .method(Method::Post)
                .uri(&url)
                .header("content-type", "application/json")
                .body(body.to_string())
                .build();
            let answer = self.call(request)?;

            let account_id = self.settings.account_id.as_deref();
            let mut more = false;
            let mut next_cursor = String::new();
            self.receive(
                TransactionSource::Plaid,
                &answer,
                |body| {
                    let page = read_plaid_page(body, &self.account, account_id)
                        .map_err(|error| error.to_string())?;
                    more = page.has_more;
                    next_cursor = page.next_cursor;
                    Ok((page.transactions, page.removed))
                },
                result,
            )?;
            self.advance(&json!({ "cursor": next_cursor }))?;
            if !more {
                return Ok(());
            }
            cursor = Some(next_cursor);
        }
        Ok(())
    }

    /// Keeps a page raw, reads it with `read` (transactions, and the ids
    /// to remove or links to follow), stores the transactions and marks the
    /// page applied. Returns the second list `read` gave.
    fn receive(
        &self,
        source: TransactionSource,
        body: &[u8],
        read: impl FnOnce(&[u8]) -> Result<(Vec<SourcedTransaction>, Vec<String>), String>,
        result: &mut PollResult,
    ) -> Result<Vec<String>, PollFailure> {
        let entry = inbox::receive(
            self.db,
            source.as_str(),
            "transactions_page",
            body,
            self.now,
        )?;

        let (transactions, extra) = match read(body) {
            Ok(read) => read,
            Err(message) => {
                inbox::mark_failed(self.db, entry.id, &message, self.now)?;
                return Err(PollFailure::failing(message));
            }
        };
        let stored = store_transactions(self.db, &self.account, source, &transactions, self.now)?;
        if source == TransactionSource::Plaid {
            result.removed += remove_transactions(self.db, source, &extra)?;
        }

        let outcome = if stored.inserted + stored.booked > 0 {
            ApplyOutcome::Applied
        } else {
            ApplyOutcome::Duplicate
        };
        inbox::mark_applied(self.db, entry.id, outcome, self.now)?;
        result.pages += 1;
        result.inserted += stored.inserted;
        result.duplicates += stored.duplicates;
        result.booked += stored.booked;
        Ok(extra)
    }

    fn advance(&self, cursor: &Value) -> Result<(), PollFailure> {
        advance_cursor(self.db, self.connection.id, &cursor.to_string(), Utc::now())?;
        Ok(())
    }

    fn cursor_text(&self, key: &str) -> Option<String> {
        let cursor: Value = serde_json::from_str(self.connection.cursor.as_deref()?).ok()?;
        cursor.get(key)?.as_str().map(str::to_owned)
    }

    /// The last day the previous window covered.
    fn window_end(&self) -> Option<NaiveDate> {
        self.cursor_text("until")?.parse().ok()
    }

    fn get(&self, url: &str) -> Result<Request, PollFailure> {
        let token = self.secret(self.settings.access_token_variable.as_deref())?;
        Ok(Request::builder()
            .method(Method::Get)
            .uri(url)
            .header("accept", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .build())
    }

    /// A secret from the Spin variable the connection names.
    fn secret(&self, variable: Option<&str>) -> Result<String, PollFailure> {
        let name = variable.unwrap_or_default();
        match spin_sdk::variables::get(name) {
            Ok(value) if !value.is_empty() => Ok(value),
            _ => Err(PollFailure::failing(format!(
                "the Spin variable `{name}` the connection names is not set: give it a value \
                 (SPIN_VARIABLE_{})",
                name.to_ascii_uppercase()
            ))),
        }
    }

    /// Sends a request; a non-2xx answer becomes the failure it means.
    fn call(&self, request: Request) -> Result<Vec<u8>, PollFailure> {
        let uri = request.uri().to_owned();
        let response: Response =
            spin_sdk::http::run(spin_sdk::http::send(request)).map_err(|error| {
                PollFailure::failing(format!("the bank at {uri} could not be reached: {error}"))
            })?;

        let status = *response.status();
        let body = response.into_body();
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(classify(status, &body))
        }
    }
}

/// Error codes banks and aggregators send when the account holder's
/// consent has ended.
const CONSENT_CODES: [&str; 4] = [
    "CONSENT_EXPIRED",
    "CONSENT_INVALID",
    "ITEM_LOGIN_REQUIRED",
    "AccessExpiredError",
];

fn classify(status: u16, body: &[u8]) -> PollFailure {
    let text = String::from_utf8_lossy(body);
    let excerpt: String = text.chars().take(300).collect();

    if status == 401 || status == 403 || CONSENT_CODES.iter().any(|code| text.contains(code)) {
        PollFailure {
            status: ConnectionStatus::ConsentExpired,
            message: format!(
                "the bank refused access (HTTP {status}): the account holder's consent has \
                 expired or was revoked; renew it at the bank, then the next poll resumes. \
                 The bank said: {excerpt}"
            ),
        }
    } else {
        PollFailure::failing(format!(
            "the bank answered HTTP {status}; the next poll retries from the same point. \
             The bank said: {excerpt}"
        ))
    }
}
