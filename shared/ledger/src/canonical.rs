//! The canonical JSON events of `docs/canonical-events.md`: the envelope
//! (`id`, `type`, `occurred_at`, `source`, `data`) and the customer, invoice
//! and credit note objects it carries, which the bulk API accepts on their
//! own. Every error names the field and says what is wrong with it.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::change::{IncomingEvent, LedgerChange};
use crate::customer::{
    Contact, Contacts, CountryCode, Customer, Iban, Language, Segmentation, SourceRef,
};
use crate::fields::{FieldError, Fields};
use crate::invoice::{
    BillingChannel, CreditNote, CreditNoteParts, Invoice, InvoiceError, InvoiceNumber,
    InvoiceParts, InvoiceStatus,
};
use crate::money::{Currency, Money};

/// Why a canonical event or object is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// The body is not JSON at all.
    #[error("the body is not valid JSON ({0}): send one JSON object")]
    NotJson(String),

    /// A field is missing, of the wrong type or invalid.
    #[error(transparent)]
    Field(#[from] FieldError),
}

/// Reads one event: the envelope and the object in `data`. Field paths in
/// errors start at the envelope (`data.total`).
pub fn parse_event(body: &[u8]) -> Result<IncomingEvent, CanonicalError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|error| CanonicalError::NotJson(error.to_string()))?;
    let envelope = Fields::of(&value, "")?;

    let event_id = envelope.required_str("id")?.to_string();
    let source = envelope.required_str("source")?;
    envelope.parse_with("source", source, |name| SourceRef::new(name, "envelope"))?;
    let occurred_at = occurred_at(&envelope)?;
    let event_type = envelope.required_str("type")?;

    let data = envelope
        .object("data")?
        .ok_or_else(|| envelope.error("data", "is missing; it holds the object of the event"))?;
    let change = change_for(event_type, &data, source)
        .ok_or_else(|| envelope.error("type", unknown_type(event_type)))??;

    Ok(IncomingEvent {
        event_id,
        source: source.to_string(),
        occurred_at,
        changes: vec![change],
    })
}

/// Reads one canonical invoice object, as the bulk API receives it.
pub fn parse_invoice(value: &Value, source: &str) -> Result<Invoice, CanonicalError> {
    Ok(invoice(&Fields::of(value, "")?, source)?)
}

/// Reads one canonical customer object.
pub fn parse_customer(value: &Value, source: &str) -> Result<Customer, CanonicalError> {
    Ok(customer(&Fields::of(value, "")?, source)?)
}

/// Reads one canonical credit note object.
pub fn parse_credit_note(value: &Value, source: &str) -> Result<CreditNote, CanonicalError> {
    Ok(credit_note(&Fields::of(value, "")?, source)?)
}

/// The change an event type makes with its data, or `None` for an unknown type.
fn change_for(
    event_type: &str,
    data: &Fields,
    source: &str,
) -> Option<Result<LedgerChange, FieldError>> {
    let change = match event_type {
        "customer.upserted" => customer(data, source).map(LedgerChange::UpsertCustomer),
        "customer.deleted" => {
            source_ref(data, "external_id", source).map(LedgerChange::ArchiveCustomer)
        }
        "invoice.upserted" => invoice(data, source).map(LedgerChange::UpsertInvoice),
        "invoice.voided" => source_ref(data, "external_id", source).map(LedgerChange::VoidInvoice),
        "credit_note.upserted" => credit_note(data, source).map(LedgerChange::UpsertCreditNote),
        "credit_note.voided" => {
            source_ref(data, "external_id", source).map(LedgerChange::VoidCreditNote)
        }
        _ => return None,
    };
    Some(change)
}

fn unknown_type(event_type: &str) -> String {
    format!(
        "{event_type:?} is not an event type: use customer.upserted, customer.deleted, \
         invoice.upserted, invoice.voided, credit_note.upserted or credit_note.voided"
    )
}

fn occurred_at(envelope: &Fields) -> Result<DateTime<Utc>, FieldError> {
    let text = envelope.required_str("occurred_at")?;
    DateTime::parse_from_rfc3339(text)
        .map(|instant| instant.with_timezone(&Utc))
        .map_err(|_| {
            envelope.error(
                "occurred_at",
                format!("{text:?} is not an RFC 3339 instant such as \"2026-03-02T09:15:00Z\""),
            )
        })
}

