//! Transactional email providers: the HTTPS request that sends one message
//! through Postmark, SendGrid, Mailgun or Brevo, and what their answer
//! means — delivered (with the provider's message id), worth retrying
//! (5xx, 429, time-outs) or failed for good (other 4xx).
//!
//! Every request carries the message's idempotency key twice: as an
//! `Idempotency-Key` HTTP header, and as the email's own `Message-ID`
//! header and provider metadata, so a send repeated after a crash is the
//! same message for the provider and for the receiving mail system.

use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

/// What is wrong with the configured provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The `email_provider` variable names no supported provider.
    #[error(
        "email provider {name:?} is not supported; set the Spin variable email_provider to \
         none, postmark, sendgrid, mailgun or brevo"
    )]
    Unknown {
        /// The value found.
        name: String,
    },

    /// A provider needs its API key.
    #[error("email provider {provider} needs an API key; set the Spin variable email_api_key")]
    MissingApiKey {
        /// The provider.
        provider: &'static str,
    },

    /// Mailgun sends from a domain named in the URL.
    #[error("Mailgun needs the sending domain; set the Spin variable email_mailgun_domain")]
    MissingMailgunDomain,
}

/// Who delivers emails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailProvider {
    /// Postmark (`POST /email`, `X-Postmark-Server-Token`).
    Postmark,
    /// SendGrid v3 (`POST /v3/mail/send`, bearer key, 202 and `X-Message-Id`).
    SendGrid,
    /// Mailgun (`POST /v3/{domain}/messages`, basic auth, form-encoded).
    Mailgun,
    /// Brevo (`POST /v3/smtp/email`, `api-key`, 201 and `messageId`).
    Brevo,
}

impl EmailProvider {
    /// Reads the `email_provider` variable; `none` (or empty) keeps messages
    /// in the local outbox.
    pub fn parse(name: &str) -> Result<Option<EmailProvider>, ProviderError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "" | "none" => Ok(None),
            "postmark" => Ok(Some(EmailProvider::Postmark)),
            "sendgrid" => Ok(Some(EmailProvider::SendGrid)),
            "mailgun" => Ok(Some(EmailProvider::Mailgun)),
            "brevo" => Ok(Some(EmailProvider::Brevo)),
            _ => Err(ProviderError::Unknown {
                name: name.to_owned(),
            }),
        }
    }

    /// The name stored with each message.
    pub fn as_str(self) -> &'static str {
        match self {
            EmailProvider::Postmark => "postmark",
            EmailProvider::SendGrid => "sendgrid",
            EmailProvider::Mailgun => "mailgun",
            EmailProvider::Brevo => "brevo",
        }
    }

    /// Where the provider's API lives.
    pub fn standard_base(self) -> &'static str {
        match self {
            EmailProvider::Postmark => "https://api.postmarkapp.com",
            EmailProvider::SendGrid => "https://api.sendgrid.com",
            EmailProvider::Mailgun => "https://api.mailgun.net",
            EmailProvider::Brevo => "https://api.brevo.com",
        }
    }
}

/// A configured provider: which one, where, and its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// The provider.
    pub provider: EmailProvider,
    /// `scheme://host[:port]` of its API.
    pub base_url: String,
    /// Its API key.
    pub api_key: String,
    /// Mailgun's sending domain.
    pub mailgun_domain: Option<String>,
}

impl ProviderConfig {
    /// Checks the settings read from Spin variables; an empty `base_url`
    /// means the provider's standard API host.
    pub fn new(
        provider: EmailProvider,
        base_url: &str,
        api_key: &str,
        mailgun_domain: &str,
    ) -> Result<ProviderConfig, ProviderError> {
        if api_key.trim().is_empty() {
            return Err(ProviderError::MissingApiKey {
                provider: provider.as_str(),
            });
        }
        let domain = Some(mailgun_domain.trim()).filter(|d| !d.is_empty());
        if provider == EmailProvider::Mailgun && domain.is_none() {
            return Err(ProviderError::MissingMailgunDomain);
        }

        let base = base_url.trim().trim_end_matches('/');
        Ok(ProviderConfig {
            provider,
            base_url: if base.is_empty() {
                provider.standard_base().to_owned()
            } else {
                base.to_owned()
            },
            api_key: api_key.trim().to_owned(),
            mailgun_domain: domain.map(str::to_owned),
        })
    }
}

/// One email to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// Sender's display name.
    pub from_name: String,
    /// Sender's address.
    pub from_email: String,
    /// Where replies go.
    pub reply_to: Option<String>,
    /// Recipient's display name.
    pub to_name: Option<String>,
    /// Recipient's address.
    pub to_email: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
    /// The key identifying this message across retries.
    pub idempotency_key: String,
    /// The domain the `Message-ID` is made in (the sender's).
    pub message_id_domain: String,
}

