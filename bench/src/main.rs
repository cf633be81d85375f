//! `bench`: Relance's benchmarks, run through the real host, written as a
//! Markdown and a JSON report.

mod app;
mod host;
mod ingestion;
mod report;

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use crate::report::Report;

#[derive(Parser)]
#[command(name = "bench", about = "Run Relance's benchmarks and write a report")]
struct Cli {
    /// Which suites to run.
    #[arg(long, value_enum, default_values_t = [Suite::Host, Suite::Ingestion])]
    suite: Vec<Suite>,
    /// Invoices in the generated ledger the data suites work on.
    #[arg(long, default_value_t = 20_000)]
    invoices: usize,
    /// Seconds of measurement per load level.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Where the report goes (`<out>/report.md` and `<out>/report.json`).
    #[arg(long, default_value = "docs/bench")]
    out: PathBuf,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Suite {
    /// Requests per second and latency of a trivial route, instantiation cost.
    Host,
    /// Invoices received per second as webhooks and in bulk, wasm and native.
    Ingestion,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut report = Report::new();

    for suite in &cli.suite {
        match suite {
            Suite::Host => host::run(&mut report, cli.seconds)?,
            Suite::Ingestion => ingestion::run(&mut report, cli.invoices)?,
        }
    }

    report.write(&cli.out)?;
    println!("Report written to {}", cli.out.join("report.md").display());
    Ok(())
}