fn source_ref(object: &Fields, field: &str, source: &str) -> Result<SourceRef, FieldError> {
    let external_id = object.required_str(field)?;
    object.parse_with(field, external_id, |id| SourceRef::new(source, id))
}

fn customer(object: &Fields, source: &str) -> Result<Customer, FieldError> {
    let source_ref = source_ref(object, "external_id", source)?;
    let name = object.required_str("name")?.trim().to_string();

    let language = match object.optional_str("language")? {
        Some(code) => object.parse_with("language", code, Language::parse)?,
        None => Language::default(),
    };
    let country = object
        .optional_str("country")?
        .map(|code| object.parse_with("country", code, CountryCode::parse))
        .transpose()?;
    let payment_terms_days = payment_terms_days(object)?;

    let bank_accounts = object
        .array("bank_accounts")?
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let field = format!("bank_accounts[{index}]");
            let iban = value
                .as_str()
                .ok_or_else(|| object.error(&field, "expected an IBAN as a string"))?;
            object.parse_with(&field, iban, Iban::parse)
        })
        .collect::<Result<Vec<_>, _>>()?;

    Ok(Customer {
        source_ref,
        name,
        segmentation: segmentation(object)?,
        language,
        country,
        vat_number: optional_text(object, "vat_number")?,
        payment_terms_days,
        contacts: contacts(object)?,
        bank_accounts,
    })
}

fn payment_terms_days(object: &Fields) -> Result<Option<u32>, FieldError> {
    object
        .optional_i64("payment_terms_days")?
        .map(|days| {
            u32::try_from(days).map_err(|_| {
                object.error(
                    "payment_terms_days",
                    format!("{days} is not a number of days: use 0 or more"),
                )
            })
        })
        .transpose()
}

fn segmentation(object: &Fields) -> Result<Segmentation, FieldError> {
    let tags = object
        .array("tags")?
        .iter()
        .enumerate()
        .map(|(index, tag)| {
            tag.as_str()
                .map(str::to_string)
                .ok_or_else(|| object.error(&format!("tags[{index}]"), "expected a string"))
        })
        .collect::<Result<Vec<_>, _>>()?;

    Ok(Segmentation {
        legal_entity: optional_text(object, "legal_entity")?,
        region: optional_text(object, "region")?,
        segment: optional_text(object, "segment")?,
        owner: optional_text(object, "owner")?,
        collector: optional_text(object, "collector")?,
        tags,
    })
}

fn contacts(object: &Fields) -> Result<Contacts, FieldError> {
    let Some(contacts) = object.object("contacts")? else {
        return Ok(Contacts::default());
    };

    Ok(Contacts {
        invoicing: contacts
            .object("invoicing")?
            .map(|c| contact(&c))
            .transpose()?,
        dunning: contacts
            .object("dunning")?
            .map(|c| contact(&c))
            .transpose()?,
    })
}

fn contact(object: &Fields) -> Result<Contact, FieldError> {
    let email = optional_text(object, "email")?;
    if let Some(address) = &email
        && !is_plausible_email(address)
    {
        return Err(object.error(
            "email",
            format!("{address:?} is not an e-mail address such as \"compta@example.com\""),
        ));
    }

    Ok(Contact {
        name: optional_text(object, "name")?,
        email,
        phone: optional_text(object, "phone")?,
    })
}

/// One `@` with text on both sides and a dot in the domain.
fn is_plausible_email(address: &str) -> bool {
    match address.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !domain.contains('@'),
        None => false,
    }
}

/// A string field trimmed, `None` when absent or blank.
fn optional_text(object: &Fields, field: &str) -> Result<Option<String>, FieldError> {
    Ok(object
        .optional_str(field)?
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_string))
}

fn invoice(object: &Fields, source: &str) -> Result<Invoice, FieldError> {
    let currency = currency(object)?;
    let total = amount(object, "total", currency)?
        .ok_or_else(|| object.error("total", "is missing; this field is required"))?;

    let parts = InvoiceParts {
        source_ref: source_ref(object, "external_id", source)?,
        number: number(object)?,
        customer: source_ref(object, "customer", source)?,
        issue_date: object.required_date("issue_date")?,
        due_date: object.required_date("due_date")?,
        total,
        tax: amount(object, "tax", currency)?,
        amount_paid: amount(object, "amount_paid", currency)?.unwrap_or(Money::zero(currency)),
        status: status(object)?,
        channel: object
            .optional_str("channel")?
            .map(|channel| object.parse_with("channel", channel, BillingChannel::parse))
            .transpose()?,
        payment_reference: optional_text(object, "payment_reference")?,
        dispute: None,
        promise_to_pay: None,
        dunning_paused_until: None,
    };

    Invoice::new(parts).map_err(|error| invoice_error(object, error))
}

