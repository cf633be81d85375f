//! The host against small purpose-built components: routing, each Spin
//! interface, grants, variables, outbound HTTP, service chaining, Redis, the
//! scheduler, start-up errors and graceful shutdown.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use relance_tests::{AppOptions, TestApp, build_components, free_port, repo_root, start_failure};
use serde_json::Value;

fn probe_wasm() -> PathBuf {
    build_components(&["probe"]).unwrap();
    repo_root().join("target/wasm32-wasip2/release/probe.wasm")
}

/// Writes a manifest into a fresh directory; `{probe}` stands for the probe's path.
fn manifest(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spin.toml");
    let text = text.replace("{probe}", &probe_wasm().display().to_string());
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

const HEADER: &str = r#"
spin_manifest_version = 2
[application]
name = "host-test"
"#;

fn probe_component(id: &str, extra: &str) -> String {
    format!(
        r#"
[component.{id}]
source = "{{probe}}"
environment = {{ PROBE_NAME = "{id}" }}
{extra}
"#
    )
}

/// The error a probe route reported, e.g. `Error::AccessDenied`.
fn guest_error(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app.client.get(app.url(path)).send().unwrap();
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

#[test]
fn requests_go_to_the_most_specific_route_with_spin_headers() {
    let text = format!(
        r#"{HEADER}
[[trigger.http]]
route = "/..."
component = "fallback"
[[trigger.http]]
route = "/items/:id"
component = "item"
[[trigger.http]]
route = "/api/..."
component = "api"
{}{}{}"#,
        probe_component("fallback", ""),
        probe_component("item", ""),
        probe_component("api", ""),
    );
    let (_dir, path) = manifest(&text);
    let app = TestApp::start(AppOptions::new(&path)).unwrap();

    let (status, body) = get_json(&app, "/api/v1/things?x=1");
    assert_eq!(status, 200);
    assert_eq!(body["component"], "api");
    let headers = &body["headers"];
    assert_eq!(headers["spin-path-info"], "/v1/things");
    assert_eq!(headers["spin-matched-route"], "/api/...");
    assert_eq!(headers["spin-raw-component-route"], "/api/...");
    assert_eq!(headers["spin-component-route"], "/api");
    assert_eq!(headers["spin-full-url"], app.url("/api/v1/things?x=1"));
    assert!(
        headers["spin-client-addr"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );

    let (_, body) = get_json(&app, "/items/42");
    assert_eq!(body["component"], "item");
    assert_eq!(body["headers"]["spin-path-match-id"], "42");

    let (_, body) = get_json(&app, "/items/42/more");
    assert_eq!(body["component"], "fallback");
}

#[test]
fn a_path_without_a_route_gets_a_json_404() {
    let text = format!(
        "{HEADER}\n[[trigger.http]]\nroute = \"/only\"\ncomponent = \"only\"\n{}",
        probe_component("only", "")
    );
    let (_dir, path) = manifest(&text);
    let app = TestApp::start(AppOptions::new(&path)).unwrap();

    let (status, body) = get_json(&app, "/elsewhere");

    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
}

#[test]
fn key_value_stores_are_granted_per_component_and_persist() {
    let text = format!(
        r#"{HEADER}
[[trigger.http]]
route = "/probe/..."
component = "granted"
[[trigger.http]]
route = "/denied/..."
component = "denied"
{}{}"#,
        probe_component("granted", "key_value_stores = [\"default\"]"),
        probe_component("denied", ""),
    );
    let (dir, path) = manifest(&text);
    let state = dir.path().join("state");
    let options = AppOptions::new(&path).state_dir(&state);

    {
        let app = TestApp::start(options.clone()).unwrap();
        let put = app
            .client
            .put(app.url("/probe/kv/default/greeting"))
            .body("bonjour")
            .send()
            .unwrap();
        assert_eq!(put.status(), 200);
        app.client
            .put(app.url("/probe/kv/default/other"))
            .body("x")
            .send()
            .unwrap();
        app.client
            .delete(app.url("/probe/kv/default/other"))
            .send()
            .unwrap();

        let (status, body) = get_json(&app, "/probe/kv/default");
        assert_eq!(status, 200);
        assert_eq!(body["keys"], serde_json::json!(["greeting"]));

        let (status, body) = get_json(&app, "/probe/kv/elsewhere/greeting");
        assert_eq!(status, 403);
        assert!(guest_error(&body).ends_with("AccessDenied"), "{body}");
    }
    assert!(state.join("sqlite_key_value.db").is_file());

    let app = TestApp::start(options).unwrap();
    let kept = app
        .client
        .get(app.url("/probe/kv/default/greeting"))
        .send()
        .unwrap();
    assert_eq!(kept.text().unwrap(), "bonjour");

    let denied = app
        .client
        .get(app.url("/denied/kv/default/greeting"))
        .send()
        .unwrap();
    assert_eq!(
        denied.status(),
        200,
        "the fallback route of the other component answers"
    );
}

#[test]
fn a_component_not_granted_a_store_is_denied_it() {
    let text = format!(
        r#"{HEADER}
[[trigger.http]]
route = "/probe/..."
component = "ungranted"
{}"#,
        probe_component("ungranted", "sqlite_databases = [\"default\"]"),
    );
    let (_dir, path) = manifest(&text);
    let app = TestApp::start(AppOptions::new(&path)).unwrap();

    let (status, body) = get_json(&app, "/probe/kv/default/anything");

    assert_eq!(status, 403);
    assert!(guest_error(&body).ends_with("AccessDenied"), "{body}");
}

#[test]
fn sqlite_databases_use_wal_and_persist_in_the_state_dir() {
    let text = format!(
        r#"{HEADER}
[[trigger.http]]
route = "/probe/..."
component = "db"
{}"#,
        probe_component("db", "sqlite_databases = [\"default\"]"),
    );
    let (dir, path) = manifest(&text);
    let state = dir.path().join("state");
    let options = AppOptions::new(&path).state_dir(&state);

    {
        let app = TestApp::start(options.clone()).unwrap();
        let created = app
            .client
            .post(app.url("/probe/sql/default"))
            .body("CREATE TABLE ledger (n INTEGER, label TEXT)\nINSERT INTO ledger VALUES (1, 'F-001'), (2, 'F-002')")
            .send()
            .unwrap();
        assert_eq!(created.status(), 200);

        let mode = app
            .client
            .post(app.url("/probe/sql/default"))
            .body("PRAGMA journal_mode")
            .send()
            .unwrap();
        assert_eq!(
            mode.json::<Value>().unwrap()["rows"],
            serde_json::json!([["wal"]])
        );

        let denied = app
            .client
            .post(app.url("/probe/sql/reports"))
            .body("SELECT 1")
            .send()
            .unwrap();
        assert!(guest_error(&denied.json().unwrap()).ends_with("AccessDenied"));

        let invalid = app
            .client
            .post(app.url("/probe/sql/default"))
            .body("SELEKT 1")
            .send()
            .unwrap();
        assert_eq!(invalid.status(), 400);
    }
    assert!(state.join("sqlite_db.db").is_file());

    let app = TestApp::start(options).unwrap();
    let rows = app
        .client
        .post(app.url("/probe/sql/default"))
        .body("SELECT n, label FROM ledger ORDER BY n")
        .send()
        .unwrap();
    assert_eq!(
        rows.json::<Value>().unwrap()["rows"],
        serde_json::json!([[1, "F-001"], [2, "F-002"]])
    );
}

#[test]
fn concurrent_sqlite_writers_take_turns_and_an_abandoned_transaction_is_undone() {
    let text = format!(
        r#"{HEADER}
[[trigger.http]]
route = "/probe/..."
component = "db"
{}"#,
        probe_component("db", "sqlite_databases = [\"default\"]"),
    );
    let (dir, path) = manifest(&text);
    let app = TestApp::start(AppOptions::new(&path).state_dir(dir.path().join("state"))).unwrap();
    let sql = |body: &'static str| {
        let response = app
            .client
            .post(app.url("/probe/sql/default"))
            .body(body)
            .send()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().unwrap())
    };
    assert_eq!(
        sql("CREATE TABLE entries (n INTEGER)\nINSERT INTO entries VALUES (0)").0,
        200
    );

    // The request fails inside its transaction: what it wrote is undone and
    // the writer's turn passes on.
    let (status, _) = sql("BEGIN\nINSERT INTO entries VALUES (100)\nSELEKT 1");
    assert_eq!(status, 400);

    // Each transaction reads the last entry and writes the next one: writers
    // that did not take turns would fail to upgrade to a write, or collide.
    let next = "BEGIN\nSELECT MAX(n) FROM entries\n\
                INSERT INTO entries SELECT MAX(n) + 1 FROM entries\nCOMMIT";
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..10 {
                    let (status, body) = sql(next);
                    assert_eq!(status, 200, "{body}");
                }
            });
        }
    });

    let (_, body) = sql("SELECT COUNT(*), MAX(n) FROM entries");
    assert_eq!(body["rows"], serde_json::json!([[41, 40]]));
}

