//! Support for the end-to-end tests: build the components, start `relance up`
//! on a free port with its own state directory, and talk to it over HTTP.

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repository root")
}

/// The shared third-party test data, beside the repository.
pub fn shared_data(relative: &str) -> PathBuf {
    repo_root().join("../shared/data").join(relative)
}

/// The `relance` binary cargo built for this test run.
pub fn relance_binary() -> PathBuf {
    if let Some(path) = option_env!("CARGO_BIN_EXE_relance") {
        return PathBuf::from(path);
    }
    // Test executables live in `<profile>/deps`, other binaries (the
    // benchmarks) in `<profile>` itself.
    let exe = std::env::current_exe().expect("test executable path");
    let parent = exe.parent().expect("the executable's directory");
    let profile_dir = if parent.file_name().is_some_and(|name| name == "deps") {
        parent.parent().expect("target profile directory")
    } else {
        parent
    };
    profile_dir.join("relance")
}

static BUILT: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Builds Wasm components once per test process.
pub fn build_components(packages: &[&str]) -> anyhow::Result<()> {
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !built.contains(*p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }

    // spin.toml names the components in the repository's own target
    // directory, whatever target directory the caller was built in.
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.env_remove("CARGO_TARGET_DIR");
    command.current_dir(repo_root()).args([
        "build",
        "--quiet",
        "--target",
        "wasm32-wasip2",
        "--release",
    ]);
    for package in &missing {
        command.args(["-p", package]);
    }
    let status = command
        .status()
        .context("cannot run cargo to build the components")?;
    if !status.success() {
        bail!("building the components {missing:?} failed");
    }
    built.extend(missing.iter().map(|p| p.to_string()));
    Ok(())
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// How to start the app under test.
#[derive(Debug, Clone)]
pub struct AppOptions {
    pub manifest: PathBuf,
    pub variables: Vec<(String, String)>,
    pub runtime_config: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    pub environment: Vec<(String, String)>,
}

impl AppOptions {
    pub fn new(manifest: impl Into<PathBuf>) -> Self {
        Self {
            manifest: manifest.into(),
            variables: Vec::new(),
            runtime_config: None,
            state_dir: None,
            environment: Vec::new(),
        }
    }

    pub fn variable(mut self, name: &str, value: &str) -> Self {
        self.variables.push((name.to_string(), value.to_string()));
        self
    }

    pub fn runtime_config(mut self, path: impl Into<PathBuf>) -> Self {
        self.runtime_config = Some(path.into());
        self
    }

    pub fn state_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(path.into());
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.environment.push((name.to_string(), value.to_string()));
        self
    }
}

/// The value the tests give a required variable of the app: `<name>-for-tests`.
pub fn test_secret(variable: &str) -> String {
    format!("{variable}-for-tests")
}

/// Options that start the Relance app itself (`spin.toml` at the repository
/// root), with every required variable set to its [`test_secret`].
pub fn relance_app() -> AppOptions {
    let manifest_path = repo_root().join("spin.toml");
    let text = std::fs::read_to_string(&manifest_path).expect("spin.toml is readable");
    let manifest: toml::Table = toml::from_str(&text).expect("spin.toml is valid TOML");
    let required = manifest
        .get("variables")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flatten()
        .filter(|(_, spec)| spec.get("required").and_then(toml::Value::as_bool) == Some(true))
        .map(|(name, _)| name.clone())
        .collect::<Vec<_>>();
    required
        .iter()
        .fold(AppOptions::new(manifest_path), |options, name| {
            options.variable(name, &test_secret(name))
        })
}

/// The package of every component of the Relance app's `spin.toml`, as its
/// build command names it.
pub fn app_packages() -> Vec<String> {
    let text = std::fs::read_to_string(repo_root().join("spin.toml")).expect("spin.toml");
    let manifest: toml::Table = toml::from_str(&text).expect("spin.toml is valid TOML");
    manifest
        .get("component")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flatten()
        .filter_map(|(_, component)| {
            let command = component.get("build")?.get("command")?.as_str()?;
            let words: Vec<&str> = command.split_whitespace().collect();
            let at = words.iter().position(|word| *word == "-p")?;
            words.get(at + 1).map(|package| package.to_string())
        })
        .collect()
}

/// Builds every component of the Relance app once per test process: the
/// host loads them all at start-up, whichever routes a test calls.
pub fn build_app_components() -> anyhow::Result<()> {
    let packages = app_packages();
    build_components(&packages.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The route of every `[[trigger.http]]` of the Relance app's `spin.toml`
/// (private routes left out).
pub fn served_routes() -> Vec<String> {
    let text = std::fs::read_to_string(repo_root().join("spin.toml")).expect("spin.toml");
    let manifest: toml::Table = toml::from_str(&text).expect("spin.toml is valid TOML");
    manifest
        .get("trigger")
        .and_then(|trigger| trigger.get("http"))
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|trigger| trigger.get("route").and_then(toml::Value::as_str))
        .map(str::to_owned)
        .collect()
}

/// Whether a Spin route pattern (exact, `:name` segments, a trailing
/// `/...`) takes requests for `path`.
pub fn route_serves(pattern: &str, path: &str) -> bool {
    let (fixed, wildcard) = match pattern.strip_suffix("/...") {
        Some(prefix) => (prefix, true),
        None => (pattern, false),
    };
    let wanted: Vec<&str> = fixed.split('/').filter(|s| !s.is_empty()).collect();
    let given: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let long_enough = if wildcard {
        given.len() >= wanted.len()
    } else {
        given.len() == wanted.len()
    };
    long_enough
        && wanted
            .iter()
            .zip(&given)
            .all(|(want, got)| want.starts_with(':') || want == got)
}

/// A running `relance up`, stopped when dropped.
pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::blocking::Client,
    child: Child,
    log: PathBuf,
    _scratch: tempfile::TempDir,
}

