//! What a bank connection needs to be polled: where the bank API is, which
//! account, and the names of the Spin variables holding its secrets (the
//! secrets themselves are never stored).

use chrono::{Days, NaiveDate};
use relance_api::ApiError;
use relance_bank_statements::AccountRef;
use relance_store::bank::Provider;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Days read again before the last window's end, for late-booked entries.
pub const WINDOW_OVERLAP_DAYS: u64 = 3;

/// Days of history the first poll asks for.
pub const FIRST_POLL_DAYS: u64 = 90;

/// The settings of one connection, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSettings {
    /// The API root, such as `https://bankaccountdata.gocardless.com`.
    pub base_url: String,
    /// The provider's account id (GoCardless, Berlin Group), or Plaid's
    /// `account_id` to keep (every account of the item when absent).
    #[serde(default)]
    pub account_id: Option<String>,
    /// The account's IBAN, so that transactions polled and transactions
    /// from statement files share fingerprints.
    #[serde(default)]
    pub iban: Option<String>,
    /// Berlin Group `Consent-ID`.
    #[serde(default)]
    pub consent_id: Option<String>,
    /// The variable holding the bearer token (GoCardless, Berlin Group) or
    /// Plaid `access_token`.
    #[serde(default)]
    pub access_token_variable: Option<String>,
    /// The variable holding Plaid's `client_id`.
    #[serde(default)]
    pub client_id_variable: Option<String>,
    /// The variable holding Plaid's `secret`.
    #[serde(default)]
    pub secret_variable: Option<String>,
}

/// Keys that would put a secret in the database.
const SECRET_KEYS: [&str; 4] = ["access_token", "secret", "client_id", "token"];

impl ConnectionSettings {
    /// Checks `config` for `provider` and fills in the default variable names.
    pub fn parse(provider: Provider, config: &Value) -> Result<ConnectionSettings, ApiError> {
        if let Some(key) = SECRET_KEYS.iter().find(|key| config.get(**key).is_some()) {
            return Err(bad(format!(
                "`config.{key}` would store a secret: put it in a Spin variable and give \
                 its name as `{key}_variable` instead"
            )));
        }
        let mut settings: ConnectionSettings = serde_json::from_value(config.clone())
            .map_err(|error| bad(format!("`config` is not valid: {error}")))?;

        settings.base_url = settings.base_url.trim().trim_end_matches('/').to_owned();
        if !settings.base_url.starts_with("https://") && !settings.base_url.starts_with("http://") {
            return Err(bad(format!(
                "`config.base_url` {:?} must be an http(s) URL such as https://bankaccountdata.gocardless.com",
                settings.base_url
            )));
        }
        settings.fill_defaults(provider);
        settings.require(provider)?;
        Ok(settings)
    }

    fn fill_defaults(&mut self, provider: Provider) {
        let default_token = match provider {
            Provider::Gocardless => "gocardless_access_token",
            Provider::BerlinGroup => "berlin_group_access_token",
            Provider::Plaid => "plaid_access_token",
        };
        self.access_token_variable
            .get_or_insert_with(|| default_token.to_owned());
        if provider == Provider::Plaid {
            self.client_id_variable
                .get_or_insert_with(|| "plaid_client_id".to_owned());
            self.secret_variable
                .get_or_insert_with(|| "plaid_secret".to_owned());
        }
    }

    fn require(&self, provider: Provider) -> Result<(), ApiError> {
        let missing = match provider {
            Provider::Gocardless if self.account_id.is_none() => Some("account_id"),
            Provider::BerlinGroup if self.account_id.is_none() => Some("account_id"),
            Provider::BerlinGroup if self.consent_id.is_none() => Some("consent_id"),
            Provider::Plaid if self.iban.is_none() && self.account_id.is_none() => {
                Some("iban or account_id")
            }
            _ => None,
        };
        match missing {
            Some(field) => Err(bad(format!(
                "a {} connection needs `config.{field}`",
                provider.as_str()
            ))),
            None => Ok(()),
        }
    }

