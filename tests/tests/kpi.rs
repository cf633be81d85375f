//! The `kpi` component through the host: a small ledger loaded through the
//! API gives exactly the figures worked out by hand, as of any day; a sales
//! token sees only its customers and totals that are their sum; bad filters
//! and dates are refused with a 400 that names them.

#![allow(clippy::unwrap_used)]

use relance_ledger::signature::sign;
use relance_tests::{TestApp, build_app_components, relance_app, test_secret};
use reqwest::Method;
use serde_json::{Value, json};

/// The day the hand-worked figures are as of.
const AS_OF: &str = "2026-03-31";

struct Books {
    app: TestApp,
}

impl Books {
    /// Three customers and seven invoices, worked out by hand on 2026-03-31:
    ///
    /// | invoice | customer | issued | due | total | on 2026-03-31 |
    /// |---|---|---|---|---|---|
    /// | A-1 | Alpha (alice, Nord) | 01-05 | 02-04 | 1000.00 | credited 200.00 on 03-10: 800.00, 55 days late |
    /// | A-2 | Alpha | 03-10 | 04-09 | 2000.00 | not due |
    /// | A-3 | Alpha | 2025-12-01 | 2025-12-31 | 500.00 | paid on 01-20, 20 days late |
    /// | B-1 | Beta (bob, Sud) | 02-01 | 03-03 | 3000.00 | 1000.00 paid on 03-15: 2000.00, 28 days late |
    /// | B-2 | Beta | 2025-11-15 | 2025-12-15 | 800.00 | 106 days late |
    /// | G-1 | Gamma (alice, Sud) | 03-20 | 04-19 | 1200.00 | not due |
    /// | G-2 | Gamma | 03-25 | 04-24 | 1000.00 USD | not due, 900.00 EUR at 0.90 |
    fn start() -> Books {
        build_app_components().unwrap();
        let books = Books {
            app: TestApp::start(relance_app()).unwrap(),
        };

        for (id, name, owner, region, segment) in [
            ("C-1", "Alpha SA", "alice", "Nord", "smb"),
            ("C-2", "Beta SARL", "bob", "Sud", "key-account"),
            ("C-3", "Gamma SAS", "alice", "Sud", "smb"),
        ] {
            let customer = json!({
                "external_id": id, "name": name, "owner": owner, "region": region,
                "segment": segment, "legal_entity": "FR01", "collector": "carla",
                "source": "erp",
            });
            let (status, body) = books.send(Method::POST, "/api/v1/customers", &customer);
            assert_eq!(status, 201, "{body}");
        }

        books.bulk(
            "2025-11-01T08:00:00Z",
            &[
                invoice(
                    "A-1",
                    "C-1",
                    "2026-01-05",
                    "2026-02-04",
                    "EUR",
                    "1000.00",
                    "0.00",
                    "open",
                ),
                invoice(
                    "A-2",
                    "C-1",
                    "2026-03-10",
                    "2026-04-09",
                    "EUR",
                    "2000.00",
                    "0.00",
                    "open",
                ),
                invoice(
                    "A-3",
                    "C-1",
                    "2025-12-01",
                    "2025-12-31",
                    "EUR",
                    "500.00",
                    "0.00",
                    "open",
                ),
                invoice(
                    "B-1",
                    "C-2",
                    "2026-02-01",
                    "2026-03-03",
                    "EUR",
                    "3000.00",
                    "0.00",
                    "open",
                ),
                invoice(
                    "B-2",
                    "C-2",
                    "2025-11-15",
                    "2025-12-15",
                    "EUR",
                    "800.00",
                    "0.00",
                    "open",
                ),
                invoice(
                    "G-1",
                    "C-3",
                    "2026-03-20",
                    "2026-04-19",
                    "EUR",
                    "1200.00",
                    "0.00",
                    "open",
                ),
                invoice(
                    "G-2",
                    "C-3",
                    "2026-03-25",
                    "2026-04-24",
                    "USD",
                    "1000.00",
                    "0.00",
                    "open",
                ),
            ],
        );
        books.bulk(
            "2026-01-20T10:00:00Z",
            &[invoice(
                "A-3",
                "C-1",
                "2025-12-01",
                "2025-12-31",
                "EUR",
                "500.00",
                "500.00",
                "paid",
            )],
        );
        books.bulk(
            "2026-03-15T10:00:00Z",
            &[invoice(
                "B-1",
                "C-2",
                "2026-02-01",
                "2026-03-03",
                "EUR",
                "3000.00",
                "1000.00",
                "open",
            )],
        );
        books.credit_note("AV-1", "A-1", "C-1", "2026-03-10", "200.00");
        books
    }

