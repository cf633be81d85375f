//! Delivery of the outbox through the configured email provider: each due
//! email is claimed, sent over HTTPS with time-outs and its idempotency
//! key, retried at once a couple of times on a 5xx or a time-out, and then
//! recorded as sent, retrying later with back-off, or failed.
//!
//! The provider is chosen by Spin variables: `email_provider` (`none`,
//! `postmark`, `sendgrid`, `mailgun`, `brevo`), `email_api_key`,
//! `email_api_base` (empty for the provider's own API host) and
//! `email_mailgun_domain`. With `none`, messages stay in the local outbox.

use std::time::Duration;

use chrono::Utc;
use relance_api::ApiError;
use relance_dunning::compose::CompanySettings;
use relance_dunning::providers::{
    DeliveryOutcome, EmailProvider, OutgoingEmail, ProviderConfig, ProviderRequest, build_request,
    read_response,
};
use relance_dunning::store::outbox::{
    OutboxMessage, claim, count_quick_retry, due_emails, fail_message, record_attempt,
};
use relance_dunning::store::settings::get_settings;
use relance_store::SpinDatabase;
use serde::Serialize;
use spin_sdk::wit::wasi::http0_2_0::{outgoing_handler, types};

/// Attempts made in one delivery before leaving a message to back-off.
const QUICK_ATTEMPTS: u32 = 3;

/// Pause between quick attempts, times the attempt number.
const QUICK_PAUSE: Duration = Duration::from_millis(300);

/// Time-outs of one request to the provider.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(20);

/// Emails one delivery handles at most; the rest waits for the next.
const DELIVERY_LIMIT: usize = 5_000;

/// The variable setting how long a sender holds a message it is sending.
const LEASE_VARIABLE: &str = "dunning_delivery_lease_seconds";

/// The configured provider and how long a claim lasts.
pub struct Sender {
    config: ProviderConfig,
    lease: chrono::Duration,
}

impl Sender {
    /// The provider the Spin variables configure, `None` for the local
    /// outbox. A misconfiguration is ours: a 500 that says what to set.
    pub fn configured() -> Result<Option<Sender>, ApiError> {
        let variable = |name: &str| spin_sdk::variables::get(name).unwrap_or_default();

        let provider = EmailProvider::parse(&variable("email_provider"))
            .map_err(|error| ApiError::internal(&error))?;
        let Some(provider) = provider else {
            return Ok(None);
        };
        let config = ProviderConfig::new(
            provider,
            &variable("email_api_base"),
            &variable("email_api_key"),
            &variable("email_mailgun_domain"),
        )
        .map_err(|error| ApiError::internal(&error))?;

        let lease_text = variable(LEASE_VARIABLE);
        let seconds: i64 = lease_text.trim().parse().unwrap_or(300);
        Ok(Some(Sender {
            config,
            lease: chrono::Duration::seconds(seconds.clamp(1, 3600)),
        }))
    }
}

/// What one delivery did.
#[derive(Debug, Default, Serialize)]
pub struct DeliverySummary {
    /// The provider used.
    pub provider: &'static str,
    /// Emails attempted.
    pub attempted: u64,
    /// Accepted by the provider.
    pub sent: u64,
    /// Left to retry later.
    pub retrying: u64,
    /// Refused for good.
    pub failed: u64,
    /// Taken meanwhile by another sender.
    pub claimed_elsewhere: u64,
}

/// Delivers every email due now.
pub fn deliver_due(db: &SpinDatabase, sender: &Sender) -> Result<DeliverySummary, ApiError> {
    let settings = get_settings(db)?;
    let mut summary = DeliverySummary {
        provider: sender.config.provider.as_str(),
        ..DeliverySummary::default()
    };

    while (summary.attempted as usize) < DELIVERY_LIMIT {
        let due = due_emails(db, Utc::now(), 100)?;
        if due.is_empty() {
            break;
        }
        for message in due {
            deliver_one(db, sender, &settings, &message, &mut summary)?;
        }
    }
    Ok(summary)
}

fn deliver_one(
    db: &SpinDatabase,
    sender: &Sender,
    settings: &CompanySettings,
    message: &OutboxMessage,
    summary: &mut DeliverySummary,
) -> Result<(), ApiError> {
    let provider = sender.config.provider.as_str();
    let now = Utc::now();
    if !claim(db, message.id, provider, now, now + sender.lease)? {
        summary.claimed_elsewhere += 1;
        return Ok(());
    }
    summary.attempted += 1;

    let Some(email) = outgoing_email(settings, message) else {
        fail_message(
            db,
            message.id,
            "no sender address is configured; set sender_email with PUT /api/v1/dunning/settings",
            Utc::now(),
        )?;
        summary.failed += 1;
        return Ok(());
    };
    let request = build_request(&sender.config, &email);

    let mut attempt = 1;
    let outcome = loop {
        let outcome = send(&request, sender.config.provider);
        match &outcome {
            DeliveryOutcome::Retry { reason } if attempt < QUICK_ATTEMPTS => {
                tracing::info!(
                    target: "relance.dunning.deliver",
                    message_id = message.id,
                    attempt,
                    reason = %reason,
                    "provider asked to retry"
                );
                std::thread::sleep(QUICK_PAUSE * attempt);
                let now = Utc::now();
                count_quick_retry(db, message.id, reason, now, now + sender.lease)?;
                attempt += 1;
            }
            _ => break outcome,
        }
    };

    let status = record_attempt(db, message.id, &outcome, Utc::now())?;
    match status.as_str() {
        "sent" => summary.sent += 1,
        "retrying" => summary.retrying += 1,
        _ => summary.failed += 1,
    }
    tracing::info!(
        target: "relance.dunning.deliver",
        message_id = message.id,
        customer_id = message.customer_id,
        status = %status,
        "email delivery recorded"
    );
    Ok(())
}

