//! The OpenAPI document against the app that really runs: it documents
//! exactly the routes the components register, each one reaches a
//! component through `spin.toml`, and the app serves the document itself.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;

use relance_tests::{TestApp, build_app_components, relance_app, repo_root};
use reqwest::Method;
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn document() -> Value {
    let text = std::fs::read_to_string(repo_root().join("docs/openapi.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every `(METHOD, /path/{param})` the document describes.
fn documented(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().unwrap();
    paths
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .unwrap()
                .keys()
                .filter(|method| METHODS.contains(&method.as_str()))
                .map(|method| (method.to_uppercase(), path.clone()))
        })
        .collect()
}

/// Every route a component registers on its router (`router.get("/…", …)`),
/// read from the components' sources, with `:name` written `{name}`.
fn registered() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for entry in std::fs::read_dir(repo_root().join("components")).unwrap() {
        collect_routes(&entry.unwrap().path().join("src"), &mut routes);
    }
    routes
}

fn collect_routes(folder: &Path, routes: &mut BTreeSet<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for path in entries.map(|entry| entry.unwrap().path()) {
        if path.is_dir() {
            collect_routes(&path, routes);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            routes.extend(router_calls(&source));
        }
    }
}

/// The `(METHOD, path)` of each `router.<method>("<path>"` in `source`,
/// however the call is wrapped over lines.
fn router_calls(source: &str) -> Vec<(String, String)> {
    let compact: String = source.split_whitespace().collect();
    METHODS
        .iter()
        .flat_map(|method| {
            let call = format!("router.{method}(\"");
            compact
                .match_indices(&call)
                .filter_map(|(at, _)| {
                    let rest = &compact[at + call.len()..];
                    let path = &rest[..rest.find('"')?];
                    Some((method.to_uppercase(), openapi_path(path)))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn openapi_path(route: &str) -> String {
    route
        .split('/')
        .map(|segment| match segment.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A documented path with each `{param}` given a value of its type.
fn concrete_path(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{language}" => "fr".to_owned(),
            "{code}" => "default".to_owned(),
            "{name}" => "reminder".to_owned(),
            s if s.starts_with('{') => "1".to_owned(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every `$ref` in `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target.clone());
            }
            map.values().for_each(|inner| references(inner, found));
        }
        Value::Array(items) => items.iter().for_each(|inner| references(inner, found)),
        _ => {}
    }
}

#[test]
fn the_document_describes_exactly_the_routes_components_register() {
    let document = document();

    let documented = documented(&document);
    let registered = registered();

    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from docs/openapi.json: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "documented routes no component registers: {unserved:?}"
    );
}

#[test]
fn every_operation_is_described_and_every_reference_resolves() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");

    for (method, path) in documented(&document) {
        let operation = &document["paths"][&path][method.to_lowercase()];
        assert!(
            operation["summary"].is_string(),
            "{method} {path} has no summary"
        );
        assert!(
            operation["responses"].is_object(),
            "{method} {path} has no responses"
        );
        let parameters: Vec<&str> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|parameter| parameter["in"] == "path")
            .filter_map(|parameter| parameter["name"].as_str())
            .collect();
        for segment in path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(|c| c == '{' || c == '}');
            assert!(
                parameters.contains(&name),
                "{method} {path} does not describe {{{name}}}"
            );
        }
    }

    let mut found = Vec::new();
    references(&document, &mut found);
    for target in found {
        let pointer = target.strip_prefix('#').unwrap();
        assert!(
            document.pointer(pointer).is_some(),
            "{target} points nowhere"
        );
    }
}

#[test]
fn the_app_serves_the_document_and_every_documented_route_reaches_a_component() {
    build_app_components().unwrap();
    let app = TestApp::start(relance_app()).unwrap();

    let served: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(served, document());

    for (method, path) in documented(&served) {
        let response = app
            .client
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                app.url(&concrete_path(&path)),
            )
            .send()
            .unwrap();
        let status = response.status().as_u16();
        assert!(
            ![404, 405].contains(&status),
            "{method} {path} answered {status}: {}",
            response.text().unwrap_or_default()
        );
    }
}
