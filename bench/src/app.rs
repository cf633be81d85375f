//! The Relance app started in-process on its own runtime, for the suites that
//! measure it over HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

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
