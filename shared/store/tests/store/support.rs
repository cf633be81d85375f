//! Builders shared by the store's tests: canonical events as platforms send
//! them, parsed by the ledger crate, and a fresh in-memory database.

use chrono::{DateTime, Utc};
use relance_ledger::canonical::{parse_event, parse_invoice};
use relance_ledger::change::IncomingEvent;
use relance_ledger::invoice::Invoice;
use relance_store::NativeDatabase;
use serde_json::{Value, json};

/// A new database with the current schema.
pub fn database() -> NativeDatabase {
    NativeDatabase::open_in_memory().expect("in-memory database")
}

/// An instant written in RFC 3339.
pub fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("RFC 3339 instant")
}

/// A canonical event, parsed as the webhook would parse it.
pub fn event(id: &str, kind: &str, occurred_at: &str, data: Value) -> IncomingEvent {
    let envelope = json!({
        "id": id,
        "type": kind,
        "occurred_at": occurred_at,
        "source": "sellsy",
        "data": data,
    });
    parse_event(envelope.to_string().as_bytes()).expect("valid canonical event")
}

/// A canonical invoice object of customer `C-1`, open, 1440.00 EUR, with
/// `fields` overriding the defaults.
pub fn invoice_data(external_id: &str, fields: Value) -> Value {
    let mut data = json!({
        "external_id": external_id,
        "number": format!("F-{external_id}"),
        "customer": "C-1",
        "issue_date": "2026-03-01",
        "due_date": "2026-03-31",
        "currency": "EUR",
        "total": "1440.00",
        "tax": "240.00",
        "amount_paid": "0.00",
        "status": "open",
    });
    if let (Some(data), Some(fields)) = (data.as_object_mut(), fields.as_object()) {
        for (key, value) in fields {
            data.insert(key.clone(), value.clone());
        }
    }
    data
}

/// A validated invoice from canonical fields.
pub fn invoice(external_id: &str, fields: Value) -> Invoice {
    parse_invoice(&invoice_data(external_id, fields), "sellsy").expect("valid invoice")
}

/// A small deterministic pseudo-random sequence (xorshift), so property-style
/// tests are reproducible.
pub struct Shuffle(u64);

impl Shuffle {
    pub fn new(seed: u64) -> Shuffle {
        Shuffle(seed.max(1))
    }

    /// A number in `0..bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}
