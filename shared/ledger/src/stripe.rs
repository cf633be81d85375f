//! Stripe webhook events mapped to ledger changes: invoices, credit notes and
//! customers, with Stripe's integer amounts in minor units, lower-case
//! currencies and Unix timestamps. Every object gets the source `stripe`.
//!
//! Timestamps become dates in UTC. An invoice without a `due_date` (charged
//! automatically) is due on its creation date plus the payment terms given by
//! the caller, or on its creation date when none are given.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde_json::Value;

use crate::change::{IncomingEvent, LedgerChange};
use crate::customer::{
    Contact, Contacts, CountryCode, Customer, Language, Segmentation, SourceRef,
};
use crate::fields::{FieldError, Fields};
use crate::invoice::{
    BillingChannel, CreditNote, CreditNoteParts, Invoice, InvoiceError, InvoiceNumber,
    InvoiceParts, InvoiceStatus,
};
use crate::money::{Currency, Money};

/// The source name of every object that comes from Stripe.
pub const SOURCE: &str = "stripe";

/// The event types mapped to ledger changes.
pub const HANDLED_EVENT_TYPES: [&str; 12] = [
    "invoice.created",
    "invoice.finalized",
    "invoice.updated",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "credit_note.created",
    "credit_note.voided",
    "customer.created",
    "customer.updated",
    "customer.deleted",
];

/// Why a Stripe event cannot be mapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeError {
    /// The body is not JSON.
    #[error("the body is not valid JSON ({0}): Stripe sends one event object")]
    NotJson(String),

    /// A field of the event or its object is missing or invalid.
    #[error(transparent)]
    Field(#[from] FieldError),

    /// The event type does not change the ledger; a webhook acknowledges it
    /// and moves on, so that Stripe stops resending it.
    #[error(
        "event type {event_type:?} does not change the ledger: subscribe the endpoint to \
         invoice, credit_note and customer events only"
    )]
    UnhandledEventType {
        /// The event's `type`.
        event_type: String,
    },
}

/// Maps a raw Stripe event. `payment_terms_days` sets the due date of
/// invoices that have none (see the module documentation).
pub fn parse_event(
    body: &[u8],
    payment_terms_days: Option<u32>,
) -> Result<IncomingEvent, StripeError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|error| StripeError::NotJson(error.to_string()))?;
    let event = Fields::of(&value, "")?;

    let event_id = event.required_str("id")?.to_string();
    let event_type = event.required_str("type")?;
    let occurred_at = timestamp(&event, "created")?;
    let object = event
        .object("data")?
        .and_then(|data| data.object("object").transpose())
        .transpose()?
        .ok_or_else(|| event.error("data.object", "is missing; it holds the event's object"))?;

    let changes = match event_type {
        "invoice.created"
        | "invoice.finalized"
        | "invoice.updated"
        | "invoice.paid"
        | "invoice.payment_failed"
        | "invoice.voided"
        | "invoice.marked_uncollectible" => invoice_changes(&object, payment_terms_days)?,
        "credit_note.created" | "credit_note.voided" => customer_changes(&object, "customer")?
            .into_iter()
            .chain([LedgerChange::UpsertCreditNote(credit_note(&object)?)])
            .collect(),
        "customer.created" | "customer.updated" => {
            vec![LedgerChange::UpsertCustomer(customer(&object)?)]
        }
        "customer.deleted" => vec![LedgerChange::ArchiveCustomer(stripe_ref(&object, "id")?)],
        other => {
            return Err(StripeError::UnhandledEventType {
                event_type: other.to_string(),
            });
        }
    };

    Ok(IncomingEvent {
        event_id,
        source: SOURCE.to_string(),
        occurred_at,
        changes,
    })
}

/// The invoice, preceded by its customer when the event expands it.
fn invoice_changes(
    object: &Fields,
    payment_terms_days: Option<u32>,
) -> Result<Vec<LedgerChange>, FieldError> {
    let mut changes = customer_changes(object, "customer")?;
    changes.push(LedgerChange::UpsertInvoice(invoice(
        object,
        payment_terms_days,
    )?));
    Ok(changes)
}

