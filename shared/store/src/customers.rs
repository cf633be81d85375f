//! Reading customers within the caller's portfolio, and creating or editing
//! them from the API (segmentation, contacts, owner, collector).

use chrono::{DateTime, Utc};
use relance_api::{CustomerFilter, CustomerSort, Page, Scope};
use relance_ledger::customer::{
    Contact, Contacts, CountryCode, Customer, Iban, Language, Segmentation, SourceRef,
};
use serde::Serialize;

use crate::apply::{add_bank_accounts, customer_values};
use crate::listing::{Conditions, Listing, SORT_KEY, SortKey, into_listing};
use crate::{Database, Row, StoreError, Value};

/// A stored customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRecord {
    /// Relance's identifier.
    pub id: i64,
    /// Everything known about the customer.
    pub customer: Customer,
    /// Deleted at its platform; its history is kept.
    pub archived: bool,
    /// `occurred_at` of the last change applied from the platform; `None`
    /// for customers known only from their invoices or created in Relance.
    pub version: Option<DateTime<Utc>>,
}

const CUSTOMER_COLUMNS: &str = "c.id, c.source, c.external_id, c.name, c.legal_entity,
    c.region, c.segment, c.owner, c.collector, c.tags, c.language, c.country, c.vat_number,
    c.payment_terms_days, c.invoicing_contact_name, c.invoicing_contact_email,
    c.invoicing_contact_phone, c.dunning_contact_name, c.dunning_contact_email,
    c.dunning_contact_phone, c.archived, c.version,
    (SELECT group_concat(b.iban, ' ') FROM customer_bank_accounts b
      WHERE b.customer_id = c.id) AS bank_accounts";

impl CustomerRecord {
    fn from_row(row: &Row<'_>) -> Result<CustomerRecord, StoreError> {
        let text = |column| row.optional_text(column).map(|t| t.map(str::to_owned));

        let customer = Customer {
            source_ref: SourceRef {
                source: row.text("source")?.to_owned(),
                external_id: row.text("external_id")?.to_owned(),
            },
            name: row.text("name")?.to_owned(),
            segmentation: Segmentation {
                legal_entity: text("legal_entity")?,
                region: text("region")?,
                segment: text("segment")?,
                owner: text("owner")?,
                collector: text("collector")?,
                tags: stored_tags(row.text("tags")?)?,
            },
            language: Language::parse(row.text("language")?)
                .map_err(|e| stored("language", e.to_string()))?,
            country: row
                .optional_text("country")?
                .map(CountryCode::parse)
                .transpose()
                .map_err(|e| stored("country", e.to_string()))?,
            vat_number: text("vat_number")?,
            payment_terms_days: row
                .optional_integer("payment_terms_days")?
                .map(|days| {
                    u32::try_from(days).map_err(|_| stored("payment_terms_days", days.to_string()))
                })
                .transpose()?,
            contacts: Contacts {
                invoicing: stored_contact(row, "invoicing")?,
                dunning: stored_contact(row, "dunning")?,
            },
            bank_accounts: stored_ibans(row.optional_text("bank_accounts")?)?,
        };

        Ok(CustomerRecord {
            id: row.integer("id")?,
            customer,
            archived: row.boolean("archived")?,
            version: row.optional_timestamp("version")?,
        })
    }
}

fn stored(column: &str, found: String) -> StoreError {
    StoreError::UnexpectedValue {
        column: column.to_owned(),
        expected: "a value the ledger accepts",
        found,
    }
}

fn stored_tags(json: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(json).map_err(|_| stored("tags", format!("{json:?}")))
}

fn stored_ibans(list: Option<&str>) -> Result<Vec<Iban>, StoreError> {
    list.unwrap_or_default()
        .split_whitespace()
        .map(|iban| Iban::parse(iban).map_err(|e| stored("bank_accounts", e.to_string())))
        .collect()
}

fn stored_contact(row: &Row<'_>, role: &str) -> Result<Option<Contact>, StoreError> {
    let field = |name: &str| {
        row.optional_text(&format!("{role}_contact_{name}"))
            .map(|t| t.map(str::to_owned))
    };
    let contact = Contact {
        name: field("name")?,
        email: field("email")?,
        phone: field("phone")?,
    };

    let empty = contact.name.is_none() && contact.email.is_none() && contact.phone.is_none();
    Ok((!empty).then_some(contact))
}

fn sort_key(sort: CustomerSort) -> SortKey {
    let column = match sort {
        CustomerSort::Name => "c.name",
        CustomerSort::ExternalId => "c.external_id",
    };
    SortKey {
        column,
        numeric: false,
        id_column: "c.id",
    }
}