    fn bulk(&self, occurred_at: &str, invoices: &[Value]) {
        let body = json!({"source": "erp", "occurred_at": occurred_at, "invoices": invoices});
        let (status, loaded) = self.send(Method::POST, "/api/v1/invoices", &body);
        assert_eq!(status, 200, "{loaded}");
        assert_eq!(
            loaded["applied"].as_u64(),
            Some(invoices.len() as u64),
            "{loaded}"
        );
    }

    fn credit_note(&self, number: &str, invoice: &str, customer: &str, issued: &str, total: &str) {
        let event = json!({
            "id": format!("evt-{number}"), "type": "credit_note.upserted",
            "occurred_at": format!("{issued}T09:00:00Z"), "source": "erp",
            "data": {
                "external_id": number, "number": number, "customer": customer,
                "invoice": invoice, "issue_date": issued, "currency": "EUR", "total": total,
                "reason": "damaged goods",
            },
        });
        let body = serde_json::to_vec(&event).unwrap();
        let secret = test_secret("invoices_webhook_secret");
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let response = self
            .app
            .client
            .post(self.app.url("/webhooks/invoices"))
            .header("x-relance-signature", sign(secret.as_bytes(), at, &body))
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

    fn put_rates(&self) {
        let rates = json!({"rates": [
            {"currency": "USD", "reporting_currency": "EUR", "valid_from": "2026-01-01", "rate": "0.90"},
        ]});
        let (status, body) = self.send(Method::PUT, "/api/v1/fx-rates", &rates);
        assert_eq!(status, 200, "{body}");
    }

    fn send(&self, method: Method, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(test_secret("admin_token"))
            .json(body)
            .send()
            .unwrap();
        (
            response.status().as_u16(),
            response.json().unwrap_or(Value::Null),
        )
    }

    fn get_as(&self, token: &str, path: &str) -> (u16, Value) {
        let response = self
            .app
            .client
            .get(self.app.url(path))
            .bearer_auth(token)
            .send()
            .unwrap();
        (
            response.status().as_u16(),
            response.json().unwrap_or(Value::Null),
        )
    }

    fn get(&self, path: &str) -> Value {
        let (status, body) = self.get_as(&test_secret("admin_token"), path);
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    fn sales_token(&self, person: &str) -> String {
        let token = json!({"name": person, "role": "sales", "person": person});
        let (status, created) = self.send(Method::POST, "/api/v1/tokens", &token);
        assert_eq!(status, 201, "{created}");
        created["token"].as_str().unwrap().to_owned()
    }
}

#[allow(clippy::too_many_arguments)]
fn invoice(
    number: &str,
    customer: &str,
    issued: &str,
    due: &str,
    currency: &str,
    total: &str,
    paid: &str,
    status: &str,
) -> Value {
    json!({
        "external_id": number, "number": number, "customer": customer,
        "issue_date": issued, "due_date": due, "currency": currency, "total": total,
        "tax": "0.00", "amount_paid": paid, "status": status,
    })
}

fn buckets(line: &Value) -> [&str; 6] {
    [
        "not_due",
        "days_1_30",
        "days_31_60",
        "days_61_90",
        "over_90_days",
        "total",
    ]
    .map(|bucket| line[bucket].as_str().unwrap_or("missing"))
}

#[test]
fn the_ledger_gives_the_figures_worked_out_by_hand() {
    let books = Books::start();

    // The USD invoice cannot be added to euros before a rate is given.
    let (status, refused) = books.get_as(
        &test_secret("admin_token"),
        &format!("/api/v1/kpi/summary?as_of={AS_OF}"),
    );
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "missing_exchange_rate");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("from USD to EUR")
    );
    books.put_rates();

    let summary = books.get(&format!("/api/v1/kpi/summary?as_of={AS_OF}"));
    assert_eq!(summary["currency"], "EUR");
    assert_eq!(
        summary["outstanding"],
        json!({"total": "7700.00", "not_due": "4100.00", "overdue": "3600.00",
               "disputed": "0.00", "invoices": 6})
    );
    // 3600 / 7700.
    assert_eq!(summary["overdue_share_percent"], json!(46.8));
    // Countback: 7700 − 4100 (31 days) − 3000 (28 days) leaves 600 of January's
    // 1000: 31 + 28 + 18.6. Standard over the 90 days since 2025-12-31:
    // 7700 / 8100 × 90; Best Possible: 4100 / 8100 × 90; the gap is 40.
    assert_eq!(
        summary["dso"],
        json!({"countback_days": 77.6, "countback_complete": true, "standard_days": 85.6,
               "best_possible_days": 45.6, "average_days_delinquent": 40.0})
    );
    // Owed on 2025-12-31: A-3 and B-2, 1300. (1300 + 8100 − 7700) / (1300 + 8100 − 4100).
    assert_eq!(
        summary["collection_effectiveness_index_percent"],
        json!(32.1)
    );
    // 500 paid 20 days late and 1000 paid 12 days late.
    assert_eq!(summary["average_payment_delay_days"], json!(14.7));
    // B-2, over 90 days: 800 / 7700.
    assert_eq!(
        summary["at_risk"],
        json!({"amount": "800.00", "rate_percent": 10.4})
    );
    // A-1, B-1, B-2 are chased, for Alpha and Beta.
    assert_eq!(
        summary["in_dunning"],
        json!({"customers": 2, "invoices": 3})
    );
    assert_eq!(
        summary["collected_this_month"],
        json!({"from": "2026-03-01", "to": "2026-03-31", "amount": "1000.00"})
    );

