//! Dunning policies as stored, the customers and segments each chases, and
//! the book a run reads to find every customer's policy.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use relance_store::{Database, Value};
use serde::Serialize;

use crate::DunningError;
use crate::policy::{DEFAULT_POLICY_CODE, DunningPolicy, default_policy};
use crate::store::templates::template_exists;

/// A policy with what it is assigned to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyRecord {
    /// The policy.
    #[serde(flatten)]
    pub policy: DunningPolicy,
    /// Segments (`customers.segment`) it chases.
    pub segments: Vec<String>,
    /// Customers it chases, whatever their segment.
    pub customer_ids: Vec<i64>,
    /// Relance's built-in default, not stored yet.
    pub built_in: bool,
    /// When it was last saved.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Every policy: the stored ones and, unless replaced, the built-in default.
pub fn list_policies(db: &impl Database) -> Result<Vec<PolicyRecord>, DunningError> {
    let rows = db.execute(
        "SELECT code, definition, updated_at FROM dunning_policies ORDER BY code",
        &[],
    )?;
    let assignments = assignments(db)?;

    let mut records = Vec::new();
    for row in rows.iter() {
        let code = row.text("code")?.to_owned();
        let policy = stored_policy(&code, row.text("definition")?)?;
        let (segments, customer_ids) = assigned_to(&assignments, &code);
        records.push(PolicyRecord {
            policy,
            segments,
            customer_ids,
            built_in: false,
            updated_at: Some(row.timestamp("updated_at")?),
        });
    }

    if !records.iter().any(|r| r.policy.code == DEFAULT_POLICY_CODE) {
        records.insert(
            0,
            PolicyRecord {
                policy: default_policy(),
                segments: Vec::new(),
                customer_ids: Vec::new(),
                built_in: true,
                updated_at: None,
            },
        );
    }
    Ok(records)
}

/// One policy by its code.
pub fn get_policy(db: &impl Database, code: &str) -> Result<PolicyRecord, DunningError> {
    list_policies(db)?
        .into_iter()
        .find(|record| record.policy.code == code)
        .ok_or_else(|| DunningError::NotFound {
            what: "policy",
            id: code.to_owned(),
        })
}

/// Saves a policy and what it chases: the segments and customers given
/// move to it from any other policy. The default policy chases everyone
/// else and takes no assignments.
pub fn put_policy(
    db: &impl Database,
    policy: &DunningPolicy,
    segments: &[String],
    customer_ids: &[i64],
    token_id: i64,
    now: DateTime<Utc>,
) -> Result<PolicyRecord, DunningError> {
    policy.validate()?;
    if policy.code == DEFAULT_POLICY_CODE && (!segments.is_empty() || !customer_ids.is_empty()) {
        return Err(DunningError::Invalid(
            "the default policy chases every customer no other policy names; \
             leave `segments` and `customer_ids` out"
                .to_owned(),
        ));
    }

    db.transaction(|db| {
        for step in &policy.steps {
            if let Some(template) = &step.template
                && !template_exists(db, template)?
            {
                return Err(DunningError::Invalid(format!(
                    "step {:?} names the template {template:?}, which does not exist; \
                     create it with PUT /api/v1/dunning/templates/{template}/fr and /en first",
                    step.key
                )));
            }
        }

        let definition = serde_json::to_string(policy)
            .map_err(|e| DunningError::Invalid(format!("the policy cannot be stored: {e}")))?;
        db.execute(
            "INSERT INTO dunning_policies (code, name, definition, updated_at, updated_by)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name,
                definition = excluded.definition, updated_at = excluded.updated_at,
                updated_by = excluded.updated_by",
            &[
                policy.code.as_str().into(),
                policy.name.as_str().into(),
                definition.into(),
                now.into(),
                Value::Integer(token_id),
            ],
        )?;

        assign(db, &policy.code, segments, customer_ids)?;
        get_policy(db, &policy.code)
    })
}

/// Replaces the policy's assignments.
fn assign(
    db: &impl Database,
    code: &str,
    segments: &[String],
    customer_ids: &[i64],
) -> Result<(), DunningError> {
    db.execute(
        "DELETE FROM dunning_policy_assignments WHERE policy_code = ?",
        &[code.into()],
    )?;

    for segment in segments {
        db.execute(
            "INSERT INTO dunning_policy_assignments (policy_code, segment) VALUES (?, ?)
             ON CONFLICT (segment) DO UPDATE SET policy_code = excluded.policy_code",
            &[code.into(), segment.as_str().into()],
        )?;
    }

    for customer_id in customer_ids {
        let known = db.execute(
            "SELECT 1 FROM customers WHERE id = ?",
            &[Value::Integer(*customer_id)],
        )?;
        if known.is_empty() {
            return Err(DunningError::Invalid(format!(
                "customer {customer_id} does not exist; give ids as GET /api/v1/customers lists them"
            )));
        }
        db.execute(
            "INSERT INTO dunning_policy_assignments (policy_code, customer_id) VALUES (?, ?)
             ON CONFLICT (customer_id) DO UPDATE SET policy_code = excluded.policy_code",
            &[code.into(), Value::Integer(*customer_id)],
        )?;
    }
    Ok(())
}

/// `(policy code, segment, customer id)` of every assignment.
type Assignments = Vec<(String, Option<String>, Option<i64>)>;

fn assignments(db: &impl Database) -> Result<Assignments, DunningError> {
    let rows = db.execute(
        "SELECT policy_code, segment, customer_id FROM dunning_policy_assignments
         ORDER BY segment, customer_id",
        &[],
    )?;
    rows.iter()
        .map(|row| {
            Ok((
                row.text("policy_code")?.to_owned(),
                row.optional_text("segment")?.map(str::to_owned),
                row.optional_integer("customer_id")?,
            ))
        })
        .collect()
}