/// An `UpsertCustomer` when the field holds an expanded, live customer.
fn customer_changes(object: &Fields, field: &str) -> Result<Vec<LedgerChange>, FieldError> {
    if !matches!(object.get(field), Some(Value::Object(_))) {
        return Ok(Vec::new());
    }

    match object.object(field)? {
        Some(expanded) if expanded.get("deleted") != Some(&Value::Bool(true)) => {
            Ok(vec![LedgerChange::UpsertCustomer(customer(&expanded)?)])
        }
        _ => Ok(Vec::new()),
    }
}

fn invoice(object: &Fields, payment_terms_days: Option<u32>) -> Result<Invoice, FieldError> {
    let source_ref = stripe_ref(object, "id")?;
    let currency = currency(object)?;
    let total = minor_units(object, "total", currency)?;
    let issue_date = timestamp(object, "created")?.date_naive();

    let parts = InvoiceParts {
        number: number_or_id(object, &source_ref)?,
        customer: linked_ref(object, "customer")?
            .ok_or_else(|| object.error("customer", "is missing; an invoice has a customer"))?,
        issue_date,
        due_date: due_date(object, issue_date, payment_terms_days)?,
        total,
        tax: tax(object, currency)?,
        amount_paid: settled(object, total)?,
        status: status(object)?,
        channel: (object.optional_str("collection_method")? == Some("send_invoice"))
            .then_some(BillingChannel::Email),
        payment_reference: None,
        dispute: None,
        promise_to_pay: None,
        dunning_paused_until: None,
        source_ref,
    };

    Invoice::new(parts).map_err(|error| document_error(object, error))
}

/// What is settled: the total less `amount_remaining`, which also counts
/// customer balance and credits applied by Stripe; `amount_paid` when the
/// remaining amount is absent. Kept within zero and the total: an
/// overpayment stays a credit on the customer's balance at Stripe.
fn settled(object: &Fields, total: Money) -> Result<Money, FieldError> {
    let currency = total.currency();
    let settled = match object.optional_i64("amount_remaining")? {
        Some(remaining) => total
            .checked_sub(Money::from_minor_units(remaining, currency))
            .map_err(|error| object.error("amount_remaining", error.to_string()))?,
        None => minor_units(object, "amount_paid", currency)?,
    };

    let within = settled
        .checked_max(Money::zero(currency))
        .and_then(|at_least_zero| at_least_zero.checked_min(total))
        .map_err(|error| object.error("amount_paid", error.to_string()))?;
    Ok(within)
}

/// `tax` in older API versions, the sum of `total_taxes` in newer ones.
fn tax(object: &Fields, currency: Currency) -> Result<Option<Money>, FieldError> {
    if let Some(tax) = object.optional_i64("tax")? {
        return Ok(Some(Money::from_minor_units(tax, currency)));
    }

    let taxes = object.array("total_taxes")?;
    if taxes.is_empty() {
        return Ok(None);
    }
    let mut sum = Money::zero(currency);
    for (index, tax) in taxes.iter().enumerate() {
        let tax = Fields::of(tax, &object.path_of(&format!("total_taxes[{index}]")))?;
        let amount = Money::from_minor_units(tax.required_i64("amount")?, currency);
        sum = sum
            .checked_add(amount)
            .map_err(|error| object.error("total_taxes", error.to_string()))?;
    }
    Ok(Some(sum))
}

fn due_date(
    object: &Fields,
    issue_date: NaiveDate,
    payment_terms_days: Option<u32>,
) -> Result<NaiveDate, FieldError> {
    if object.get("due_date").is_some() {
        return Ok(timestamp(object, "due_date")?.date_naive());
    }

    let terms = Days::new(u64::from(payment_terms_days.unwrap_or(0)));
    issue_date.checked_add_days(terms).ok_or_else(|| {
        object.error(
            "due_date",
            "the creation date plus the payment terms is out of range",
        )
    })
}

fn status(object: &Fields) -> Result<InvoiceStatus, FieldError> {
    let status = object.required_str("status")?;
    match status {
        "draft" => Ok(InvoiceStatus::Draft),
        "open" => Ok(InvoiceStatus::Open),
        "paid" => Ok(InvoiceStatus::Paid),
        "void" => Ok(InvoiceStatus::Void),
        "uncollectible" => Ok(InvoiceStatus::Uncollectible),
        other => Err(object.error(
            "status",
            format!(
                "{other:?} is not a Stripe invoice status (draft, open, paid, void, uncollectible)"
            ),
        )),
    }
}