#[test]
fn variables_come_from_the_command_line_the_environment_and_defaults() {
    let text = format!(
        r#"{HEADER}
[variables]
secret = {{ required = true, secret = true }}
region = {{ default = "eu" }}
api_host = {{ default = "api" }}

[[trigger.http]]
route = "/probe/..."
component = "vars"
{}
[component.vars.variables]
token = "{{{{ secret }}}}"
endpoint = "https://{{{{ api_host }}}}.{{{{ region }}}}.example.com"
"#,
        probe_component("vars", ""),
    );
    let (_dir, path) = manifest(&text);
    let options = AppOptions::new(&path)
        .variable("secret", "s3cret")
        .env("SPIN_VARIABLE_REGION", "fr");
    let app = TestApp::start(options).unwrap();

    assert_eq!(
        get_json(&app, "/probe/variables/token").1["value"],
        "s3cret"
    );
    assert_eq!(
        get_json(&app, "/probe/variables/endpoint").1["value"],
        "https://api.fr.example.com"
    );
    let (status, body) = get_json(&app, "/probe/variables/secret");
    assert_eq!(
        status, 404,
        "app variables are reachable only through the component's table"
    );
    assert!(guest_error(&body).contains("Undefined"), "{body}");
    let (_, body) = get_json(&app, "/probe/variables/Bad-Name");
    assert!(guest_error(&body).contains("InvalidName"), "{body}");
}

