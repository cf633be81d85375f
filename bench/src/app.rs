//! The Relance app for the suites that measure it over HTTP: started
//! in-process on its own runtime, or as its own `relance up` process when
//! the host's memory is measured apart from the benchmark's.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use relance_store::NativeDatabase;
use relance_tests::{TestApp, relance_app, test_secret};
use serde_json::Value;

use relance_host::app::App;
use relance_host::launch::{UpOptions, launch};
use relance_host::manifest::AppManifest;
use relance_host::server;

/// A served app; stopped and its state removed when dropped.
pub struct BenchApp {
    pub address: SocketAddr,
    pub app: Arc<App>,
    pub started_in: std::time::Duration,
    runtime: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    state_dir: PathBuf,
}

impl BenchApp {
    /// Builds every component `spin.toml` names (the host loads them all)
    /// and serves it with fresh state.
    pub fn start(name: &str) -> anyhow::Result<Self> {
        let app_options = relance_tests::relance_app();
        let manifest = build_every_component()?;

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let state_dir =
            std::env::temp_dir().join(format!("relance-bench-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&state_dir);
        let options = UpOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_dir: Some(state_dir.clone()),
            runtime_config_file: None,
            variables: app_options.variables,
        };

        let started = Instant::now();
        let launched = runtime.block_on(launch(&manifest, &options))?;
        let started_in = started.elapsed();

        let address = launched.listener.local_addr()?;
        let app = Arc::clone(&launched.app);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = runtime.spawn(server::serve(launched.app, launched.listener, async {
            let _ = stopped.await;
        }));
        Ok(Self {
            address,
            app,
            started_in,
            runtime,
            stop: Some(stop),
            server: Some(server),
            state_dir,
        })
    }

    /// Runs a future on the app's runtime (for in-process measurements).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

/// Builds every component `spin.toml` names (the host loads them all), and
/// returns the manifest.
pub fn build_every_component() -> anyhow::Result<AppManifest> {
    let manifest = AppManifest::load(&relance_tests::relance_app().manifest)?;
    let components: Vec<&str> = manifest.components.keys().map(String::as_str).collect();
    relance_tests::build_components(&components)?;
    Ok(manifest)
}

impl Drop for BenchApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = self.runtime.block_on(server);
        }
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}

/// `relance up` in a process of its own, with fresh state.
pub struct HostProcess {
    pub app: TestApp,
    client: reqwest::blocking::Client,
    state_dir: PathBuf,
    _scratch: tempfile::TempDir,
}

impl HostProcess {
    /// Builds the `relance` binary and every component, then starts the app.
    pub fn start() -> anyhow::Result<Self> {
        build_relance_binary()?;
        build_every_component()?;
        let scratch = tempfile::tempdir()?;
        let state_dir = scratch.path().join("state");
        let app = TestApp::start(relance_app().state_dir(&state_dir))?;
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(3_600))
            .build()?;
        Ok(Self {
            app,
            client,
            state_dir,
            _scratch: scratch,
        })
    }

    /// Sends each bulk body to `POST /api/v1/invoices` as the administrator.
    pub fn load_invoices(&self, bulk_bodies: &[Vec<u8>]) -> anyhow::Result<()> {
        for body in bulk_bodies {
            let response = self
                .client
                .post(self.app.url("/api/v1/invoices"))
                .bearer_auth(test_secret("admin_token"))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()?;
            expect_success(response, "POST /api/v1/invoices")?;
        }
        Ok(())
    }

    /// The app's database, opened natively beside the running host, to
    /// store what the timed job will work on.
    pub fn database(&self) -> anyhow::Result<NativeDatabase> {
        Ok(NativeDatabase::open(self.state_dir.join("sqlite_db.db"))?)
    }

    /// Calls a job route (with its query) with the job token, and answers how
    /// long it took and what it said.
    pub fn run_job(&self, route: &str) -> anyhow::Result<(Duration, Value)> {
        let started = Instant::now();
        let response = self
            .client
            .post(self.app.url(route))
            .bearer_auth(test_secret("job_token"))
            .send()?;
        let answer = expect_success(response, route)?;
        Ok((started.elapsed(), answer))
    }
}

/// The JSON answer of a successful request, or an error quoting the answer.
pub fn expect_success(response: reqwest::blocking::Response, what: &str) -> anyhow::Result<Value> {
    let status = response.status();
    let text = response.text()?;
    anyhow::ensure!(status.is_success(), "{what} answered {status}: {text}");
    serde_json::from_str(&text).with_context(|| format!("{what} answered no JSON: {text}"))
}

/// Builds the `relance` binary beside this one, in the same profile, so the
/// host process runs the code being measured. The benchmark's package is
/// named too, so that the dependencies both share are built once, with the
/// same features.
pub fn build_relance_binary() -> anyhow::Result<()> {
    let release = std::env::current_exe()?
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|profile| profile == "release");
    let mut command =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(relance_tests::repo_root()).args([
        "build",
        "--quiet",
        "-p",
        "relance-bench",
        "-p",
        "relance-host",
        "--bin",
        "relance",
    ]);
    if release {
        command.arg("--release");
    }
    anyhow::ensure!(
        command.status().context("cannot run cargo")?.success(),
        "building the relance binary failed"
    );
    Ok(())
}
