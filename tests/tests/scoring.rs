//! The `scoring` component through the host, on a generated ledger whose
//! payments arrive as bank statements: the model is trained and stored by
//! version, scores follow the ledger, a customer's score comes with its
//! reasons, invoices carry their predictions, and an alert appears when a
//! punctual customer starts paying late, seen only within the portfolio.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use relance_generator::{GeneratorConfig, LedgerHistory, PaymentBehaviour, month_events};
use relance_tests::{TestApp, build_components, relance_app, repo_root, test_secret};
use reqwest::Method;
use serde_json::{Value, json};

const SOURCE: &str = "generator";
const ACCOUNT: &str = "FR7630006000011234567890189";

/// The components the scenario needs; the app is served with only these,
/// so it does not depend on the others being built.
const COMPONENTS: [&str; 5] = [
    "access",
    "invoices",
    "bank-feed",
    "reconciliation",
    "scoring",
];

/// A manifest serving only [`COMPONENTS`], written in `dir`, with sources
/// pointing at the repository's build output and no scheduled jobs (the
/// scenario calls the jobs itself, on the days it chooses).
fn manifest(dir: &std::path::Path) -> PathBuf {
    let text = std::fs::read_to_string(repo_root().join("spin.toml")).unwrap();
    let mut manifest: toml::Table = toml::from_str(&text).unwrap();
    let kept = |name: &str| COMPONENTS.contains(&name);

    let triggers = manifest["trigger"]["http"].as_array().unwrap().clone();
    let triggers: Vec<toml::Value> = triggers
        .into_iter()
        .filter(|trigger| kept(trigger["component"].as_str().unwrap()))
        .collect();
    manifest["trigger"]["http"] = toml::Value::Array(triggers);

    let components = manifest["component"].as_table().unwrap().clone();
    let mut served = toml::Table::new();
    for (name, mut component) in components.into_iter().filter(|(name, _)| kept(name)) {
        let source = repo_root().join(component["source"].as_str().unwrap());
        component["source"] = toml::Value::String(source.display().to_string());
        served.insert(name, component);
    }
    manifest["component"] = toml::Value::Table(served);

    let tool = manifest["application"]["tool"]["relance"]
        .as_table_mut()
        .unwrap();
    tool.remove("jobs");

    let path = dir.join("spin.toml");
    std::fs::write(&path, toml::to_string(&manifest).unwrap()).unwrap();
    path
}

struct Books {
    app: TestApp,
    _manifest_dir: tempfile::TempDir,
    /// (external id, owner) of a customer who always paid on time.
    punctual: (String, String),
}

impl Books {
    /// A year of invoices (2025) for 24 customers, their payments uploaded
    /// as statements month by month and reconciled.
    fn start() -> Books {
        build_components(&COMPONENTS).unwrap();
        let manifest_dir = tempfile::tempdir().unwrap();
        let mut options = relance_app();
        options.manifest = manifest(manifest_dir.path());
        let app = TestApp::start(options).unwrap();

        let config = GeneratorConfig {
            seed: 11,
            customers: 24,
            invoices: 720,
            start_date: "2025-01-01".parse().unwrap(),
            months: 12,
            foreign_currency_per_mille: 0,
            source: SOURCE.to_owned(),
            ..GeneratorConfig::default()
        };
        let mut history = LedgerHistory::new(config).unwrap();
        let customers = history.customers().to_vec();
        let punctual = customers
            .iter()
            .find(|c| c.behaviour == PaymentBehaviour::Prompt && !c.pays_in_runs)
            .map(|c| (c.external_id.clone(), c.owner.to_owned()))
            .unwrap();

        let books = Books {
            app,
            _manifest_dir: manifest_dir,
            punctual,
        };
        while let Some(month) = history.next_month().unwrap() {
            let mut invoices = Vec::new();
            for event in month_events(&month, &customers, SOURCE).unwrap() {
                match event["type"].as_str().unwrap() {
                    "customer.upserted" => {
                        let mut customer = event["data"].clone();
                        customer["source"] = json!(SOURCE);
                        let (status, body) =
                            books.send(Method::POST, "/api/v1/customers", &admin(), &customer);
                        assert_eq!(status, 201, "{body}");
                    }
                    "invoice.upserted" => invoices.push(event["data"].clone()),
                    _ => {}
                }
            }
            let (status, loaded) = books.send(
                Method::POST,
                "/api/v1/invoices",
                &admin(),
                &json!({"source": SOURCE, "invoices": invoices}),
            );
            assert_eq!(status, 200, "{loaded}");

            let lines: Vec<String> = month
                .payments
                .iter()
                .map(|payment| {
                    let numbers: Vec<&str> = payment
                        .allocations
                        .iter()
                        .map(|a| a.number.as_str())
                        .collect();
                    format!(
                        "{};{};{};{}",
                        payment.booking_date,
                        payment.amount.amount(),
                        payment.payer_name,
                        numbers.join(" ")
                    )
                })
                .collect();
            books.upload(&lines);
        }
        books
    }