/// A tiny HTTP server answering every request with `upstream ok`.
fn upstream() -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\nconnection: close\r\n\r\nupstream ok",
            );
        }
    });
    (port, handle)
}

#[test]
fn outbound_requests_are_limited_to_the_allowed_hosts() {
    let (port, _server) = upstream();
    let text = format!(
        r#"{HEADER}
[variables]
upstream_port = {{ required = true }}

[[trigger.http]]
route = "/probe/..."
component = "caller"
{}"#,
        probe_component(
            "caller",
            "allowed_outbound_hosts = [\"http://127.0.0.1:{{ upstream_port }}\"]"
        ),
    );
    let (_dir, path) = manifest(&text);
    let app = TestApp::start(AppOptions::new(&path).variable("upstream_port", &port.to_string()))
        .unwrap();

    let allowed = format!("/probe/fetch?url=http://127.0.0.1:{port}/anything");
    let (status, body) = get_json(&app, &allowed);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["body"], "upstream ok");

    let other_port = free_port();
    let (status, body) = get_json(
        &app,
        &format!("/probe/fetch?url=http://127.0.0.1:{other_port}/"),
    );
    assert_eq!(status, 502, "{body}");
    assert!(guest_error(&body).contains("HttpRequestDenied"), "{body}");
    assert!(app.log_text().contains("allowed_outbound_hosts"));
}

