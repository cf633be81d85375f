//! API bearer tokens: created with a random secret shown once, stored only as
//! its SHA-256, looked up by that hash on every request, revocable.

use chrono::{DateTime, Utc};
use relance_api::{Principal, Role, Scope};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Database, Row, StoreError, Value};

/// Marks a Relance token, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "rl_";

/// A token as listed to administrators: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    /// The token's identifier.
    pub id: i64,
    /// What it is for, as its creator named it.
    pub name: String,
    /// What its holder may do.
    pub role: Role,
    /// What its holder may see.
    pub scope: Scope,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The hash stored for a secret: lower-case hex SHA-256.
pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a token and returns its id and its secret, `rl_` followed by the
/// 32 bytes of `entropy` in hex. The secret is not stored: show it once.
///
/// `entropy` must come from a cryptographic random source (`getrandom`,
/// `wasi:random`); it is a parameter so that the store needs none and tests
/// are deterministic.
pub fn create_token(
    db: &impl Database,
    name: &str,
    role: Role,
    scope: &Scope,
    entropy: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<(i64, String), StoreError> {
    check_scope(role, scope)?;
    let secret = format!("{TOKEN_PREFIX}{}", hex::encode(entropy));

    let (owner, collector) = match scope {
        Scope::Everything => (None, None),
        Scope::Owner(person) => (Some(person.as_str()), None),
        Scope::Collector(person) => (None, Some(person.as_str())),
    };
    let rows = db.execute(
        "INSERT INTO api_tokens (name, token_hash, role, scope_owner, scope_collector, created_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        &[
            name.into(),
            token_hash(&secret).into(),
            role.as_str().into(),
            owner.into(),
            collector.into(),
            now.into(),
        ],
    )?;

    let id = rows
        .first()
        .ok_or_else(|| StoreError::sqlite("INSERT INTO api_tokens", "no id returned"))?
        .integer("id")?;
    Ok((id, secret))
}

/// Sales tokens see one owner's customers, collector tokens one collector's,
/// every other role sees everything.
fn check_scope(role: Role, scope: &Scope) -> Result<(), StoreError> {
    let fits = matches!(
        (role, scope),
        (Role::Sales, Scope::Owner(_))
            | (Role::Collector, Scope::Collector(_))
            | (
                Role::Admin | Role::Manager | Role::Viewer,
                Scope::Everything
            )
    );
    if fits {
        return Ok(());
    }

    Err(StoreError::InvalidScope {
        role: role.as_str().to_owned(),
        scope: format!("{scope:?}"),
    })
}

/// The principal a secret identifies, or `None` for an unknown or revoked
/// token.
pub fn authenticate(db: &impl Database, secret: &str) -> Result<Option<Principal>, StoreError> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }

    let rows = db.execute(
        &format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL"
        ),
        &[token_hash(secret).into()],
    )?;

    rows.first()
        .map(|row| {
            let token = TokenRecord::from_row(&row)?;
            Ok(Principal {
                token_id: token.id,
                role: token.role,
                scope: token.scope,
            })
        })
        .transpose()
}

/// Revokes a token; says whether a live token was revoked.
pub fn revoke(db: &impl Database, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let rows = db.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id",
        &[now.into(), Value::Integer(id)],
    )?;
    Ok(!rows.is_empty())
}

/// Every token, newest first, revoked ones included.
pub fn list_tokens(db: &impl Database) -> Result<Vec<TokenRecord>, StoreError> {
    let rows = db.execute(
        &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id DESC"),
        &[],
    )?;
    rows.iter().map(|row| TokenRecord::from_row(&row)).collect()
}

const TOKEN_COLUMNS: &str = "id, name, role, scope_owner, scope_collector, created_at, revoked_at";

impl TokenRecord {
    fn from_row(row: &Row<'_>) -> Result<TokenRecord, StoreError> {
        let role_text = row.text("role")?;
        let role = role_text.parse().map_err(|_| StoreError::UnexpectedValue {
            column: "role".to_owned(),
            expected: "a role",
            found: format!("{role_text:?}"),
        })?;

        let scope = match (
            row.optional_text("scope_owner")?,
            row.optional_text("scope_collector")?,
        ) {
            (Some(owner), _) => Scope::Owner(owner.to_owned()),
            (None, Some(collector)) => Scope::Collector(collector.to_owned()),
            (None, None) => Scope::Everything,
        };

        Ok(TokenRecord {
            id: row.integer("id")?,
            name: row.text("name")?.to_owned(),
            role,
            scope,
            created_at: row.timestamp("created_at")?,
            revoked_at: row.optional_timestamp("revoked_at")?,
        })
    }
}
