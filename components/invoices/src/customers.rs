//! Customers within the caller's portfolio: listed, read, created in
//! Relance, and edited (segmentation, owner, collector, tags, the invoicing
//! and dunning contacts).

use chrono::Utc;
use relance_api::{ApiError, CustomerQuery, QueryParameters};
use relance_ledger::canonical;
use relance_ledger::customer::Customer;
use relance_store::customers as store;
use relance_store::payments::{PAYMENT_SORT, list_customer_payments};
use relance_web::{authenticate, json_response, open_database, read_json};
use serde_json::{Map, Value};
use spin_sdk::http::{Params, Request, Response};

use crate::path_id;

/// The largest customer body.
const CUSTOMER_LIMIT_BYTES: usize = 64 * 1024;

/// The source of customers entered through the API rather than a platform.
const MANUAL_SOURCE: &str = "manual";

/// `GET /api/v1/customers`.
pub fn list_customers(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let query = CustomerQuery::parse(request.query())?;

    let listing = store::list_customers(&db, &principal.scope, &query.filter, &query.page)?;
    json_response(200, &listing)
}

/// `GET /api/v1/customers/:id`.
pub fn get_customer(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let id = path_id(params, "customer")?;

    let customer = store::get_customer(&db, &principal.scope, id)?.ok_or_else(|| not_found(id))?;
    json_response(200, &customer)
}

/// `GET /api/v1/customers/:id/payments`: the payments set against the
/// customer's invoices, newest first, paged with `limit` and `cursor`.
pub fn list_payments(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let id = path_id(params, "customer")?;
    let page = QueryParameters::parse(request.query(), &["limit", "cursor"])?.page(PAYMENT_SORT)?;

    let payments =
        list_customer_payments(&db, &principal.scope, id, &page)?.ok_or_else(|| not_found(id))?;
    json_response(200, &payments)
}

/// `POST /api/v1/customers`: a canonical customer object, with an optional
/// `source` (default `manual`).
pub fn create_customer(request: &Request) -> Result<Response, ApiError> {
    let db = open_database()?;
    authenticate(request, &db)?.require_ledger_write()?;
    let mut object: Map<String, Value> = read_json(request, CUSTOMER_LIMIT_BYTES)?;

    let source = match object.remove("source") {
        Some(Value::String(source)) => source,
        None => MANUAL_SOURCE.to_owned(),
        Some(other) => {
            return Err(invalid_customer(format!(
                "`source` is {other}; give the platform's name as a string, or leave it out"
            )));
        }
    };
    let customer = canonical::parse_customer(&Value::Object(object), &source)
        .map_err(|error| invalid_customer(error.to_string()))?;

    let record = store::create_customer(&db, &customer, Utc::now())?;
    json_response(201, &record)
}

/// `PATCH /api/v1/customers/:id`: a JSON merge patch (RFC 7396) of the
/// customer as `GET` shows it under `customer`: fields given replace what is
/// stored, `null` clears, objects merge. The identity (`source_ref`) stays.
/// A customer outside the caller's portfolio is a 404 whatever their role.
pub fn edit_customer(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let db = open_database()?;
    let principal = authenticate(request, &db)?;
    let id = path_id(params, "customer")?;
    let stored = store::get_customer(&db, &principal.scope, id)?.ok_or_else(|| not_found(id))?;
    principal.require_ledger_write()?;
    let patch: Map<String, Value> = read_json(request, CUSTOMER_LIMIT_BYTES)?;

    if patch.contains_key("source_ref") {
        return Err(invalid_customer(
            "`source_ref` is the customer's identity at its platform and cannot change; \
             create another customer instead"
                .to_owned(),
        ));
    }
    let customer = patched(&stored.customer, &Value::Object(patch))?;

    let record = store::update_customer(&db, &principal.scope, id, &customer, Utc::now())?;
    json_response(200, &record)
}

/// The customer with `patch` merged in, validated like any customer.
fn patched(customer: &Customer, patch: &Value) -> Result<Customer, ApiError> {
    let mut document =
        serde_json::to_value(customer).map_err(|error| ApiError::internal(&error))?;
    merge_patch(&mut document, patch);

    serde_json::from_value(document).map_err(|error| {
        invalid_customer(format!(
            "the customer after this change is not valid: {error}; see docs/api.md"
        ))
    })
}

/// RFC 7396: objects merge key by key, `null` removes, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }

    if let Value::Object(fields) = target {
        for (name, change) in changes {
            if change.is_null() {
                fields.remove(name);
            } else {
                merge_patch(fields.entry(name.clone()).or_insert(Value::Null), change);
            }
        }
    }
}

fn invalid_customer(message: String) -> ApiError {
    ApiError::bad_request(message).with_code("invalid_customer")
}

fn not_found(id: i64) -> ApiError {
    ApiError::not_found(format!(
        "customer {id} does not exist or is outside your portfolio"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        // (stored, patch, expected)
        let table = [
            (json!({"a": 1}), json!({"a": 2}), json!({"a": 2})),
            (json!({"a": 1, "b": 2}), json!({"a": null}), json!({"b": 2})),
            (
                json!({"c": {"x": 1, "y": 2}}),
                json!({"c": {"y": 3}}),
                json!({"c": {"x": 1, "y": 3}}),
            ),
            (
                json!({"t": ["a"]}),
                json!({"t": ["b", "c"]}),
                json!({"t": ["b", "c"]}),
            ),
            (
                json!({"c": 1}),
                json!({"c": {"x": 1}}),
                json!({"c": {"x": 1}}),
            ),
        ];

        for (mut stored, patch, expected) in table {
            merge_patch(&mut stored, &patch);
            assert_eq!(stored, expected, "{patch}");
        }
    }
}
