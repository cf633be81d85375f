//! `relance up --demo`: once the app listens, the demo ledger is loaded
//! into it through its own public API, with progress on stdout, and the
//! dashboard address and a token per role are printed at the end.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use anyhow::Context;
use relance_demo::{AppAccess, DemoApp};

use crate::router::Router;
use crate::variables::ResolvedVariables;

/// The variables whose values the loader needs, in the order of [`AppAccess`].
const ADMIN_TOKEN: &str = "admin_token";
const JOB_TOKEN: &str = "job_token";
const WEBHOOK_SECRET: &str = "invoices_webhook_secret";

/// Describes the app as the loader reaches it: on loopback when the app
/// listens on every interface, with the secrets it was started with.
pub fn demo_app(
    router: &Router,
    variables: &ResolvedVariables,
    address: SocketAddr,
    state_dir: &Path,
) -> anyhow::Result<DemoApp> {
    let value = |name: &str| {
        variables
            .expand(&format!("{{{{ {name} }}}}"))
            .with_context(|| format!("the demo needs the variable `{name}`"))
    };
    let access = AppAccess {
        base_url: format!("http://{}", reachable(address)),
        admin_token: value(ADMIN_TOKEN)?,
        job_token: value(JOB_TOKEN)?,
        webhook_secret: value(WEBHOOK_SECRET)?,
    };

    let routes: BTreeMap<String, String> = relance_demo::OPTIONAL_PATHS
        .into_iter()
        .filter_map(|path| {
            let found = router.route(path)?;
            Some((path.to_owned(), found.component.to_owned()))
        })
        .collect();
    Ok(DemoApp {
        access,
        state_dir: state_dir.to_path_buf(),
        routes,
    })
}

/// Loads the demo and prints where to look, or why it stopped; the app
/// keeps serving either way.
pub async fn run(app: DemoApp) {
    let today = chrono::Local::now().date_naive();
    let progress = |line: &str| println!("{line}");

    match relance_demo::load(&app, today, &progress).await {
        Ok(ready) => print!("{ready}"),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "demo loading failed");
            println!("demo: loading failed: {error:#}");
        }
    }
}

/// The address a client on this machine uses to reach `address`.
fn reachable(address: SocketAddr) -> SocketAddr {
    match address {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => {
            SocketAddr::from((Ipv4Addr::LOCALHOST, v4.port()))
        }
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => {
            SocketAddr::from((Ipv6Addr::LOCALHOST, v6.port()))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_reaches_an_app_listening_everywhere_on_loopback() {
        let cases = [
            ("0.0.0.0:3000", "127.0.0.1:3000"),
            ("[::]:3000", "[::1]:3000"),
            ("127.0.0.1:8080", "127.0.0.1:8080"),
            ("192.168.1.20:3000", "192.168.1.20:3000"),
        ];
        for (listening, expected) in cases {
            let address: SocketAddr = listening.parse().expect("an address");
            assert_eq!(reachable(address).to_string(), expected, "{listening}");
        }
    }
}
