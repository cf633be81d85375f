//! Application variables and `{{ name }}` templates: values from `--variable`,
//! then `SPIN_VARIABLE_<NAME>` environment variables, then manifest defaults.

use std::collections::BTreeMap;

use anyhow::{Context, bail};

use crate::bindings::fermyon::spin::variables::Error as GuestError;
use crate::manifest::{AppManifest, check_variable_name};

/// The value of every application variable, resolved once at start-up.
#[derive(Debug, Clone, Default)]
pub struct ResolvedVariables {
    values: BTreeMap<String, String>,
}

impl ResolvedVariables {
    /// Resolves the manifest's variables; a required variable without a value
    /// stops start-up with the two ways to give it one.
    pub fn resolve(
        manifest: &AppManifest,
        overrides: &[(String, String)],
        environment: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        for (name, _) in overrides {
            if !manifest.variables.contains_key(name) {
                bail!(
                    "--variable {name}=…: the manifest declares no variable `{name}` in [variables]"
                );
            }
        }

        let mut values = BTreeMap::new();
        for (name, variable) in &manifest.variables {
            let from_cli = overrides
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone());
            let value = from_cli
                .or_else(|| environment(&environment_name(name)))
                .or_else(|| variable.default.clone());
            match value {
                Some(value) => {
                    values.insert(name.clone(), value);
                }
                None if variable.required => bail!(
                    "the required variable `{name}` has no value: start with \
                     --variable {name}=<value> or set the environment variable {}",
                    environment_name(name)
                ),
                None => {}
            }
        }
        Ok(Self { values })
    }

    /// Expands the `{{ name }}` references of a template.
    pub fn expand(&self, template: &str) -> anyhow::Result<String> {
        let mut expanded = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            expanded.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .with_context(|| format!("template {template:?} has `{{{{` without `}}}}`"))?;
            let name = after[..end].trim();
            check_variable_name(name).with_context(|| format!("in template {template:?}"))?;
            let value = self.values.get(name).with_context(|| {
                format!("template {template:?} uses variable `{name}`, which has no value")
            })?;
            expanded.push_str(value);
            rest = &after[end + 2..];
        }
        expanded.push_str(rest);
        Ok(expanded)
    }

    /// Resolves a component's `[component.x.variables]` table to plain values.
    pub fn component_values(
        &self,
        component: &str,
        templates: &BTreeMap<String, String>,
    ) -> anyhow::Result<BTreeMap<String, String>> {
        templates
            .iter()
            .map(|(name, template)| {
                let value = self
                    .expand(template)
                    .with_context(|| format!("variable `{name}` of component `{component}`"))?;
                Ok((name.clone(), value))
            })
            .collect()
    }
}

impl crate::bindings::fermyon::spin::variables::Host for crate::state::RequestState {
    /// A component reads only the variables its manifest table declares.
    #[tracing::instrument(name = "spin_variables.get", skip_all, fields(component = %self.component.id, name))]
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, GuestError>> {
        if check_variable_name(&name).is_err() {
            return Ok(Err(GuestError::InvalidName(name)));
        }
        Ok(self
            .component
            .variables
            .get(&name)
            .cloned()
            .ok_or(GuestError::Undefined(name)))
    }
}

/// The environment variable that supplies an application variable.
pub fn environment_name(variable: &str) -> String {
    format!("SPIN_VARIABLE_{}", variable.to_ascii_uppercase())
}

/// Parses a `--variable name=value` argument.
pub fn parse_override(argument: &str) -> Result<(String, String), String> {
    let (name, value) = argument
        .split_once('=')
        .ok_or_else(|| format!("`{argument}` is not of the form name=value"))?;
    Ok((name.trim().to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn manifest() -> AppManifest {
        let text = r#"
spin_manifest_version = 2
[application]
name = "demo"
[variables]
admin_token = { required = true }
region = { default = "eu" }
optional = {}
"#;
        AppManifest::parse(text, Path::new("spin.toml"), PathBuf::from("/")).expect("manifest")
    }

    fn no_environment(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn a_missing_required_variable_says_how_to_set_it() {
        let error = ResolvedVariables::resolve(&manifest(), &[], no_environment)
            .expect_err("missing")
            .to_string();

        assert!(error.contains("admin_token"), "{error}");
        assert!(error.contains("--variable admin_token="), "{error}");
        assert!(error.contains("SPIN_VARIABLE_ADMIN_TOKEN"), "{error}");
    }

    #[test]
    fn the_command_line_wins_over_the_environment_and_defaults() {
        let environment = |name: &str| match name {
            "SPIN_VARIABLE_ADMIN_TOKEN" => Some("from-env".to_string()),
            "SPIN_VARIABLE_REGION" => Some("us".to_string()),
            _ => None,
        };
        let overrides = [("admin_token".to_string(), "from-cli".to_string())];

        let resolved =
            ResolvedVariables::resolve(&manifest(), &overrides, environment).expect("resolved");

        assert_eq!(
            resolved.expand("{{ admin_token }}").expect("expand"),
            "from-cli"
        );
        assert_eq!(resolved.expand("{{region}}").expect("expand"), "us");
    }

    #[test]
    fn templates_expand_and_report_unknown_names() {
        let overrides = [("admin_token".to_string(), "t".to_string())];
        let resolved =
            ResolvedVariables::resolve(&manifest(), &overrides, no_environment).expect("resolved");

        assert_eq!(
            resolved
                .expand("https://{{ region }}.example.com/{{admin_token}}")
                .expect("expand"),
            "https://eu.example.com/t"
        );
        assert!(resolved.expand("{{ optional }}").is_err());
        assert!(resolved.expand("{{ region").is_err());
    }

    #[test]
    fn an_override_of_an_undeclared_variable_is_refused() {
        let overrides = [("admin_tokn".to_string(), "t".to_string())];

        let error = ResolvedVariables::resolve(&manifest(), &overrides, no_environment)
            .expect_err("undeclared")
            .to_string();

        assert!(error.contains("admin_tokn"), "{error}");
    }
}