fn credit_note(object: &Fields, source: &str) -> Result<CreditNote, FieldError> {
    let currency = currency(object)?;
    let total = amount(object, "total", currency)?
        .ok_or_else(|| object.error("total", "is missing; this field is required"))?;
    let invoice = object
        .optional_str("invoice")?
        .map(|id| object.parse_with("invoice", id, |id| SourceRef::new(source, id)))
        .transpose()?;

    let parts = CreditNoteParts {
        source_ref: source_ref(object, "external_id", source)?,
        number: number(object)?,
        customer: source_ref(object, "customer", source)?,
        invoice,
        issue_date: object.required_date("issue_date")?,
        total,
        reason: optional_text(object, "reason")?,
        voided: false,
    };

    CreditNote::new(parts).map_err(|error| invoice_error(object, error))
}

fn number(object: &Fields) -> Result<InvoiceNumber, FieldError> {
    let number = object.required_str("number")?;
    object.parse_with("number", number, InvoiceNumber::parse)
}

fn currency(object: &Fields) -> Result<Currency, FieldError> {
    let code = object.required_str("currency")?;
    object.parse_with("currency", code, Currency::parse)
}

/// An amount: a decimal string, not negative, within the currency's decimals.
fn amount(object: &Fields, field: &str, currency: Currency) -> Result<Option<Money>, FieldError> {
    let Some(value) = object.get(field) else {
        return Ok(None);
    };
    let Some(text) = value.as_str() else {
        return Err(object.error(
            field,
            format!(
                "{value} must be a string such as \"1440.00\": amounts are strings so that \
                 no JSON parser turns them into floating point"
            ),
        ));
    };

    let money = object.parse_with(field, text, |text| Money::parse(text, currency))?;
    if money.is_negative() {
        return Err(object.error(
            field,
            format!("{text:?} is negative; amounts are tax-included and never negative"),
        ));
    }
    Ok(Some(money))
}

/// The documented statuses; `open` when absent.
fn status(object: &Fields) -> Result<InvoiceStatus, FieldError> {
    let status = match object.optional_str("status")? {
        None => return Ok(InvoiceStatus::Open),
        Some(status) => status,
    };

    match status {
        "draft" => Ok(InvoiceStatus::Draft),
        "open" => Ok(InvoiceStatus::Open),
        "paid" => Ok(InvoiceStatus::Paid),
        "void" => Ok(InvoiceStatus::Void),
        "uncollectible" => Ok(InvoiceStatus::Uncollectible),
        other => Err(object.error(
            "status",
            format!("{other:?} is not a status: use draft, open, paid, void or uncollectible"),
        )),
    }
}

