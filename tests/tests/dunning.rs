//! The `dunning` component through the host, with a fake email provider on
//! 127.0.0.1 speaking Postmark's API: a run sends the right messages in
//! each customer's language, a second run the same day sends nothing, a run
//! after missed days sends each due step once, a provider answering 500
//! then 200 delivers once, killing the host mid-delivery and restarting
//! sends no duplicate, and tasks feed their outcomes back into dunning
//! within the collector's portfolio.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use relance_tests::{AppOptions, TestApp, build_app_components, relance_app, test_secret};
use reqwest::Method;
use serde_json::{Value, json};

/// One request the fake provider received.
#[derive(Debug, Clone)]
struct Received {
    idempotency_key: String,
    to: String,
    subject: String,
    text: String,
}

/// How the fake provider answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// 200 to everything.
    Accept,
    /// 500 to the first attempt of each message, then 200.
    FailFirstAttempt,
    /// 200, each answer after a pause.
    Slow,
}

/// A Postmark-compatible fake. Like a provider honouring idempotency keys,
/// it delivers a key once and answers repeats with the same message id.
struct FakeProvider {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    delivered: Arc<Mutex<BTreeMap<String, String>>>,
}

impl FakeProvider {
    fn start(behaviour: Behaviour) -> FakeProvider {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let delivered = Arc::new(Mutex::new(BTreeMap::new()));
        let (seen, sent) = (Arc::clone(&received), Arc::clone(&delivered));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (seen, sent) = (Arc::clone(&seen), Arc::clone(&sent));
                std::thread::spawn(move || serve(stream, behaviour, &seen, &sent));
            }
        });
        FakeProvider {
            url,
            received,
            delivered,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Messages delivered: idempotency key → recipient.
    fn delivered(&self) -> BTreeMap<String, String> {
        self.delivered.lock().unwrap().clone()
    }

    fn delivered_to(&self, recipient: &str) -> Vec<Received> {
        let keys = self.delivered();
        let mut firsts: BTreeMap<String, Received> = BTreeMap::new();
        for request in self.received() {
            if keys.get(&request.idempotency_key).map(String::as_str) == Some(recipient) {
                firsts
                    .entry(request.idempotency_key.clone())
                    .or_insert(request);
            }
        }
        firsts.into_values().collect()
    }
}

fn serve(
    stream: TcpStream,
    behaviour: Behaviour,
    seen: &Mutex<Vec<Received>>,
    sent: &Mutex<BTreeMap<String, String>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = BTreeMap::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();

        let (status, answer) = answer(&headers, &body, behaviour, seen, sent);
        let text = answer.to_string();
        let written = write!(
            stream,
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        );
        if written.is_err() {
            return;
        }
    }
}

fn answer(
    headers: &BTreeMap<String, String>,
    body: &[u8],
    behaviour: Behaviour,
    seen: &Mutex<Vec<Received>>,
    sent: &Mutex<BTreeMap<String, String>>,
) -> (u16, Value) {
    if headers.get("x-postmark-server-token").map(String::as_str) != Some("pm-token") {
        return (401, json!({"ErrorCode": 10, "Message": "bad token"}));
    }
    let email: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let key = headers.get("idempotency-key").cloned().unwrap_or_default();
    let received = Received {
        idempotency_key: key.clone(),
        to: email["To"].as_str().unwrap_or_default().to_owned(),
        subject: email["Subject"].as_str().unwrap_or_default().to_owned(),
        text: email["TextBody"].as_str().unwrap_or_default().to_owned(),
    };
    let attempts_before = {
        let mut seen = seen.lock().unwrap();
        let before = seen.iter().filter(|r| r.idempotency_key == key).count();
        seen.push(received.clone());
        before
    };

    if received.to.contains("refused@") {
        return (
            422,
            json!({"ErrorCode": 406, "Message": "inactive recipient"}),
        );
    }
    if behaviour == Behaviour::FailFirstAttempt && attempts_before == 0 {
        return (500, json!({"ErrorCode": 500, "Message": "try later"}));
    }
    if behaviour == Behaviour::Slow {
        std::thread::sleep(Duration::from_millis(400));
    }
    sent.lock()
        .unwrap()
        .entry(key.clone())
        .or_insert_with(|| recipient_address(&received.to));
    (
        200,
        json!({"ErrorCode": 0, "Message": "OK", "MessageID": format!("pm-{key}"), "To": received.to}),
    )
}