fn assigned_to(assignments: &Assignments, code: &str) -> (Vec<String>, Vec<i64>) {
    let mine = assignments.iter().filter(|(policy, ..)| policy == code);
    let segments = mine.clone().filter_map(|(_, s, _)| s.clone()).collect();
    let customers = mine.filter_map(|(_, _, c)| *c).collect();
    (segments, customers)
}

fn stored_policy(code: &str, definition: &str) -> Result<DunningPolicy, DunningError> {
    serde_json::from_str(definition).map_err(|e| {
        DunningError::Store(relance_store::StoreError::UnexpectedValue {
            column: "dunning_policies.definition".to_owned(),
            expected: "a policy document",
            found: format!("policy {code:?}: {e}"),
        })
    })
}

/// Every policy and who it chases, read once per run.
#[derive(Debug, Clone)]
pub struct PolicyBook {
    policies: HashMap<String, DunningPolicy>,
    by_customer: HashMap<i64, String>,
    by_segment: HashMap<String, String>,
    default: DunningPolicy,
}

impl PolicyBook {
    /// Reads every policy and assignment.
    pub fn load(db: &impl Database) -> Result<PolicyBook, DunningError> {
        let records = list_policies(db)?;
        let mut book = PolicyBook {
            policies: HashMap::new(),
            by_customer: HashMap::new(),
            by_segment: HashMap::new(),
            default: default_policy(),
        };

        for record in records {
            let code = record.policy.code.clone();
            for segment in record.segments {
                book.by_segment.insert(segment, code.clone());
            }
            for customer_id in record.customer_ids {
                book.by_customer.insert(customer_id, code.clone());
            }
            if code == DEFAULT_POLICY_CODE {
                book.default = record.policy.clone();
            }
            book.policies.insert(code, record.policy);
        }
        Ok(book)
    }

    /// The policy that chases a customer: its own assignment, else its
    /// segment's, else the default.
    pub fn policy_for(&self, customer_id: i64, segment: Option<&str>) -> &DunningPolicy {
        let code = self
            .by_customer
            .get(&customer_id)
            .or_else(|| segment.and_then(|s| self.by_segment.get(s)));
        code.and_then(|code| self.policies.get(code))
            .unwrap_or(&self.default)
    }

    /// The earliest offset of any policy, to skip invoices no step can
    /// concern yet.
    pub fn earliest_offset(&self) -> i32 {
        self.policies
            .values()
            .chain([&self.default])
            .map(DunningPolicy::earliest_offset)
            .min()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use relance_store::NativeDatabase;

    use super::*;
    use crate::policy::Channel;

    fn customer(db: &NativeDatabase, external_id: &str, segment: &str) -> i64 {
        let rows = db
            .execute(
                "INSERT INTO customers (source, external_id, name, segment, created_at, updated_at)
                 VALUES ('manual', ?, ?, ?, '2026-01-01T00:00:00.000000Z',
                         '2026-01-01T00:00:00.000000Z') RETURNING id",
                &[external_id.into(), external_id.into(), segment.into()],
            )
            .expect("customer");
        rows.first().expect("row").integer("id").expect("id")
    }

    fn key_accounts() -> DunningPolicy {
        let mut policy = default_policy();
        policy.code = "key-accounts".into();
        policy.name = "Key accounts".into();
        policy
            .steps
            .retain(|step| step.channel != Channel::Litigation);
        policy
    }

    #[test]
    fn customers_follow_their_own_policy_then_their_segments_then_the_default() {
        let db = NativeDatabase::open_in_memory().expect("database");
        let named = customer(&db, "C-1", "smb");
        let in_segment = customer(&db, "C-2", "key-account");
        let other = customer(&db, "C-3", "smb");

        put_policy(
            &db,
            &key_accounts(),
            &["key-account".into()],
            &[named],
            1,
            Utc::now(),
        )
        .expect("saved");
        let book = PolicyBook::load(&db).expect("book");

        assert_eq!(book.policy_for(named, Some("smb")).code, "key-accounts");
        assert_eq!(
            book.policy_for(in_segment, Some("key-account")).code,
            "key-accounts"
        );
        assert_eq!(book.policy_for(other, Some("smb")).code, "default");
        assert_eq!(book.policy_for(other, None).code, "default");
    }

    #[test]
    fn the_built_in_default_is_listed_until_replaced() {
        let db = NativeDatabase::open_in_memory().expect("database");

        let before = list_policies(&db).expect("list");
        assert_eq!(before.len(), 1);
        assert!(before[0].built_in);

        let mut gentler = default_policy();
        gentler.steps.retain(|step| step.channel == Channel::Email);
        put_policy(&db, &gentler, &[], &[], 1, Utc::now()).expect("saved");

        let after = list_policies(&db).expect("list");
        assert_eq!(after.len(), 1);
        assert!(!after[0].built_in);
        assert_eq!(after[0].policy.steps.len(), 3);
    }

    #[test]
    fn a_policy_naming_a_missing_template_or_customer_is_refused() {
        let db = NativeDatabase::open_in_memory().expect("database");
        let mut policy = key_accounts();
        policy.steps[1].template = Some("gentle".into());

        let error = put_policy(&db, &policy, &[], &[], 1, Utc::now()).expect_err("no template");
        assert!(error.to_string().contains("\"gentle\""), "{error}");

        let error =
            put_policy(&db, &key_accounts(), &[], &[999], 1, Utc::now()).expect_err("no customer");
        assert!(error.to_string().contains("customer 999"), "{error}");
        assert_eq!(list_policies(&db).expect("list").len(), 1);
    }
}
