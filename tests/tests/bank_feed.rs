//! The `bank-feed` component through the host: statement files uploaded,
//! transactions stored once across files and polls, listed and filtered;
//! bank APIs polled from a fake bank on 127.0.0.1.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use relance_tests::{TestApp, build_app_components, relance_app, shared_data, test_secret};
use serde_json::{Value, json};

fn start() -> TestApp {
    build_app_components().unwrap();
    TestApp::start(relance_app()).unwrap()
}

fn admin() -> String {
    test_secret("admin_token")
}

fn upload(app: &TestApp, query: &str, body: Vec<u8>) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/bank/statements{query}")))
        .bearer_auth(admin())
        .body(body)
        .send()
        .unwrap();
    (
        response.status().as_u16(),
        response.json().unwrap_or(Value::Null),
    )
}

fn transactions(app: &TestApp, query: &str) -> Vec<Value> {
    let response = app
        .client
        .get(app.url(&format!("/api/v1/bank/transactions?limit=1000{query}")))
        .bearer_auth(admin())
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let page: Value = response.json().unwrap();
    assert_eq!(page["next_cursor"], Value::Null, "one page holds them all");
    page["items"].as_array().unwrap().clone()
}

/// Every statement file of the shared data, outside the `expected` folders.
fn statement_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![shared_data("bank-statements")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && path.file_name().unwrap() != "expected" {
                folders.push(path);
            } else if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_statement_file_imports_once_and_again_inserts_nothing() {
    let app = start();
    let files = statement_files();
    assert!(files.len() >= 30, "found {} files", files.len());

    let mut inserted_total = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let parsed = relance_bank_statements::parse_statement(&bytes).unwrap();
        let count: usize = parsed.iter().map(|s| s.transactions.len()).sum();

        let (status, answer) = upload(&app, "", bytes);

        assert_eq!(status, 200, "{}: {answer}", name(path));
        assert_eq!(answer["statements"], parsed.len(), "{}", name(path));
        assert_eq!(
            answer["format"],
            parsed[0].format.to_string(),
            "{}",
            name(path)
        );
        let stored = &answer["transactions"];
        let inserted = stored["inserted"].as_u64().unwrap();
        let seen = inserted + stored["duplicates"].as_u64().unwrap();
        assert_eq!(seen, count as u64, "{}: {answer}", name(path));
        inserted_total += inserted;
    }
    assert!(inserted_total > 100, "{inserted_total} transactions");
    assert_eq!(transactions(&app, "").len() as u64, inserted_total);

    for path in &files {
        let (status, answer) = upload(&app, "", std::fs::read(path).unwrap());
        assert_eq!(status, 200, "{}: {answer}", name(path));
        assert_eq!(answer["transactions"]["inserted"], 0, "{}", name(path));
    }
    assert_eq!(transactions(&app, "").len() as u64, inserted_total);
}

const CAMT_053: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2024-01-02T20:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-1</Id>
      <CreDtTm>2024-01-02T20:00:00</CreDtTm>
      <Acct><Id><IBAN>NL71RABO0123456789</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Ntry>
        <Amt Ccy="EUR">25.50</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2024-01-02</Dt></BookgDt>
        <ValDt><Dt>2024-01-02</Dt></ValDt>
        <AcctSvcrRef>BANK-REF-1</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>E2E-CROSS-1</EndToEndId></Refs>
          <RltdPties><Dbtr><Nm>ACME BV</Nm></Dbtr></RltdPties>
          <RmtInf><Ustrd>Invoice F-42</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"#;

const MT940: &str = ":20:STMT1\n:25:NL71RABO0123456789\n:28C:1\n:60F:C240101EUR100,00\n\
:61:2401020102C25,50NTRFNONREF\n:86:/EREF/E2E-CROSS-1/NAME/ACME BV/REMI/Invoice F-42\n\
:62F:C240102EUR125,50\n-";

#[test]
fn the_same_payment_in_a_camt_053_and_an_mt940_is_one_transaction() {
    let app = start();

    let (status, camt) = upload(&app, "", CAMT_053.as_bytes().to_vec());
    assert_eq!(
        (status, &camt["transactions"]["inserted"]),
        (200, &1.into()),
        "{camt}"
    );
    let (status, mt940) = upload(&app, "", MT940.as_bytes().to_vec());
    assert_eq!(status, 200, "{mt940}");

    assert_eq!(mt940["format"], "MT940");
    assert_eq!(mt940["transactions"]["inserted"], 0, "{mt940}");
    assert_eq!(mt940["transactions"]["duplicates"], 1, "{mt940}");
    let stored = transactions(&app, "");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["amount"], "25.50");
    assert_eq!(stored[0]["end_to_end_id"], "E2E-CROSS-1");
    assert_eq!(stored[0]["reconciliation_status"], "unmatched");
}

