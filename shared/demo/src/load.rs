//! Loading the demo ledger into a running app through its public API, month
//! by month as a company would live it: customers and credit notes as signed
//! webhook events, invoices in bulk, the month's bank statement as a camt.053
//! upload (which chains the reconciliation); then the daily jobs the app
//! serves, and one fresh token per role.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use relance_generator::{
    BulkChunks, Customer, LedgerHistory, LedgerMonth, month_events, write_camt053,
};
use serde_json::{Value, json};

use crate::api::{Api, AppAccess};
use crate::book::{DEMO_SOURCE, DemoBook};
use crate::ready::{DemoReady, DemoToken, LoadTally};

/// Invoices per bulk request.
const BULK_CHUNK: usize = 1_000;

/// The job routes run after loading, in this order, when the app serves
/// them; each is idempotent, so a restart runs them again harmlessly.
const DAILY_JOBS: [(&str, &str); 4] = [
    ("/jobs/reconcile", "reconciliation"),
    ("/jobs/scoring/train", "scoring model training"),
    ("/jobs/scoring/refresh", "scoring of the customers"),
    ("/jobs/dunning/run", "dunning run"),
];

/// The KPI summary the demo prints, when the app serves it.
const KPI_SUMMARY: &str = "/api/v1/kpi/summary";

/// Where the team keeps exchange rates, when the app reports in one currency.
const FX_RATES: &str = "/api/v1/fx-rates";

/// The demo's exchange rates into euros, in force over its whole history:
/// round figures near the 2024–2026 averages, enough for the KPIs to add up
/// foreign invoices; a real team enters its own.
const DEMO_RATES_TO_EUR: [(&str, &str); 3] = [("GBP", "1.17"), ("USD", "0.92"), ("CHF", "1.05")];

/// The dashboard page's addresses, in order of preference.
const DASHBOARD_PAGES: [&str; 2] = ["/", "/dashboard"];

/// Every path the demo calls only when the app serves it.
pub const OPTIONAL_PATHS: [&str; 8] = [
    FX_RATES,
    DAILY_JOBS[0].0,
    DAILY_JOBS[1].0,
    DAILY_JOBS[2].0,
    DAILY_JOBS[3].0,
    KPI_SUMMARY,
    DASHBOARD_PAGES[0],
    DASHBOARD_PAGES[1],
];

/// Tokens issued by the demo are named with this prefix, so the next start
/// revokes them before issuing new ones.
const TOKEN_PREFIX: &str = "demo ";

/// The running app the demo loads into.
#[derive(Debug, Clone)]
pub struct DemoApp {
    /// Its address and secrets.
    pub access: AppAccess,
    /// Its state directory, where the demo remembers its ledger.
    pub state_dir: PathBuf,
    /// Which component serves each of [`OPTIONAL_PATHS`] the app serves.
    pub routes: BTreeMap<String, String>,
}