fn credit_note(object: &Fields) -> Result<CreditNote, FieldError> {
    let source_ref = stripe_ref(object, "id")?;
    let currency = currency(object)?;
    let reason = match object.optional_str("memo")? {
        Some(memo) if !memo.trim().is_empty() => Some(memo.trim().to_string()),
        _ => object.optional_str("reason")?.map(str::to_string),
    };

    let parts = CreditNoteParts {
        number: number_or_id(object, &source_ref)?,
        customer: linked_ref(object, "customer")?
            .ok_or_else(|| object.error("customer", "is missing; a credit note has a customer"))?,
        invoice: linked_ref(object, "invoice")?,
        issue_date: timestamp(object, "created")?.date_naive(),
        total: minor_units(object, "total", currency)?,
        reason,
        voided: object.optional_str("status")? == Some("void"),
        source_ref,
    };

    CreditNote::new(parts).map_err(|error| document_error(object, error))
}

/// A customer. Its name falls back to its e-mail, then its id; segmentation
/// comes from the metadata keys `legal_entity`, `region`, `segment`, `owner`
/// and `collector`.
fn customer(object: &Fields) -> Result<Customer, FieldError> {
    let source_ref = stripe_ref(object, "id")?;
    let email = object.optional_str("email")?.map(str::to_string);
    let name = object
        .optional_str("name")?
        .map(str::to_string)
        .or_else(|| email.clone())
        .unwrap_or_else(|| source_ref.external_id.clone());

    let contact = Contact {
        name: object.optional_str("name")?.map(str::to_string),
        email,
        phone: object.optional_str("phone")?.map(str::to_string),
    };
    let has_contact = contact.email.is_some() || contact.phone.is_some();

    Ok(Customer {
        source_ref,
        name,
        segmentation: segmentation(object)?,
        language: language(object)?,
        country: country(object)?,
        vat_number: vat_number(object)?,
        payment_terms_days: None,
        contacts: Contacts {
            invoicing: has_contact.then_some(contact),
            dunning: None,
        },
        bank_accounts: Vec::new(),
    })
}

fn segmentation(object: &Fields) -> Result<Segmentation, FieldError> {
    let Some(metadata) = object.object("metadata")? else {
        return Ok(Segmentation::default());
    };
    let text = |key: &str| -> Result<Option<String>, FieldError> {
        Ok(metadata.optional_str(key)?.map(str::to_string))
    };

    Ok(Segmentation {
        legal_entity: text("legal_entity")?,
        region: text("region")?,
        segment: text("segment")?,
        owner: text("owner")?,
        collector: text("collector")?,
        tags: Vec::new(),
    })
}

/// English when the first preferred locale is English, French otherwise.
fn language(object: &Fields) -> Result<Language, FieldError> {
    let first = object
        .array("preferred_locales")?
        .first()
        .and_then(Value::as_str);
    Ok(match first {
        Some(locale) if locale.starts_with("en") => Language::English,
        _ => Language::French,
    })
}

fn country(object: &Fields) -> Result<Option<CountryCode>, FieldError> {
    let Some(address) = object.object("address")? else {
        return Ok(None);
    };
    address
        .optional_str("country")?
        .map(|code| address.parse_with("country", code, CountryCode::parse))
        .transpose()
}

/// The first `eu_vat` tax id, when the customer's tax ids are expanded.
fn vat_number(object: &Fields) -> Result<Option<String>, FieldError> {
    let Some(tax_ids) = object.object("tax_ids")? else {
        return Ok(None);
    };

    let vat = tax_ids.array("data")?.iter().find_map(|tax_id| {
        let is_vat = tax_id.get("type").and_then(Value::as_str) == Some("eu_vat");
        is_vat
            .then(|| tax_id.get("value").and_then(Value::as_str))
            .flatten()
            .map(str::to_string)
    });
    Ok(vat)
}

fn stripe_ref(object: &Fields, field: &str) -> Result<SourceRef, FieldError> {
    let id = object.required_str(field)?;
    object.parse_with(field, id, |id| SourceRef::new(SOURCE, id))
}