    let by_region = books.get(&format!(
        "/api/v1/kpi/aged-balance?as_of={AS_OF}&group_by=region"
    ));
    let groups = by_region["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["key"], "Sud");
    assert_eq!(
        buckets(&groups[0]),
        ["2100.00", "2000.00", "0.00", "0.00", "800.00", "4900.00"]
    );
    assert_eq!(groups[1]["key"], "Nord");
    assert_eq!(
        buckets(&groups[1]),
        ["2000.00", "0.00", "800.00", "0.00", "0.00", "2800.00"]
    );
    assert_eq!(
        buckets(&by_region["total"]),
        ["4100.00", "2000.00", "800.00", "0.00", "800.00", "7700.00"]
    );

    let trend = books.get(&format!("/api/v1/kpi/dso?as_of={AS_OF}&months=2"));
    // On 2026-02-28, 4800 owed: 3000 (28 days), 1000 (31), 500 (31), then 300
    // of November's 800 (30 days): 101.25.
    assert_eq!(
        trend["points"],
        json!([
            {"on": "2026-02-28", "receivables": "4800.00", "days": 101.3, "complete": true},
            {"on": "2026-03-31", "receivables": "7700.00", "days": 77.6, "complete": true},
        ])
    );

    // Alpha pays 20 days late, Beta 12: Alpha's A-1 and Beta's B-1 and B-2 are
    // expected at once, A-2 on 04-29 (week 5); Gamma never paid, so G-1 and
    // G-2 are expected on their due dates.
    let forecast = books.get(&format!("/api/v1/kpi/forecast?as_of={AS_OF}"));
    let weeks = forecast["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 13);
    let expected: Vec<&str> = weeks[..6]
        .iter()
        .map(|w| w["expected"].as_str().unwrap())
        .collect();
    assert_eq!(
        expected,
        ["3600.00", "0.00", "1200.00", "900.00", "2000.00", "0.00"]
    );
    let baseline: Vec<&str> = weeks[..6]
        .iter()
        .map(|w| w["due_date_baseline"].as_str().unwrap())
        .collect();
    assert_eq!(
        baseline,
        ["3600.00", "2000.00", "1200.00", "900.00", "0.00", "0.00"]
    );
    assert_eq!(forecast["months"][0]["expected"], "7700.00");
    assert_eq!(
        forecast["by_basis"],
        json!({"customer_history": "5600.00", "due_date": "2100.00"})
    );

    let ranked = books.get(&format!("/api/v1/kpi/customers?as_of={AS_OF}"));
    let names: Vec<&str> = ranked["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Beta SARL", "Alpha SA", "Gamma SAS"]);
    let beta = &ranked["customers"][0];
    // 2800 owed over 3000 invoiced in 90 days.
    assert_eq!(
        (beta["overdue"].as_str(), beta["dso_days"].as_f64()),
        (Some("2800.00"), Some(84.0))
    );
    assert_eq!(beta["average_payment_delay_days"], json!(12.0));
    assert_eq!(
        ranked["customers"][1]["average_payment_delay_days"],
        json!(20.0)
    );

    // Carla collects for everyone: 500 and 1000 received since 2025-12-31.
    let work = books.get(&format!(
        "/api/v1/kpi/collectors?as_of={AS_OF}&period_months=3"
    ));
    assert_eq!(
        work["collectors"],
        json!([{
            "collector": "carla", "collected": "1500.00", "outstanding": "7700.00",
            "overdue": "3600.00", "steps_taken": 0, "tasks_done": 0, "tasks_open": 0,
            "promises_due": 0, "promises_kept": 0, "promises_kept_percent": null,
        }])
    );
}

#[test]
fn figures_as_of_an_earlier_day_are_rebuilt_from_the_dated_documents() {
    let books = Books::start();
    books.put_rates();

    // On 2026-02-15: A-1 not yet credited (11 days late), A-3 already paid,
    // B-1 not yet due, B-2 62 days late.
    let balance = books.get("/api/v1/kpi/aged-balance?as_of=2026-02-15&group_by=customer");
    assert_eq!(
        buckets(&balance["total"]),
        ["3000.00", "1000.00", "0.00", "800.00", "0.00", "4800.00"]
    );

    // The day before A-3 was paid, it was owed and overdue.
    let summary = books.get("/api/v1/kpi/summary?as_of=2026-01-19");
    assert_eq!(summary["outstanding"]["total"], "2300.00");
    assert_eq!(summary["outstanding"]["overdue"], "1300.00");

    // A dispute opened today counts from today on, not before.
    let b2 = books.get("/api/v1/invoices?limit=100")["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|invoice| invoice["number"] == "B-2")
        .unwrap()["id"]
        .clone();
    let dispute = json!({"dispute": {"open": true, "reason": "wrong quantity"}});
    let (status, _) = books.send(Method::PATCH, &format!("/api/v1/invoices/{b2}"), &dispute);
    assert_eq!(status, 200);
    let before = books.get(&format!("/api/v1/kpi/summary?as_of={AS_OF}"));
    assert_eq!(before["outstanding"]["disputed"], "0.00");
    let after = books.get("/api/v1/kpi/summary?as_of=2099-01-01");
    assert_eq!(after["outstanding"]["disputed"], "800.00");
}

#[test]
fn a_sales_token_sees_only_its_customers_and_their_sum() {
    let books = Books::start();
    books.put_rates();
    let alice = books.sales_token("alice");

    let (status, balance) = books.get_as(
        &alice,
        &format!("/api/v1/kpi/aged-balance?as_of={AS_OF}&group_by=customer"),
    );
    assert_eq!(status, 200, "{balance}");
    let groups = balance["groups"].as_array().unwrap();
    let names: Vec<&str> = groups.iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Alpha SA", "Gamma SAS"]);
    assert_eq!(buckets(&groups[0])[5], "2800.00");
    assert_eq!(buckets(&groups[1])[5], "2100.00");
    assert_eq!(buckets(&balance["total"])[5], "4900.00");

    let (_, summary) = books.get_as(&alice, &format!("/api/v1/kpi/summary?as_of={AS_OF}"));
    assert_eq!(summary["outstanding"]["total"], "4900.00");
    assert_eq!(
        summary["in_dunning"],
        json!({"customers": 1, "invoices": 1})
    );

    // Asking for another owner's customers narrows the scope to nothing.
    let (_, other) = books.get_as(
        &alice,
        &format!("/api/v1/kpi/summary?as_of={AS_OF}&owner=bob"),
    );
    assert_eq!(other["outstanding"]["total"], "0.00");

    let (_, ranked) = books.get_as(&alice, &format!("/api/v1/kpi/customers?as_of={AS_OF}"));
    let names: Vec<&str> = ranked["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Alpha SA", "Gamma SAS"]);

    let (_, forecast) = books.get_as(&alice, &format!("/api/v1/kpi/forecast?as_of={AS_OF}"));
    assert_eq!(forecast["open"], "4900.00");

    // Sales tokens read rates but may not change them.
    let (status, _) = books.get_as(&alice, "/api/v1/fx-rates");
    assert_eq!(status, 200);
    let response = books
        .app
        .client
        .put(books.app.url("/api/v1/fx-rates"))
        .bearer_auth(&alice)
        .json(&json!({"rates": []}))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
}

#[test]
fn bad_filters_and_dates_are_refused_with_a_400_naming_them() {
    build_app_components().unwrap();
    let app = TestApp::start(relance_app()).unwrap();
    let admin = test_secret("admin_token");

    // (path, parameter at fault)
    let table = [
        ("/api/v1/kpi/summary?as_of=2026-02-30", "as_of"),
        ("/api/v1/kpi/summary?as_of=31/03/2026", "as_of"),
        ("/api/v1/kpi/summary?currency=EURO", "currency"),
        ("/api/v1/kpi/summary?region=", "region"),
        ("/api/v1/kpi/summary?country=FR", "country"),
        ("/api/v1/kpi/aged-balance?group_by=country", "group_by"),
        ("/api/v1/kpi/dso?method=average", "method"),
        ("/api/v1/kpi/dso?months=0", "months"),
        ("/api/v1/kpi/forecast?horizon_weeks=53", "horizon_weeks"),
        ("/api/v1/kpi/customers?sort=name", "sort"),
    ];

    for (path, parameter) in table {
        let response = app
            .client
            .get(app.url(path))
            .bearer_auth(&admin)
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{path}");
        let body: Value = response.json().unwrap();
        assert_eq!(
            body["error"]["details"]["parameter"], parameter,
            "{path}: {body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(parameter),
            "{path}: {body}"
        );
    }

    let response = app
        .client
        .get(app.url("/api/v1/kpi/summary"))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}
