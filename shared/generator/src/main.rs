//! `relance-generate`: writes a generated ledger to a directory as canonical
//! events, bulk API bodies, camt.053 and MT940 statements, and the truth
//! (what paid what, expected figures per customer).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, ValueEnum};
use relance_generator::{
    BulkChunks, GeneratorConfig, LedgerHistory, LedgerMonth, write_camt053, write_month_events,
    write_mt940,
};

/// Generates a deterministic receivables ledger and its bank statements.
#[derive(Debug, Parser)]
#[command(name = "relance-generate", version)]
struct Arguments {
    /// Seed of every random draw: the same seed writes the same bytes.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of customers.
    #[arg(long, default_value_t = 300)]
    customers: u32,
    /// Number of invoices over the whole period.
    #[arg(long, default_value_t = 10_000)]
    invoices: u64,
    /// First day of the first month (the 1st of a month).
    #[arg(long, default_value = "2024-01-01")]
    start_date: NaiveDate,
    /// Number of months.
    #[arg(long, default_value_t = 24)]
    months: u32,
    /// Directory to write into (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Which outputs to write; the truth files are always written.
    #[arg(long, value_enum, default_value_t = Format::All)]
    format: Format,
    /// Invoices per bulk API body.
    #[arg(long, default_value_t = 1_000)]
    bulk_chunk: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// `events.jsonl`: canonical invoice events, one per line.
    Events,
    /// `bulk/invoices-NNNNN.json`: bodies for `POST /api/v1/invoices`.
    Bulk,
    /// `camt053/YYYY-MM.xml`: one camt.053 document per month.
    Camt053,
    /// `mt940/YYYY-MM.sta`: MT940 messages per month.
    Mt940,
    /// Everything above.
    All,
}

impl Format {
    fn includes(self, wanted: Format) -> bool {
        self == Format::All || self == wanted
    }
}

/// Open files and counters while the months stream through.
struct Outputs {
    directory: PathBuf,
    format: Format,
    company_name: String,
    events: Option<BufWriter<File>>,
    bulk: Option<BulkChunks>,
    bulk_files: u32,
    payments: BufWriter<File>,
    disputes: BufWriter<File>,
}

fn main() -> anyhow::Result<()> {
    let arguments = Arguments::parse();
    let started = Instant::now();

    let config = GeneratorConfig {
        seed: arguments.seed,
        customers: arguments.customers,
        invoices: arguments.invoices,
        start_date: arguments.start_date,
        months: arguments.months,
        ..GeneratorConfig::default()
    };
    let mut history = LedgerHistory::new(config).context("cannot generate this ledger")?;
    let mut outputs = Outputs::create(&arguments, &history)?;

    let (mut invoices, mut payments) = (0, 0);
    while let Some(month) = history.next_month()? {
        invoices += month.invoices.len();
        payments += month.payments.len();
        outputs.write_month(&month, &history)?;
    }

    outputs.finish(&history)?;
    eprintln!(
        "relance-generate: {invoices} invoices, {payments} payments, {} customers in {:.2?} → {}",
        history.customers().len(),
        started.elapsed(),
        arguments.out.display()
    );
    Ok(())
}

impl Outputs {
    fn create(arguments: &Arguments, history: &LedgerHistory) -> anyhow::Result<Self> {
        let directory = arguments.out.clone();
        let format = arguments.format;
        for (wanted, folder) in [
            (Format::Bulk, "bulk"),
            (Format::Camt053, "camt053"),
            (Format::Mt940, "mt940"),
        ] {
            if format.includes(wanted) {
                create_directory(&directory.join(folder))?;
            }
        }
        create_directory(&directory.join("truth"))?;

        let events = if format.includes(Format::Events) {
            Some(create_file(&directory.join("events.jsonl"))?)
        } else {
            None
        };
        let bulk = format
            .includes(Format::Bulk)
            .then(|| BulkChunks::new(arguments.bulk_chunk));

        Ok(Self {
            payments: create_file(&directory.join("truth/payments.jsonl"))?,
            disputes: create_file(&directory.join("truth/disputed-invoices.jsonl"))?,
            company_name: history.config().company_name.clone(),
            directory,
            format,
            events,
            bulk,
            bulk_files: 0,
        })
    }

    fn write_month(&mut self, month: &LedgerMonth, history: &LedgerHistory) -> anyhow::Result<()> {
        let customers = history.customers();
        let label = month.first_day.format("%Y-%m").to_string();

        if let Some(events) = &mut self.events {
            write_month_events(month, customers, &history.config().source, events)
                .context("cannot write events.jsonl")?;
        }
        if let Some(mut bulk) = self.bulk.take() {
            for invoice in &month.invoices {
                if let Some(body) = bulk.push(invoice, customers)? {
                    self.write_bulk_body(&body)?;
                }
            }
            self.bulk = Some(bulk);
        }
        if self.format.includes(Format::Camt053) {
            let mut file = create_file(&self.directory.join(format!("camt053/{label}.xml")))?;
            write_camt053(month, &self.company_name, &mut file)?;
            file.flush()?;
        }
        if self.format.includes(Format::Mt940) {
            let mut file = create_file(&self.directory.join(format!("mt940/{label}.sta")))?;
            write_mt940(month, &mut file)?;
            file.flush()?;
        }

        self.write_truth(month)
    }

    fn write_truth(&mut self, month: &LedgerMonth) -> anyhow::Result<()> {
        for payment in &month.payments {
            serde_json::to_writer(&mut self.payments, payment)?;
            self.payments.write_all(b"\n")?;
        }
        for invoice in month.invoices.iter().filter(|invoice| invoice.disputed) {
            let line = serde_json::json!({
                "invoice": invoice.external_id,
                "number": invoice.number,
                "issue_date": invoice.issue_date,
            });
            serde_json::to_writer(&mut self.disputes, &line)?;
            self.disputes.write_all(b"\n")?;
        }
        Ok(())
    }

    fn write_bulk_body(&mut self, body: &serde_json::Value) -> anyhow::Result<()> {
        self.bulk_files += 1;
        let path = self
            .directory
            .join(format!("bulk/invoices-{:05}.json", self.bulk_files));
        let mut file = create_file(&path)?;
        serde_json::to_writer(&mut file, body)?;
        file.flush()
            .with_context(|| format!("cannot write {}", path.display()))
    }

    fn finish(mut self, history: &LedgerHistory) -> anyhow::Result<()> {
        if let Some(body) = self.bulk.take().and_then(BulkChunks::finish) {
            self.write_bulk_body(&body)?;
        }
        if let Some(events) = &mut self.events {
            events.flush().context("cannot write events.jsonl")?;
        }
        self.payments.flush()?;
        self.disputes.flush()?;

        let summaries = history.customer_summaries()?;
        let mut file = create_file(&self.directory.join("truth/customer-summaries.json"))?;
        serde_json::to_writer_pretty(&mut file, &summaries)?;
        file.flush()?;
        Ok(())
    }
}

fn create_directory(path: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(path).with_context(|| format!("cannot create directory {}", path.display()))
}

fn create_file(path: &Path) -> anyhow::Result<BufWriter<File>> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(BufWriter::new(file))
}