    /// The account the connection's transactions belong to: its IBAN, else
    /// the provider's account id.
    pub fn account(&self) -> AccountRef {
        AccountRef {
            iban: self.iban.clone(),
            number: self.account_id.clone(),
            bank_id: None,
        }
    }

    /// The absolute URL of a `_links` href, which banks give absolute or
    /// relative to their host (`/v1/accounts/...`).
    pub fn resolve(&self, href: &str) -> String {
        if href.starts_with("http://") || href.starts_with("https://") {
            return href.to_owned();
        }
        let after_scheme = self.base_url.find("://").map_or(0, |at| at + 3);
        let origin_end = self.base_url[after_scheme..]
            .find('/')
            .map_or(self.base_url.len(), |at| after_scheme + at);
        format!(
            "{}/{}",
            &self.base_url[..origin_end],
            href.trim_start_matches('/')
        )
    }
}

/// The date window of a GoCardless or first Berlin Group poll: from a few
/// days before the last window's end (or [`FIRST_POLL_DAYS`] ago) to today.
pub fn poll_window(last_end: Option<NaiveDate>, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let from = match last_end {
        Some(end) => end.checked_sub_days(Days::new(WINDOW_OVERLAP_DAYS)),
        None => today.checked_sub_days(Days::new(FIRST_POLL_DAYS)),
    };
    (from.unwrap_or(today).min(today), today)
}

fn bad(message: String) -> ApiError {
    ApiError::bad_request(message).with_code("invalid_connection")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn default_variable_names_are_filled_in() {
        let settings = ConnectionSettings::parse(
            Provider::Plaid,
            &json!({"base_url": "https://sandbox.plaid.com/", "iban": "FR76"}),
        )
        .expect("valid");

        assert_eq!(settings.base_url, "https://sandbox.plaid.com");
        assert_eq!(settings.secret_variable.as_deref(), Some("plaid_secret"));
        assert_eq!(
            settings.access_token_variable.as_deref(),
            Some("plaid_access_token")
        );
    }

    #[test]
    fn bad_settings_say_what_to_fix() {
        let cases = [
            (
                Provider::Gocardless,
                json!({"base_url": "https://x", "access_token": "s3cr3t"}),
                "Spin variable",
            ),
            (
                Provider::Gocardless,
                json!({"base_url": "https://x"}),
                "`config.account_id`",
            ),
            (
                Provider::BerlinGroup,
                json!({"base_url": "https://x", "account_id": "a"}),
                "`config.consent_id`",
            ),
            (
                Provider::Plaid,
                json!({"base_url": "ftp://x", "iban": "FR76"}),
                "http(s) URL",
            ),
            (
                Provider::Plaid,
                json!({"base_url": "https://x", "iban": "FR76", "colour": 1}),
                "unknown field `colour`",
            ),
        ];
        for (provider, config, expected) in cases {
            let error = ConnectionSettings::parse(provider, &config).expect_err(expected);
            assert!(error.message.contains(expected), "{}", error.message);
        }
    }

    #[test]
    fn windows_overlap_the_last_one_and_start_ninety_days_back() {
        let cases = [
            (None, "2026-03-31", "2025-12-31"),
            (Some("2026-03-30"), "2026-03-31", "2026-03-27"),
            (Some("2026-04-02"), "2026-03-31", "2026-03-30"),
        ];
        for (last_end, today, from) in cases {
            let window = poll_window(last_end.map(day), day(today));
            assert_eq!(window, (day(from), day(today)), "{last_end:?}");
        }
    }

    #[test]
    fn relative_links_are_resolved_against_the_api_root() {
        let settings = ConnectionSettings::parse(
            Provider::BerlinGroup,
            &json!({"base_url": "http://127.0.0.1:9/psd2", "account_id": "a", "consent_id": "c"}),
        )
        .expect("valid");

        assert_eq!(
            settings.resolve("/psd2/v1/accounts/a/transactions?page=2"),
            "http://127.0.0.1:9/psd2/v1/accounts/a/transactions?page=2"
        );
        assert_eq!(settings.resolve("https://bank/x"), "https://bank/x");
    }
}