    fn send(&self, method: Method, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.app.send_json(method, path, token, body).unwrap()
    }

    fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.app.get_json(path, token).unwrap()
    }

    /// Uploads a CSV statement of `Date;Amount;Payer;Text` lines; the bank
    /// feed has it reconciled at once.
    fn upload(&self, lines: &[String]) {
        let csv = format!("Date;Amount;Payer;Text\n{}\n", lines.join("\n"));
        let (status, report) = self
            .app
            .upload_csv_statement(ACCOUNT, &admin(), csv)
            .unwrap();
        assert_eq!(status, 200, "{report}");
    }

    fn job(&self, route: &str, as_of: &str) -> Value {
        let (status, body) = self.send(
            Method::POST,
            &format!("{route}?as_of={as_of}"),
            &test_secret("job_token"),
            &Value::Null,
        );
        assert_eq!(status, 200, "{route}: {body}");
        body
    }

    /// Relance's id of the customer known at its platform as `external_id`.
    fn customer_id(&self, external_id: &str) -> i64 {
        let (status, page) = self.get("/api/v1/customers?limit=100", &admin());
        assert_eq!(status, 200, "{page}");
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["customer"]["source_ref"]["external_id"] == external_id)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    }

    fn token(&self, role: &str, person: &str) -> String {
        let (status, created) = self.send(
            Method::POST,
            "/api/v1/tokens",
            &admin(),
            &json!({"name": person, "role": role, "person": person}),
        );
        assert_eq!(status, 201, "{created}");
        created["token"].as_str().unwrap().to_owned()
    }

    fn alerts(&self, token: &str, customer_id: i64) -> Vec<Value> {
        let (status, page) = self.get(&format!("/api/v1/alerts?customer_id={customer_id}"), token);
        assert_eq!(status, 200, "{page}");
        page["items"].as_array().unwrap().clone()
    }
}

fn admin() -> String {
    test_secret("admin_token")
}