#[test]
fn a_file_that_is_not_a_statement_is_refused_with_the_reason_and_nothing_stored() {
    let app = start();

    let (status, answer) = upload(&app, "", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj".to_vec());
    let (text_status, text) = upload(&app, "", b"Dear bank, please send money".to_vec());
    let (broken_status, broken) = upload(&app, "", CAMT_053.replace("25.50", "25,50").into_bytes());

    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_statement");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.contains("camt.052/053/054"), "{message}");
    assert_eq!(text_status, 400, "{text}");
    let message = text["error"]["message"].as_str().unwrap();
    assert!(message.contains("add `format=csv`"), "{message}");
    assert_eq!(broken_status, 400, "{broken}");
    let message = broken["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("\"25,50\""),
        "names the bad amount: {message}"
    );
    assert!(transactions(&app, "").is_empty());
}

#[test]
fn a_csv_export_imports_with_its_column_mapping() {
    let app = start();
    let csv = "Date;Amount;Payer;Label\n02.01.2024;1.440,00;ACME SA;Invoice F-42\n\
               03.01.2024;-12,50;Bank;Fees\n";
    let query = "?format=csv&iban=FR7630006000011234567890189&booking_date=Date&amount=Amount\
                 &currency=EUR&counterparty_name=Payer&remittance=Label\
                 &date_format=%25d.%25m.%25Y&decimal_comma=true";

    let (status, answer) = upload(&app, query, csv.as_bytes().to_vec());
    let (missing_status, missing) = upload(&app, "?format=csv", csv.as_bytes().to_vec());

    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["format"], "CSV");
    assert_eq!(answer["transactions"]["inserted"], 2);
    assert_eq!(missing_status, 400);
    assert!(
        missing["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`iban`"),
        "{missing}"
    );
    let amounts: Vec<&str> = transactions(&app, "")
        .iter()
        .map(|t| t["amount"].as_str().unwrap().to_owned())
        .map(|a| {
            if a.starts_with('-') {
                "debit"
            } else {
                "credit"
            }
        })
        .collect();
    assert_eq!(amounts, ["credit", "debit"]);
}

#[test]
fn transactions_are_filtered_by_account_days_and_status() {
    let app = start();
    upload(&app, "", CAMT_053.as_bytes().to_vec());
    let path = shared_data("bank-statements/mt940/WoLpH_mBank_mt942.sta");
    let (status, answer) = upload(&app, "", std::fs::read(path).unwrap());
    assert_eq!(status, 200, "{answer}");

    let on_account = transactions(&app, "&account=nl71%20rabo%200123%204567%2089");
    let in_january = transactions(&app, "&from=2024-01-01&to=2024-01-31");
    let pending = transactions(&app, "&status=pending");

    assert_eq!(on_account.len(), 1);
    assert_eq!(in_january.len(), 1);
    assert!(pending.iter().all(|t| t["status"] == "pending"));
    let response = app
        .client
        .get(app.url("/api/v1/bank/transactions?status=cleared"))
        .bearer_auth(admin())
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

/// A fake bank on 127.0.0.1 serving canned GoCardless, Berlin Group and
/// Plaid answers. Berlin Group's page 2 fails with a 500 the first time.
struct FakeBank {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FakeBank {
    fn start() -> FakeBank {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            let mut page_two_failed = false;
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                serve(stream, &seen, &mut page_two_failed);
            }
        });
        FakeBank { url, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(mut stream: TcpStream, seen: &Mutex<Vec<String>>, page_two_failed: &mut bool) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap();
        }
        headers.push(lower.trim().to_owned());
    }
    let body = if headers.contains(&"transfer-encoding: chunked".to_owned()) {
        read_chunked(&mut reader)
    } else {
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        body
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let target = request_line.split_whitespace().nth(1).unwrap().to_owned();
    seen.lock()
        .unwrap()
        .push(format!("{target} {}", headers.join(" | ")));

    let (status, answer) = answer(&target, &headers, &body, page_two_failed);
    let text = answer.to_string();
    write!(
        stream,
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{text}",
        text.len()
    )
    .unwrap();
}