/// One page of the customers the caller may see, filtered and sorted.
pub fn list_customers(
    db: &impl Database,
    scope: &Scope,
    filter: &CustomerFilter,
    page: &Page,
) -> Result<Listing<CustomerRecord>, StoreError> {
    let mut conditions = Conditions::default();
    conditions.scope(scope);
    conditions.segments(&filter.segments);

    let key = sort_key(filter.sort);
    let (order_by, limit) = key.paginate(filter.direction, page, &mut conditions);
    let mut params = conditions.params;
    params.push(limit);

    let rows = db.execute(
        &format!(
            "SELECT {CUSTOMER_COLUMNS}, {} AS {SORT_KEY} FROM customers c
             WHERE 1 = 1{}{order_by}",
            key.column, conditions.sql
        ),
        &params,
    )?;

    into_listing(
        &rows,
        page,
        filter.sort_parameter(),
        CustomerRecord::from_row,
    )
}

/// One customer, if it exists and the caller may see it.
pub fn get_customer(
    db: &impl Database,
    scope: &Scope,
    id: i64,
) -> Result<Option<CustomerRecord>, StoreError> {
    let mut conditions = Conditions::default();
    conditions.add("c.id = ?", [Value::Integer(id)]);
    conditions.scope(scope);

    let rows = db.execute(
        &format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE 1 = 1{}",
            conditions.sql
        ),
        &conditions.params,
    )?;

    rows.first()
        .map(|row| CustomerRecord::from_row(&row))
        .transpose()
}

/// Creates a customer entered in Relance; refused if its identity exists.
pub fn create_customer(
    db: &impl Database,
    customer: &Customer,
    now: DateTime<Utc>,
) -> Result<CustomerRecord, StoreError> {
    db.transaction(|db| {
        let mut params = customer_values(customer);
        params.extend([now.into(), now.into()]);

        let rows = db.execute(
            "INSERT INTO customers (source, external_id, name, legal_entity, region, segment,
                owner, collector, tags, language, country, vat_number, payment_terms_days,
                invoicing_contact_name, invoicing_contact_email, invoicing_contact_phone,
                dunning_contact_name, dunning_contact_email, dunning_contact_phone,
                created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (source, external_id) DO NOTHING
             RETURNING id",
            &params,
        )?;
        let id = match rows.first() {
            Some(row) => row.integer("id")?,
            None => {
                return Err(StoreError::AlreadyExists {
                    what: "customer",
                    id: customer.source_ref.to_string(),
                });
            }
        };

        add_bank_accounts(db, id, customer)?;
        get_customer(db, &Scope::Everything, id)?.ok_or_else(|| not_found(id))
    })
}

/// Replaces what the team edits on a customer the caller may see: name,
/// segmentation, language, country, VAT number, terms, contacts and bank
/// accounts. Its identity at the platform never changes.
pub fn update_customer(
    db: &impl Database,
    scope: &Scope,
    id: i64,
    customer: &Customer,
    now: DateTime<Utc>,
) -> Result<CustomerRecord, StoreError> {
    db.transaction(|db| {
        let mut visible = Conditions::default();
        visible.scope(scope);

        let mut params: Vec<Value> = customer_values(customer).into_iter().skip(2).collect();
        params.extend([now.into(), Value::Integer(id)]);
        params.extend(visible.params);

        let rows = db.execute(
            &format!(
                "UPDATE customers AS c SET name = ?, legal_entity = ?, region = ?, segment = ?,
                    owner = ?, collector = ?, tags = ?, language = ?, country = ?,
                    vat_number = ?, payment_terms_days = ?, invoicing_contact_name = ?,
                    invoicing_contact_email = ?, invoicing_contact_phone = ?,
                    dunning_contact_name = ?, dunning_contact_email = ?,
                    dunning_contact_phone = ?, updated_at = ?
                 WHERE c.id = ?{}
                 RETURNING id",
                visible.sql
            ),
            &params,
        )?;
        if rows.is_empty() {
            return Err(not_found(id));
        }

        db.execute(
            "DELETE FROM customer_bank_accounts WHERE customer_id = ?",
            &[Value::Integer(id)],
        )?;
        add_bank_accounts(db, id, customer)?;
        get_customer(db, &Scope::Everything, id)?.ok_or_else(|| not_found(id))
    })
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound {
        what: "customer",
        id: id.to_string(),
    }
}