#[test]
fn components_call_each_other_through_spin_internal() {
    let text = format!(
        r#"{HEADER}
[[trigger.http]]
route = "/probe/..."
component = "front"
[[trigger.http]]
route = {{ private = true }}
component = "back"
[[trigger.http]]
route = "/lonely/..."
component = "lonely"
{}{}{}"#,
        probe_component(
            "front",
            "allowed_outbound_hosts = [\"http://back.spin.internal\"]"
        ),
        probe_component("back", ""),
        probe_component("lonely", ""),
    );
    let (_dir, path) = manifest(&text);
    let app = TestApp::start(AppOptions::new(&path)).unwrap();

    let (status, body) = get_json(&app, "/probe/fetch?url=http://back.spin.internal/hello");
    assert_eq!(status, 200, "{body}");
    let answered: Value = serde_json::from_str(body["body"].as_str().unwrap()).unwrap();
    assert_eq!(answered["component"], "back");

    let (status, _) = get_json(&app, "/probe/fetch?url=http://lonely.spin.internal/hello");
    assert_eq!(
        status, 502,
        "a component not in allowed_outbound_hosts cannot be chained to"
    );

    let (status, _) = get_json(&app, "/hello");
    assert_eq!(status, 404, "a private component has no public route");
}

/// A `redis-server` on a free port, stopped when dropped.
struct RedisServer {
    port: u16,
    child: Child,
}

impl RedisServer {
    fn start() -> Self {
        let port = free_port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed (apt-get install redis-server)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { port, child }
    }

