//! End-to-end tests of the `invoices` component through the real host:
//! signed webhooks in, invoices and customers out, refusals that leave the
//! ledger untouched, bulk and ledger-file imports, replay of failures, and
//! portfolio scoping.

#![allow(clippy::unwrap_used)]

use chrono::Utc;
use relance_api::{Role, Scope};
use relance_ledger::signature::sign;
use relance_store::NativeDatabase;
use relance_tests::{AppOptions, TestApp, build_app_components, repo_root, shared_data};
use reqwest::blocking::Response;
use serde_json::{Value, json};

const ADMIN: &str = "admin-secret-for-tests";
const INVOICES_SECRET: &str = "canonical-secret";
const STRIPE_SECRET: &str = "whsec_stripe-secret";

/// A running app with its own state directory.
struct Ledger {
    app: TestApp,
    state: tempfile::TempDir,
}

impl Ledger {
    fn start() -> Ledger {
        build_app_components().unwrap();
        let state = tempfile::tempdir().unwrap();
        let app = TestApp::start(
            AppOptions::new(repo_root().join("spin.toml"))
                .state_dir(state.path())
                .variable("admin_token", ADMIN)
                .variable("job_token", "job-secret")
                // Two secrets: the canonical one is being rotated.
                .variable(
                    "invoices_webhook_secret",
                    &format!("old-secret,{INVOICES_SECRET}"),
                )
                .variable("stripe_webhook_secret", STRIPE_SECRET),
        )
        .unwrap();
        Ledger { app, state }
    }

    fn post_signed(
        &self,
        path: &str,
        header: &str,
        secret: &str,
        at: i64,
        body: &[u8],
    ) -> Response {
        self.app
            .client
            .post(self.app.url(path))
            .header(header, sign(secret.as_bytes(), at, body))
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .unwrap()
    }