fn recipient_address(to: &str) -> String {
    match to.rsplit_once('<') {
        Some((_, address)) => address.trim_end_matches('>').to_owned(),
        None => to.to_owned(),
    }
}

/// The app with the fake provider configured.
fn options(provider: &FakeProvider) -> AppOptions {
    relance_app()
        .variable("email_provider", "postmark")
        .variable("email_api_key", "pm-token")
        .variable("email_api_base", &provider.url)
        .variable("email_api_host", &provider.url)
        .variable("dunning_delivery_lease_seconds", "1")
}

struct Desk {
    app: TestApp,
}

impl Desk {
    fn start(options: AppOptions) -> Desk {
        build_app_components().unwrap();
        let desk = Desk {
            app: TestApp::start(options).unwrap(),
        };
        desk.settings();
        desk
    }

    fn send(&self, method: Method, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let response = self
            .app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .unwrap();
        (
            response.status().as_u16(),
            response.json().unwrap_or(Value::Null),
        )
    }

    fn get(&self, path: &str, token: &str) -> Value {
        let response = self
            .app
            .client
            .get(self.app.url(path))
            .bearer_auth(token)
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        response.json().unwrap()
    }

    fn settings(&self) {
        let (status, body) = self.send(
            Method::PUT,
            "/api/v1/dunning/settings",
            &admin(),
            &json!({
                "company_name": "Relance Démo SAS",
                "sender_name": "Service recouvrement",
                "sender_email": "recouvrement@demo.example",
                "reply_to": "compta@demo.example",
                "signature": "Le service recouvrement\nRelance Démo SAS",
                "postal_address": "12 rue de la Paix\n75002 Paris"
            }),
        );
        assert_eq!(status, 200, "{body}");
    }

    /// A customer with its dunning contact; returns its id.
    fn customer(&self, external_id: &str, name: &str, language: &str, email: &str) -> i64 {
        let (status, body) = self.send(
            Method::POST,
            "/api/v1/customers",
            &admin(),
            &json!({
                "external_id": external_id, "name": name, "language": language,
                "collector": "bruno", "owner": "alice",
                "contacts": {"dunning": {"name": format!("Contact {name}"), "email": email}}
            }),
        );
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// Invoices `(number, customer, due date, total, paid)`, issued thirty
    /// days before they fall due: open (partly paid when something is) or paid.
    fn invoices(&self, invoices: &[(&str, &str, &str, &str, &str)]) {
        let invoices: Vec<Value> = invoices
            .iter()
            .map(|(number, customer, due, total, paid)| {
                let due_date: chrono::NaiveDate = due.parse().unwrap();
                let status = if paid == total { "paid" } else { "open" };
                json!({
                    "external_id": format!("inv-{number}"), "number": number,
                    "customer": customer, "issue_date": due_date - chrono::Days::new(30),
                    "due_date": due, "currency": "EUR", "total": total, "tax": "0.00",
                    "amount_paid": paid, "status": status,
                })
            })
            .collect();
        let (status, body) = self.send(
            Method::POST,
            "/api/v1/invoices",
            &admin(),
            &json!({"source": "manual", "invoices": invoices}),
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["applied"].as_u64(),
            Some(invoices.len() as u64),
            "{body}"
        );
    }

    fn invoice_id(&self, number: &str) -> i64 {
        let page = self.get("/api/v1/invoices?limit=1000", &admin());
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|invoice| invoice["number"] == number)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    }

    fn run(&self, as_of: &str) -> Value {
        let (status, body) = self.send(
            Method::POST,
            &format!("/jobs/dunning/run?as_of={as_of}"),
            &test_secret("job_token"),
            &Value::Null,
        );
        assert_eq!(status, 200, "{body}");
        body
    }

    fn outbox(&self, token: &str) -> Vec<Value> {
        self.get("/api/v1/outbox?limit=1000", token)["items"]
            .as_array()
            .unwrap()
            .clone()
    }

