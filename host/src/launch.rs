//! Starting the app as `relance up` does: manifest, state directory,
//! variables, runtime config, schedule, listener, compiled components.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::app::App;
use crate::manifest::AppManifest;
use crate::runtime_config::RuntimeConfig;
use crate::scheduler::Schedule;
use crate::server;
use crate::variables::ResolvedVariables;

/// What `relance up` is told on its command line.
#[derive(Debug, Clone)]
pub struct UpOptions {
    pub listen: SocketAddr,
    pub state_dir: Option<PathBuf>,
    pub runtime_config_file: Option<PathBuf>,
    pub variables: Vec<(String, String)>,
}

/// An app loaded and bound to its address, not yet serving.
pub struct LaunchedApp {
    pub app: Arc<App>,
    pub listener: TcpListener,
    pub schedule: Schedule,
    pub state_dir: PathBuf,
}

/// Checks everything that can fail before the first request: variables,
/// runtime config, schedule, the address, every component.
pub async fn launch(manifest: &AppManifest, options: &UpOptions) -> anyhow::Result<LaunchedApp> {
    let state_dir = options
        .state_dir
        .clone()
        .unwrap_or_else(|| manifest.base_dir.join(".spin"));
    std::fs::create_dir_all(&state_dir)
        .with_context(|| format!("cannot create the state directory {}", state_dir.display()))?;

    let variables = ResolvedVariables::resolve(manifest, &options.variables, |name| {
        std::env::var(name).ok()
    })?;
    let runtime_config = RuntimeConfig::load(options.runtime_config_file.as_deref(), &state_dir)?;
    let schedule = Schedule::from_settings(manifest.host_settings(), &variables)?;

    let listener = server::bind(options.listen).await?;
    let compiled_cache = state_dir.join("compiled");
    let app = App::load(manifest, &variables, &runtime_config, &compiled_cache).await?;
    Ok(LaunchedApp {
        app,
        listener,
        schedule,
        state_dir,
    })
}
