//! The Spin application manifest (`spin.toml`, manifest version 2): finding it,
//! reading it strictly, and checking what the rest of the host relies on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// The file name Spin looks for when no manifest is named.
pub const DEFAULT_MANIFEST_FILE: &str = "spin.toml";

/// A parsed `spin.toml`, with the directory it was read from.
#[derive(Debug, Clone)]
pub struct AppManifest {
    pub path: PathBuf,
    pub base_dir: PathBuf,
    pub application: Application,
    pub variables: BTreeMap<String, AppVariable>,
    pub http_triggers: Vec<HttpTrigger>,
    pub components: BTreeMap<String, ComponentManifest>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    spin_manifest_version: u32,
    application: Application,
    #[serde(default)]
    variables: BTreeMap<String, AppVariable>,
    #[serde(default)]
    trigger: Triggers,
    #[serde(default)]
    component: BTreeMap<String, ComponentManifest>,
}

/// The `[application]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub trigger: ApplicationTriggers,
    /// Settings for tools other than Spin; this host reads `tool.relance`.
    #[serde(default)]
    pub tool: BTreeMap<String, toml::Table>,
}

/// `[application.trigger.http]`: the base path of every route.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationTriggers {
    #[serde(default)]
    pub http: Option<HttpTriggerSettings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTriggerSettings {
    #[serde(default = "root_path")]
    pub base: String,
}

fn root_path() -> String {
    "/".to_string()
}

/// An application variable from `[variables]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppVariable {
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Triggers {
    #[serde(default)]
    http: Vec<HttpTrigger>,
}

/// One `[[trigger.http]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTrigger {
    #[serde(default)]
    pub id: Option<String>,
    pub route: RouteSetting,
    pub component: String,
    #[serde(default)]
    pub executor: Option<toml::Table>,
}

/// A trigger's route: a path pattern, or `{ private = true }` for a component
/// reachable only from other components.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RouteSetting {
    Path(String),
    Private { private: bool },
}

/// A `[component.<id>]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentManifest {
    pub source: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub files: Vec<toml::Value>,
    #[serde(default)]
    pub exclude_files: Vec<String>,
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    #[serde(default)]
    pub ai_models: Vec<String>,
    #[serde(default)]
    pub build: Option<ComponentBuild>,
    #[serde(default)]
    pub tool: BTreeMap<String, toml::Table>,
    #[serde(default)]
    pub dependencies_inherit_configuration: bool,
}

/// `[component.<id>.build]`: how `relance build` produces the component.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentBuild {
    pub command: String,
    #[serde(default)]
    pub workdir: Option<String>,
    #[serde(default)]
    pub watch: Vec<String>,
}

impl AppManifest {
    /// Finds the manifest the way Spin does: the given file, `spin.toml` in the
    /// given directory, or `spin.toml` in the current directory.
    pub fn locate(from: Option<&Path>) -> anyhow::Result<PathBuf> {
        let candidate = match from {
            Some(path) if path.is_dir() => path.join(DEFAULT_MANIFEST_FILE),
            Some(path) => path.to_path_buf(),
            None => PathBuf::from(DEFAULT_MANIFEST_FILE),
        };
        if !candidate.is_file() {
            bail!(
                "no application manifest at {}: run from the directory holding spin.toml, \
                 or name it with --from",
                candidate.display()
            );
        }
        Ok(candidate)
    }