/// A link to another object: its id, or the object itself when expanded.
fn linked_ref(object: &Fields, field: &str) -> Result<Option<SourceRef>, FieldError> {
    match object.get(field) {
        None => Ok(None),
        Some(Value::String(id)) => object
            .parse_with(field, id, |id| SourceRef::new(SOURCE, id))
            .map(Some),
        Some(_) => {
            let expanded = object
                .object(field)?
                .ok_or_else(|| object.error(field, "expected an id or an object"))?;
            stripe_ref(&expanded, "id").map(Some)
        }
    }
}

/// The printed number; drafts have none yet, so their Stripe id stands in.
fn number_or_id(object: &Fields, source_ref: &SourceRef) -> Result<InvoiceNumber, FieldError> {
    let number = object
        .optional_str("number")?
        .unwrap_or(&source_ref.external_id);
    object.parse_with("number", number, InvoiceNumber::parse)
}

fn currency(object: &Fields) -> Result<Currency, FieldError> {
    let code = object.required_str("currency")?;
    object.parse_with("currency", code, Currency::parse)
}

fn minor_units(object: &Fields, field: &str, currency: Currency) -> Result<Money, FieldError> {
    Ok(Money::from_minor_units(
        object.required_i64(field)?,
        currency,
    ))
}

fn timestamp(object: &Fields, field: &str) -> Result<DateTime<Utc>, FieldError> {
    let seconds = object.required_i64(field)?;
    DateTime::from_timestamp(seconds, 0).ok_or_else(|| {
        object.error(
            field,
            format!("{seconds} is not a Unix timestamp in seconds"),
        )
    })
}

