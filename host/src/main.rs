//! `relance`: builds and serves the Relance Spin application on wasmtime, with
//! the semantics of `spin build` and `spin up`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

use relance_host::launch::{UpOptions, launch};
use relance_host::manifest::{AppManifest, RouteSetting};
use relance_host::variables::ResolvedVariables;
use relance_host::{builder, demo, scheduler, server, variables};

#[derive(Parser)]
#[command(
    name = "relance",
    version,
    about = "Build and run the Relance Spin application"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run each component's build command.
    Build {
        #[command(flatten)]
        manifest: ManifestArg,
        /// Build only these components.
        #[arg(short, long = "component-id")]
        component: Vec<String>,
    },
    /// Serve the application.
    Up(UpArgs),
}

#[derive(Args)]
struct ManifestArg {
    /// The manifest file, or the directory holding spin.toml.
    #[arg(short = 'f', long = "from")]
    from: Option<PathBuf>,
}

#[derive(Args)]
struct UpArgs {
    #[command(flatten)]
    manifest: ManifestArg,
    /// Build the components before serving.
    #[arg(long)]
    build: bool,
    /// Once serving, load the demo ledger through the API (once per state
    /// directory) and print the dashboard address and a token per role.
    #[arg(long)]
    demo: bool,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Where the default stores live; defaults to `.spin` beside spin.toml.
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Spin runtime configuration (key-value stores, SQLite databases).
    #[arg(long)]
    runtime_config_file: Option<PathBuf>,
    /// Set an application variable: name=value.
    #[arg(long = "variable", value_parser = variables::parse_override)]
    variables: Vec<(String, String)>,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);

    let result = match cli.command {
        Command::Build {
            manifest,
            component,
        } => load_manifest(&manifest).and_then(|m| builder::build(&m, &component)),
        Command::Up(args) => tokio::runtime::Runtime::new()
            .context("cannot start the async runtime")
            .and_then(|runtime| runtime.block_on(up(args))),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("RELANCE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,wasmtime=warn,cranelift=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.compact().init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

fn load_manifest(arg: &ManifestArg) -> anyhow::Result<AppManifest> {
    let path = AppManifest::locate(arg.from.as_deref())?;
    AppManifest::load(&path)
}

async fn up(args: UpArgs) -> anyhow::Result<()> {
    let manifest = load_manifest(&args.manifest)?;
    if args.build {
        builder::build(&manifest, &[])?;
    }

    let options = UpOptions {
        listen: args.listen,
        state_dir: args.state_dir,
        runtime_config_file: args.runtime_config_file,
        variables: args.variables,
    };
    let launched = launch(&manifest, &options).await?;
    let address = launched.listener.local_addr()?;
    print_routes(&manifest, address);

    let demo = if args.demo {
        let variables = ResolvedVariables::resolve(&manifest, &options.variables, |name| {
            std::env::var(name).ok()
        })?;
        let app = demo::demo_app(
            &launched.app.router,
            &variables,
            address,
            &launched.state_dir,
        )?;
        Some(tokio::spawn(demo::run(app)))
    } else {
        None
    };

    let scheduler = tokio::spawn(scheduler::run(
        launched.app.clone(),
        launched.schedule,
        launched.state_dir,
    ));
    server::serve(launched.app, launched.listener, server::stop_signal()).await?;
    scheduler.abort();
    if let Some(demo) = demo {
        demo.abort();
    }
    Ok(())
}

fn print_routes(manifest: &AppManifest, address: SocketAddr) {
    println!("Serving http://{address}");
    println!("Available Routes:");
    for trigger in &manifest.http_triggers {
        if let RouteSetting::Path(route) = &trigger.route {
            println!("  {}: http://{address}{route}", trigger.component);
        }
    }
}