fn read_chunked(reader: &mut impl BufRead) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).unwrap();
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

fn answer(
    target: &str,
    headers: &[String],
    body: &Value,
    page_two_failed: &mut bool,
) -> (u16, Value) {
    let bearer = |token: &str| headers.contains(&format!("authorization: bearer {token}"));
    if target.starts_with("/api/v2/accounts/gc-expired/") {
        return (
            401,
            json!({"summary": "Access has expired", "status_code": 401}),
        );
    }
    if target.starts_with("/api/v2/accounts/gc-acc/transactions/?date_from=") && bearer("gc-token")
    {
        return (
            200,
            json!({"transactions": {
                "booked": [bg_item("gc-1", "2024-01-02", "25.50", Some("E2E-CROSS-1"))],
                "pending": [{"transactionAmount": {"amount": "-9.99", "currency": "EUR"},
                             "valueDate": "2024-01-05", "creditorName": "Telecom"}]
            }}),
        );
    }
    if target.starts_with("/v1/accounts/bg-acc/transactions?bookingStatus=both")
        && headers.contains(&"consent-id: consent-1".to_owned())
    {
        return (
            200,
            json!({"transactions": {
                "booked": [bg_item("bg-1", "2024-02-01", "100.00", Some("E2E-BG-1"))],
                "pending": [],
                "_links": {"next": {"href": "/v1/accounts/bg-acc/transactions?page=2"}}
            }}),
        );
    }
    if target == "/v1/accounts/bg-acc/transactions?page=2" {
        if !*page_two_failed {
            *page_two_failed = true;
            return (
                500,
                json!({"tppMessages": [{"category": "ERROR", "code": "INTERNAL_SERVER_ERROR"}]}),
            );
        }
        return (
            200,
            json!({"transactions": {
                "booked": [bg_item("bg-2", "2024-02-02", "200.00", Some("E2E-BG-2"))],
                "_links": {}
            }}),
        );
    }
    if target == "/transactions/sync" && body["secret"] == "plaid-secret" {
        return (200, plaid_page(body["cursor"].as_str()));
    }
    (
        404,
        json!({"error": format!("no such fake route {target}")}),
    )
}

fn bg_item(id: &str, date: &str, amount: &str, end_to_end_id: Option<&str>) -> Value {
    json!({"transactionId": id, "bookingDate": date, "endToEndId": end_to_end_id,
           "transactionAmount": {"amount": amount, "currency": "EUR"},
           "debtorName": "ACME BV", "remittanceInformationUnstructured": "Invoice F-42"})
}

fn plaid_page(cursor: Option<&str>) -> Value {
    let item = |id: &str, amount: f64, pending: bool| {
        json!({"transaction_id": id, "account_id": "plaid-acc", "amount": amount,
               "iso_currency_code": "USD", "date": "2024-03-01", "pending": pending,
               "name": format!("Payment {id}")})
    };
    match cursor {
        None => json!({"added": [item("p-pending", -50.0, true), item("p-fee", 12.34, false)],
                       "modified": [], "removed": [], "next_cursor": "c1", "has_more": true}),
        Some("c1") => json!({"added": [item("p-posted", -50.0, false)], "modified": [],
                             "removed": [{"transaction_id": "p-pending", "account_id": "plaid-acc"}],
                             "next_cursor": "c2", "has_more": false}),
        _ => {
            json!({"added": [], "modified": [], "removed": [], "next_cursor": "c2", "has_more": false})
        }
    }
}

fn connect(app: &TestApp, provider: &str, config: Value) -> i64 {
    let response = app
        .client
        .post(app.url("/api/v1/bank/connections"))
        .bearer_auth(admin())
        .json(
            &json!({"name": format!("{provider} account"), "provider": provider, "config": config}),
        )
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    response.json::<Value>().unwrap()["id"].as_i64().unwrap()
}

fn poll(app: &TestApp) -> (u16, Vec<Value>) {
    let response = app
        .client
        .post(app.url("/jobs/bank-feed/poll"))
        .bearer_auth(test_secret("job_token"))
        .send()
        .unwrap();
    let status = response.status().as_u16();
    let answer: Value = response.json().unwrap();
    (status, answer["connections"].as_array().unwrap().clone())
}

