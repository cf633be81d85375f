//! The public API of a running Relance, as the demo loader calls it: signed
//! webhooks, bulk invoices, statement uploads, job routes and tokens.

use anyhow::{Context, bail};
use chrono::Utc;
use reqwest::{Client, Method, RequestBuilder};
use serde_json::Value;

/// Where the app listens and the secrets it was started with.
#[derive(Debug, Clone)]
pub struct AppAccess {
    /// `http://host:port` of the app.
    pub base_url: String,
    /// The bootstrap administrator token (`admin_token`).
    pub admin_token: String,
    /// The token of job routes (`job_token`).
    pub job_token: String,
    /// The secret canonical webhooks are signed with (`invoices_webhook_secret`).
    pub webhook_secret: String,
}

/// An HTTP client of one app.
pub struct Api {
    access: AppAccess,
    http: Client,
}

impl Api {
    pub fn new(access: AppAccess) -> anyhow::Result<Api> {
        let http = Client::builder()
            .timeout(std::time::Duration::from_secs(600))
            .build()
            .context("cannot build the HTTP client of the demo loader")?;
        Ok(Api { access, http })
    }

    /// The absolute URL of `path` on the app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.access.base_url)
    }

    /// `POST /webhooks/invoices` with a canonical event, signed as an
    /// invoicing platform signs it; returns the event's `result`.
    pub async fn send_event(&self, event: &Value) -> anyhow::Result<String> {
        let body = serde_json::to_vec(event)?;
        let secret = self
            .access
            .webhook_secret
            .split(',')
            .next()
            .unwrap_or_default();
        let signature =
            relance_ledger::signature::sign(secret.as_bytes(), Utc::now().timestamp(), &body);
        let request = self
            .request(Method::POST, "/webhooks/invoices")
            .header("x-relance-signature", signature)
            .header("content-type", "application/json")
            .body(body);

        let answer = send(request, "POST /webhooks/invoices").await?;
        Ok(answer["result"].as_str().unwrap_or("unknown").to_owned())
    }

    /// `POST /api/v1/invoices` with a bulk body; returns how many were applied.
    pub async fn send_invoices(&self, body: &Value) -> anyhow::Result<u64> {
        let request = self.admin(Method::POST, "/api/v1/invoices").json(body);
        let answer = send(request, "POST /api/v1/invoices").await?;

        let failed = answer["failed"].as_u64().unwrap_or(0);
        if failed > 0 {
            bail!("the app refused {failed} demo invoices: {answer}");
        }
        Ok(answer["applied"].as_u64().unwrap_or(0))
    }

    /// `POST /api/v1/bank/statements` with a statement file; the answer
    /// carries the reconciliation run the upload chained.
    pub async fn upload_statement(&self, file: Vec<u8>) -> anyhow::Result<Value> {
        let request = self
            .admin(Method::POST, "/api/v1/bank/statements")
            .header("content-type", "application/xml")
            .body(file);
        send(request, "POST /api/v1/bank/statements").await
    }

    /// `POST` on a job route with the job token.
    pub async fn run_job(&self, route: &str) -> anyhow::Result<Value> {
        let request = self
            .request(Method::POST, route)
            .bearer_auth(&self.access.job_token);
        send(request, &format!("POST {route}")).await
    }

    /// `GET` with the administrator token.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        send(self.admin(Method::GET, path), &format!("GET {path}")).await
    }

    /// `PUT` a JSON body with the administrator token.
    pub async fn put_json(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let request = self.admin(Method::PUT, path).json(body);
        send(request, &format!("PUT {path}")).await
    }

    /// `POST /api/v1/tokens`: a new token; returns its record with the secret.
    pub async fn create_token(&self, new_token: &Value) -> anyhow::Result<Value> {
        let request = self.admin(Method::POST, "/api/v1/tokens").json(new_token);
        send(request, "POST /api/v1/tokens").await
    }

    /// `DELETE /api/v1/tokens/{id}`.
    pub async fn revoke_token(&self, id: i64) -> anyhow::Result<()> {
        let path = format!("/api/v1/tokens/{id}");
        send(self.admin(Method::DELETE, &path), &format!("DELETE {path}")).await?;
        Ok(())
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.request(method, path)
            .bearer_auth(&self.access.admin_token)
    }
}

/// Sends a request and reads its JSON answer; any status but 2xx is an
/// error quoting what the app said.
async fn send(request: RequestBuilder, what: &str) -> anyhow::Result<Value> {
    let response = request
        .send()
        .await
        .with_context(|| format!("{what}: the app did not answer"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .with_context(|| format!("{what}: the answer was cut short"))?;

    if !status.is_success() {
        bail!("{what} answered {status}: {text}");
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).with_context(|| format!("{what} answered no JSON: {text}"))
}
