//! The `reconciliation` component through the host: a statement upload is
//! reconciled at once through service chaining, confident matches settle
//! invoices, doubtful ones wait in the review queue, decisions stick, and
//! allocations by hand never go beyond the payment or the invoice.

#![allow(clippy::unwrap_used)]

use relance_tests::{TestApp, build_app_components, relance_app, test_secret};
use reqwest::Method;
use serde_json::{Value, json};

const ACCOUNT: &str = "FR7630006000011234567890189";

struct Books {
    app: TestApp,
}

impl Books {
    /// The app with customer ACME SA and its open invoices F-1 (1440.00),
    /// F-2 and F-3 (500.00 each) and F-4 (900.00).
    fn start() -> Books {
        build_app_components().unwrap();
        let books = Books {
            app: TestApp::start(relance_app()).unwrap(),
        };

        let (status, customer) = books.send(
            Method::POST,
            "/api/v1/customers",
            &admin(),
            &json!({"external_id": "C-1", "name": "ACME SA", "owner": "alice"}),
        );
        assert_eq!(status, 201, "{customer}");
        let invoices: Vec<Value> = [
            ("1", "1440.00"),
            ("2", "500.00"),
            ("3", "500.00"),
            ("4", "900.00"),
        ]
        .into_iter()
        .map(|(number, total)| {
            json!({
                "external_id": format!("inv-{number}"), "number": format!("F-{number}"),
                "customer": "C-1", "issue_date": "2026-03-01", "due_date": "2026-03-31",
                "currency": "EUR", "total": total, "tax": "0.00", "amount_paid": "0.00",
                "status": "open",
            })
        })
        .collect();
        let (status, loaded) = books.send(
            Method::POST,
            "/api/v1/invoices",
            &admin(),
            &json!({"source": "manual", "invoices": invoices}),
        );
        assert_eq!(
            (status, loaded["applied"].as_u64()),
            (200, Some(4)),
            "{loaded}"
        );
        books
    }

    fn send(&self, method: Method, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.app.send_json(method, path, token, body).unwrap()
    }

    fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.app.get_json(path, token).unwrap()
    }

    /// Uploads a CSV statement of `rows` (amount, payer, remittance).
    fn upload(&self, rows: &[(&str, &str, &str)]) -> Value {
        let mut csv = String::from("Date;Amount;Payer;Text\n");
        for (amount, payer, text) in rows {
            csv.push_str(&format!("2026-03-28;{amount};{payer};{text}\n"));
        }
        let (status, report) = self
            .app
            .upload_csv_statement(ACCOUNT, &admin(), csv)
            .unwrap();
        assert_eq!(status, 200, "{report}");
        report
    }

    fn invoice(&self, number: &str) -> Value {
        let (_, page) = self.get("/api/v1/invoices?limit=100", &admin());
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|invoice| invoice["number"] == number)
            .unwrap()
            .clone()
    }

    fn suggestions(&self) -> Vec<Value> {
        let (status, page) = self.get("/api/v1/reconciliation/suggestions", &admin());
        assert_eq!(status, 200, "{page}");
        page["items"].as_array().unwrap().clone()
    }

    fn reconcile(&self) -> Value {
        let (status, summary) = self.send(
            Method::POST,
            "/jobs/reconcile",
            &test_secret("job_token"),
            &Value::Null,
        );
        assert_eq!(status, 200, "{summary}");
        summary
    }

    fn transaction_id(&self, payer: &str) -> i64 {
        let (_, page) = self.get("/api/v1/bank/transactions", &admin());
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|transaction| transaction["counterparty_name"] == payer)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    }
}

fn admin() -> String {
    test_secret("admin_token")
}

#[test]
fn an_uploaded_statement_is_reconciled_at_once_and_the_queue_is_worked() {
    let books = Books::start();

    let uploaded = books.upload(&[
        ("1440.00", "ACME SA", "Facture F-1"),
        ("500.00", "ACME", "virement mars"),
        ("250.00", "Unknown Trading", "order 77"),
    ]);

    let run = &uploaded["reconciliation"];
    assert_eq!(
        (
            run["considered"].as_u64(),
            run["auto_applied"].as_u64(),
            run["sent_to_review"].as_u64(),
            run["unmatched"].as_u64()
        ),
        (Some(3), Some(1), Some(1), Some(1)),
        "{uploaded}"
    );
    assert_eq!(run["allocated"]["EUR"], "1440.00");
    assert_eq!(books.invoice("F-1")["status"], "paid");

    let again = books.reconcile();
    assert_eq!(
        (
            again["auto_applied"].as_u64(),
            again["review_unchanged"].as_u64()
        ),
        (Some(0), Some(1)),
        "{again}"
    );

    let suggestions = books.suggestions();
    assert!(suggestions.len() >= 2, "{suggestions:?}");
    let first = &suggestions[0];
    assert!(first["confidence"].as_f64().unwrap() < 0.9, "{first}");
    assert!(!first["explanation"].as_str().unwrap().is_empty());
    assert_eq!(first["transaction"]["amount"], "500.00");
    let accept = format!("/api/v1/reconciliation/suggestions/{}/accept", first["id"]);
    let (status, accepted) = books.send(Method::POST, &accept, &admin(), &Value::Null);
    assert_eq!(status, 200, "{accepted}");
    let number = first["allocations"][0]["number"].as_str().unwrap();
    assert_eq!(books.invoice(number)["status"], "paid");
    assert!(books.suggestions().is_empty());

    let (status, twice) = books.send(Method::POST, &accept, &admin(), &Value::Null);
    assert_eq!(status, 409, "{twice}");
    assert!(
        twice["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already")
    );
}