    fn token(&self, role: &str, person: Option<&str>) -> String {
        let (status, body) = self.send(
            Method::POST,
            "/api/v1/tokens",
            &admin(),
            &json!({"name": format!("{role} {person:?}"), "role": role, "person": person}),
        );
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }
}

fn admin() -> String {
    test_secret("admin_token")
}

fn count(value: &Value, field: &str) -> u64 {
    value[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {value}"))
}

#[test]
fn a_run_sends_the_right_messages_and_a_second_run_the_same_day_sends_nothing() {
    let provider = FakeProvider::start(Behaviour::Accept);
    let desk = Desk::start(options(&provider));
    let acme = desk.customer("C-1", "ACME SA", "fr", "jeanne@acme.example");
    desk.customer("C-2", "Globex Ltd", "en", "ap@globex.example");
    desk.customer("C-3", "Settled SARL", "fr", "compta@settled.example");
    desk.invoices(&[
        ("F-1", "C-1", "2026-03-31", "1440.00", "0.00"),
        ("F-2", "C-1", "2026-03-31", "500.00", "200.00"),
        ("F-3", "C-1", "2026-03-31", "900.00", "0.00"),
        ("G-1", "C-2", "2026-04-08", "2500.00", "0.00"),
        ("S-1", "C-3", "2026-03-31", "700.00", "700.00"),
    ]);
    let disputed = desk.invoice_id("F-3");
    let (status, _) = desk.send(
        Method::PATCH,
        &format!("/api/v1/invoices/{disputed}"),
        &admin(),
        &json!({"dispute": {"open": true, "reason": "goods returned"}}),
    );
    assert_eq!(status, 200);

    let preview = desk.get("/api/v1/dunning/preview?as_of=2026-04-03", &admin());
    assert_eq!(preview["steps"].as_array().unwrap().len(), 2, "{preview}");
    assert_eq!(preview["held"][0]["reason"], "disputed", "{preview}");
    assert!(provider.received().is_empty(), "a preview sends nothing");
    let first_page = desk.get("/api/v1/dunning/preview?as_of=2026-04-03&limit=1", &admin());
    assert_eq!(
        first_page["steps"][0]["customer_name"], "ACME SA",
        "{first_page}"
    );
    let cursor = first_page["next_cursor"].as_str().unwrap();
    let second_page = desk.get(
        &format!("/api/v1/dunning/preview?as_of=2026-04-03&limit=1&cursor={cursor}"),
        &admin(),
    );
    assert_eq!(
        second_page["steps"][0]["customer_name"], "Globex Ltd",
        "{second_page}"
    );

    let first = desk.run("2026-04-03");

    assert_eq!(count(&first["run"], "emails"), 2, "{first}");
    assert_eq!(count(&first["run"], "held_invoices"), 1, "{first}");
    let to_acme = provider.delivered_to("jeanne@acme.example");
    assert_eq!(to_acme.len(), 1);
    let reminder = &to_acme[0];
    assert!(
        reminder.subject.starts_with("Relance : 2 facture(s)"),
        "{}",
        reminder.subject
    );
    assert!(reminder.text.contains("Facture F-1"), "{}", reminder.text);
    assert!(
        reminder.text.contains("reste dû 300,00\u{a0}EUR"),
        "{}",
        reminder.text
    );
    assert!(
        !reminder.text.contains("F-3"),
        "a disputed invoice is held: {}",
        reminder.text
    );
    assert!(
        reminder.text.contains("Le service recouvrement"),
        "{}",
        reminder.text
    );
    let to_globex = provider.delivered_to("ap@globex.example");
    assert_eq!(to_globex.len(), 1);
    assert!(
        to_globex[0].subject.contains("falling due soon"),
        "{}",
        to_globex[0].subject
    );
    assert!(
        provider.delivered_to("compta@settled.example").is_empty(),
        "paid: never chased"
    );

    let second = desk.run("2026-04-03");
    assert_eq!(count(&second["run"], "steps_taken"), 0, "{second}");
    assert_eq!(count(&second["delivery"], "attempted"), 0, "{second}");
    let requests = provider.received().len();
    assert_eq!(requests as u64, count(&first["run"], "emails"));

    let outbox = desk.outbox(&admin());
    assert!(
        outbox
            .iter()
            .all(|m| m["status"] == "sent" && m["attempts"] == 1),
        "{outbox:?}"
    );
    assert!(outbox.iter().all(|m| {
        m["provider_message_id"]
            .as_str()
            .unwrap()
            .starts_with("pm-dun-")
    }));

    let later = desk.get("/api/v1/dunning/preview?as_of=2026-04-16", &admin());
    let acme_step = later["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|step| step["customer_id"] == acme)
        .unwrap();
    assert_eq!(acme_step["step_key"], "reminder-2");
    let text = acme_step["message"]["text"].as_str().unwrap();
    assert!(
        text.contains("L441-10") && text.contains("80,00\u{a0}EUR"),
        "{text}"
    );
    assert_eq!(
        provider.received().len(),
        requests,
        "a preview sends nothing"
    );

    let history = desk.get(
        &format!("/api/v1/dunning/history?customer_id={acme}"),
        &admin(),
    );
    let entry = &history["items"][0];
    assert_eq!(
        (entry["actor"].as_str(), entry["result"].as_str()),
        (Some("dunning-run"), Some("sent"))
    );
    assert_eq!(entry["invoices"].as_array().unwrap().len(), 2, "{entry}");
    let by_invoice = desk.get(
        &format!("/api/v1/dunning/history?invoice_id={disputed}"),
        &admin(),
    );
    assert!(by_invoice["items"].as_array().unwrap().is_empty());

    let other = desk.token("collector", Some("someone-else"));
    assert!(
        desk.outbox(&other).is_empty(),
        "another collector sees none of bruno's messages"
    );
    let sales = desk.token("sales", Some("alice"));
    assert_eq!(desk.outbox(&sales).len(), outbox.len());
}

#[test]
fn a_run_after_three_missed_days_sends_each_due_step_once() {
    let provider = FakeProvider::start(Behaviour::Accept);
    let desk = Desk::start(options(&provider));
    desk.customer("A", "Alpha", "fr", "a@alpha.example");
    desk.customer("B", "Bravo", "en", "b@bravo.example");
    desk.customer("C", "Charlie", "fr", "c@charlie.example");
    desk.invoices(&[
        ("A-1", "A", "2026-03-29", "100.00", "0.00"),
        ("B-1", "B", "2026-04-07", "200.00", "0.00"),
        ("C-1", "C", "2026-03-19", "300.00", "0.00"),
    ]);

    let before = desk.run("2026-03-31");
    assert_eq!(count(&before["run"], "emails"), 1, "{before}");

    let caught_up = desk.run("2026-04-04");
    let again = desk.run("2026-04-04");

    assert_eq!(count(&caught_up["run"], "emails"), 3, "{caught_up}");
    assert_eq!(count(&again["run"], "steps_taken"), 0, "{again}");
    let steps: BTreeSet<(String, String)> = desk.get("/api/v1/dunning/history?limit=100", &admin())
        ["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["customer_name"].as_str().unwrap().to_owned(),
                e["step_key"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("Alpha", "reminder-1"),
        ("Bravo", "courtesy"),
        ("Charlie", "reminder-1"),
        ("Charlie", "reminder-2"),
    ]
    .into_iter()
    .map(|(c, s)| (c.to_owned(), s.to_owned()))
    .collect();
    assert_eq!(steps, expected);
    for recipient in ["a@alpha.example", "b@bravo.example"] {
        assert_eq!(provider.delivered_to(recipient).len(), 1, "{recipient}");
    }
    assert_eq!(provider.delivered_to("c@charlie.example").len(), 2);
    assert_eq!(provider.received().len(), 4, "no message was sent twice");
}

#[test]
fn a_provider_answering_500_then_200_delivers_once_and_a_422_fails_clearly() {
    let provider = FakeProvider::start(Behaviour::FailFirstAttempt);
    let desk = Desk::start(options(&provider));
    desk.customer("C-1", "ACME SA", "fr", "jeanne@acme.example");
    desk.customer("C-2", "Gone GmbH", "en", "refused@gone.example");
    desk.invoices(&[
        ("F-1", "C-1", "2026-03-31", "1440.00", "0.00"),
        ("G-1", "C-2", "2026-03-31", "100.00", "0.00"),
    ]);

    let run = desk.run("2026-04-03");

    assert_eq!(count(&run["run"], "emails"), 2, "{run}");
    let to_acme: Vec<Received> = provider
        .received()
        .into_iter()
        .filter(|r| r.to.contains("jeanne@acme.example"))
        .collect();
    assert_eq!(to_acme.len(), 2, "one 500, then one 200");
    assert_eq!(to_acme[0].idempotency_key, to_acme[1].idempotency_key);
    assert_eq!(provider.delivered().len(), 1);

    let outbox = desk.outbox(&admin());
    let sent = outbox
        .iter()
        .find(|m| m["recipient_email"] == "jeanne@acme.example")
        .unwrap();
    assert_eq!(
        (sent["status"].as_str(), sent["attempts"].as_i64()),
        (Some("sent"), Some(2))
    );
    let failed = outbox
        .iter()
        .find(|m| m["recipient_email"] == "refused@gone.example")
        .unwrap();
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["last_error"].as_str().unwrap().contains("422"),
        "{failed}"
    );

    let again = desk.send(
        Method::POST,
        "/jobs/dunning/deliver",
        &test_secret("job_token"),
        &Value::Null,
    );
    assert_eq!(count(&again.1["delivery"], "attempted"), 0, "{:?}", again.1);
}

#[test]
fn killing_the_host_mid_delivery_and_restarting_sends_no_duplicate() {
    let provider = FakeProvider::start(Behaviour::Slow);
    let state = tempfile::tempdir().unwrap();
    let desk = Desk::start(options(&provider).state_dir(state.path()));
    let customers = 10;
    let mut invoices = Vec::new();
    for n in 0..customers {
        desk.customer(
            &format!("K-{n}"),
            &format!("Client {n}"),
            "fr",
            &format!("c{n}@kill.example"),
        );
        invoices.push((format!("K-{n}-1"), format!("K-{n}")));
    }
    let rows: Vec<(&str, &str, &str, &str, &str)> = invoices
        .iter()
        .map(|(number, customer)| {
            (
                number.as_str(),
                customer.as_str(),
                "2026-03-31",
                "100.00",
                "0.00",
            )
        })
        .collect();
    desk.invoices(&rows);

    let url = desk.app.url("/jobs/dunning/run?as_of=2026-04-03");
    let client = desk.app.client.clone();
    let running = std::thread::spawn(move || {
        let _ = client
            .post(url)
            .bearer_auth(test_secret("job_token"))
            .send();
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while provider.received().len() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(desk);
    running.join().unwrap();
    let before_restart = provider.received().len();
    assert!(
        before_restart >= 3 && before_restart < customers,
        "killed mid-delivery: {before_restart}"
    );

    let desk = Desk::start(options(&provider).state_dir(state.path()));
    std::thread::sleep(Duration::from_millis(1500));
    let resumed = desk.run("2026-04-03");

    assert_eq!(
        count(&resumed["run"], "steps_taken"),
        0,
        "every step was recorded before sending"
    );
    let delivered = provider.delivered();
    assert_eq!(delivered.len(), customers, "{resumed}");
    let recipients: BTreeSet<&String> = delivered.values().collect();
    assert_eq!(
        recipients.len(),
        customers,
        "each customer got exactly one message"
    );
    let outbox = desk.outbox(&admin());
    assert_eq!(outbox.len(), customers);
    assert!(outbox.iter().all(|m| m["status"] == "sent"), "{outbox:?}");
}

#[test]
fn tasks_feed_promises_and_disputes_back_into_dunning_within_the_collectors_portfolio() {
    let provider = FakeProvider::start(Behaviour::Accept);
    let desk = Desk::start(options(&provider));
    // Promises are made from today on, so the invoice falls due 25 days ago:
    // today is the call (due + 25), the formal notice comes at due + 40.
    let today = chrono::Utc::now().date_naive();
    let due = today - chrono::Days::new(25);
    desk.customer("C-1", "ACME SA", "fr", "jeanne@acme.example");
    desk.invoices(&[("F-1", "C-1", &due.to_string(), "1200.00", "0.00")]);
    let invoice = desk.invoice_id("F-1");
    let bruno = desk.token("collector", Some("bruno"));
    let other = desk.token("collector", Some("claire"));

    let call_day = desk.run(&today.to_string());
    assert_eq!(count(&call_day["run"], "tasks"), 1, "{call_day}");
    let tasks = desk.get("/api/v1/tasks?status=open", &bruno)["items"].clone();
    assert_eq!(tasks.as_array().unwrap().len(), 1, "{tasks}");
    let call = &tasks[0];
    assert_eq!(
        (call["kind"].as_str(), call["collector"].as_str()),
        (Some("call"), Some("bruno"))
    );
    assert!(
        desk.get("/api/v1/tasks", &other)["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (status, _) = desk.send(
        Method::PATCH,
        &format!("/api/v1/tasks/{}", call["id"]),
        &other,
        &json!({"outcome": "reached"}),
    );
    assert_eq!(status, 404, "another collector cannot touch bruno's task");

    let promised_on = due + chrono::Days::new(45);
    let (status, done) = desk.send(
        Method::PATCH,
        &format!("/api/v1/tasks/{}", call["id"]),
        &bruno,
        &json!({"outcome": "promise_to_pay", "note": "will pay by transfer",
                "promise": {"date": promised_on, "amount": "1200.00"}}),
    );
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["outcome"], "promise_to_pay");
    let promised = desk.get(&format!("/api/v1/invoices/{invoice}"), &admin());
    assert_eq!(
        promised["promise_to_pay"]["amount"]["amount"], "1200.00",
        "{promised}"
    );
    let (status, _) = desk.send(
        Method::PATCH,
        &format!("/api/v1/tasks/{}", call["id"]),
        &bruno,
        &json!({"outcome": "reached"}),
    );
    assert_eq!(status, 409, "an outcome is recorded once");

    let during_promise = (due + chrono::Days::new(41)).to_string();
    let held = desk.run(&during_promise);
    assert_eq!(count(&held["run"], "steps_taken"), 0, "{held}");
    assert_eq!(count(&held["run"], "held_invoices"), 1, "{held}");

    let broken = (promised_on + chrono::Days::new(1)).to_string();
    let resumed = desk.run(&broken);
    assert_eq!(
        count(&resumed["run"], "letters"),
        1,
        "the formal notice follows a broken promise: {resumed}"
    );
    let letter = desk
        .outbox(&bruno)
        .into_iter()
        .find(|m| m["channel"] == "formal_notice")
        .unwrap();
    assert_eq!(letter["status"], "to_print");
    let page = desk
        .app
        .client
        .get(
            desk.app
                .url(&format!("/api/v1/outbox/{}/print", letter["id"])),
        )
        .bearer_auth(&bruno)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        page.contains("Lettre recommandée avec accusé de réception"),
        "{page}"
    );
    assert!(page.contains("Mise en demeure"), "{page}");

    let notice_task =
        desk.get("/api/v1/tasks?status=open&kind=formal_notice", &bruno)["items"][0].clone();
    let (status, disputed) = desk.send(
        Method::PATCH,
        &format!("/api/v1/tasks/{}", notice_task["id"]),
        &bruno,
        &json!({"outcome": "dispute", "dispute_reason": "delivery incomplete"}),
    );
    assert_eq!(status, 200, "{disputed}");
    let invoice_now = desk.get(&format!("/api/v1/invoices/{invoice}"), &admin());
    assert_eq!(invoice_now["dispute"]["reason"], "delivery incomplete");

    let litigation_day = (due + chrono::Days::new(61)).to_string();
    let quiet = desk.run(&litigation_day);
    assert_eq!(
        count(&quiet["run"], "steps_taken"),
        0,
        "a disputed invoice is held: {quiet}"
    );

    let history = desk.get(
        &format!("/api/v1/dunning/history?invoice_id={invoice}"),
        &bruno,
    );
    let results: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["result"].as_str().unwrap())
        .collect();
    assert_eq!(
        results,
        ["dispute", "to_print", "promise_to_pay", "task_created"],
        "{history}"
    );
    assert!(
        history["items"][0]["actor"]
            .as_str()
            .unwrap()
            .starts_with("token:")
    );
}