    /// Sends one command in Redis' protocol and returns the raw answer.
    fn command(&self, arguments: &[&str]) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let mut request = format!("*{}\r\n", arguments.len());
        for argument in arguments {
            request.push_str(&format!("${}\r\n{argument}\r\n", argument.len()));
        }
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = [0u8; 512];
        let read = stream.read(&mut answer).unwrap();
        String::from_utf8_lossy(&answer[..read]).into_owned()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_default_store_can_live_on_redis() {
    let redis = RedisServer::start();
    let text = format!(
        r#"{HEADER}
[[trigger.http]]
route = "/probe/..."
component = "cache"
{}"#,
        probe_component("cache", "key_value_stores = [\"default\"]"),
    );
    let (dir, path) = manifest(&text);
    let config = dir.path().join("runtime-config.toml");
    std::fs::write(
        &config,
        format!(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:{}\"\n",
            redis.port
        ),
    )
    .unwrap();
    let state = dir.path().join("state");
    let app = TestApp::start(
        AppOptions::new(&path)
            .runtime_config(&config)
            .state_dir(&state),
    )
    .unwrap();

    app.client
        .put(app.url("/probe/kv/default/cursor"))
        .body("page-7")
        .send()
        .unwrap();

    assert!(redis.command(&["GET", "cursor"]).contains("page-7"));
    let read = app
        .client
        .get(app.url("/probe/kv/default/cursor"))
        .send()
        .unwrap();
    assert_eq!(read.text().unwrap(), "page-7");
    assert_eq!(
        get_json(&app, "/probe/kv/default").1["keys"],
        serde_json::json!(["cursor"])
    );
    assert!(!state.join("sqlite_key_value.db").exists());
}

fn scheduled_manifest(cron: &str) -> String {
    format!(
        r#"{HEADER}
[application.tool.relance]
job_token_variable = "job_token"
[[application.tool.relance.jobs]]
name = "tick"
cron = "{cron}"
route = "/jobs/tick"

[variables]
job_token = {{ required = true, secret = true }}

[[trigger.http]]
route = "/..."
component = "jobs"
{}"#,
        probe_component("jobs", "key_value_stores = [\"default\"]"),
    )
}

fn wait_for_runs(app: &TestApp, at_least: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = app
            .client
            .get(app.url("/probe/kv/default/job:tick"))
            .send()
            .unwrap();
        let runs: u64 = response.text().unwrap().parse().unwrap_or(0);
        if runs >= at_least || Instant::now() > deadline {
            return runs;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_scheduler_calls_job_routes_with_the_job_token() {
    let (_dir, path) = manifest(&scheduled_manifest("* * * * * *"));
    let app = TestApp::start(AppOptions::new(&path).variable("job_token", "tok-123")).unwrap();

    assert!(wait_for_runs(&app, 2) >= 2, "{}", app.log_text());
    let token = app
        .client
        .get(app.url("/probe/kv/default/job:tick:authorization"))
        .send()
        .unwrap();
    assert_eq!(token.text().unwrap(), "Bearer tok-123");
}

#[test]
fn a_run_missed_while_stopped_is_caught_up_at_start() {
    let (dir, path) = manifest(&scheduled_manifest("0 6 * * *"));
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(
        state.join("schedule.json"),
        r#"{"last_runs":{"tick":"2020-01-01T00:00:00Z"}}"#,
    )
    .unwrap();

    let app = TestApp::start(
        AppOptions::new(&path)
            .state_dir(&state)
            .variable("job_token", "t"),
    )
    .unwrap();

    assert_eq!(wait_for_runs(&app, 1), 1, "{}", app.log_text());
    // The run is recorded once the job has answered, just after its effect.
    let log = wait_for_change(&state.join("schedule.json"), "2020-01-01");
    assert!(
        log.contains("\"tick\"") && !log.contains("2020-01-01"),
        "the run is recorded: {log}"
    );
}

/// The file's text once it no longer contains `old`, or as it is after 20 s.
fn wait_for_change(path: &std::path::Path, old: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if !text.contains(old) || Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn failure_with(text: &str, options: impl FnOnce(AppOptions) -> AppOptions) -> String {
    let (_dir, path) = manifest(text);
    start_failure(options(AppOptions::new(&path))).unwrap()
}

#[test]
fn start_up_errors_say_what_is_wrong_and_how_to_fix_it() {
    let typo = format!(
        "{HEADER}\n[component.x]\nsource = \"{{probe}}\"\nkey_value_store = [\"default\"]\n"
    );
    let error = failure_with(&typo, |o| o);
    assert!(
        error.contains("line 8") && error.contains("key_value_store"),
        "{error}"
    );

    let required = format!("{HEADER}\n[variables]\nadmin_token = {{ required = true }}\n");
    let error = failure_with(&required, |o| o);
    assert!(
        error.contains("--variable admin_token=") && error.contains("SPIN_VARIABLE_ADMIN_TOKEN"),
        "{error}"
    );

    let missing_wasm = format!("{HEADER}\n[component.x]\nsource = \"nowhere.wasm\"\n");
    let error = failure_with(&missing_wasm, |o| o);
    assert!(error.contains("relance build"), "{error}");

    let unknown_store = format!(
        "{HEADER}\n[component.x]\nsource = \"{{probe}}\"\nkey_value_stores = [\"sessions\"]\n"
    );
    let error = failure_with(&unknown_store, |o| o);
    assert!(error.contains("[key_value_store.sessions]"), "{error}");
}

#[test]
fn a_port_in_use_is_reported() {
    let text = format!(
        "{HEADER}\n[[trigger.http]]\nroute = \"/...\"\ncomponent = \"x\"\n{}",
        probe_component("x", "")
    );
    let (_dir, path) = manifest(&text);
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();

    let output = Command::new(relance_tests::relance_binary())
        .args(["up", "--from"])
        .arg(&path)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("already in use") && stderr.contains("--listen"),
        "{stderr}"
    );
}

#[test]
fn a_stop_signal_lets_in_flight_requests_finish() {
    let text = format!(
        "{HEADER}\n[[trigger.http]]\nroute = \"/probe/...\"\ncomponent = \"slow\"\n{}",
        probe_component("slow", "")
    );
    let (_dir, path) = manifest(&text);
    let mut app = TestApp::start(AppOptions::new(&path)).unwrap();

    let url = app.url("/probe/slow");
    let client = app.client.clone();
    let in_flight = std::thread::spawn(move || client.get(url).send().map(|r| r.status().as_u16()));
    std::thread::sleep(Duration::from_millis(400));
    let exit = app.terminate().unwrap();

    assert_eq!(in_flight.join().unwrap().unwrap(), 200);
    assert!(exit.success(), "{exit}");
}

#[test]
fn relance_build_runs_each_build_command() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("built.txt");
    let text = format!(
        "{HEADER}\n[component.one]\nsource = \"one.wasm\"\n[component.one.build]\ncommand = \"echo one > {}\"\n",
        marker.display()
    );
    std::fs::write(dir.path().join("spin.toml"), text).unwrap();

    let output = Command::new(relance_tests::relance_binary())
        .args(["build", "--from"])
        .arg(dir.path())
        .output()
        .unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(std::fs::read_to_string(&marker).unwrap().trim(), "one");
}