#[test]
fn undoing_a_match_reopens_the_invoice_for_good() {
    let books = Books::start();
    books.upload(&[("1440.00", "ACME SA", "Facture F-1")]);
    let (_, applied) = books.get(
        "/api/v1/reconciliation/suggestions?status=applied",
        &admin(),
    );
    let allocation = applied["items"][0]["allocation_ids"][0].as_i64().unwrap();

    let path = format!("/api/v1/allocations/{allocation}");
    let (status, undone) = books.send(Method::DELETE, &path, &admin(), &Value::Null);
    let rerun = books.reconcile();

    assert_eq!(status, 200, "{undone}");
    assert_eq!(undone["allocation_ids"], json!([allocation]));
    let reopened = books.invoice("F-1");
    assert_eq!(
        (&reopened["status"], &reopened["remaining"]["amount"]),
        (&json!("open"), &json!("1440.00"))
    );
    assert_eq!(rerun["auto_applied"].as_u64(), Some(0), "{rerun}");
    let (status, _) = books.send(Method::DELETE, &path, &admin(), &Value::Null);
    assert_eq!(status, 409);
}

#[test]
fn allocations_by_hand_are_checked_and_refusals_change_nothing() {
    let books = Books::start();
    books.upload(&[("1000.00", "Unknown Trading", "order 77")]);
    let transaction = books.transaction_id("Unknown Trading");
    let f4 = books.invoice("F-4")["id"].clone();
    let f2 = books.invoice("F-2")["id"].clone();
    let allocate = |shares: Value| {
        books.send(
            Method::POST,
            "/api/v1/allocations",
            &admin(),
            &json!({"bank_transaction_id": transaction, "allocations": shares}),
        )
    };

    let refusals = [
        (
            json!([{"invoice_id": f4, "amount": "950.00"}]),
            409,
            "900.00",
        ),
        (
            json!([{"invoice_id": f4, "amount": "900.00"}, {"invoice_id": f2, "amount": "500.00"}]),
            409,
            "1000.00",
        ),
        (
            json!([{"invoice_id": f4, "amount": "-5.00"}]),
            400,
            "positive",
        ),
        (
            json!([{"invoice_id": f4, "amount": "10.001"}]),
            400,
            "decimals",
        ),
        (json!([]), 400, "empty"),
        (json!([{"invoice_id": 9999, "amount": "1.00"}]), 404, "9999"),
    ];
    for (shares, expected, words) in refusals {
        let (status, refused) = allocate(shares.clone());
        assert_eq!(status, expected, "{shares} → {refused}");
        let message = refused["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{message}");
    }
    assert_eq!(books.invoice("F-4")["remaining"]["amount"], "900.00");

    let (status, made) = allocate(json!([
        {"invoice_id": f4, "amount": "900.00"},
        {"invoice_id": f2, "amount": "100.00"}
    ]));
    assert_eq!(status, 201, "{made}");
    assert_eq!(books.invoice("F-4")["status"], "paid");
    assert_eq!(books.invoice("F-2")["remaining"]["amount"], "400.00");
}

#[test]
fn only_the_whole_ledger_roles_see_and_decide_matches() {
    let books = Books::start();
    let (status, token) = books.send(
        Method::POST,
        "/api/v1/tokens",
        &admin(),
        &json!({"name": "alice", "role": "sales", "person": "alice"}),
    );
    assert_eq!(status, 201, "{token}");
    let sales = token["token"].as_str().unwrap();

    let (status, _) = books.get("/api/v1/reconciliation/suggestions", sales);
    assert_eq!(status, 403);
    let (status, _) = books.send(Method::POST, "/jobs/reconcile", sales, &Value::Null);
    assert_eq!(status, 403);
    let (status, bad) = books.get("/api/v1/reconciliation/suggestions?status=maybe", &admin());
    assert_eq!(status, 400, "{bad}");
    let (status, _) = books.send(
        Method::POST,
        "/api/v1/reconciliation/suggestions/12345/accept",
        &admin(),
        &Value::Null,
    );
    assert_eq!(status, 404);
}
