//! `allowed_outbound_hosts`: which URLs a component may call, with Spin's
//! `scheme://host:port` patterns, `*` wildcards and `*.spin.internal` chaining.

use anyhow::{Context, bail};

/// The suffix of the host names that address another component of the app.
pub const SERVICE_CHAINING_DOMAIN: &str = ".spin.internal";

/// One allowed destination pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: Pattern,
    host: HostPattern,
    port: Pattern,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Any,
    Exactly(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    Exactly(String),
    /// `*.example.com`: any sub-domain of the suffix.
    SubdomainOf(String),
}

/// Everything a component may call.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    allowed: Vec<AllowedHost>,
}

impl OutboundPolicy {
    /// Parses already-expanded `allowed_outbound_hosts` entries.
    pub fn parse(entries: &[String]) -> anyhow::Result<Self> {
        let allowed = entries
            .iter()
            .map(|entry| {
                AllowedHost::parse(entry)
                    .with_context(|| format!("in allowed_outbound_hosts entry {entry:?}"))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { allowed })
    }

    /// Whether a request to this scheme, host and port is allowed.
    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let host = host.to_ascii_lowercase();
        self.allowed
            .iter()
            .any(|allowed| allowed.matches(scheme, &host, port))
    }
}

impl AllowedHost {
    fn parse(entry: &str) -> anyhow::Result<Self> {
        let (scheme, rest) = entry
            .split_once("://")
            .context("write it as scheme://host[:port], e.g. https://api.example.com")?;
        if rest.contains('/') {
            bail!("a path is not allowed here, only scheme://host[:port]");
        }

        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        };
        let scheme = if scheme == "*" {
            Pattern::Any
        } else {
            Pattern::Exactly(scheme.to_ascii_lowercase())
        };
        let port = match port {
            Some("*") => Pattern::Any,
            Some(port) => {
                let number: u16 = port
                    .parse()
                    .with_context(|| format!("port {port:?} is not a number"))?;
                Pattern::Exactly(number.to_string())
            }
            None => match &scheme {
                Pattern::Exactly(s) => Pattern::Exactly(default_port(s)?.to_string()),
                Pattern::Any => bail!("with scheme `*` give the port too, e.g. *://example.com:*"),
            },
        };
        let host = match host {
            "" => bail!("the host is missing"),
            "*" => HostPattern::Any,
            h if h.starts_with("*.") => HostPattern::SubdomainOf(h[1..].to_ascii_lowercase()),
            h if h.contains('*') => {
                bail!("`*` is only allowed as the whole host or its first label")
            }
            h => HostPattern::Exactly(h.to_ascii_lowercase()),
        };
        Ok(Self { scheme, host, port })
    }

    fn matches(&self, scheme: &str, host: &str, port: u16) -> bool {
        let scheme_ok = match &self.scheme {
            Pattern::Any => true,
            Pattern::Exactly(s) => s.eq_ignore_ascii_case(scheme),
        };
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Exactly(h) => h == host,
            HostPattern::SubdomainOf(suffix) => {
                host.ends_with(suffix.as_str()) && host.len() > suffix.len()
            }
        };
        let port_ok = match &self.port {
            Pattern::Any => true,
            Pattern::Exactly(p) => *p == port.to_string(),
        };
        scheme_ok && host_ok && port_ok
    }
}

/// The port a scheme uses when none is given.
pub fn default_port(scheme: &str) -> anyhow::Result<u16> {
    match scheme {
        "http" => Ok(80),
        "https" => Ok(443),
        "redis" => Ok(6379),
        "postgres" => Ok(5432),
        "mysql" => Ok(3306),
        other => bail!("scheme `{other}` has no default port: add one, e.g. {other}://host:1234"),
    }
}

/// The component a `http://<id>.spin.internal` host names, if it is one.
pub fn chained_component(host: &str) -> Option<&str> {
    host.strip_suffix(SERVICE_CHAINING_DOMAIN)
        .filter(|id| !id.is_empty() && !id.contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(entries: &[&str]) -> OutboundPolicy {
        OutboundPolicy::parse(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>())
            .expect("valid entries")
    }

    #[test]
    fn allowed_hosts_match_as_spin_matches_them() {
        let table = policy(&[
            "https://api.postmarkapp.com",
            "http://127.0.0.1:8080",
            "https://*.example.com",
            "http://*.spin.internal",
        ]);
        let cases = [
            ("https", "api.postmarkapp.com", 443, true),
            ("https", "API.Postmarkapp.com", 443, true),
            ("http", "api.postmarkapp.com", 80, false),
            ("https", "api.postmarkapp.com", 8443, false),
            ("http", "127.0.0.1", 8080, true),
            ("http", "127.0.0.1", 8081, false),
            ("https", "eu.example.com", 443, true),
            ("https", "example.com", 443, false),
            ("https", "evil-example.com", 443, false),
            ("http", "reconciliation.spin.internal", 80, true),
            ("https", "api.sendgrid.com", 443, false),
        ];
        for (scheme, host, port, expected) in cases {
            assert_eq!(
                table.allows(scheme, host, port),
                expected,
                "{scheme}://{host}:{port}"
            );
        }
    }

    #[test]
    fn wildcards_everywhere_allow_everything() {
        assert!(policy(&["*://*:*"]).allows("https", "anything.test", 1234));
    }

    #[test]
    fn an_empty_list_allows_nothing() {
        assert!(!policy(&[]).allows("https", "example.com", 443));
    }

    #[test]
    fn malformed_entries_are_refused_with_the_reason() {
        for entry in [
            "api.example.com",
            "https://example.com/path",
            "*://example.com",
            "ftp://x",
            "https://ex*mple.com",
        ] {
            let error = OutboundPolicy::parse(&[entry.to_string()]).expect_err(entry);
            assert!(format!("{error:#}").contains(entry), "{error:#}");
        }
    }

    #[test]
    fn chained_components_are_recognised() {
        assert_eq!(
            chained_component("reconciliation.spin.internal"),
            Some("reconciliation")
        );
        assert_eq!(chained_component("a.b.spin.internal"), None);
        assert_eq!(chained_component("example.com"), None);
    }
}