#[test]
fn a_generated_ledger_is_scored_explained_and_watched() {
    let books = Books::start();
    let (paid_status, paid) = books.get("/api/v1/invoices?status=paid&limit=1000", &admin());
    assert_eq!(paid_status, 200);
    assert!(
        paid["items"].as_array().unwrap().len() > 400,
        "payments were reconciled"
    );

    // Before any model, a refresh says what to do first.
    let (status, refused) = books.send(
        Method::POST,
        "/jobs/scoring/refresh?as_of=2026-01-05",
        &test_secret("job_token"),
        &Value::Null,
    );
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/jobs/scoring/train")
    );

    // Training stores a version with its metrics; the same history again
    // adds no version.
    let trained = books.job("/jobs/scoring/train", "2026-01-05");
    assert_eq!(trained["trained"], true, "{trained}");
    assert_eq!(trained["model"]["version"], 1);
    let auc = trained["model"]["metrics"]["lateness"]["auc"]
        .as_f64()
        .unwrap();
    assert!(auc > 0.7, "{trained}");
    let again = books.job("/jobs/scoring/train", "2026-01-05");
    assert_eq!(
        (
            again["trained"].as_bool(),
            again["model"]["version"].as_i64()
        ),
        (Some(false), Some(1))
    );
    let (_, models) = books.get("/api/v1/scores/models", &admin());
    assert_eq!(models["items"].as_array().unwrap().len(), 1, "{models}");

    // A refresh scores everyone; another with nothing changed scores nobody.
    let refreshed = books.job("/jobs/scoring/refresh", "2026-01-05");
    assert_eq!(refreshed["complete"], true, "{refreshed}");
    assert_eq!(refreshed["customers_scored"], 24, "{refreshed}");
    assert!(
        refreshed["invoices_scored"].as_u64().unwrap() > 0,
        "{refreshed}"
    );
    let idle = books.job("/jobs/scoring/refresh", "2026-01-05");
    assert_eq!(
        (
            idle["customers_scored"].as_u64(),
            idle["complete"].as_bool()
        ),
        (Some(0), Some(false))
    );

    // A customer's score comes with reasons in words and its open invoices.
    let (punctual_ref, owner) = books.punctual.clone();
    let punctual = books.customer_id(&punctual_ref);
    let (status, score) = books.get(&format!("/api/v1/scores/customers/{punctual}"), &admin());
    assert_eq!(status, 200, "{score}");
    let risk = score["risk"].as_f64().unwrap();
    assert!((0.0..0.5).contains(&risk), "a punctual customer: {score}");
    let reasons = score["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 3, "{score}");
    assert!(
        reasons
            .iter()
            .all(|r| r["text"].as_str().unwrap().len() > 10),
        "{score}"
    );
    assert_eq!(score["trend"]["direction"], "steady");

    // Open invoices carry their prediction in the ledger API.
    let (_, open) = books.get("/api/v1/invoices?status=open&limit=1", &admin());
    let invoice = &open["items"][0];
    let probability = invoice["probability_late"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&probability), "{invoice}");
    assert!(
        invoice["expected_payment_date"].as_str().unwrap() >= "2026-01-05",
        "{invoice}"
    );

    // The punctual customer is sent an invoice it leaves unpaid.
    let (status, loaded) = books.send(
        Method::POST,
        "/api/v1/invoices",
        &admin(),
        &json!({"source": SOURCE, "invoices": [{
            "external_id": "inv_late", "number": "F2026-LATE", "customer": punctual_ref,
            "issue_date": "2026-01-02", "due_date": "2026-02-01", "currency": "EUR",
            "total": "1200.00", "tax": "200.00", "amount_paid": "0.00", "status": "open",
        }]}),
    );
    assert_eq!(
        (status, loaded["applied"].as_u64()),
        (200, Some(1)),
        "{loaded}"
    );
    let changed = books.job("/jobs/scoring/refresh", "2026-01-05");
    assert_eq!(
        changed["customers_scored"], 1,
        "only the customer whose ledger changed: {changed}"
    );
    assert!(books.alerts(&admin(), punctual).is_empty(), "not due yet");

    // Five weeks after the due date, its habit is broken: a person is told.
    books.job("/jobs/scoring/refresh", "2026-03-08");
    let alerts = books.alerts(&admin(), punctual);
    let broken = alerts
        .iter()
        .find(|alert| alert["message"].as_str().unwrap().contains("F2026-LATE"))
        .unwrap_or_else(|| panic!("no alert on F2026-LATE among {alerts:?}"));
    assert_eq!(broken["kind"], "broke_habit");
    let message = broken["message"].as_str().unwrap();
    assert!(
        message.contains("F2026-LATE is 35 days overdue and still unpaid"),
        "{message}"
    );
    assert_eq!(broken["status"], "open");
    let (_, later) = books.get(&format!("/api/v1/scores/customers/{punctual}"), &admin());
    assert!(later["risk"].as_f64().unwrap() > risk, "{later}");

    // Refreshing again raises nothing twice.
    let repeat = books.job("/jobs/scoring/refresh", "2026-03-08");
    assert_eq!(repeat["alerts_raised"], 0, "{repeat}");

    // The owner's salesperson sees the alert and the score; another does not.
    let own = books.token("sales", &owner);
    let other_owner = if owner == "alice@example.com" {
        "bastien@example.com"
    } else {
        "alice@example.com"
    };
    let other = books.token("sales", other_owner);
    assert_eq!(books.alerts(&own, punctual).len(), alerts.len());
    assert!(books.alerts(&other, punctual).is_empty());
    let (hidden, _) = books.get(&format!("/api/v1/scores/customers/{punctual}"), &other);
    assert_eq!(hidden, 404);
    let (refused, _) = books.send(
        Method::POST,
        &format!("/api/v1/alerts/{}/review", broken["id"]),
        &own,
        &Value::Null,
    );
    assert_eq!(refused, 403, "sales is read-only");

    // A collector or manager reviews it; it leaves the open list.
    let (status, reviewed) = books.send(
        Method::POST,
        &format!("/api/v1/alerts/{}/review", broken["id"]),
        &admin(),
        &Value::Null,
    );
    assert_eq!(
        (status, reviewed["status"].as_str()),
        (200, Some("reviewed")),
        "{reviewed}"
    );
    let still_open = books.alerts(&admin(), punctual);
    assert!(still_open.iter().all(|alert| alert["id"] != broken["id"]));
}