/// Names the field a whole-document check failed on.
fn invoice_error(object: &Fields, error: InvoiceError) -> FieldError {
    object.error(error.field().unwrap_or("total"), error.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn documented_invoice() -> Value {
        json!({
            "external_id": "inv_8812",
            "number": "F2026-000123",
            "customer": "C-00042",
            "issue_date": "2026-03-01",
            "due_date": "2026-03-31",
            "currency": "EUR",
            "total": "1440.00",
            "tax": "240.00",
            "amount_paid": "0.00",
            "status": "open",
            "channel": "email",
            "payment_reference": "RF18539007547034"
        })
    }

    fn documented_customer() -> Value {
        json!({
            "external_id": "C-00042",
            "name": "Boulangerie Martin SARL",
            "legal_entity": "FR01",
            "region": "Île-de-France",
            "segment": "smb",
            "owner": "alice@example.com",
            "collector": "bruno@example.com",
            "tags": ["bakery", "key-account"],
            "language": "fr",
            "country": "FR",
            "vat_number": "FR40303265045",
            "payment_terms_days": 30,
            "contacts": {
                "invoicing": {"name": "Service comptable", "email": "compta@martin.example"},
                "dunning": {"name": "Claire Martin", "email": "claire@martin.example", "phone": "+33 1 23 45 67 89"}
            },
            "bank_accounts": ["FR7630006000011234567890189"]
        })
    }

    fn envelope(event_type: &str, data: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "id": "evt_01HZX3N2",
            "type": event_type,
            "occurred_at": "2026-03-02T09:15:00Z",
            "source": "sellsy",
            "data": data
        }))
        .unwrap()
    }

    #[test]
    fn the_documented_invoice_event_is_read_in_full() {
        let event = parse_event(&envelope("invoice.upserted", documented_invoice())).unwrap();

        assert_eq!(event.event_id, "evt_01HZX3N2");
        assert_eq!(event.source, "sellsy");
        assert_eq!(event.occurred_at.to_rfc3339(), "2026-03-02T09:15:00+00:00");
        let [LedgerChange::UpsertInvoice(invoice)] = event.changes.as_slice() else {
            panic!("expected one invoice, got {:?}", event.changes);
        };
        assert_eq!(invoice.source_ref().to_string(), "sellsy:inv_8812");
        assert_eq!(invoice.number().as_str(), "F2026-000123");
        assert_eq!(invoice.customer().to_string(), "sellsy:C-00042");
        assert_eq!(invoice.total().to_string(), "1440.00 EUR");
        assert_eq!(invoice.tax().unwrap().to_string(), "240.00 EUR");
        assert_eq!(invoice.status(), InvoiceStatus::Open);
        assert_eq!(invoice.channel(), Some(BillingChannel::Email));
        assert_eq!(invoice.payment_reference(), Some("RF18539007547034"));
    }

    #[test]
    fn the_documented_customer_event_is_read_in_full() {
        let event = parse_event(&envelope("customer.upserted", documented_customer())).unwrap();

        let [LedgerChange::UpsertCustomer(customer)] = event.changes.as_slice() else {
            panic!("expected one customer, got {:?}", event.changes);
        };
        assert_eq!(customer.name, "Boulangerie Martin SARL");
        assert_eq!(
            customer.segmentation.region.as_deref(),
            Some("Île-de-France")
        );
        assert_eq!(customer.segmentation.tags, ["bakery", "key-account"]);
        assert_eq!(customer.language, Language::French);
        assert_eq!(customer.country.as_ref().unwrap().as_str(), "FR");
        assert_eq!(customer.payment_terms_days, Some(30));
        let dunning = customer.contacts.dunning.as_ref().unwrap();
        assert_eq!(dunning.phone.as_deref(), Some("+33 1 23 45 67 89"));
        assert_eq!(
            customer.bank_accounts[0].as_str(),
            "FR7630006000011234567890189"
        );
    }

    #[test]
    fn the_documented_credit_note_and_deletions_are_read() {
        let credit_note = json!({
            "external_id": "cn_77",
            "number": "AV2026-000009",
            "customer": "C-00042",
            "invoice": "inv_8812",
            "issue_date": "2026-03-10",
            "currency": "EUR",
            "total": "240.00",
            "reason": "damaged goods"
        });
        let event = parse_event(&envelope("credit_note.upserted", credit_note)).unwrap();
        let [LedgerChange::UpsertCreditNote(note)] = event.changes.as_slice() else {
            panic!("expected one credit note, got {:?}", event.changes);
        };
        assert_eq!(note.invoice().unwrap().to_string(), "sellsy:inv_8812");
        assert_eq!(note.reason(), Some("damaged goods"));

        let table = [
            ("customer.deleted", "ArchiveCustomer"),
            ("invoice.voided", "VoidInvoice"),
            ("credit_note.voided", "VoidCreditNote"),
        ];
        for (event_type, change) in table {
            let event = parse_event(&envelope(event_type, json!({"external_id": "x-1"}))).unwrap();
            let debug = format!("{:?}", event.changes);
            assert!(debug.starts_with(&format!("[{change}(")), "{debug}");
            assert_eq!(event.changes[0].subject().to_string(), "sellsy:x-1");
        }
    }

    #[test]
    fn a_bare_customer_takes_the_documented_defaults() {
        let customer =
            parse_customer(&json!({"external_id": "C-1", "name": "Dupont"}), "sellsy").unwrap();
        assert_eq!(customer.language, Language::French);
        assert!(customer.contacts.for_dunning().is_none());
        assert!(customer.bank_accounts.is_empty());
    }

    #[test]
    fn invalid_invoices_name_the_field_and_the_problem() {
        let table: [(&str, Value, &str); 14] = [
            (
                "total",
                json!("-5.00"),
                "`total`: \"-5.00\" is negative; amounts are tax-included and never negative",
            ),
            (
                "total",
                json!(1440.0),
                "`total`: 1440.0 must be a string such as \"1440.00\"",
            ),
            (
                "total",
                Value::Null,
                "`total`: is missing; this field is required",
            ),
            (
                "total",
                json!("1440.001"),
                "`total`: \"1440.001\" has more decimals than EUR allows (2)",
            ),
            (
                "total",
                json!("1 440,00"),
                "`total`: \"1 440,00\" is not an amount",
            ),
            (
                "tax",
                json!("2000.00"),
                "`tax`: tax (2000.00 EUR) is more than the total (1440.00 EUR)",
            ),
            (
                "amount_paid",
                json!("1500.00"),
                "`amount_paid`: amount_paid (1500.00 EUR) is more than the total",
            ),
            (
                "currency",
                json!("EURO"),
                "`currency`: unknown currency \"EURO\"",
            ),
            (
                "due_date",
                json!("2026-02-01"),
                "`due_date`: due date 2026-02-01 is before issue date 2026-03-01",
            ),
            (
                "issue_date",
                json!("01/03/2026"),
                "`issue_date`: \"01/03/2026\" is not a date: write it as YYYY-MM-DD",
            ),
            (
                "status",
                json!("settled"),
                "`status`: \"settled\" is not a status",
            ),
            (
                "channel",
                json!("fax"),
                "`channel`: channel \"fax\" is unknown",
            ),
            (
                "number",
                json!(" "),
                "`number`: is missing or blank; this field is required",
            ),
            (
                "customer",
                json!(42),
                "`customer`: expected a string, found a number (42)",
            ),
        ];
        for (field, value, message) in table {
            let mut invoice = documented_invoice();
            invoice[field] = value;
            let error = parse_invoice(&invoice, "sellsy").unwrap_err().to_string();
            assert!(error.starts_with(message), "{field}: {error}");
        }
    }

    #[test]
    fn errors_inside_an_event_carry_the_path_from_the_envelope() {
        let mut customer = documented_customer();
        customer["contacts"]["dunning"]["email"] = json!("claire.martin.example");

        let error = parse_event(&envelope("customer.upserted", customer.clone())).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("`data.contacts.dunning.email`: \"claire.martin.example\""),
            "{error}"
        );

        let mut customer = documented_customer();
        customer["bank_accounts"] =
            json!(["FR7630006000011234567890189", "FR7630006000011234567890188"]);
        let error = parse_event(&envelope("customer.upserted", customer)).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("`data.bank_accounts[1]`: IBAN \"FR7630006000011234567890188\" fails"),
            "{error}"
        );
    }

    #[test]
    fn invalid_envelopes_name_the_field() {
        let table = [
            (json!({"type": "invoice.upserted"}), "`id`: is missing"),
            (
                json!({"id": "e", "type": "invoice.upserted", "occurred_at": "2026-03-02", "source": "sellsy", "data": {}}),
                "`occurred_at`: \"2026-03-02\" is not an RFC 3339 instant",
            ),
            (
                json!({"id": "e", "type": "invoice.upserted", "occurred_at": "2026-03-02T09:15:00Z", "source": "Sellsy", "data": {}}),
                "`source`: source \"Sellsy\" is not a valid platform name",
            ),
            (
                json!({"id": "e", "type": "invoice.created", "occurred_at": "2026-03-02T09:15:00Z", "source": "sellsy", "data": {}}),
                "`type`: \"invoice.created\" is not an event type",
            ),
            (
                json!({"id": "e", "type": "invoice.voided", "occurred_at": "2026-03-02T09:15:00Z", "source": "sellsy"}),
                "`data`: is missing",
            ),
            (
                json!([1, 2]),
                "`(body)`: expected an object, found an array",
            ),
        ];
        for (body, message) in table {
            let error = parse_event(&serde_json::to_vec(&body).unwrap())
                .unwrap_err()
                .to_string();
            assert!(error.starts_with(message), "{error}");
        }

        let not_json = parse_event(b"{\"id\": ").unwrap_err();
        assert!(matches!(not_json, CanonicalError::NotJson(_)));
    }
}
