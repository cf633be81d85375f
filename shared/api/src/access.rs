//! Who is calling and what they may do: roles, portfolio scopes and the
//! bearer token carried by every API request.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::ApiError;

/// What a token holder does in the finance team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including tokens and settings.
    Admin,
    /// Everything but administration: the credit manager.
    Manager,
    /// Works the customers assigned to them: reads, annotates, matches payments.
    Collector,
    /// Reads their own portfolio, changes nothing.
    Sales,
    /// Reads everything, changes nothing.
    Viewer,
}

impl Role {
    /// Every role, in order of decreasing power.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Manager,
        Role::Collector,
        Role::Sales,
        Role::Viewer,
    ];

    /// The name used in tokens, the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Collector => "collector",
            Role::Sales => "sales",
            Role::Viewer => "viewer",
        }
    }

    /// May change invoices and customers (disputes, promises to pay, contacts,
    /// allocations). Collectors may, within their scope.
    pub fn can_write_ledger(self) -> bool {
        matches!(self, Role::Admin | Role::Manager | Role::Collector)
    }

    /// May change team-wide settings: dunning policies, templates, bank connections.
    pub fn can_manage_settings(self) -> bool {
        matches!(self, Role::Admin | Role::Manager)
    }

    /// May create and revoke API tokens.
    pub fn can_admin(self) -> bool {
        self == Role::Admin
    }

    /// Must be confined to one person's portfolio.
    pub fn needs_portfolio(self) -> bool {
        matches!(self, Role::Collector | Role::Sales)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ApiError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "unknown role `{text}`; use one of admin, manager, collector, sales, viewer"
                ))
                .with_code("invalid_role")
            })
    }
}

/// The part of the ledger a principal may see, enforced inside every query.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "person", rename_all = "lowercase")]
pub enum Scope {
    /// All customers.
    Everything,
    /// Customers whose owner (salesperson) is this person.
    Owner(String),
    /// Customers whose assigned collector is this person.
    Collector(String),
}

impl Scope {
    /// The scope a role gets: salespeople see the customers they own,
    /// collectors those assigned to them, every other role sees everything.
    ///
    /// `person` is required for sales and collector roles and refused for the
    /// others, so a token can never be created with a scope it does not obey.
    pub fn for_role(role: Role, person: Option<&str>) -> Result<Scope, ApiError> {
        let person = person.map(str::trim).filter(|p| !p.is_empty());

        match (role, person) {
            (Role::Sales, Some(person)) => Ok(Scope::Owner(person.to_owned())),
            (Role::Collector, Some(person)) => Ok(Scope::Collector(person.to_owned())),
            (Role::Sales | Role::Collector, None) => Err(ApiError::bad_request(format!(
                "a {role} token needs the person whose portfolio it sees; give `person`"
            ))
            .with_code("invalid_scope")),
            (_, None) => Ok(Scope::Everything),
            (_, Some(person)) => Err(ApiError::bad_request(format!(
                "a {role} token sees every customer and cannot be limited to `{person}`; \
                 drop `person` or use the sales or collector role"
            ))
            .with_code("invalid_scope")),
        }
    }
}

/// An authenticated caller: which token, which role, which portfolio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The token's identifier (never its secret).
    pub token_id: i64,
    /// What the caller may do.
    pub role: Role,
    /// What the caller may see.
    pub scope: Scope,
}

impl Principal {
    /// Refuses with 403 unless the caller may change invoices and customers.
    pub fn require_ledger_write(&self) -> Result<(), ApiError> {
        self.require(self.role.can_write_ledger(), "change invoices or customers")
    }

    /// Refuses with 403 unless the caller may change team-wide settings.
    pub fn require_settings(&self) -> Result<(), ApiError> {
        self.require(self.role.can_manage_settings(), "change settings")
    }

    /// Refuses with 403 unless the caller is an administrator.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.require(self.role.can_admin(), "administer tokens")
    }

    fn require(&self, allowed: bool, action: &str) -> Result<(), ApiError> {
        if allowed {
            return Ok(());
        }

        Err(
            ApiError::forbidden(format!("a {} token may not {action}", self.role))
                .with_details(json!({ "role": self.role })),
        )
    }
}

/// Reads the token out of an `Authorization: Bearer <token>` header.
///
/// The scheme is case-insensitive, as HTTP says; anything else is a 401 that
/// says how the header must look.
pub fn bearer_token(authorization: Option<&str>) -> Result<&str, ApiError> {
    let Some(header) = authorization else {
        return Err(ApiError::unauthorized(
            "missing `Authorization` header; send `Authorization: Bearer <token>`",
        ));
    };

    let (scheme, token) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthorized(
            "the `Authorization` header must use the Bearer scheme: `Bearer <token>`",
        ));
    }

    let token = token.trim();
    if token.is_empty() {
        return Err(ApiError::unauthorized(
            "the `Authorization` header has no token after `Bearer`",
        ));
    }

    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_allow_what_the_finance_team_expects() {
        // (role, write ledger, manage settings, admin, needs portfolio)
        let table = [
            (Role::Admin, true, true, true, false),
            (Role::Manager, true, true, false, false),
            (Role::Collector, true, false, false, true),
            (Role::Sales, false, false, false, true),
            (Role::Viewer, false, false, false, false),
        ];

        for (role, write, settings, admin, portfolio) in table {
            assert_eq!(role.can_write_ledger(), write, "{role} write");
            assert_eq!(role.can_manage_settings(), settings, "{role} settings");
            assert_eq!(role.can_admin(), admin, "{role} admin");
            assert_eq!(role.needs_portfolio(), portfolio, "{role} portfolio");
        }
    }

    #[test]
    fn role_names_round_trip_and_unknown_names_are_refused() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }

        let error = "owner".parse::<Role>().expect_err("not a role");
        assert_eq!(error.status, 400);
        assert!(error.message.contains("`owner`"), "{}", error.message);
    }

    #[test]
    fn scope_follows_the_role() {
        let table = [
            (
                Role::Sales,
                Some("alice"),
                Some(Scope::Owner("alice".into())),
            ),
            (
                Role::Collector,
                Some(" bruno "),
                Some(Scope::Collector("bruno".into())),
            ),
            (Role::Admin, None, Some(Scope::Everything)),
            (Role::Viewer, None, Some(Scope::Everything)),
            (Role::Sales, None, None),
            (Role::Collector, Some("  "), None),
            (Role::Manager, Some("alice"), None),
        ];

        for (role, person, expected) in table {
            assert_eq!(
                Scope::for_role(role, person).ok(),
                expected,
                "{role} {person:?}"
            );
        }
    }

    #[test]
    fn sales_principal_may_not_write() {
        let principal = Principal {
            token_id: 7,
            role: Role::Sales,
            scope: Scope::Owner("alice".into()),
        };

        let error = principal
            .require_ledger_write()
            .expect_err("sales is read-only");

        assert_eq!(error.status, 403);
        assert!(principal.require_admin().is_err());
    }

    #[test]
    fn bearer_header_is_parsed_or_refused_with_401() {
        let table = [
            (Some("Bearer rl_abc"), Ok("rl_abc")),
            (Some("bearer   rl_abc  "), Ok("rl_abc")),
            (Some("BEARER rl_abc"), Ok("rl_abc")),
            (Some("Basic dXNlcg=="), Err(401)),
            (Some("Bearer"), Err(401)),
            (Some("Bearer   "), Err(401)),
            (None, Err(401)),
        ];

        for (header, expected) in table {
            let got = bearer_token(header).map_err(|e| e.status);
            assert_eq!(got, expected, "{header:?}");
        }
    }
}