    fn send_event(&self, event: &Value) -> Response {
        let body = serde_json::to_vec(event).unwrap();
        self.post_signed(
            "/webhooks/invoices",
            "x-relance-signature",
            INVOICES_SECRET,
            now(),
            &body,
        )
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::blocking::RequestBuilder {
        self.app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(token)
    }

    fn get(&self, path: &str, token: &str) -> (u16, Value) {
        answer(
            self.request(reqwest::Method::GET, path, token)
                .send()
                .unwrap(),
        )
    }

    fn admin_get(&self, path: &str) -> Value {
        let (status, body) = self.get(path, ADMIN);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    fn send(&self, method: reqwest::Method, path: &str, token: &str, body: &Value) -> (u16, Value) {
        answer(self.request(method, path, token).json(body).send().unwrap())
    }

    /// Creates a token directly in the app's database.
    fn token(&self, role: Role, scope: &Scope) -> String {
        let db = NativeDatabase::open(self.state.path().join("sqlite_db.db")).unwrap();
        let entropy = [role as u8 + 1; 32];
        let (_, secret) =
            relance_store::tokens::create_token(&db, "test", role, scope, &entropy, Utc::now())
                .unwrap();
        secret
    }

    /// Every invoice the administrator sees.
    fn invoices(&self) -> Vec<Value> {
        self.admin_get("/api/v1/invoices?limit=1000")["items"]
            .as_array()
            .unwrap()
            .clone()
    }
}

/// A refused request: (case, secret, signed at, body, expected status, a word
/// the error message must contain).
type RefusalCase = (&'static str, &'static str, i64, Vec<u8>, u16, &'static str);

fn now() -> i64 {
    Utc::now().timestamp()
}

fn answer(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn customer_event(id: &str, external_id: &str, owner: &str) -> Value {
    json!({
        "id": id, "type": "customer.upserted", "occurred_at": "2026-03-01T08:00:00Z",
        "source": "sellsy",
        "data": {"external_id": external_id, "name": format!("Client {external_id}"), "owner": owner}
    })
}

fn invoice_event(
    id: &str,
    occurred_at: &str,
    external_id: &str,
    customer: &str,
    total: &str,
) -> Value {
    json!({
        "id": id, "type": "invoice.upserted", "occurred_at": occurred_at, "source": "sellsy",
        "data": {
            "external_id": external_id, "number": format!("F-{external_id}"),
            "customer": customer, "issue_date": "2026-03-01", "due_date": "2026-03-31",
            "currency": "EUR", "total": total, "status": "open"
        }
    })
}

fn single_result(response: Response) -> String {
    let (status, body) = answer(response);
    assert_eq!(status, 200, "{body}");
    body["result"].as_str().unwrap().to_owned()
}

#[test]
fn signed_events_become_invoices_and_replayed_or_older_events_change_nothing() {
    let ledger = Ledger::start();

    assert_eq!(
        single_result(ledger.send_event(&customer_event("evt_c1", "C-1", "alice"))),
        "applied"
    );
    let newer = invoice_event("evt_2", "2026-03-02T10:00:00Z", "inv_1", "C-1", "1440.00");
    assert_eq!(single_result(ledger.send_event(&newer)), "applied");

    let invoices = ledger.invoices();
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0]["number"], "F-inv_1");
    assert_eq!(
        invoices[0]["total"],
        json!({"amount": "1440.00", "currency": "EUR"})
    );
    assert_eq!(invoices[0]["customer_name"], "Client C-1");

    assert_eq!(single_result(ledger.send_event(&newer)), "duplicate");
    let older = invoice_event("evt_1", "2026-03-02T09:00:00Z", "inv_1", "C-1", "999.00");
    assert_eq!(single_result(ledger.send_event(&older)), "stale");
    assert_eq!(ledger.invoices(), invoices);

    let id = invoices[0]["id"].as_i64().unwrap();
    let one = ledger.admin_get(&format!("/api/v1/invoices/{id}"));
    assert_eq!(one, invoices[0]);
}

#[test]
fn refused_inputs_get_a_clear_4xx_and_leave_the_ledger_untouched() {
    let ledger = Ledger::start();
    ledger.send_event(&customer_event("evt_c1", "C-1", "alice"));
    ledger.send_event(&invoice_event(
        "evt_1",
        "2026-03-02T10:00:00Z",
        "inv_1",
        "C-1",
        "100.00",
    ));
    let before = ledger.invoices();
    assert_eq!(before.len(), 1);

    let good = |total: &str| {
        serde_json::to_vec(&invoice_event(
            "evt_x",
            "2026-03-03T10:00:00Z",
            "inv_1",
            "C-1",
            total,
        ))
        .unwrap()
    };
    let mut unknown_currency =
        invoice_event("evt_y", "2026-03-03T10:00:00Z", "inv_1", "C-1", "5.00");
    unknown_currency["data"]["currency"] = json!("XYZ");
    let oversized = {
        let mut event = invoice_event("evt_z", "2026-03-03T10:00:00Z", "inv_1", "C-1", "5.00");
        event["data"]["payment_reference"] = json!("x".repeat(1024 * 1024 + 1));
        serde_json::to_vec(&event).unwrap()
    };

    // (case, secret, signed at, body, expected status, word the message names)
    let cases: Vec<RefusalCase> = vec![
        (
            "bad signature",
            "wrong-secret",
            now(),
            good("5.00"),
            401,
            "signature",
        ),
        (
            "expired timestamp",
            INVOICES_SECRET,
            now() - 3600,
            good("5.00"),
            401,
            "300",
        ),
        (
            "malformed JSON",
            INVOICES_SECRET,
            now(),
            b"{\"id\": \"evt_x\",".to_vec(),
            400,
            "JSON",
        ),
        (
            "unknown currency",
            INVOICES_SECRET,
            now(),
            serde_json::to_vec(&unknown_currency).unwrap(),
            400,
            "XYZ",
        ),
        (
            "negative amount",
            INVOICES_SECRET,
            now(),
            good("-5.00"),
            400,
            "total",
        ),
        (
            "body over the limit",
            INVOICES_SECRET,
            now(),
            oversized,
            413,
            "bytes",
        ),
    ];

    for (case, secret, at, body, status, word) in cases {
        let response = ledger.post_signed(
            "/webhooks/invoices",
            "x-relance-signature",
            secret,
            at,
            &body,
        );
        let (got, answer) = answer(response);
        assert_eq!(got, status, "{case}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(word), "{case}: {message}");
        assert_eq!(ledger.invoices(), before, "{case} changed the ledger");
    }
}

#[test]
fn stripe_fixture_invoice_signed_as_finalized_is_accepted() {
    let ledger = Ledger::start();
    let fixture = std::fs::read_to_string(shared_data("stripe/fixtures/invoice.json")).unwrap();
    let object: Value = serde_json::from_str(&fixture).unwrap();
    let event = |id: &str, event_type: &str| {
        serde_json::to_vec(&json!({
            "id": id, "object": "event", "type": event_type, "created": now(),
            "data": {"object": object}
        }))
        .unwrap()
    };

    let body = event("evt_stripe_1", "invoice.finalized");
    let response = ledger.post_signed(
        "/webhooks/stripe",
        "stripe-signature",
        STRIPE_SECRET,
        now(),
        &body,
    );
    assert_eq!(single_result(response), "applied");

    let invoices = ledger.invoices();
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0]["source_ref"]["source"], "stripe");
    assert_eq!(invoices[0]["source_ref"]["external_id"], object["id"]);
    assert_eq!(invoices[0]["total"]["currency"], "USD");

    let ignored = event("evt_stripe_2", "charge.succeeded");
    let response = ledger.post_signed(
        "/webhooks/stripe",
        "stripe-signature",
        STRIPE_SECRET,
        now(),
        &ignored,
    );
    assert_eq!(single_result(response), "ignored");

    let response = ledger.post_signed(
        "/webhooks/stripe",
        "stripe-signature",
        "whsec_other",
        now(),
        &body,
    );
    assert_eq!(response.status().as_u16(), 401);
}

#[test]
fn bulk_upsert_reports_each_item_and_keeps_the_good_ones() {
    let ledger = Ledger::start();
    let item = |external_id: &str, currency: &str| {
        let mut invoice =
            invoice_event("-", "2026-03-02T10:00:00Z", external_id, "C-9", "50.00")["data"].clone();
        invoice["currency"] = json!(currency);
        invoice
    };
    let request = json!({
        "source": "pennylane",
        "invoices": [item("b1", "EUR"), item("b2", "XYZ"), item("b3", "EUR")]
    });

    let (status, body) = ledger.send(reqwest::Method::POST, "/api/v1/invoices", ADMIN, &request);

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["applied"].as_u64(), body["failed"].as_u64()),
        (Some(2), Some(1))
    );
    let results: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["applied", "failed", "applied"]);
    assert!(
        body["results"][1]["error"]
            .as_str()
            .unwrap()
            .contains("XYZ"),
        "{body}"
    );

    let mut stored: Vec<String> = ledger
        .invoices()
        .iter()
        .map(|i| i["source_ref"]["external_id"].as_str().unwrap().to_owned())
        .collect();
    stored.sort();
    assert_eq!(stored, ["b1", "b3"]);
}