/// Loads what the state directory does not hold yet, runs the daily jobs,
/// issues the demo tokens, and says where to look. `progress` receives one
/// line per step.
pub async fn load(
    app: &DemoApp,
    today: NaiveDate,
    progress: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<DemoReady> {
    let api = Api::new(app.access.clone())?;
    let mut book = DemoBook::open(&app.state_dir, today)?;
    let mut history = LedgerHistory::new(book.generator_config())?;
    progress(&announcement(&book));

    let mut tally = LoadTally::default();
    while let Some(month) = history.next_month()? {
        if month.index < book.months_loaded {
            continue;
        }
        let company = history.config().company_name.clone();
        let loaded = load_month(&api, &month, history.customers(), &company).await?;
        progress(&loaded.month_line(&month.first_day, month.index + 1, book.months));

        tally.add(&loaded);
        book.months_loaded = month.index + 1;
        book.save(&app.state_dir)?;
    }

    if app.routes.contains_key(FX_RATES) {
        let rates = exchange_rates(history.customers(), book.first_month);
        if !rates.is_empty() {
            api.put_json(FX_RATES, &json!({ "rates": rates })).await?;
            progress(&format!(
                "demo: {} exchange rates into EUR set",
                rates.len()
            ));
        }
    }

    for (route, label) in DAILY_JOBS {
        if app.routes.contains_key(route) {
            let answer = api.run_job(route).await?;
            progress(&format!("demo: {label} ran: {}", counts_of(&answer)));
        }
    }

    let tokens = issue_tokens(&api, history.customers()).await?;
    let figures = kpi_figures(&api, &app.routes).await?;
    Ok(DemoReady {
        dashboard: dashboard_url(&api, &app.routes),
        loaded: tally,
        figures,
        tokens,
    })
}

fn announcement(book: &DemoBook) -> String {
    let last_month = book
        .first_month
        .checked_add_months(chrono::Months::new(book.months.saturating_sub(1)))
        .unwrap_or(book.first_month);
    let period = format!(
        "{} to {}",
        book.first_month.format("%Y-%m"),
        last_month.format("%Y-%m")
    );
    if book.is_loaded() {
        format!("demo: the demo ledger ({period}) is already loaded; nothing to send")
    } else {
        format!(
            "demo: loading {} invoices of {} customers, {period} (month {} of {} next)",
            book.invoices,
            book.customers,
            book.months_loaded + 1,
            book.months
        )
    }
}

/// Sends one month: its customer events, invoices, credit notes, statement.
async fn load_month(
    api: &Api,
    month: &LedgerMonth,
    customers: &[Customer],
    company: &str,
) -> anyhow::Result<LoadTally> {
    let mut loaded = LoadTally::default();
    let events = month_events(month, customers, DEMO_SOURCE)?;

    for event in events.iter().filter(|event| is_of_type(event, "customer.")) {
        api.send_event(event).await?;
        loaded.customers += 1;
    }

    let mut chunks = BulkChunks::new(BULK_CHUNK);
    let mut bodies = Vec::new();
    for invoice in &month.invoices {
        bodies.extend(chunks.push(invoice, customers)?);
    }
    bodies.extend(chunks.finish());
    for mut body in bodies {
        body["source"] = DEMO_SOURCE.into();
        loaded.invoices += api.send_invoices(&body).await?;
    }

    for event in events
        .iter()
        .filter(|event| is_of_type(event, "credit_note."))
    {
        api.send_event(event).await?;
        loaded.credit_notes += 1;
    }

    if !month.payments.is_empty() {
        let mut statement = Vec::new();
        write_camt053(month, company, &mut statement)?;
        let answer = api.upload_statement(statement).await?;
        loaded.add_statement(&answer);
    }
    Ok(loaded)
}

/// The demo's rate into euros of every other currency its customers are
/// invoiced in, valid from the first month.
fn exchange_rates(customers: &[Customer], first_month: NaiveDate) -> Vec<Value> {
    DEMO_RATES_TO_EUR
        .into_iter()
        .filter(|(code, _)| customers.iter().any(|c| c.currency.code() == *code))
        .map(|(code, rate)| {
            json!({
                "currency": code,
                "reporting_currency": "EUR",
                "valid_from": first_month,
                "rate": rate,
            })
        })
        .collect()
}

fn is_of_type(event: &Value, prefix: &str) -> bool {
    event["type"]
        .as_str()
        .is_some_and(|kind| kind.starts_with(prefix))
}

/// The numbers of a job's answer, as `name value` pairs.
fn counts_of(answer: &Value) -> String {
    let counts: Vec<String> = answer
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, value)| value.is_number())
        .map(|(name, value)| format!("{} {value}", name.replace('_', " ")))
        .collect();
    if counts.is_empty() {
        "done".to_owned()
    } else {
        counts.join(", ")
    }
}

/// Revokes the tokens an earlier demo start issued, then issues one per
/// role; the sales and collector tokens see the portfolio of the first
/// customer's salesperson and collector.
async fn issue_tokens(api: &Api, customers: &[Customer]) -> anyhow::Result<Vec<DemoToken>> {
    let listed = api.get("/api/v1/tokens").await?;
    let earlier = listed["tokens"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|token| {
            token["revoked_at"].is_null()
                && token["name"]
                    .as_str()
                    .is_some_and(|name| name.starts_with(TOKEN_PREFIX))
        });
    for token in earlier {
        if let Some(id) = token["id"].as_i64() {
            api.revoke_token(id).await?;
        }
    }

    let first = customers.first();
    let people = [
        ("admin", None),
        ("manager", None),
        ("collector", first.map(|customer| customer.collector)),
        ("sales", first.map(|customer| customer.owner)),
        ("viewer", None),
    ];
    let mut tokens = Vec::new();
    for (role, person) in people {
        let created = api
            .create_token(&json!({
                "name": format!("{TOKEN_PREFIX}{role}"),
                "role": role,
                "person": person,
            }))
            .await?;
        tokens.push(DemoToken {
            role: role.to_owned(),
            person: person.map(str::to_owned),
            token: created["token"].as_str().unwrap_or_default().to_owned(),
        });
    }
    Ok(tokens)
}

