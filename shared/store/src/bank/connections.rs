//! Bank API connections: which provider, its settings (secrets named by Spin
//! variable, never stored), where the next poll resumes, and how the last
//! poll went.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::{Database, Row, StoreError, Value};

/// The bank API a connection polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// GoCardless Bank Account Data, polled by date window.
    Gocardless,
    /// A bank's Berlin Group NextGenPSD2 interface, paged by `_links.next`.
    BerlinGroup,
    /// Plaid `/transactions/sync`, paged by cursor.
    Plaid,
}

impl Provider {
    const ALL: [Provider; 3] = [Provider::Gocardless, Provider::BerlinGroup, Provider::Plaid];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Gocardless => "gocardless",
            Provider::BerlinGroup => "berlin_group",
            Provider::Plaid => "plaid",
        }
    }

    /// Reads a provider name; `None` for an unknown one.
    pub fn parse(text: &str) -> Option<Provider> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// How a connection's polls are going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// The last poll succeeded (or none ran yet).
    Active,
    /// The last poll failed: the bank answered an error or could not be reached.
    Failing,
    /// The account holder's consent has expired: it must be renewed at the bank.
    ConsentExpired,
    /// Not polled.
    Disabled,
}

impl ConnectionStatus {
    const ALL: [ConnectionStatus; 4] = [
        ConnectionStatus::Active,
        ConnectionStatus::Failing,
        ConnectionStatus::ConsentExpired,
        ConnectionStatus::Disabled,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Active => "active",
            ConnectionStatus::Failing => "failing",
            ConnectionStatus::ConsentExpired => "consent_expired",
            ConnectionStatus::Disabled => "disabled",
        }
    }

    fn parse(text: &str) -> Result<ConnectionStatus, StoreError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| StoreError::UnexpectedValue {
                column: "status".to_owned(),
                expected: "active, failing, consent_expired or disabled",
                found: format!("the text {text:?}"),
            })
    }
}

/// A connection as an administrator creates it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewConnection {
    /// A name for people (`Main account at BNP`).
    pub name: String,
    /// The bank API.
    pub provider: Provider,
    /// The provider's settings, without secrets.
    pub config: serde_json::Value,
    /// The day the account holder's consent ends, when known.
    pub consent_expires_on: Option<NaiveDate>,
}

/// A stored connection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Connection {
    /// Row id.
    pub id: i64,
    /// A name for people.
    pub name: String,
    /// The bank API.
    pub provider: Provider,
    /// The provider's settings, without secrets.
    pub config: serde_json::Value,
    /// Where the next poll resumes, in the provider's terms; `None` before
    /// the first poll.
    pub cursor: Option<String>,
    /// How the polls are going.
    pub status: ConnectionStatus,
    /// What the last failed poll reported.
    pub last_error: Option<String>,
    /// When the last poll ended, successful or not.
    pub last_polled_at: Option<DateTime<Utc>>,
    /// The day the consent ends, when known.
    pub consent_expires_on: Option<NaiveDate>,
    /// When the connection was created.
    pub created_at: DateTime<Utc>,
}

impl Connection {
    fn from_row(row: &Row<'_>) -> Result<Connection, StoreError> {
        let provider_text = row.text("provider")?;
        let provider =
            Provider::parse(provider_text).ok_or_else(|| StoreError::UnexpectedValue {
                column: "provider".to_owned(),
                expected: "gocardless, berlin_group or plaid",
                found: format!("the text {provider_text:?}"),
            })?;
        let config_text = row.text("config")?;
        let config =
            serde_json::from_str(config_text).map_err(|_| StoreError::UnexpectedValue {
                column: "config".to_owned(),
                expected: "a JSON object",
                found: format!("the text {config_text:?}"),
            })?;

        Ok(Connection {
            id: row.integer("id")?,
            name: row.text("name")?.to_owned(),
            provider,
            config,
            cursor: row.optional_text("cursor")?.map(str::to_owned),
            status: ConnectionStatus::parse(row.text("status")?)?,
            last_error: row.optional_text("last_error")?.map(str::to_owned),
            last_polled_at: row.optional_timestamp("last_polled_at")?,
            consent_expires_on: row.optional_date("consent_expires_on")?,
            created_at: row.timestamp("created_at")?,
        })
    }
}