impl TestApp {
    /// Starts the app and waits until it answers.
    pub fn start(options: AppOptions) -> anyhow::Result<Self> {
        let scratch = tempfile::tempdir()?;
        let state_dir = options
            .state_dir
            .clone()
            .unwrap_or_else(|| scratch.path().join("state"));
        let address: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
        let log = scratch.path().join("relance.log");

        let mut command = Command::new(relance_binary());
        command
            .args(["up", "--from"])
            .arg(&options.manifest)
            .args(["--listen", &address.to_string(), "--state-dir"])
            .arg(&state_dir)
            .envs(options.environment.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::from(std::fs::File::create(&log)?))
            .stderr(Stdio::from(
                std::fs::OpenOptions::new().append(true).open(&log)?,
            ));
        if let Some(config) = &options.runtime_config {
            command.arg("--runtime-config-file").arg(config);
        }
        for (name, value) in &options.variables {
            command.arg("--variable").arg(format!("{name}={value}"));
        }
        let child = command
            .spawn()
            .context("cannot start relance; is it built?")?;

        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let mut app = Self {
            address,
            client,
            child,
            log,
            _scratch: scratch,
        };
        app.wait_until_ready()?;
        Ok(app)
    }

    fn wait_until_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "relance exited ({status}) before serving:\n{}",
                    self.log_text()
                );
            }
            let health = self.client.get(self.url("/.well-known/spin/health")).send();
            if health.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!(
            "relance did not start within two minutes:\n{}",
            self.log_text()
        )
    }

    /// The process id of the host.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The absolute URL of a path on the app.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Sends `body` as JSON with the bearer `token`, and answers the status
    /// with the JSON body (`null` when the answer is not JSON).
    pub fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let response = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .with_context(|| format!("cannot reach the app for {path}"))?;
        let status = response.status().as_u16();
        Ok((status, response.json().unwrap_or(serde_json::Value::Null)))
    }

    /// `GET path` with the bearer `token`: the status and the JSON body.
    pub fn get_json(&self, path: &str, token: &str) -> anyhow::Result<(u16, serde_json::Value)> {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .with_context(|| format!("cannot reach the app for {path}"))?;
        let status = response.status().as_u16();
        Ok((status, response.json().unwrap_or(serde_json::Value::Null)))
    }

    /// Uploads a CSV bank statement of `Date;Amount;Payer;Text` lines (with
    /// their header) for the account `iban`, in euros; the bank feed has it
    /// reconciled at once. Answers the status and the import's report.
    pub fn upload_csv_statement(
        &self,
        iban: &str,
        token: &str,
        csv: String,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let query = format!(
            "?format=csv&iban={iban}&booking_date=Date&amount=Amount&currency=EUR\
             &counterparty_name=Payer&remittance=Text"
        );
        let response = self
            .client
            .post(self.url(&format!("/api/v1/bank/statements{query}")))
            .bearer_auth(token)
            .body(csv)
            .send()
            .context("cannot reach the app for the statement upload")?;
        let status = response.status().as_u16();
        Ok((status, response.json().unwrap_or(serde_json::Value::Null)))
    }

    /// Everything the host printed so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the host to exit.
    pub fn terminate(&mut self) -> anyhow::Result<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status()?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!("relance did not stop within a minute of SIGTERM")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `relance up` expecting it to fail at start-up, and returns what it printed.
pub fn start_failure(options: AppOptions) -> anyhow::Result<String> {
    let scratch = tempfile::tempdir()?;
    let mut command = Command::new(relance_binary());
    command
        .args(["up", "--from"])
        .arg(&options.manifest)
        .args([
            "--listen",
            &format!("127.0.0.1:{}", free_port()),
            "--state-dir",
        ])
        .arg(
            options
                .state_dir
                .clone()
                .unwrap_or_else(|| scratch.path().to_path_buf()),
        );
    for (name, value) in &options.variables {
        command.arg("--variable").arg(format!("{name}={value}"));
    }
    if let Some(config) = &options.runtime_config {
        command.arg("--runtime-config-file").arg(config);
    }
    let output = command.output()?;
    if output.status.success() {
        bail!("relance was expected to fail but exited successfully");
    }
    Ok(format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_serve_paths_as_spin_matches_them() {
        let cases = [
            ("/jobs/reconcile", "/jobs/reconcile", true),
            ("/jobs/reconcile", "/jobs/reconcile/now", false),
            ("/api/v1/kpi/...", "/api/v1/kpi/summary", true),
            ("/api/v1/kpi/...", "/api/v1/kpi", true),
            ("/api/v1/kpi/...", "/api/v1/kpis/summary", false),
            ("/api/v1/tokens/:id", "/api/v1/tokens/7", true),
            ("/api/v1/tokens/:id", "/api/v1/tokens", false),
            ("/...", "/anything/at/all", true),
        ];
        for (pattern, path, expected) in cases {
            assert_eq!(route_serves(pattern, path), expected, "{pattern} {path}");
        }
    }
}