#[test]
fn fec_import_then_reimport_changes_nothing() {
    let ledger = Ledger::start();
    let fec = std::fs::read(repo_root().join("shared/ledger/tests/data/fec_sample.txt")).unwrap();
    let import = || {
        answer(
            ledger
                .request(
                    reqwest::Method::POST,
                    "/api/v1/imports/ledger?currency=EUR&payment_terms_days=30",
                    ADMIN,
                )
                .body(fec.clone())
                .send()
                .unwrap(),
        )
    };

    let (status, first) = import();
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["failed"], 0, "{first}");
    let applied = first["applied"].as_u64().unwrap();
    assert!(applied > 0, "{first}");
    let after_first = ledger.invoices();
    assert!(!after_first.is_empty());

    let (status, second) = import();
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["applied"], 0, "{second}");
    assert_eq!(
        second["unchanged"].as_u64(),
        Some(applied + first["unchanged"].as_u64().unwrap())
    );
    assert_eq!(ledger.invoices(), after_first);
}

#[test]
fn failed_event_is_listed_and_replayed_after_the_fix() {
    let ledger = Ledger::start();
    let voided = json!({
        "id": "evt_void", "type": "invoice.voided", "occurred_at": "2026-03-05T10:00:00Z",
        "source": "sellsy", "data": {"external_id": "inv_1"}
    });

    let (status, refused) = answer(ledger.send_event(&voided));
    assert_eq!(status, 400, "{refused}");
    let inbox_id = refused["error"]["details"]["inbox_id"].as_i64().unwrap();

    let failures = ledger.admin_get("/api/v1/ingestion/failures");
    assert_eq!(failures["items"][0]["id"], inbox_id);
    assert!(
        failures["items"][0]["error"]
            .as_str()
            .unwrap()
            .contains("inv_1"),
        "{failures}"
    );

    ledger.send_event(&invoice_event(
        "evt_1",
        "2026-03-02T10:00:00Z",
        "inv_1",
        "C-1",
        "100.00",
    ));
    let (status, replayed) = ledger.send(
        reqwest::Method::POST,
        &format!("/api/v1/ingestion/failures/{inbox_id}/replay"),
        ADMIN,
        &json!({}),
    );

    assert_eq!(status, 200, "{replayed}");
    assert_eq!(replayed["result"], "applied");
    assert_eq!(
        ledger.admin_get("/api/v1/ingestion/failures")["items"],
        json!([])
    );
    assert_eq!(ledger.invoices()[0]["status"], "void");
}

