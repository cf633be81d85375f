//! The generated ledger every data suite works on: the same seed and the
//! same customer count for a given number of invoices, under one source name.

use relance_generator::{GeneratorConfig, LedgerHistory};

/// The source every benchmark input is recorded under.
pub const SOURCE: &str = "bench";

/// The generator's history of `invoices` invoices, one customer per forty.
pub fn generated_history(invoices: usize) -> anyhow::Result<LedgerHistory> {
    let config = GeneratorConfig {
        seed: 42,
        customers: u32::try_from(invoices / 40)?.max(50),
        invoices: u64::try_from(invoices)?,
        source: SOURCE.to_string(),
        ..GeneratorConfig::default()
    };
    Ok(LedgerHistory::new(config)?)
}

/// A bulk request body with this benchmark's source.
pub fn with_source(mut body: serde_json::Value) -> anyhow::Result<Vec<u8>> {
    body["source"] = SOURCE.into();
    Ok(serde_json::to_vec(&body)?)
}