fn connection(app: &TestApp, id: i64) -> Value {
    let listed: Value = app
        .client
        .get(app.url("/api/v1/bank/connections"))
        .bearer_auth(admin())
        .send()
        .unwrap()
        .json()
        .unwrap();
    listed["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
        .clone()
}

#[test]
fn polling_stores_each_page_before_moving_the_cursor_and_reports_failures() {
    build_app_components().unwrap();
    let bank = FakeBank::start();
    let app = TestApp::start(
        relance_app()
            .variable("bank_sandbox_host", &bank.url)
            .variable("gocardless_access_token", "gc-token")
            .variable("berlin_group_access_token", "bg-token")
            .variable("plaid_client_id", "plaid-client")
            .variable("plaid_secret", "plaid-secret")
            .variable("plaid_access_token", "plaid-token"),
    )
    .unwrap();
    upload(&app, "", CAMT_053.as_bytes().to_vec());
    let iban = "NL71RABO0123456789";
    let gocardless = connect(
        &app,
        "gocardless",
        json!({"base_url": bank.url, "account_id": "gc-acc", "iban": iban}),
    );
    let berlin = connect(
        &app,
        "berlin_group",
        json!({"base_url": bank.url, "account_id": "bg-acc", "iban": "DE89370400440532013000", "consent_id": "consent-1"}),
    );
    let plaid = connect(
        &app,
        "plaid",
        json!({"base_url": bank.url, "account_id": "plaid-acc"}),
    );
    let expired = connect(
        &app,
        "gocardless",
        json!({"base_url": bank.url, "account_id": "gc-expired"}),
    );

    let (status, first) = poll(&app);

    assert_eq!(status, 200, "{first:?}");
    let by_id =
        |results: &[Value], id: i64| results.iter().find(|r| r["id"] == id).unwrap().clone();
    let gc = by_id(&first, gocardless);
    assert_eq!(
        (gc["inserted"].clone(), gc["duplicates"].clone()),
        (json!(1), json!(1)),
        "{gc}"
    );
    let bg = by_id(&first, berlin);
    assert_eq!(
        (bg["pages"].clone(), bg["inserted"].clone()),
        (json!(1), json!(1)),
        "{bg}"
    );
    assert!(bg["error"].as_str().unwrap().contains("HTTP 500"), "{bg}");
    assert!(
        connection(&app, berlin)["cursor"]
            .as_str()
            .unwrap()
            .contains("page=2")
    );
    let pl = by_id(&first, plaid);
    assert_eq!(
        (
            pl["pages"].clone(),
            pl["inserted"].clone(),
            pl["removed"].clone()
        ),
        (json!(2), json!(3), json!(1)),
        "{pl}"
    );
    let lapsed = by_id(&first, expired);
    assert_eq!(lapsed["status"], "consent_expired", "{lapsed}");
    assert!(
        lapsed["error"].as_str().unwrap().contains("HTTP 401"),
        "{lapsed}"
    );
    assert_eq!(connection(&app, expired)["status"], "consent_expired");

    let (status, second) = poll(&app);

    assert_eq!(status, 200, "{second:?}");
    let bg = by_id(&second, berlin);
    assert_eq!(
        (
            bg["pages"].clone(),
            bg["inserted"].clone(),
            bg["error"].clone()
        ),
        (json!(1), json!(1), Value::Null),
        "{bg}"
    );
    assert_eq!(by_id(&second, plaid)["inserted"], 0);
    assert!(
        connection(&app, berlin)["cursor"]
            .as_str()
            .unwrap()
            .contains("until")
    );
    assert_eq!(connection(&app, berlin)["status"], "active");
    let page_two_calls = bank
        .requests()
        .iter()
        .filter(|r| r.contains("page=2"))
        .count();
    assert_eq!(page_two_calls, 2, "page 2 asked once per poll");

    let plaid_amounts: Vec<String> = transactions(&app, "&account=plaid-acc")
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                t["source_id"].as_str().unwrap(),
                t["amount"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(plaid_amounts, ["p-fee -12.34", "p-posted 50.0"]);
    assert_eq!(
        transactions(&app, &format!("&account={iban}")).len(),
        2,
        "camt and GoCardless share one payment"
    );
    assert!(
        bank.requests().iter().all(|r| !r.contains("plaid-secret")),
        "secrets travel in the body only"
    );
}