#[test]
fn team_edits_invoices_and_customers() {
    let ledger = Ledger::start();
    ledger.send_event(&customer_event("evt_c1", "C-1", "alice"));
    ledger.send_event(&invoice_event(
        "evt_1",
        "2026-03-02T10:00:00Z",
        "inv_1",
        "C-1",
        "100.00",
    ));
    let id = ledger.invoices()[0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/invoices/{id}");

    let edit = json!({
        "dispute": {"open": true, "reason": "damaged goods"},
        "promise_to_pay": {"date": "2026-04-15", "amount": "100.00"},
        "dunning_paused_until": "2026-04-30"
    });
    let (status, edited) = ledger.send(reqwest::Method::PATCH, &path, ADMIN, &edit);
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["dispute"]["reason"], "damaged goods");
    assert_eq!(edited["promise_to_pay"]["promised_on"], "2026-04-15");
    assert_eq!(edited["dunning_paused_until"], "2026-04-30");

    let clear =
        json!({"dispute": {"open": false}, "promise_to_pay": null, "dunning_paused_until": null});
    let (status, cleared) = ledger.send(reqwest::Method::PATCH, &path, ADMIN, &clear);
    assert_eq!(status, 200, "{cleared}");
    assert_eq!(
        (&cleared["dispute"], &cleared["promise_to_pay"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(cleared["dunning_paused_until"], Value::Null);

    let (status, wrong) = ledger.send(
        reqwest::Method::PATCH,
        &path,
        ADMIN,
        &json!({"promise_to_pay": {"date": "2026-04-15", "amount": "1.001"}}),
    );
    assert_eq!(status, 400, "{wrong}");

    let (status, created) = ledger.send(
        reqwest::Method::POST,
        "/api/v1/customers",
        ADMIN,
        &json!({"external_id": "M-1", "name": "Garage Dupuis", "owner": "alice"}),
    );
    assert_eq!(status, 201, "{created}");
    let customer = format!("/api/v1/customers/{}", created["id"]);
    let patch = json!({
        "segmentation": {"collector": "bruno", "tags": ["garage"]},
        "contacts": {"dunning": {"name": "Claire", "email": "claire@dupuis.example"}}
    });
    let (status, patched) = ledger.send(reqwest::Method::PATCH, &customer, ADMIN, &patch);
    assert_eq!(status, 200, "{patched}");
    let read = ledger.admin_get(&customer);
    assert_eq!(read["customer"]["segmentation"]["owner"], "alice");
    assert_eq!(read["customer"]["segmentation"]["collector"], "bruno");
    assert_eq!(read["customer"]["segmentation"]["tags"], json!(["garage"]));
    assert_eq!(
        read["customer"]["contacts"]["dunning"]["email"],
        "claire@dupuis.example"
    );
}

#[test]
fn sales_token_never_sees_another_owners_customer_or_invoice() {
    let ledger = Ledger::start();
    ledger.send_event(&customer_event("evt_c1", "C-1", "alice"));
    ledger.send_event(&customer_event("evt_c2", "C-2", "bob"));
    ledger.send_event(&invoice_event(
        "evt_1",
        "2026-03-02T10:00:00Z",
        "inv_a",
        "C-1",
        "100.00",
    ));
    ledger.send_event(&invoice_event(
        "evt_2",
        "2026-03-02T10:00:00Z",
        "inv_b",
        "C-2",
        "200.00",
    ));
    let all = ledger.invoices();
    let bobs = all
        .iter()
        .find(|i| i["source_ref"]["external_id"] == "inv_b")
        .unwrap();
    let sales = ledger.token(Role::Sales, &Scope::Owner("alice".into()));

    let (_, invoices) = ledger.get("/api/v1/invoices", &sales);
    let numbers: Vec<&Value> = invoices["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["number"])
        .collect();
    assert_eq!(numbers, [&json!("F-inv_a")]);
    let (_, customers) = ledger.get("/api/v1/customers", &sales);
    let names: Vec<&Value> = customers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["customer"]["name"])
        .collect();
    assert_eq!(names, [&json!("Client C-1")]);

    let invoice = format!("/api/v1/invoices/{}", bobs["id"]);
    let customer = format!("/api/v1/customers/{}", bobs["customer_id"]);
    assert_eq!(ledger.get(&invoice, &sales).0, 404);
    assert_eq!(ledger.get(&customer, &sales).0, 404);
    let pause = json!({"dunning_paused_until": "2026-04-30"});
    assert_eq!(
        ledger
            .send(reqwest::Method::PATCH, &invoice, &sales, &pause)
            .0,
        404
    );
    assert_eq!(
        ledger
            .send(
                reqwest::Method::PATCH,
                &customer,
                &sales,
                &json!({"name": "x"})
            )
            .0,
        404
    );

    let own = all
        .iter()
        .find(|i| i["source_ref"]["external_id"] == "inv_a")
        .unwrap();
    let own_path = format!("/api/v1/invoices/{}", own["id"]);
    assert_eq!(
        ledger
            .send(reqwest::Method::PATCH, &own_path, &sales, &pause)
            .0,
        403
    );
    assert_eq!(ledger.invoices(), all);
}
