//! The dashboard page in Debian's headless Chromium, driven by Playwright,
//! against the real app served by the host with a generated ledger loaded
//! through the public API: signing in, the tiles showing the figures the API
//! returns, a filter kept in the address, a customer's page, French
//! formatting, and a salesperson who sees their own portfolio and nothing
//! else. Screenshots land in `target/screenshots/`.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{NaiveDate, Utc};
use relance_generator::{BulkChunks, GeneratorConfig, LedgerHistory, month_events, write_camt053};
use relance_ledger::signature::sign;
use relance_tests::{
    TestApp, build_app_components, relance_app, repo_root, served_routes, test_secret,
};
use reqwest::Method;
use serde_json::{Value, json};

/// The generated ledger: two years of invoices for a few dozen customers.
fn generator_config() -> GeneratorConfig {
    GeneratorConfig {
        seed: 8,
        customers: 36,
        invoices: 1_400,
        start_date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        months: 24,
        foreign_currency_per_mille: 0,
        source: "generator".to_owned(),
        ..GeneratorConfig::default()
    }
}

/// The running app, loaded with the generated ledger.
struct Books {
    app: TestApp,
    /// The last day of the generated period: the day the page is opened "as of".
    as_of: NaiveDate,
    /// Routes the manifest serves, to tell which APIs exist in this build.
    routes: BTreeSet<String>,
}

impl Books {
    fn open() -> Books {
        build_app_components().unwrap();
        let app = TestApp::start(relance_app()).unwrap();
        let mut books = Books {
            app,
            as_of: NaiveDate::MIN,
            routes: served_routes().into_iter().collect(),
        };
        books.as_of = books.load_generated_ledger();
        books.run_daily_jobs();
        books
    }

    /// Customers and credit notes as signed webhook events, invoices through
    /// the bulk API, payments as each month's camt.053 statement (the upload
    /// reconciles them at once). Returns the period's last day.
    fn load_generated_ledger(&self) -> NaiveDate {
        let mut history = LedgerHistory::new(generator_config()).unwrap();
        let customers = history.customers().to_vec();
        let company = history.config().company_name.clone();
        let source = history.config().source.clone();

        while let Some(month) = history.next_month().unwrap() {
            for event in month_events(&month, &customers, &source).unwrap() {
                if event["type"] != "invoice.upserted" {
                    self.post_event(&event);
                }
            }

            let mut chunks = BulkChunks::new(500);
            let mut bodies = Vec::new();
            for invoice in &month.invoices {
                bodies.extend(chunks.push(invoice, &customers).unwrap());
            }
            bodies.extend(chunks.finish());
            for mut body in bodies {
                body["source"] = source.clone().into();
                let (status, answer) = self.post("/api/v1/invoices", &admin(), &body);
                assert_eq!(status, 200, "{answer}");
                assert_eq!(answer["failed"], 0, "{answer}");
            }

            let mut statement = Vec::new();
            write_camt053(&month, &company, &mut statement).unwrap();
            let response = self
                .app
                .client
                .post(self.app.url("/api/v1/bank/statements"))
                .bearer_auth(admin())
                .body(statement)
                .send()
                .unwrap();
            assert_eq!(
                response.status().as_u16(),
                200,
                "{}",
                response.text().unwrap()
            );
        }
        history.end_date()
    }

    fn post_event(&self, event: &Value) {
        let body = serde_json::to_vec(event).unwrap();
        let secret = test_secret("invoices_webhook_secret");
        let response = self
            .app
            .client
            .post(self.app.url("/webhooks/invoices"))
            .header(
                "x-relance-signature",
                sign(secret.as_bytes(), Utc::now().timestamp(), &body),
            )
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap();
        assert!(
            response.status().is_success(),
            "{}",
            response.text().unwrap()
        );
    }

    /// The dunning run, the scoring model and its scores (each where the
    /// manifest routes it), so the tasks, history and score panels have
    /// something to show.
    fn run_daily_jobs(&self) {
        let job = test_secret("job_token");
        let as_of = self.as_of.to_string();
        for route in [
            "/jobs/dunning/run",
            "/jobs/scoring/train",
            "/jobs/scoring/refresh",
        ] {
            if self.routes.contains(route) {
                let path = format!("{route}?as_of={as_of}");
                let (status, answer) = self.post(&path, &job, &json!({}));
                assert_eq!(status, 200, "{route}: {answer}");
            }
        }
    }

    fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.app.send_json(Method::POST, path, token, body).unwrap()
    }

    fn get(&self, path: &str, token: &str) -> Value {
        let (status, body) = self.app.get_json(path, token).unwrap();
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    fn token(&self, role: &str, person: Option<&str>) -> String {
        let body = json!({ "name": format!("dashboard {role}"), "role": role, "person": person });
        let (status, created) = self.post("/api/v1/tokens", &admin(), &body);
        assert_eq!(status, 201, "{created}");
        created["token"].as_str().unwrap().to_owned()
    }

    /// Every customer `token` may see, through every page of the listing.
    fn customers(&self, token: &str, query: &str) -> Vec<Value> {
        let mut customers = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = self.get(
                &format!("/api/v1/customers?limit=1000{query}{cursor}"),
                token,
            );
            customers.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => return customers,
            }
        }
    }
}

fn admin() -> String {
    test_secret("admin_token")
}

/// Runs the browser scenario with `plan` and returns what the page showed.
fn run_browser(plan: &Value) -> Value {
    let browser_dir = repo_root().join("tests/browser");
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "Debian's chromium is missing: run scripts/test, which installs it"
    );
    assert!(
        browser_dir.join("node_modules/playwright-core").exists(),
        "playwright-core is missing: run scripts/test, or `npm ci` in tests/browser"
    );

    let scratch = tempfile::tempdir().unwrap();
    let plan_file = scratch.path().join("plan.json");
    std::fs::write(&plan_file, serde_json::to_vec(plan).unwrap()).unwrap();
    let output = Command::new("node")
        .current_dir(&browser_dir)
        .arg("dashboard.mjs")
        .arg(&plan_file)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "the browser scenario failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn screenshots_dir() -> PathBuf {
    let dir = repo_root().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Asserts the tiles show the summary's figures: amounts as the exact
/// decimal strings the API returns, day counts and rates as the same numbers.
fn assert_tiles_show(tiles: &Value, summary: &Value) {
    let expected = [
        ("outstanding", &summary["outstanding"]["total"]),
        ("overdue", &summary["outstanding"]["overdue"]),
        ("dso", &summary["dso"]["countback_days"]),
        ("average_delay", &summary["average_payment_delay_days"]),
        ("at_risk", &summary["at_risk"]["rate_percent"]),
    ];
    assert_eq!(tiles.as_object().unwrap().len(), expected.len(), "{tiles}");

    for (kpi, figure) in expected {
        let shown = tiles[kpi]["value"].as_str().unwrap_or_default();
        match figure {
            Value::String(amount) => assert_eq!(shown, amount, "{kpi}"),
            Value::Number(number) => {
                assert_eq!(shown.parse::<f64>().ok(), number.as_f64(), "{kpi}");
            }
            Value::Null => assert_eq!(shown, "", "{kpi}"),
            other => panic!("{kpi}: unexpected figure {other}"),
        }
    }
}