/// Names the field a whole-document check failed on.
fn document_error(object: &Fields, error: InvoiceError) -> FieldError {
    object.error(error.field().unwrap_or("total"), error.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;

    fn stripe_data(name: &str) -> PathBuf {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/stripe"
        ))
        .join(name)
    }

    /// Every fixture object of the given Stripe `object` type, with its file name.
    fn fixtures_of(object_type: &str) -> Vec<(String, Value)> {
        let mut found: Vec<(String, Value)> = std::fs::read_dir(stripe_data("fixtures"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .map(|path| {
                let text = std::fs::read_to_string(&path).unwrap();
                (
                    path.file_name().unwrap().to_string_lossy().into_owned(),
                    serde_json::from_str(&text).unwrap(),
                )
            })
            .filter(|(_, object): &(String, Value)| object["object"] == object_type)
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found
    }

    fn wrap(event_type: &str, object: &Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "id": "evt_test",
            "object": "event",
            "type": event_type,
            "created": 1_772_442_900,
            "data": {"object": object}
        }))
        .unwrap()
    }

    fn only_invoice(event: &IncomingEvent) -> &Invoice {
        match event.changes.last() {
            Some(LedgerChange::UpsertInvoice(invoice)) => invoice,
            other => panic!("expected an invoice, got {other:?}"),
        }
    }

    #[test]
    fn every_invoice_fixture_is_accepted_under_every_invoice_event() {
        let invoices = fixtures_of("invoice");
        assert_eq!(invoices.len(), 3);

        for (file, object) in &invoices {
            for event_type in HANDLED_EVENT_TYPES
                .iter()
                .filter(|t| t.starts_with("invoice."))
            {
                let event = parse_event(&wrap(event_type, object), None)
                    .unwrap_or_else(|error| panic!("{file} as {event_type}: {error}"));
                assert_eq!(event.source, "stripe");
                assert_eq!(event.occurred_at.to_rfc3339(), "2026-03-02T09:15:00+00:00");
                assert_eq!(only_invoice(&event).source_ref().external_id, object["id"]);
            }
        }
    }

    #[test]
    fn a_paid_invoice_is_read_with_its_amounts_in_minor_units() {
        let (_, object) = fixtures_of("invoice")
            .into_iter()
            .find(|(file, _)| file == "invoice_in_fakefakefakefakefake0001.json")
            .unwrap();
        let event = parse_event(&wrap("invoice.paid", &object), None).unwrap();
        let invoice = only_invoice(&event);

        assert_eq!(invoice.number().as_str(), "E5B23224-0001");
        assert_eq!(invoice.customer().to_string(), "stripe:cus_6lsBvm5rJ0zyHc");
        assert_eq!(invoice.total().to_string(), "20.00 USD");
        assert_eq!(invoice.tax().unwrap().to_string(), "2.61 USD");
        assert_eq!(invoice.amount_paid().to_string(), "20.00 USD");
        assert_eq!(invoice.status(), InvoiceStatus::Paid);
        assert_eq!(invoice.issue_date().to_string(), "2019-05-16");
        assert_eq!(invoice.due_date(), invoice.issue_date());
    }

    #[test]
    fn a_missing_due_date_takes_the_payment_terms_from_creation() {
        let (_, object) = fixtures_of("invoice").into_iter().nth(1).unwrap();
        assert!(object["due_date"].is_null());

        let event = parse_event(&wrap("invoice.finalized", &object), Some(30)).unwrap();
        let invoice = only_invoice(&event);
        assert_eq!((invoice.due_date() - invoice.issue_date()).num_days(), 30);
    }

    #[test]
    fn a_draft_without_a_number_is_known_by_its_id() {
        let (_, object) = fixtures_of("invoice")
            .into_iter()
            .find(|(file, _)| file == "invoice.json")
            .unwrap();
        let event = parse_event(&wrap("invoice.created", &object), None).unwrap();
        let invoice = only_invoice(&event);

        assert_eq!(invoice.number().as_str(), "in_1Pgc6tB7WZ01zgkWu9fdqL6I");
        assert_eq!(invoice.status(), InvoiceStatus::Draft);
        assert_eq!(invoice.remaining().to_string(), "10.00 USD");
        assert_eq!(invoice.channel(), None);
    }

    #[test]
    fn customer_balance_applied_by_stripe_counts_as_settled() {
        let mut object = fixtures_of("invoice").into_iter().nth(1).unwrap().1;
        object["status"] = json!("open");
        object["amount_paid"] = json!(0);
        object["amount_remaining"] = json!(1500);
        object["collection_method"] = json!("send_invoice");

        let event = parse_event(&wrap("invoice.updated", &object), None).unwrap();
        let invoice = only_invoice(&event);
        assert_eq!(invoice.status(), InvoiceStatus::PartiallyPaid);
        assert_eq!(invoice.remaining().to_string(), "15.00 USD");
        assert_eq!(invoice.channel(), Some(BillingChannel::Email));
    }

    #[test]
    fn an_expanded_customer_comes_before_its_invoice() {
        let customer = fixtures_of("customer")
            .into_iter()
            .find(|(file, _)| file == "customer_cus_6lsBvm5rJ0zyHc.json")
            .unwrap()
            .1;
        let mut invoice = fixtures_of("invoice").into_iter().nth(1).unwrap().1;
        invoice["customer"] = customer;

        let event = parse_event(&wrap("invoice.paid", &invoice), None).unwrap();
        let [
            LedgerChange::UpsertCustomer(customer),
            LedgerChange::UpsertInvoice(invoice),
        ] = event.changes.as_slice()
        else {
            panic!(
                "expected a customer then an invoice, got {:?}",
                event.changes
            );
        };
        assert_eq!(invoice.customer(), &customer.source_ref);
        assert_eq!(customer.name, "michael.smith@example.com");
    }

    #[test]
    fn every_credit_note_fixture_is_accepted_and_voiding_marks_it() {
        let notes = fixtures_of("credit_note");
        assert_eq!(notes.len(), 1);

        for (file, object) in &notes {
            let created = parse_event(&wrap("credit_note.created", object), None)
                .unwrap_or_else(|error| panic!("{file}: {error}"));
            let [LedgerChange::UpsertCreditNote(note)] = created.changes.as_slice() else {
                panic!("expected a credit note, got {:?}", created.changes);
            };
            assert_eq!(note.total().to_string(), "16.90 USD");
            assert_eq!(
                note.invoice().unwrap().external_id,
                "in_1Pgc75B7WZ01zgkWYv4iMwt7"
            );
            assert!(!note.is_voided());

            let mut voided = object.clone();
            voided["status"] = json!("void");
            let event = parse_event(&wrap("credit_note.voided", &voided), None).unwrap();
            let [LedgerChange::UpsertCreditNote(note)] = event.changes.as_slice() else {
                panic!("expected a credit note, got {:?}", event.changes);
            };
            assert!(note.is_voided());
        }
    }

    #[test]
    fn every_customer_fixture_is_accepted_under_every_customer_event() {
        let customers = fixtures_of("customer");
        assert_eq!(customers.len(), 3);

        for (file, object) in &customers {
            for event_type in ["customer.created", "customer.updated", "customer.deleted"] {
                let event = parse_event(&wrap(event_type, object), None)
                    .unwrap_or_else(|error| panic!("{file} as {event_type}: {error}"));
                assert_eq!(event.changes.len(), 1);
                assert_eq!(event.changes[0].subject().external_id, object["id"]);
                let archived = matches!(event.changes[0], LedgerChange::ArchiveCustomer(_));
                assert_eq!(archived, event_type == "customer.deleted");
            }
        }
    }

    #[test]
    fn the_recorded_customer_created_event_is_accepted() {
        let body = std::fs::read(stripe_data("events/stripe-java_customer_created.json")).unwrap();
        let event = parse_event(&body, None).unwrap();

        assert_eq!(event.event_id, "evt_00000000000000");
        assert_eq!(event.occurred_at.to_rfc3339(), "2012-01-18T02:24:38+00:00");
        let [LedgerChange::UpsertCustomer(customer)] = event.changes.as_slice() else {
            panic!("expected a customer, got {:?}", event.changes);
        };
        assert_eq!(customer.name, "Test Platform");
        assert_eq!(customer.source_ref.to_string(), "stripe:cus_00000000000000");
    }

    #[test]
    fn customer_details_come_from_locales_address_tax_ids_and_metadata() {
        let object = json!({
            "id": "cus_9", "object": "customer", "name": "Acme Ltd",
            "email": "ap@acme.example", "phone": "+44 20 7946 0000",
            "preferred_locales": ["en-GB"],
            "address": {"country": "GB"},
            "tax_ids": {"data": [{"type": "gb_vat", "value": "GB123"}, {"type": "eu_vat", "value": "IE6388047V"}]},
            "metadata": {"owner": "alice@example.com", "region": "UK"}
        });
        let event = parse_event(&wrap("customer.updated", &object), None).unwrap();
        let LedgerChange::UpsertCustomer(customer) = &event.changes[0] else {
            panic!("expected a customer");
        };

        assert_eq!(customer.language, Language::English);
        assert_eq!(customer.country.as_ref().unwrap().as_str(), "GB");
        assert_eq!(customer.vat_number.as_deref(), Some("IE6388047V"));
        assert_eq!(
            customer.segmentation.owner.as_deref(),
            Some("alice@example.com")
        );
        assert_eq!(
            customer.contacts.for_dunning().unwrap().phone.as_deref(),
            Some("+44 20 7946 0000")
        );
    }

    #[test]
    fn other_event_types_are_reported_as_unhandled() {
        let body = std::fs::read(stripe_data("fixtures/event.json")).unwrap();
        let error = parse_event(&body, None).unwrap_err();
        assert_eq!(
            error,
            StripeError::UnhandledEventType {
                event_type: "plan.created".to_string()
            }
        );
    }

    #[test]
    fn broken_invoices_name_the_field() {
        let object = fixtures_of("invoice").into_iter().nth(1).unwrap().1;
        let table = [
            (
                "currency",
                json!("zzz"),
                "`data.object.currency`: unknown currency \"zzz\"",
            ),
            (
                "total",
                json!("20.00"),
                "`data.object.total`: expected an integer",
            ),
            (
                "status",
                json!("deleted"),
                "`data.object.status`: \"deleted\" is not a Stripe invoice status",
            ),
            (
                "customer",
                Value::Null,
                "`data.object.customer`: is missing",
            ),
            (
                "total",
                json!(-100),
                "`data.object.total`: total is negative",
            ),
        ];
        for (field, value, message) in table {
            let mut broken = object.clone();
            broken[field] = value;
            let error = parse_event(&wrap("invoice.updated", &broken), None).unwrap_err();
            assert!(error.to_string().starts_with(message), "{error}");
        }
    }
}
