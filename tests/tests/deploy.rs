//! The SpinKube deployment in `deploy/` agrees with `spin.toml`: the
//! manifests parse, the SpinApp gives every required variable from a Secret,
//! the runtime config puts the default stores in Redis and libSQL, and every
//! scheduled job is a CronJob calling a job route the app really serves, on
//! the same schedule.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use relance_tests::{repo_root, route_serves, served_routes};
use serde::Deserialize;

/// The cluster-internal address of the SpinApp's Service: its name and namespace.
const SERVICE_ORIGIN: &str = "http://relance.relance.svc.cluster.local";

fn deploy_text(name: &str) -> String {
    let path = repo_root().join("deploy").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn spin_manifest() -> toml::Table {
    let text = std::fs::read_to_string(repo_root().join("spin.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

/// Every YAML document of a file, as loosely typed values.
fn yaml_documents(name: &str) -> Vec<serde_yaml::Value> {
    let text = deploy_text(name);
    serde_yaml::Deserializer::from_str(&text)
        .map(|document| serde_yaml::Value::deserialize(document).unwrap())
        .filter(|document| !document.is_null())
        .collect()
}

/// Whether spin.toml routes `path` to a component.
fn is_served(path: &str) -> bool {
    served_routes()
        .iter()
        .any(|route| route_serves(route, path))
}

/// `name → (cron, route)` of `[application.tool.relance]`'s jobs.
fn scheduled_jobs(manifest: &toml::Table) -> BTreeMap<String, (String, String)> {
    manifest["application"]["tool"]["relance"]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|job| {
            let text = |field: &str| job[field].as_str().unwrap().to_owned();
            (text("name"), (text("cron"), text("route")))
        })
        .collect()
}

/// What a CronJob calls: its schedule, and the route its container posts to.
#[derive(Debug)]
struct CronCall {
    name: String,
    schedule: String,
    route: String,
    arguments: Vec<String>,
    token_secret: (String, String),
}

fn cron_calls() -> Vec<CronCall> {
    yaml_documents("cronjobs.yaml")
        .iter()
        .map(|document| {
            assert_eq!(document["apiVersion"].as_str(), Some("batch/v1"));
            assert_eq!(document["kind"].as_str(), Some("CronJob"));
            let container =
                &document["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
            let arguments: Vec<String> = container["args"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|argument| argument.as_str().unwrap().to_owned())
                .collect();
            let url = arguments
                .iter()
                .find(|argument| argument.starts_with("http://"))
                .unwrap();
            let token = &container["env"][0];
            assert_eq!(token["name"].as_str(), Some("JOB_TOKEN"));
            let secret = &token["valueFrom"]["secretKeyRef"];
            CronCall {
                name: document["metadata"]["name"].as_str().unwrap().to_owned(),
                schedule: document["spec"]["schedule"].as_str().unwrap().to_owned(),
                route: url
                    .strip_prefix(SERVICE_ORIGIN)
                    .unwrap_or_else(|| panic!("{url} is not on the SpinApp's Service"))
                    .to_owned(),
                token_secret: (
                    secret["name"].as_str().unwrap().to_owned(),
                    secret["key"].as_str().unwrap().to_owned(),
                ),
                arguments,
            }
        })
        .collect()
}

#[test]
fn the_spinapp_runs_the_app_with_every_required_variable_from_a_secret() {
    let documents = yaml_documents("spinapp.yaml");
    assert_eq!(documents.len(), 1, "one SpinApp");
    let app = &documents[0];

    assert_eq!(
        app["apiVersion"].as_str(),
        Some("core.spinkube.dev/v1alpha1")
    );
    assert_eq!(app["kind"].as_str(), Some("SpinApp"));
    let service = format!(
        "http://{}.{}.svc.cluster.local",
        app["metadata"]["name"].as_str().unwrap(),
        app["metadata"]["namespace"].as_str().unwrap()
    );
    assert_eq!(service, SERVICE_ORIGIN, "the CronJobs call this Service");
    assert_eq!(
        app["spec"]["executor"].as_str(),
        Some("containerd-shim-spin")
    );
    assert_eq!(
        app["spec"]["runtimeConfig"]["loadFromSecret"].as_str(),
        Some("relance-runtime-config")
    );

    let manifest = spin_manifest();
    let required: BTreeSet<&str> = manifest["variables"]
        .as_table()
        .unwrap()
        .iter()
        .filter(|(_, spec)| spec.get("required").and_then(toml::Value::as_bool) == Some(true))
        .map(|(name, _)| name.as_str())
        .collect();
    let given: BTreeMap<&str, &serde_yaml::Value> = app["spec"]["variables"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|variable| (variable["name"].as_str().unwrap(), variable))
        .collect();
    assert_eq!(given.keys().copied().collect::<BTreeSet<_>>(), required);
    for (name, variable) in given {
        let secret = &variable["valueFrom"]["secretKeyRef"];
        assert_eq!(secret["name"].as_str(), Some("relance-secrets"), "{name}");
        assert_eq!(secret["key"].as_str(), Some(name), "{name}");
    }

    for probe in ["liveness", "readiness"] {
        let path = app["spec"]["checks"][probe]["httpGet"]["path"]
            .as_str()
            .unwrap();
        assert!(
            is_served(path),
            "the {probe} probe calls {path}, which nothing serves"
        );
    }
}

#[test]
fn the_runtime_config_puts_the_default_stores_in_redis_and_libsql() {
    let config: toml::Table = toml::from_str(&deploy_text("runtime-config.toml")).unwrap();

    let store = &config["key_value_store"]["default"];
    assert_eq!(store["type"].as_str(), Some("redis"));
    assert!(store["url"].as_str().unwrap().starts_with("redis://"));

    let database = &config["sqlite_database"]["default"];
    assert_eq!(database["type"].as_str(), Some("libsql"));
    assert!(database["url"].as_str().unwrap().starts_with("https://"));
    assert!(!database["token"].as_str().unwrap().is_empty());

    let labels = |table: &str| config[table].as_table().unwrap().keys().cloned().collect();
    let manifest = spin_manifest();
    let used = |field: &str| -> BTreeSet<String> {
        manifest["component"]
            .as_table()
            .unwrap()
            .values()
            .filter_map(|component| component.get(field).and_then(toml::Value::as_array))
            .flatten()
            .map(|label| label.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(used("key_value_stores"), labels("key_value_store"));
    assert_eq!(used("sqlite_databases"), labels("sqlite_database"));
}

#[test]
fn every_cron_job_posts_with_the_job_token_to_a_job_route_the_app_serves() {
    let calls = cron_calls();
    assert!(!calls.is_empty());

    for call in &calls {
        assert!(call.route.starts_with("/jobs/"), "{call:?}");
        assert!(
            is_served(&call.route),
            "CronJob {} calls {}, which spin.toml does not route",
            call.name,
            call.route
        );
        let posts = call
            .arguments
            .windows(2)
            .any(|pair| pair[0] == "--request" && pair[1] == "POST");
        assert!(posts, "CronJob {} must POST", call.name);
        assert!(
            call.arguments
                .contains(&"Authorization: Bearer $(JOB_TOKEN)".to_owned()),
            "CronJob {} must send the job token",
            call.name
        );
        assert_eq!(
            call.token_secret,
            ("relance-secrets".to_owned(), "job_token".to_owned())
        );
    }
}

#[test]
fn every_scheduled_job_of_spin_toml_has_a_cron_job_on_the_same_schedule() {
    let calls: BTreeMap<String, CronCall> = cron_calls()
        .into_iter()
        .map(|call| (call.name.clone(), call))
        .collect();

    let jobs = scheduled_jobs(&spin_manifest());
    for (name, (cron, route)) in &jobs {
        let call = calls
            .get(&format!("relance-{name}"))
            .unwrap_or_else(|| panic!("job `{name}` of spin.toml has no CronJob relance-{name}"));
        assert_eq!((&call.schedule, &call.route), (cron, route), "job `{name}`");
    }
    assert_eq!(
        calls.len(),
        jobs.len(),
        "a CronJob for a job spin.toml does not schedule"
    );
}