/// The KPI summary's figures, when the app serves it.
async fn kpi_figures(
    api: &Api,
    routes: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<(String, String)>> {
    if !routes.contains_key(KPI_SUMMARY) {
        return Ok(Vec::new());
    }
    let summary = api.get(KPI_SUMMARY).await?;
    let mut figures = Vec::new();
    scalar_figures(&summary, "", &mut figures);
    Ok(figures)
}

/// Every number and string of a JSON document, named by its path.
fn scalar_figures(value: &Value, path: &str, figures: &mut Vec<(String, String)>) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields {
                let nested = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                scalar_figures(field, &nested, figures);
            }
        }
        Value::Number(number) => figures.push((path.to_owned(), number.to_string())),
        Value::String(text) => figures.push((path.to_owned(), text.clone())),
        _ => {}
    }
}

/// The dashboard page when the app has a `dashboard` component, else the
/// KPI API, else the invoice listing.
fn dashboard_url(api: &Api, routes: &BTreeMap<String, String>) -> String {
    let page = DASHBOARD_PAGES.into_iter().find(|page| {
        routes
            .get(*page)
            .is_some_and(|component| component == "dashboard")
    });
    let path = page.unwrap_or(if routes.contains_key(KPI_SUMMARY) {
        KPI_SUMMARY
    } else {
        "/api/v1/invoices"
    });
    api.url(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_answer_reads_as_its_counts() {
        let cases = [
            (
                json!({"considered": 12, "auto_applied": 9, "allocated": {"EUR": "10.00"}}),
                "auto applied 9, considered 12",
            ),
            (json!({"status": "ok"}), "done"),
            (Value::Null, "done"),
        ];
        for (answer, expected) in cases {
            assert_eq!(counts_of(&answer), expected, "{answer}");
        }
    }

    #[test]
    fn a_kpi_summary_lists_every_figure_by_its_path() {
        let summary = json!({
            "as_of": "2026-03-01",
            "outstanding": {"total": "1200.00", "overdue": "300.00"},
            "dso": 41.5,
            "currencies": ["EUR"],
        });
        let mut figures = Vec::new();
        scalar_figures(&summary, "", &mut figures);

        let named: Vec<(&str, &str)> = figures
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("as_of", "2026-03-01"),
                ("dso", "41.5"),
                ("outstanding.overdue", "300.00"),
                ("outstanding.total", "1200.00"),
            ]
        );
    }

    #[test]
    fn the_dashboard_is_the_dashboard_page_when_there_is_one() {
        let api = Api::new(AppAccess {
            base_url: "http://127.0.0.1:3000".to_owned(),
            admin_token: String::new(),
            job_token: String::new(),
            webhook_secret: String::new(),
        })
        .expect("a client");
        let routes = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(route, component)| (route.to_string(), component.to_string()))
                .collect()
        };

        let cases = [
            (
                routes(&[("/dashboard", "dashboard"), ("/api/v1/kpi/summary", "kpi")]),
                "http://127.0.0.1:3000/dashboard",
            ),
            (
                routes(&[("/", "dashboard"), ("/dashboard", "dashboard")]),
                "http://127.0.0.1:3000/",
            ),
            (
                routes(&[("/", "access"), ("/api/v1/kpi/summary", "kpi")]),
                "http://127.0.0.1:3000/api/v1/kpi/summary",
            ),
            (
                routes(&[("/api/v1/kpi/summary", "kpi")]),
                "http://127.0.0.1:3000/api/v1/kpi/summary",
            ),
            (routes(&[]), "http://127.0.0.1:3000/api/v1/invoices"),
        ];
        for (served, expected) in cases {
            assert_eq!(dashboard_url(&api, &served), expected, "{served:?}");
        }
    }
}
