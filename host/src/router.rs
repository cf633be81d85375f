//! HTTP trigger routing with Spin's rules: exact paths, `:name` segments, a
//! trailing `/...` wildcard, the most specific route winning.

use anyhow::bail;

/// One routable pattern and the component it leads to.
#[derive(Debug, Clone)]
pub struct Route {
    /// The route as written in the manifest, e.g. `/api/v1/invoices/...`.
    pub raw: String,
    /// The route with the application base path in front.
    pub full: String,
    pub component: String,
    segments: Vec<Segment>,
    wildcard: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter(String),
}

/// A request path resolved to a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch<'a> {
    pub component: &'a str,
    pub raw_route: &'a str,
    pub full_route: &'a str,
    /// The route without its trailing `/...`.
    pub component_route: String,
    /// What the wildcard matched, starting with `/`, or empty.
    pub path_info: String,
    /// Values of the `:name` segments.
    pub parameters: Vec<(String, String)>,
}

/// The routing table of the HTTP trigger.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    /// Builds the table; two triggers with the same route are refused, as Spin does.
    pub fn new(
        base: &str,
        routes: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let mut table: Vec<Route> = Vec::new();
        for (raw, component) in routes {
            let route = Route::parse(base, &raw, component)?;
            if let Some(existing) = table
                .iter()
                .find(|r| r.segments == route.segments && r.wildcard == route.wildcard)
            {
                bail!(
                    "route {:?} of component `{}` duplicates route {:?} of component `{}`",
                    route.raw,
                    route.component,
                    existing.raw,
                    existing.component
                );
            }
            table.push(route);
        }
        Ok(Self { routes: table })
    }

    /// The most specific route for a path: exact routes before wildcards, then
    /// the longest prefix, then literal segments before parameters.
    pub fn route(&self, path: &str) -> Option<RouteMatch<'_>> {
        let requested: Vec<&str> = split_path(path);
        self.routes
            .iter()
            .filter_map(|route| route.matches(&requested).map(|m| (route.specificity(), m)))
            .max_by_key(|(specificity, _)| *specificity)
            .map(|(_, found)| found)
    }
}

impl Route {
    fn parse(base: &str, raw: &str, component: String) -> anyhow::Result<Self> {
        if !raw.starts_with('/') {
            bail!("route {raw:?} of component `{component}` must start with `/`");
        }
        let full = join_paths(base, raw);
        let mut parts = split_path(&full);
        let wildcard = parts.last() == Some(&"...");
        if wildcard {
            parts.pop();
        }

        let mut segments = Vec::with_capacity(parts.len());
        for part in parts {
            if part == "..." {
                bail!("route {raw:?}: `...` is only allowed as the last segment");
            }
            segments.push(match part.strip_prefix(':') {
                Some("") => bail!("route {raw:?}: a `:` segment needs a name"),
                Some(name) => Segment::Parameter(name.to_string()),
                None => Segment::Literal(part.to_string()),
            });
        }
        Ok(Self {
            raw: raw.to_string(),
            full,
            component,
            segments,
            wildcard,
        })
    }

    fn matches<'a>(&'a self, requested: &[&str]) -> Option<RouteMatch<'a>> {
        let too_short = requested.len() < self.segments.len();
        let too_long = !self.wildcard && requested.len() > self.segments.len();
        if too_short || too_long {
            return None;
        }

        let mut parameters = Vec::new();
        for (segment, part) in self.segments.iter().zip(requested) {
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Literal(_) => return None,
                Segment::Parameter(name) => parameters.push((name.clone(), part.to_string())),
            }
        }

        let rest = &requested[self.segments.len()..];
        let path_info = if rest.is_empty() {
            String::new()
        } else {
            format!("/{}", rest.join("/"))
        };
        Some(RouteMatch {
            component: &self.component,
            raw_route: &self.raw,
            full_route: &self.full,
            component_route: self.component_route(),
            path_info,
            parameters,
        })
    }

    /// The route without its trailing wildcard, e.g. `/api` for `/api/...`.
    pub fn component_route(&self) -> String {
        let trimmed = self.full.trim_end_matches("/...").trim_end_matches("...");
        if trimmed.is_empty() {
            "/".to_string()
        } else {
            trimmed.to_string()
        }
    }

    fn specificity(&self) -> (bool, usize, usize) {
        let literals = self
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count();
        (!self.wildcard, self.segments.len(), literals)
    }
}

fn split_path(path: &str) -> Vec<&str> {
    path.split('/').filter(|part| !part.is_empty()).collect()
}

fn join_paths(base: &str, route: &str) -> String {
    let base = base.trim_end_matches('/');
    format!("{base}{route}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        Router::new(
            "/",
            routes.iter().map(|(r, c)| (r.to_string(), c.to_string())),
        )
        .expect("valid routes")
    }

    #[test]
    fn routes_resolve_to_the_most_specific_match() {
        let table = router(&[
            ("/...", "fallback"),
            ("/api/...", "api"),
            ("/api/v1/invoices", "invoices-exact"),
            ("/api/v1/invoices/...", "invoices"),
            ("/api/v1/invoices/:id", "invoice-by-id"),
            ("/api/v1/invoices/export", "export"),
        ]);
        let cases = [
            ("/", Some("fallback")),
            ("/index.html", Some("fallback")),
            ("/api", Some("api")),
            ("/api/v2/anything", Some("api")),
            ("/api/v1/invoices", Some("invoices-exact")),
            ("/api/v1/invoices/", Some("invoices-exact")),
            ("/api/v1/invoices/42", Some("invoice-by-id")),
            ("/api/v1/invoices/export", Some("export")),
            ("/api/v1/invoices/42/lines", Some("invoices")),
        ];
        for (path, expected) in cases {
            let found = table.route(path).map(|m| m.component);
            assert_eq!(found, expected, "path {path}");
        }
    }

    #[test]
    fn no_route_means_no_match() {
        let table = router(&[("/api/v1/health", "access")]);

        assert!(table.route("/api/v1/healthz").is_none());
        assert!(table.route("/api/v1").is_none());
    }

    #[test]
    fn a_match_carries_path_info_and_parameters() {
        let table = router(&[("/customers/:id/...", "c")]);

        let found = table.route("/customers/C-42/invoices/7").expect("match");

        assert_eq!(found.path_info, "/invoices/7");
        assert_eq!(
            found.parameters,
            vec![("id".to_string(), "C-42".to_string())]
        );
        assert_eq!(found.component_route, "/customers/:id");
        assert_eq!(found.raw_route, "/customers/:id/...");
    }

    #[test]
    fn the_base_path_prefixes_every_route() {
        let table =
            Router::new("/app/", [("/hello".to_string(), "h".to_string())]).expect("valid routes");

        assert!(table.route("/hello").is_none());
        assert_eq!(
            table.route("/app/hello").map(|m| m.full_route),
            Some("/app/hello")
        );
    }

    #[test]
    fn duplicate_routes_are_refused() {
        let error = Router::new(
            "/",
            [
                ("/a/...".to_string(), "x".to_string()),
                ("/a/...".to_string(), "y".to_string()),
            ],
        )
        .expect_err("duplicate");

        assert!(error.to_string().contains("duplicates"), "{error}");
    }
}