/// The email for a message, `None` without a sender or recipient address.
fn outgoing_email(settings: &CompanySettings, message: &OutboxMessage) -> Option<OutgoingEmail> {
    let to_email = message.recipient_email.clone()?;
    let from_email = Some(settings.sender_email.clone()).filter(|e| !e.is_empty())?;
    let domain = from_email
        .split_once('@')
        .map(|(_, domain)| domain.to_owned())
        .unwrap_or_default();

    Some(OutgoingEmail {
        from_name: settings.sender_name.clone(),
        from_email,
        reply_to: settings.reply_to.clone(),
        to_name: message.recipient_name.clone(),
        to_email,
        subject: message.subject.clone(),
        text: message.text_body.clone(),
        html: message.html_body.clone(),
        idempotency_key: message.idempotency_key.clone(),
        message_id_domain: domain,
    })
}

/// Sends one request and reads the answer; a time-out or a connection
/// failure is worth retrying, a refused destination is not.
fn send(request: &ProviderRequest, provider: EmailProvider) -> DeliveryOutcome {
    match exchange(request) {
        Ok((status, headers, body)) => read_response(provider, status, &headers, &body),
        Err(Failure::Transient(reason)) => DeliveryOutcome::Retry { reason },
        Err(Failure::Permanent(reason)) => DeliveryOutcome::Failed { reason },
    }
}

enum Failure {
    Transient(String),
    Permanent(String),
}

type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// One HTTP exchange through `wasi:http/outgoing-handler`, called directly
/// because the SDK's `send` cannot set time-outs.
fn exchange(request: &ProviderRequest) -> Result<Answer, Failure> {
    let (scheme, authority, path) = split_url(&request.url)
        .ok_or_else(|| Failure::Permanent(format!("{:?} is not an http(s) URL", request.url)))?;

    let headers: Vec<(String, Vec<u8>)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), value.as_bytes().to_vec()))
        .chain([(
            "content-length".to_owned(),
            request.body.len().to_string().into_bytes(),
        )])
        .collect();
    let fields = types::Fields::from_list(&headers)
        .map_err(|error| Failure::Permanent(format!("invalid request header: {error:?}")))?;

    let outgoing = types::OutgoingRequest::new(fields);
    let set = outgoing
        .set_method(&types::Method::Post)
        .and_then(|()| outgoing.set_scheme(Some(&scheme)))
        .and_then(|()| outgoing.set_authority(Some(&authority)))
        .and_then(|()| outgoing.set_path_with_query(Some(&path)));
    set.map_err(|()| Failure::Permanent(format!("{:?} cannot be requested", request.url)))?;

    let options = types::RequestOptions::new();
    let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    let _ = options.set_connect_timeout(Some(nanos(CONNECT_TIMEOUT)));
    let _ = options.set_first_byte_timeout(Some(nanos(RESPONSE_TIMEOUT)));
    let _ = options.set_between_bytes_timeout(Some(nanos(RESPONSE_TIMEOUT)));

    let body = outgoing
        .body()
        .map_err(|()| Failure::Permanent("the request body cannot be opened".to_owned()))?;
    let pending = outgoing_handler::handle(outgoing, Some(options)).map_err(classify)?;
    write_body(&body, &request.body)?;
    types::OutgoingBody::finish(body, None).map_err(classify)?;

    pending.subscribe().block();
    let response = match pending.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(classify(code)),
        Some(Err(())) | None => {
            return Err(Failure::Transient(
                "the provider's answer was lost".to_owned(),
            ));
        }
    };
    read_answer(response)
}

fn write_body(body: &types::OutgoingBody, bytes: &[u8]) -> Result<(), Failure> {
    let stream = body
        .write()
        .map_err(|()| Failure::Permanent("the request body cannot be written".to_owned()))?;
    for chunk in bytes.chunks(4096) {
        stream.blocking_write_and_flush(chunk).map_err(|error| {
            Failure::Transient(format!("sending the request failed: {error:?}"))
        })?;
    }
    Ok(())
}

fn read_answer(response: types::IncomingResponse) -> Result<Answer, Failure> {
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
        .collect();

    let incoming = response
        .consume()
        .map_err(|()| Failure::Transient("the answer's body cannot be read".to_owned()))?;
    let stream = incoming
        .stream()
        .map_err(|()| Failure::Transient("the answer's body cannot be read".to_owned()))?;
    let mut body = Vec::new();
    while let Ok(chunk) = stream.blocking_read(64 * 1024) {
        body.extend_from_slice(&chunk);
    }
    drop(stream);
    drop(types::IncomingBody::finish(incoming));
    Ok((status, headers, body))
}

/// Time-outs and connection trouble pass; a refused destination does not.
fn classify(code: types::ErrorCode) -> Failure {
    match code {
        types::ErrorCode::HttpRequestDenied => Failure::Permanent(
            "the provider's host is not in allowed_outbound_hosts; set email_api_host".to_owned(),
        ),
        types::ErrorCode::HttpRequestUriInvalid => {
            Failure::Permanent("the provider's URL is invalid; check email_api_base".to_owned())
        }
        other => Failure::Transient(format!("the provider could not be reached: {other:?}")),
    }
}

/// `https://host:port/path` into its scheme, authority and path.
fn split_url(url: &str) -> Option<(types::Scheme, String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = match scheme {
        "https" => types::Scheme::Https,
        "http" => types::Scheme::Http,
        _ => return None,
    };
    let (authority, path) = match rest.find('/') {
        Some(index) => (&rest[..index], &rest[index..]),
        None => (rest, "/"),
    };
    Some((scheme, authority.to_owned(), path.to_owned()))
}
