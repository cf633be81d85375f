//! The demo command of the README: `relance up --build --demo` loads the
//! generated ledger through the public API, ends with a dashboard showing
//! non-zero figures and one working token per role, and a second start on
//! the same state directory sends nothing and changes no ledger row.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use relance_store::{Database, NativeDatabase};
use relance_tests::{
    build_app_components, free_port, relance_app, relance_binary, repo_root, route_serves,
    served_routes,
};
use serde_json::Value;

/// The tables the demo's inputs fill; a second start must leave each as it
/// was.
const LEDGER_TABLES: [&str; 10] = [
    "customers",
    "invoices",
    "credit_notes",
    "allocations",
    "bank_transactions",
    "reconciliation_matches",
    "processed_events",
    "inbox",
    "dunning_outbox",
    "dunning_tasks",
];

/// A `relance up --build --demo` process, stopped when dropped.
struct DemoRun {
    child: Child,
    log: PathBuf,
    address: String,
}

impl DemoRun {
    /// Runs the README's demo command on `state_dir` and waits for the
    /// demo to be ready.
    fn start(state_dir: &Path, log: PathBuf) -> DemoRun {
        let address = format!("127.0.0.1:{}", free_port());
        let mut command = Command::new(relance_binary());
        command
            .args(["up", "--build", "--demo", "--from"])
            .arg(repo_root().join("spin.toml"))
            .args(["--listen", &address, "--state-dir"])
            .arg(state_dir)
            .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
            .stderr(Stdio::from(
                std::fs::OpenOptions::new().append(true).open(&log).unwrap(),
            ));
        for (name, value) in relance_app().variables {
            command.arg("--variable").arg(format!("{name}={value}"));
        }
        let mut run = DemoRun {
            child: command.spawn().unwrap(),
            log,
            address,
        };
        run.wait_until_ready();
        run
    }

    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(900);
        while Instant::now() < deadline {
            let text = self.output();
            if text.contains("demo: loading failed") {
                panic!("the demo failed:\n{text}");
            }
            if text.contains("Demo tokens") && text.lines().any(|line| line.contains("viewer")) {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("relance exited ({status}) before the demo was ready:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "the demo was not ready within 15 minutes:\n{}",
            self.output()
        );
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The tokens printed under "Demo tokens", by role.
    fn tokens(&self) -> BTreeMap<String, String> {
        self.output()
            .lines()
            .skip_while(|line| !line.starts_with("Demo tokens"))
            .skip(1)
            .take_while(|line| line.starts_with("  "))
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let role = words.next()?.to_owned();
                let token = words.last()?.to_owned();
                Some((role, token))
            })
            .collect()
    }

    fn get(&self, path: &str, token: &str) -> Value {
        let response = reqwest::blocking::Client::new()
            .get(format!("http://{}{path}", self.address))
            .bearer_auth(token)
            .send()
            .unwrap();
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().unwrap()
    }

    /// Sends SIGTERM and waits for the host to stop.
    fn stop(mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "relance did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DemoRun {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn row_counts(state_dir: &Path) -> BTreeMap<&'static str, i64> {
    let db = NativeDatabase::open(state_dir.join("sqlite_db.db")).unwrap();
    LEDGER_TABLES
        .into_iter()
        .map(|table| {
            let rows = db
                .execute(&format!("SELECT COUNT(*) AS n FROM {table}"), &[])
                .unwrap();
            (table, rows.iter().next().unwrap().integer("n").unwrap())
        })
        .collect()
}

/// Some number of a JSON document, other than zero.
fn has_non_zero_figure(value: &Value) -> bool {
    match value {
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => text.parse::<f64>().is_ok_and(|n| n != 0.0),
        Value::Array(items) => items.iter().any(has_non_zero_figure),
        Value::Object(fields) => fields.values().any(has_non_zero_figure),
        _ => false,
    }
}

#[test]
fn the_demo_command_fills_the_dashboard_once_and_a_restart_loads_nothing_twice() {
    build_app_components().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let state_dir = scratch.path().join("state");

    let first = DemoRun::start(&state_dir, scratch.path().join("first.log"));
    let output = first.output();
    assert!(
        output.contains("demo: [24/24]"),
        "every month loaded:\n{output}"
    );
    assert!(output.contains("Dashboard: http://"), "{output}");

    let tokens = first.tokens();
    let roles: Vec<&str> = tokens.keys().map(String::as_str).collect();
    assert_eq!(
        roles,
        ["admin", "collector", "manager", "sales", "viewer"],
        "{output}"
    );

    let kpis_served = served_routes()
        .iter()
        .any(|route| route_serves(route, "/api/v1/kpi/summary"));
    if kpis_served {
        let summary = first.get("/api/v1/kpi/summary", &tokens["viewer"]);
        assert!(
            has_non_zero_figure(&summary),
            "the KPIs are all zero: {summary}"
        );
    }
    let invoices = first.get("/api/v1/invoices?limit=1000", &tokens["viewer"]);
    assert_eq!(
        invoices["items"].as_array().unwrap().len(),
        1000,
        "{output}"
    );
    let matched = first.get(
        "/api/v1/reconciliation/suggestions?status=applied&limit=10",
        &tokens["manager"],
    );
    assert!(
        !matched["items"].as_array().unwrap().is_empty(),
        "no bank transaction was matched:\n{output}"
    );

    let sales_customers = first.get("/api/v1/customers?limit=1000", &tokens["sales"]);
    let owners: Vec<&str> = sales_customers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["customer"]["segmentation"]["owner"].as_str().unwrap())
        .collect();
    assert!(!owners.is_empty());
    assert!(
        owners.windows(2).all(|pair| pair[0] == pair[1]),
        "{owners:?}"
    );
    first.stop();
    let loaded = row_counts(&state_dir);
    assert!(loaded["invoices"] >= 10_000, "{loaded:?}");
    assert!(loaded["allocations"] > 0, "{loaded:?}");

    let second = DemoRun::start(&state_dir, scratch.path().join("second.log"));
    let output = second.output();
    assert!(
        output.contains("is already loaded; nothing to send"),
        "{output}"
    );
    assert!(
        output.contains("this start loaded 0 customers, 0 invoices, 0 credit notes and 0 bank"),
        "{output}"
    );
    let new_tokens = second.tokens();
    assert_ne!(
        new_tokens["admin"], tokens["admin"],
        "fresh tokens on each start"
    );
    let revoked = reqwest::blocking::Client::new()
        .get(format!("http://{}/api/v1/invoices?limit=1", second.address))
        .bearer_auth(&tokens["viewer"])
        .send()
        .unwrap();
    assert_eq!(
        revoked.status(),
        401,
        "the first start's tokens are revoked"
    );
    second.stop();

    assert_eq!(
        row_counts(&state_dir),
        loaded,
        "the second start changed the ledger"
    );
}