const COLUMNS: &str = "id, name, provider, config, cursor, status, last_error, last_polled_at, \
                       consent_expires_on, created_at";

/// Stores a new connection, active and not yet polled.
pub fn create_connection(
    db: &impl Database,
    new: &NewConnection,
    at: DateTime<Utc>,
) -> Result<Connection, StoreError> {
    let rows = db.execute(
        &format!(
            "INSERT INTO bank_connections
                 (name, provider, config, consent_expires_on, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
        ),
        &[
            new.name.as_str().into(),
            new.provider.as_str().into(),
            new.config.to_string().into(),
            new.consent_expires_on.into(),
            at.into(),
            at.into(),
        ],
    )?;
    single(&rows, 0)
}

/// Every connection, oldest first.
pub fn list_connections(db: &impl Database) -> Result<Vec<Connection>, StoreError> {
    let rows = db.execute(
        &format!("SELECT {COLUMNS} FROM bank_connections ORDER BY id"),
        &[],
    )?;
    rows.iter().map(|row| Connection::from_row(&row)).collect()
}

/// The connections a poll calls: all but the disabled ones. Failing ones
/// and those whose consent expired are tried again, so a renewed consent
/// or a bank back up is noticed without anyone resetting them.
pub fn pollable_connections(db: &impl Database) -> Result<Vec<Connection>, StoreError> {
    let rows = db.execute(
        &format!("SELECT {COLUMNS} FROM bank_connections WHERE status <> 'disabled' ORDER BY id"),
        &[],
    )?;
    rows.iter().map(|row| Connection::from_row(&row)).collect()
}

/// One connection.
pub fn get_connection(db: &impl Database, id: i64) -> Result<Connection, StoreError> {
    let rows = db.execute(
        &format!("SELECT {COLUMNS} FROM bank_connections WHERE id = ?"),
        &[Value::Integer(id)],
    )?;
    single(&rows, id)
}

/// Moves the connection's cursor past what has just been stored. Call it
/// only after the page it follows is stored: a poll that stops in between
/// reads that page again, and de-duplication makes that harmless.
pub fn advance_cursor(
    db: &impl Database,
    id: i64,
    cursor: &str,
    at: DateTime<Utc>,
) -> Result<Connection, StoreError> {
    let rows = db.execute(
        &format!(
            "UPDATE bank_connections SET cursor = ?, updated_at = ? WHERE id = ?
             RETURNING {COLUMNS}"
        ),
        &[cursor.into(), at.into(), Value::Integer(id)],
    )?;
    single(&rows, id)
}

/// Records a complete poll: the connection is active again, its error cleared.
pub fn record_poll_success(
    db: &impl Database,
    id: i64,
    at: DateTime<Utc>,
) -> Result<Connection, StoreError> {
    record_poll(db, id, ConnectionStatus::Active, None, at)
}

/// Records a failed poll: why, and whether the consent expired or the bank
/// failed.
pub fn record_poll_failure(
    db: &impl Database,
    id: i64,
    status: ConnectionStatus,
    error: &str,
    at: DateTime<Utc>,
) -> Result<Connection, StoreError> {
    record_poll(db, id, status, Some(error), at)
}

fn record_poll(
    db: &impl Database,
    id: i64,
    status: ConnectionStatus,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Connection, StoreError> {
    let rows = db.execute(
        &format!(
            "UPDATE bank_connections
             SET status = ?, last_error = ?, last_polled_at = ?, updated_at = ?
             WHERE id = ? RETURNING {COLUMNS}"
        ),
        &[
            status.as_str().into(),
            error.into(),
            at.into(),
            at.into(),
            Value::Integer(id),
        ],
    )?;
    single(&rows, id)
}

fn single(rows: &crate::Rows, id: i64) -> Result<Connection, StoreError> {
    let row = rows.first().ok_or_else(|| StoreError::NotFound {
        what: "bank connection",
        id: id.to_string(),
    })?;
    Connection::from_row(&row)
}