fn distinct(customers: &[Value], field: &str) -> BTreeSet<String> {
    customers
        .iter()
        .filter_map(|record| record["customer"]["segmentation"][field].as_str())
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_manager_and_a_salesperson_see_their_figures_in_the_browser() {
    let books = Books::open();
    let as_of = books.as_of.to_string();

    // The people: a credit manager, the salesperson and the collector of the
    // first customer, and a customer of another salesperson.
    let everyone = books.customers(&admin(), "");
    let first = &everyone[0]["customer"]["segmentation"];
    let owner = first["owner"].as_str().unwrap().to_owned();
    let collector = first["collector"].as_str().unwrap().to_owned();
    let foreign = everyone
        .iter()
        .find(|record| record["customer"]["segmentation"]["owner"] != owner.as_str())
        .expect("a customer of another salesperson");
    let regions = distinct(&everyone, "region");
    let region = regions.iter().next().unwrap().clone();
    let tokens = json!({
        "manager": books.token("manager", None),
        "sales": books.token("sales", Some(&owner)),
        "collector": books.token("collector", Some(&collector)),
    });
    let manager = tokens["manager"].as_str().unwrap();
    let sales = tokens["sales"].as_str().unwrap();

    let seen = run_browser(&json!({
        "base_url": books.app.url(""),
        "as_of": as_of,
        "tokens": tokens,
        "region": region,
        "foreign_customer_id": foreign["id"],
        "screenshots": screenshots_dir(),
    }));
    let page = &seen["manager"];

    // Signing in: a wrong token is refused in words; the right one is kept in
    // the tab's session storage and never in the address.
    assert!(
        page["refused_message"]
            .as_str()
            .unwrap()
            .contains("unknown or revoked"),
        "{page}"
    );
    assert!(
        !page["url_after_sign_in"]
            .as_str()
            .unwrap()
            .contains(manager)
    );
    assert_eq!(page["token_in_session_storage"], manager);
    assert!(
        page["who"].as_str().unwrap().starts_with("Credit manager"),
        "{}",
        page["who"]
    );
    assert_eq!(page["token_after_sign_out"], Value::Null);

    // The tiles show exactly what the KPI API returns for the same day.
    let summary = books.get(&format!("/api/v1/kpi/summary?as_of={as_of}"), manager);
    assert_tiles_show(&page["tiles"], &summary);
    assert_eq!(page["panels"]["summary"], "ready");

    // The region filter offers the regions of the ledger, and choosing one
    // lands in the address and gives that region's figures.
    let offered: BTreeSet<String> = serde_json::from_value(page["region_options"].clone()).unwrap();
    assert_eq!(offered, regions);
    let filtered_url = reqwest::Url::parse(page["filtered_url"].as_str().unwrap()).unwrap();
    let query: Vec<(String, String)> = filtered_url.query_pairs().into_owned().collect();
    assert!(
        query.contains(&("region".to_owned(), region.clone())),
        "{filtered_url}"
    );
    assert!(
        query.contains(&("as_of".to_owned(), as_of.clone())),
        "{filtered_url}"
    );
    let regional = books.get(
        &format!(
            "/api/v1/kpi/summary?as_of={as_of}&region={}",
            urlencode(&region)
        ),
        manager,
    );
    assert_tiles_show(&page["filtered_tiles"], &regional);
    assert_ne!(
        page["filtered_tiles"], page["tiles"],
        "the region changes the figures"
    );
    assert_eq!(page["shared_region_selected"], region.as_str());

    // Opening a customer keeps the filters and lists exactly its invoices.
    let opened = page["opened_customer_id"].as_str().unwrap();
    let customer_url = page["customer_url"].as_str().unwrap();
    assert!(
        customer_url.contains(&format!("/dashboard/customers/{opened}?"))
            && customer_url.contains(&as_of),
        "{customer_url}"
    );
    let customer = books.get(&format!("/api/v1/customers/{opened}"), manager);
    assert_eq!(page["customer_title"], customer["customer"]["name"]);
    assert_eq!(page["after_reload_title"], customer["customer"]["name"]);
    let invoices = books.get(
        &format!("/api/v1/invoices?customer_id={opened}&as_of={as_of}&sort=-due_date&limit=200"),
        manager,
    );
    let expected: Vec<(String, String)> = invoices["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|invoice| {
            let number = invoice["number"].as_str().unwrap().to_owned();
            (
                number,
                invoice["remaining"]["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let shown: Vec<(String, String)> = page["customer_invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let number = row["key"].as_str().unwrap().to_owned();
            (
                number,
                row["cells"]["remaining"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(!expected.is_empty(), "the customer has invoices");
    assert_eq!(shown, expected);
    assert_eq!(page["customer_panels"]["invoices"], "ready");

    // Its payments are the ones the ledger API lists, and no panel failed.
    let payments = books.get(
        &format!("/api/v1/customers/{opened}/payments?limit=200"),
        manager,
    );
    assert_eq!(
        row_keys(&page["customer_payments"]),
        ids(&payments["items"])
    );
    for panel in ["customer", "score", "payments", "history"] {
        let state = page["customer_panels"][panel].as_str().unwrap();
        assert!(["ready", "empty"].contains(&state), "{panel}: {state}");
    }

    // The aged balance table holds the API's groups and totals: by region
    // on opening, then by owner within the chosen region.
    let in_region = format!("&region={}", urlencode(&region));
    for (rows, group_by, filter) in [
        (&page["aged_rows"], "region", ""),
        (&page["aged_by_owner"], "owner", in_region.as_str()),
    ] {
        let aged = books.get(
            &format!("/api/v1/kpi/aged-balance?as_of={as_of}&group_by={group_by}&limit=25{filter}"),
            manager,
        );
        let mut expected: Vec<(String, String)> = aged["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|group| {
                (
                    group["key"].as_str().unwrap_or_default().to_owned(),
                    group["total"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        expected.push((
            "total".to_owned(),
            aged["total"]["total"].as_str().unwrap().to_owned(),
        ));
        let shown: Vec<(String, String)> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row["key"].as_str().unwrap().to_owned(),
                    row["cells"]["total"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(shown, expected, "grouped by {group_by}");
    }

    // In French, the same amounts are written the French way.
    let outstanding = summary["outstanding"]["total"].as_str().unwrap();
    assert_eq!(
        page["tiles"]["outstanding"]["text"],
        english_euros(outstanding)
    );
    assert_eq!(
        page["french_tiles"]["outstanding"]["text"],
        french_euros(outstanding)
    );
    assert_eq!(page["french_heading"], "Balance âgée");

    // A salesperson sees their own portfolio only: the list, the filter
    // values, the figures, and another owner's customer is not found.
    let seen_by_sales = &seen["sales"];
    let portfolio = books.customers(&admin(), &format!("&owner={}", urlencode(&owner)));
    let listed: BTreeSet<String> = seen_by_sales["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            assert_eq!(row["owner"], owner.as_str(), "{row}");
            row["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let expected_ids: BTreeSet<String> = portfolio
        .iter()
        .map(|record| record["id"].to_string())
        .collect();
    assert_eq!(listed, expected_ids);
    assert!(listed.len() < everyone.len());
    assert_eq!(
        seen_by_sales["owner_filter"],
        json!({ "value": owner, "disabled": true })
    );
    let sales_regions: BTreeSet<String> =
        serde_json::from_value(seen_by_sales["region_options"].clone()).unwrap();
    assert_eq!(sales_regions, distinct(&portfolio, "region"));
    assert_eq!(seen_by_sales["foreign_title_state"], "not-found");
    assert_eq!(seen_by_sales["foreign_invoices"], json!([]));
    let sales_summary = books.get(&format!("/api/v1/kpi/summary?as_of={as_of}"), sales);
    assert_tiles_show(&seen_by_sales["tiles"], &sales_summary);
    assert_ne!(seen_by_sales["tiles"], page["tiles"]);

    // The collector signs in to their own customers.
    let seen_by_collector = &seen["collector"];
    assert!(
        seen_by_collector["who"]
            .as_str()
            .unwrap()
            .contains(&collector),
        "{seen_by_collector}"
    );
    let collector_token = tokens["collector"].as_str().unwrap();
    let due = books.get(
        &format!("/api/v1/tasks?status=open&due_by={as_of}&limit=25"),
        collector_token,
    );
    assert_eq!(row_keys(&seen_by_collector["tasks"]), ids(&due["items"]));
    let expected_state = if ids(&due["items"]).is_empty() {
        "empty"
    } else {
        "ready"
    };
    assert_eq!(seen_by_collector["panels"]["tasks"], expected_state);

    // Nothing went wrong in the page itself.
    assert_eq!(seen["problems"], json!([]), "{}", seen["problems"]);
}

/// The `data-key` of each row the page showed.
fn row_keys(rows: &Value) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| row["key"].as_str().unwrap().to_owned())
        .collect()
}

/// The `id` of each item an API listed, as text.
fn ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].to_string())
        .collect()
}

/// `text` as a query-string value.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// `1234567.5` as en-GB writes euros: `€1,234,567.50`.
fn english_euros(amount: &str) -> String {
    let (units, cents) = split_amount(amount);
    format!("€{}.{cents}", group(&units, ","))
}

/// `1234567.5` as fr-FR writes euros: `1 234 567,50 €`, with the narrow
/// no-break space between thousands and a no-break space before the sign.
fn french_euros(amount: &str) -> String {
    let (units, cents) = split_amount(amount);
    format!("{},{cents}\u{a0}€", group(&units, "\u{202f}"))
}

fn split_amount(amount: &str) -> (String, String) {
    let (units, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    (units.to_owned(), format!("{fraction:0<2}"))
}

fn group(units: &str, separator: &str) -> String {
    let digits: Vec<char> = units.chars().collect();
    let mut grouped = String::new();
    for (index, digit) in digits.iter().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push_str(separator);
        }
        grouped.push(*digit);
    }
    grouped
}

#[test]
fn the_page_and_its_files_are_served_from_the_component() {
    build_app_components().unwrap();
    let app = TestApp::start(relance_app()).unwrap();
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // The app's root leads to the page; any view's address is the page.
    let root = client.get(app.url("/")).send().unwrap();
    assert_eq!(root.status().as_u16(), 302);
    assert_eq!(root.headers()["location"], "/dashboard/");
    let view = client
        .get(app.url("/dashboard/customers/12?region=Bretagne"))
        .send()
        .unwrap();
    assert_eq!(view.status().as_u16(), 200);
    assert!(
        view.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let policy = view.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"));

    // Scripts revalidate by entity tag.
    let script = client
        .get(app.url("/dashboard/assets/app.js"))
        .send()
        .unwrap();
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let etag = script.headers()["etag"].clone();
    let again = client
        .get(app.url("/dashboard/assets/app.js"))
        .header("if-none-match", etag)
        .send()
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);

    // Who a token belongs to, and refusals in the app's JSON error format.
    let session = client
        .get(app.url("/dashboard/session"))
        .bearer_auth(admin())
        .send()
        .unwrap();
    assert_eq!(session.status().as_u16(), 200);
    let session: Value = session.json().unwrap();
    assert_eq!(session["role"], "admin");
    assert_eq!(session["scope"], json!({ "kind": "everything" }));
    let anonymous = client.get(app.url("/dashboard/session")).send().unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let posted = client.post(app.url("/dashboard/session")).send().unwrap();
    assert_eq!(posted.status().as_u16(), 405);
    let refusal: Value = posted.json().unwrap();
    assert_eq!(refusal["error"]["code"], "method_not_allowed");
}