    /// Reads and checks a manifest file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the manifest {}", path.display()))?;
        let base_dir = path
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", path.display()))?
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Self::parse(&text, path, base_dir)
    }

    /// Parses manifest text; errors name the file, line and reason.
    pub fn parse(text: &str, path: &Path, base_dir: PathBuf) -> anyhow::Result<Self> {
        let raw: RawManifest = toml::from_str(text)
            .map_err(|error| anyhow::anyhow!("invalid manifest {}: {error}", path.display()))?;
        if raw.spin_manifest_version != 2 {
            bail!(
                "invalid manifest {}: spin_manifest_version is {}, this host reads version 2",
                path.display(),
                raw.spin_manifest_version
            );
        }

        let manifest = Self {
            path: path.to_path_buf(),
            base_dir,
            application: raw.application,
            variables: raw.variables,
            http_triggers: raw.trigger.http,
            components: raw.component,
        };
        manifest.check().map_err(|error| {
            anyhow::anyhow!("invalid manifest {}: {error}", manifest.path.display())
        })?;
        Ok(manifest)
    }

    /// The base path every route is mounted under.
    pub fn base_path(&self) -> &str {
        self.application
            .trigger
            .http
            .as_ref()
            .map_or("/", |settings| settings.base.as_str())
    }

    /// The host's own settings, `[application.tool.relance]`.
    pub fn host_settings(&self) -> Option<&toml::Table> {
        self.application.tool.get("relance")
    }

    /// The absolute path of a component's Wasm file.
    pub fn component_source(&self, component: &ComponentManifest) -> PathBuf {
        self.base_dir.join(&component.source)
    }

    fn check(&self) -> anyhow::Result<()> {
        for (name, variable) in &self.variables {
            check_variable_name(name)?;
            if variable.required && variable.default.is_some() {
                bail!("variable `{name}` is required and also has a default: keep one of the two");
            }
        }

        for (id, component) in &self.components {
            check_component_id(id)?;
            for name in component.variables.keys() {
                check_variable_name(name)
                    .with_context(|| format!("in [component.{id}.variables]"))?;
            }
            if !component.files.is_empty() {
                bail!("component `{id}` declares `files`; this host does not mount files");
            }
        }

        for trigger in &self.http_triggers {
            if !self.components.contains_key(&trigger.component) {
                bail!(
                    "the trigger for route {:?} names component `{}`, which has no \
                     [component.{}] table",
                    trigger.route,
                    trigger.component,
                    trigger.component
                );
            }
            if let RouteSetting::Private { private: false } = trigger.route {
                bail!(
                    "the trigger for component `{}` has `route = {{ private = false }}`: \
                     give a path instead",
                    trigger.component
                );
            }
        }
        Ok(())
    }
}

/// Spin variable names: lower-case letters, digits and underscores, starting
/// with a letter.
pub fn check_variable_name(name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_valid = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !starts_with_letter || !rest_valid {
        bail!(
            "variable name `{name}` is invalid: use lower-case letters, digits and \
             underscores, starting with a letter"
        );
    }
    Ok(())
}

/// Spin component ids: kebab-case words of lower-case letters and digits.
fn check_component_id(id: &str) -> anyhow::Result<()> {
    let valid = !id.is_empty()
        && id.split('-').all(|word| {
            !word.is_empty()
                && word.starts_with(|c: char| c.is_ascii_lowercase())
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if !valid {
        bail!("component id `{id}` is invalid: use kebab-case, e.g. `bank-feed`");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<AppManifest> {
        AppManifest::parse(text, Path::new("spin.toml"), PathBuf::from("/app"))
    }

    const MINIMAL: &str = r#"
spin_manifest_version = 2

[application]
name = "demo"

[variables]
token = { required = true, secret = true }

[[trigger.http]]
route = "/hello/..."
component = "hello"

[component.hello]
source = "hello.wasm"
key_value_stores = ["default"]
[component.hello.variables]
token = "{{ token }}"
"#;

    #[test]
    fn a_minimal_manifest_is_read() {
        let manifest = parse(MINIMAL).expect("valid manifest");

        assert_eq!(manifest.application.name, "demo");
        assert_eq!(manifest.http_triggers.len(), 1);
        assert_eq!(manifest.components["hello"].key_value_stores, ["default"]);
        assert!(manifest.variables["token"].required);
    }

    #[test]
    fn an_unknown_field_is_reported_with_its_line() {
        let text = MINIMAL.replace("source = \"hello.wasm\"", "source = \"a.wasm\"\nsorce = 1");

        let error = parse(&text).expect_err("unknown field").to_string();

        assert!(error.contains("line 16"), "{error}");
        assert!(error.contains("sorce"), "{error}");
    }

    #[test]
    fn a_trigger_naming_a_missing_component_is_refused() {
        let text = MINIMAL.replace("component = \"hello\"", "component = \"missing\"");

        let error = parse(&text).expect_err("missing component").to_string();

        assert!(error.contains("`missing`"), "{error}");
    }

    #[test]
    fn only_manifest_version_2_is_read() {
        let text = MINIMAL.replace("spin_manifest_version = 2", "spin_manifest_version = 1");

        let error = parse(&text).expect_err("version 1").to_string();

        assert!(error.contains("version 2"), "{error}");
    }

    #[test]
    fn variable_and_component_names_follow_spin_rules() {
        assert!(check_variable_name("admin_token").is_ok());
        assert!(check_variable_name("Admin").is_err());
        assert!(check_variable_name("1token").is_err());
        assert!(check_component_id("bank-feed").is_ok());
        assert!(check_component_id("bank_feed").is_err());
        assert!(check_component_id("-feed").is_err());
    }

    #[test]
    fn a_private_route_is_read() {
        let text = MINIMAL.replace("route = \"/hello/...\"", "route = { private = true }");

        let manifest = parse(&text).expect("valid manifest");

        assert!(matches!(
            manifest.http_triggers[0].route,
            RouteSetting::Private { private: true }
        ));
    }
}
