//! `bench`: every benchmark of Relance, run through the real host at one or
//! more ledger sizes, written as a Markdown and a JSON report.

mod app;
mod dunning;
mod host;
mod ingestion;
mod kpi;
mod ledger;
mod memory;
mod reconciliation;
mod report;
mod scoring;

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use crate::report::{Report, scale_label};

#[derive(Parser)]
#[command(name = "bench", about = "Run Relance's benchmarks and write a report")]
struct Cli {
    /// Which suites to run; all of them when none is named.
    #[arg(long, value_enum)]
    suite: Vec<Suite>,
    /// Invoices in the generated ledger the data suites work on, such as
    /// `100k` or `1m`; give several to see how each figure grows.
    #[arg(long, alias = "invoices", value_parser = parse_scale, default_value = "20k")]
    scale: Vec<usize>,
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
    /// New bank transactions matched against the open ledger, wasm and native.
    Reconciliation,
    /// Training the payment model and refreshing every score, wasm and native.
    Scoring,
    /// Latency of each KPI endpoint, wasm through the host and native.
    Kpi,
    /// A dunning run over every open invoice, wasm through the host and native.
    Dunning,
}

impl Suite {
    /// The name the report files the suite's figures under.
    fn name(self) -> &'static str {
        match self {
            Suite::Host => "host",
            Suite::Ingestion => "ingestion",
            Suite::Reconciliation => "reconciliation",
            Suite::Scoring => "scoring",
            Suite::Kpi => "kpi",
            Suite::Dunning => "dunning",
        }
    }

    /// Whether the suite's figures depend on the size of the ledger; a
    /// suite that does not runs once, whatever the scales.
    fn grows_with_the_ledger(self) -> bool {
        self != Suite::Host
    }
}

/// Runs one suite at one ledger size.
fn run(suite: Suite, report: &mut Report, invoices: usize, cli: &Cli) -> anyhow::Result<()> {
    match suite {
        Suite::Host => host::run(report, cli.seconds),
        Suite::Ingestion => ingestion::run(report, invoices),
        Suite::Reconciliation => reconciliation::run(report, invoices),
        Suite::Scoring => scoring::run(report, invoices),
        Suite::Kpi => kpi::run(report, invoices),
        Suite::Dunning => dunning::run(report, invoices),
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let suites = if cli.suite.is_empty() {
        Suite::value_variants().to_vec()
    } else {
        cli.suite.clone()
    };
    let mut scales = cli.scale.clone();
    scales.sort_unstable();
    scales.dedup();

    let mut report = Report::new(command_line());
    for (pass, &invoices) in scales.iter().enumerate() {
        for &suite in &suites {
            if pass > 0 && !suite.grows_with_the_ledger() {
                continue;
            }
            let scale = suite.grows_with_the_ledger().then_some(invoices);
            eprintln!(
                "bench: {} suite{}",
                suite.name(),
                scale
                    .map(|s| format!(" at {} invoices", scale_label(s)))
                    .unwrap_or_default()
            );
            report.set_scale(scale);

            memory::reset_own_peak();
            run(suite, &mut report, invoices, &cli)?;
            if let Some(peak) = memory::own_peak_mib() {
                report.add(
                    suite.name(),
                    "peak memory of the bench process (host in-process, load included)",
                    peak,
                    "MiB",
                    None,
                );
            }
        }
    }

    report.write(&cli.out)?;
    eprintln!("Report written to {}", cli.out.join("report.md").display());
    Ok(())
}

/// The command as it can be run again from the repository root.
fn command_line() -> String {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    format!(
        "cargo run --release -p relance-bench --bin bench -- {}",
        arguments.join(" ")
    )
    .trim_end()
    .to_owned()
}

/// `100000`, `100k` or `1m` as a number of invoices.
fn parse_scale(text: &str) -> Result<usize, String> {
    let lower = text.trim().to_ascii_lowercase();
    let (digits, multiplier) = match lower.strip_suffix('k') {
        Some(digits) => (digits, 1_000),
        None => match lower.strip_suffix('m') {
            Some(digits) => (digits, 1_000_000),
            None => (lower.as_str(), 1),
        },
    };
    digits
        .replace('_', "")
        .parse::<usize>()
        .ok()
        .and_then(|number| number.checked_mul(multiplier))
        .filter(|&invoices| invoices > 0)
        .ok_or_else(|| format!("{text:?} is not a number of invoices: write 20000, 100k or 1m"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_are_read_with_thousands_and_millions_suffixes() {
        let cases = [
            ("100k", Some(100_000)),
            ("1m", Some(1_000_000)),
            ("1M", Some(1_000_000)),
            ("20000", Some(20_000)),
            ("100_000", Some(100_000)),
            ("0", None),
            ("1.5m", None),
            ("lots", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_scale(text).ok(), expected, "{text}");
        }
    }
}