impl OutgoingEmail {
    /// The email's `Message-ID` header, the same on every attempt.
    pub fn message_id(&self) -> String {
        format!("<{}@{}>", self.idempotency_key, self.message_id_domain)
    }
}

/// An HTTP request, ready for whatever client the caller has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRequest {
    /// Always `POST`.
    pub method: &'static str,
    /// The full URL.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Builds the request that sends `email` through `config`'s provider.
pub fn build_request(config: &ProviderConfig, email: &OutgoingEmail) -> ProviderRequest {
    let base = &config.base_url;
    let mut headers = vec![("idempotency-key".to_owned(), email.idempotency_key.clone())];

    let (url, body) = match config.provider {
        EmailProvider::Postmark => {
            headers.push(("x-postmark-server-token".into(), config.api_key.clone()));
            headers.push(("accept".into(), "application/json".into()));
            headers.push(("content-type".into(), "application/json".into()));
            (format!("{base}/email"), json_bytes(&postmark_body(email)))
        }
        EmailProvider::SendGrid => {
            headers.push(("authorization".into(), format!("Bearer {}", config.api_key)));
            headers.push(("content-type".into(), "application/json".into()));
            (
                format!("{base}/v3/mail/send"),
                json_bytes(&sendgrid_body(email)),
            )
        }
        EmailProvider::Mailgun => {
            let credentials =
                base64::engine::general_purpose::STANDARD.encode(format!("api:{}", config.api_key));
            headers.push(("authorization".into(), format!("Basic {credentials}")));
            headers.push((
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
            let domain = config.mailgun_domain.as_deref().unwrap_or_default();
            (
                format!("{base}/v3/{domain}/messages"),
                mailgun_body(email).into_bytes(),
            )
        }
        EmailProvider::Brevo => {
            headers.push(("api-key".into(), config.api_key.clone()));
            headers.push(("accept".into(), "application/json".into()));
            headers.push(("content-type".into(), "application/json".into()));
            (
                format!("{base}/v3/smtp/email"),
                json_bytes(&brevo_body(email)),
            )
        }
    };

    ProviderRequest {
        method: "POST",
        url,
        headers,
        body,
    }
}

fn json_bytes(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

fn mailbox(name: Option<&str>, email: &str) -> String {
    match name.filter(|n| !n.is_empty()) {
        Some(name) => format!("\"{}\" <{email}>", name.replace('"', "'")),
        None => email.to_owned(),
    }
}

fn postmark_body(email: &OutgoingEmail) -> Value {
    json!({
        "From": mailbox(Some(&email.from_name), &email.from_email),
        "To": mailbox(email.to_name.as_deref(), &email.to_email),
        "ReplyTo": email.reply_to,
        "Subject": email.subject,
        "TextBody": email.text,
        "HtmlBody": email.html,
        "MessageStream": "outbound",
        "Tag": "dunning",
        "Headers": [{"Name": "Message-ID", "Value": email.message_id()}],
        "Metadata": {"idempotency_key": email.idempotency_key},
    })
}

fn sendgrid_body(email: &OutgoingEmail) -> Value {
    let mut to = json!({"email": email.to_email});
    if let Some(name) = &email.to_name {
        to["name"] = json!(name);
    }
    let mut body = json!({
        "personalizations": [{"to": [to]}],
        "from": {"email": email.from_email, "name": email.from_name},
        "subject": email.subject,
        "content": [
            {"type": "text/plain", "value": email.text},
            {"type": "text/html", "value": email.html}
        ],
        "headers": {"Message-ID": email.message_id()},
        "custom_args": {"idempotency_key": email.idempotency_key},
        "categories": ["dunning"],
    });
    if let Some(reply_to) = &email.reply_to {
        body["reply_to"] = json!({"email": reply_to});
    }
    body
}

fn mailgun_body(email: &OutgoingEmail) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("from", &mailbox(Some(&email.from_name), &email.from_email));
    form.append_pair("to", &mailbox(email.to_name.as_deref(), &email.to_email));
    form.append_pair("subject", &email.subject);
    form.append_pair("text", &email.text);
    form.append_pair("html", &email.html);
    form.append_pair("o:tag", "dunning");
    form.append_pair("h:Message-Id", &email.message_id());
    form.append_pair("v:idempotency_key", &email.idempotency_key);
    if let Some(reply_to) = &email.reply_to {
        form.append_pair("h:Reply-To", reply_to);
    }
    form.finish()
}

fn brevo_body(email: &OutgoingEmail) -> Value {
    let mut to = json!({"email": email.to_email});
    if let Some(name) = &email.to_name {
        to["name"] = json!(name);
    }
    let mut body = json!({
        "sender": {"name": email.from_name, "email": email.from_email},
        "to": [to],
        "subject": email.subject,
        "htmlContent": email.html,
        "textContent": email.text,
        "tags": ["dunning"],
        "headers": {
            "Message-ID": email.message_id(),
            "X-Relance-Idempotency-Key": email.idempotency_key,
        },
    });
    if let Some(reply_to) = &email.reply_to {
        body["replyTo"] = json!({"email": reply_to});
    }
    body
}

/// What a provider's answer means for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Accepted; the provider's id for it, when it gives one.
    Delivered {
        /// The provider's message id.
        message_id: Option<String>,
    },
    /// Not accepted this time: try again later.
    Retry {
        /// What happened, for the outbox.
        reason: String,
    },
    /// Refused for good: a person must fix the message or the settings.
    Failed {
        /// What the provider said.
        reason: String,
    },
}

/// Reads a provider's answer: any 2xx is delivered (each provider gives its
/// id in its own place), 5xx and 429 are retried, other statuses fail.
pub fn read_response(
    provider: EmailProvider,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> DeliveryOutcome {
    let text = String::from_utf8_lossy(body);
    let excerpt: String = text.chars().take(300).collect();

    if (200..300).contains(&status) {
        return DeliveryOutcome::Delivered {
            message_id: message_id(provider, headers, body),
        };
    }
    if status >= 500 || status == 429 {
        return DeliveryOutcome::Retry {
            reason: format!("{} answered HTTP {status}: {excerpt}", provider.as_str()),
        };
    }
    DeliveryOutcome::Failed {
        reason: format!(
            "{} refused the message with HTTP {status}: {excerpt}",
            provider.as_str()
        ),
    }
}

fn message_id(
    provider: EmailProvider,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<String> {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let field = |name: &str| json.get(name).and_then(Value::as_str).map(str::to_owned);

    match provider {
        EmailProvider::Postmark => field("MessageID"),
        EmailProvider::SendGrid => headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-message-id"))
            .map(|(_, value)| value.clone()),
        EmailProvider::Mailgun => field("id"),
        EmailProvider::Brevo => field("messageId"),
    }
}

/// Attempts before a message that keeps failing to deliver is given up.
pub const MAX_ATTEMPTS: u32 = 8;

/// How long to wait after the `attempt`-th failed attempt (1-based):
/// 30 s, 1 min, 2 min, … doubling, at most 6 hours.
pub fn backoff(attempt: u32) -> Duration {
    let doubling = attempt.saturating_sub(1).min(16);
    Duration::from_secs((30_u64 << doubling).min(6 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> OutgoingEmail {
        OutgoingEmail {
            from_name: "ACME Compta".into(),
            from_email: "compta@acme.example".into(),
            reply_to: Some("ar@acme.example".into()),
            to_name: Some("Jeanne Martin".into()),
            to_email: "jeanne@client.example".into(),
            subject: "Relance : F-1".into(),
            text: "Bonjour & merci".into(),
            html: "<p>Bonjour &amp; merci</p>".into(),
            idempotency_key: "dun-0123".into(),
            message_id_domain: "acme.example".into(),
        }
    }

    fn config(provider: EmailProvider) -> ProviderConfig {
        ProviderConfig::new(provider, "", "key-1", "mg.acme.example").expect("configured")
    }

    fn header<'a>(request: &'a ProviderRequest, name: &str) -> Option<&'a str> {
        request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn json_body(request: &ProviderRequest) -> Value {
        serde_json::from_slice(&request.body).expect("JSON body")
    }

    #[test]
    fn each_provider_is_called_where_and_how_its_api_says() {
        let table = [
            (
                EmailProvider::Postmark,
                "https://api.postmarkapp.com/email",
                "x-postmark-server-token",
                "key-1",
            ),
            (
                EmailProvider::SendGrid,
                "https://api.sendgrid.com/v3/mail/send",
                "authorization",
                "Bearer key-1",
            ),
            (
                EmailProvider::Mailgun,
                "https://api.mailgun.net/v3/mg.acme.example/messages",
                "authorization",
                "Basic YXBpOmtleS0x",
            ),
            (
                EmailProvider::Brevo,
                "https://api.brevo.com/v3/smtp/email",
                "api-key",
                "key-1",
            ),
        ];

        for (provider, url, auth_header, auth_value) in table {
            let request = build_request(&config(provider), &email());

            assert_eq!(request.url, url);
            assert_eq!(header(&request, auth_header), Some(auth_value), "{url}");
            assert_eq!(
                header(&request, "idempotency-key"),
                Some("dun-0123"),
                "{url}"
            );
        }
    }

    #[test]
    fn postmark_sendgrid_and_brevo_get_their_json_shapes() {
        let postmark = json_body(&build_request(&config(EmailProvider::Postmark), &email()));
        assert_eq!(postmark["From"], "\"ACME Compta\" <compta@acme.example>");
        assert_eq!(postmark["To"], "\"Jeanne Martin\" <jeanne@client.example>");
        assert_eq!(postmark["TextBody"], "Bonjour & merci");
        assert_eq!(postmark["Headers"][0]["Value"], "<dun-0123@acme.example>");

        let sendgrid = json_body(&build_request(&config(EmailProvider::SendGrid), &email()));
        assert_eq!(
            sendgrid["personalizations"][0]["to"][0]["email"],
            "jeanne@client.example"
        );
        assert_eq!(sendgrid["content"][0]["type"], "text/plain");
        assert_eq!(sendgrid["content"][1]["type"], "text/html");
        assert_eq!(sendgrid["reply_to"]["email"], "ar@acme.example");

        let brevo = json_body(&build_request(&config(EmailProvider::Brevo), &email()));
        assert_eq!(brevo["sender"]["email"], "compta@acme.example");
        assert_eq!(brevo["to"][0]["name"], "Jeanne Martin");
        assert_eq!(brevo["htmlContent"], "<p>Bonjour &amp; merci</p>");
    }

    #[test]
    fn mailgun_gets_a_form_not_json() {
        let request = build_request(&config(EmailProvider::Mailgun), &email());

        let form: Vec<(String, String)> = form_urlencoded::parse(&request.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            field("to"),
            Some("\"Jeanne Martin\" <jeanne@client.example>")
        );
        assert_eq!(field("text"), Some("Bonjour & merci"));
        assert_eq!(field("h:Message-Id"), Some("<dun-0123@acme.example>"));
        assert_eq!(field("v:idempotency_key"), Some("dun-0123"));
    }

    #[test]
    fn answers_are_delivered_retried_or_failed_and_ids_found_where_each_provider_puts_them() {
        let sendgrid_headers = vec![("X-Message-Id".to_owned(), "sg-1".to_owned())];
        let table = [
            (
                EmailProvider::Postmark,
                200,
                vec![],
                r#"{"ErrorCode":0,"MessageID":"pm-1"}"#,
                DeliveryOutcome::Delivered {
                    message_id: Some("pm-1".into()),
                },
            ),
            (
                EmailProvider::SendGrid,
                202,
                sendgrid_headers,
                "",
                DeliveryOutcome::Delivered {
                    message_id: Some("sg-1".into()),
                },
            ),
            (
                EmailProvider::Mailgun,
                200,
                vec![],
                r#"{"id":"<mg-1@mg>","message":"Queued"}"#,
                DeliveryOutcome::Delivered {
                    message_id: Some("<mg-1@mg>".into()),
                },
            ),
            (
                EmailProvider::Brevo,
                201,
                vec![],
                r#"{"messageId":"<br-1@relay>"}"#,
                DeliveryOutcome::Delivered {
                    message_id: Some("<br-1@relay>".into()),
                },
            ),
        ];
        for (provider, status, headers, body, expected) in table {
            assert_eq!(
                read_response(provider, status, &headers, body.as_bytes()),
                expected
            );
        }

        let retried = [500, 502, 503, 429];
        for status in retried {
            let outcome = read_response(EmailProvider::Postmark, status, &[], b"busy");
            assert!(matches!(outcome, DeliveryOutcome::Retry { .. }), "{status}");
        }
        let failed = read_response(EmailProvider::Postmark, 422, &[], br#"{"ErrorCode":406}"#);
        assert!(matches!(failed, DeliveryOutcome::Failed { reason } if reason.contains("406")));
    }

    #[test]
    fn configuration_mistakes_say_which_variable_to_set() {
        assert_eq!(EmailProvider::parse("none"), Ok(None));
        assert_eq!(
            EmailProvider::parse(" Brevo "),
            Ok(Some(EmailProvider::Brevo))
        );
        assert!(EmailProvider::parse("mailchimp").is_err());

        let no_key = ProviderConfig::new(EmailProvider::Postmark, "", " ", "").expect_err("no key");
        assert!(no_key.to_string().contains("email_api_key"));
        let no_domain =
            ProviderConfig::new(EmailProvider::Mailgun, "", "k", "").expect_err("domain");
        assert!(no_domain.to_string().contains("email_mailgun_domain"));

        let local = ProviderConfig::new(EmailProvider::Brevo, "http://127.0.0.1:9/", "k", "")
            .expect("configured");
        assert_eq!(local.base_url, "http://127.0.0.1:9");
    }

    #[test]
    fn back_off_doubles_from_thirty_seconds_up_to_six_hours() {
        let table = [
            (1, 30),
            (2, 60),
            (3, 120),
            (6, 960),
            (12, 21_600),
            (40, 21_600),
        ];

        for (attempt, seconds) in table {
            assert_eq!(
                backoff(attempt),
                Duration::from_secs(seconds),
                "attempt {attempt}"
            );
        }
    }
}
