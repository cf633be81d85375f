//! `relance build`: runs each component's `[component.x.build] command`, as
//! `spin build` does.

use std::process::Command;

use anyhow::{Context, bail};
use tracing::info;

use crate::manifest::AppManifest;

/// Builds the named components, or all of them, one after the other.
pub fn build(manifest: &AppManifest, only: &[String]) -> anyhow::Result<()> {
    for id in only {
        if !manifest.components.contains_key(id) {
            bail!(
                "there is no component `{id}` in {}",
                manifest.path.display()
            );
        }
    }

    for (id, component) in &manifest.components {
        if !only.is_empty() && !only.contains(id) {
            continue;
        }
        let Some(build) = &component.build else {
            info!(component = %id, "no build command; using {}", component.source);
            continue;
        };

        let workdir = match &build.workdir {
            Some(dir) => manifest.base_dir.join(dir),
            None => manifest.base_dir.clone(),
        };
        println!("Building component {id} with `{}`", build.command);
        let status = Command::new("sh")
            .arg("-c")
            .arg(&build.command)
            .current_dir(&workdir)
            .status()
            .with_context(|| format!("cannot run the build command of component `{id}`"))?;
        if !status.success() {
            bail!(
                "the build command of component `{id}` failed ({status}): `{}`",
                build.command
            );
        }
    }
    println!("Finished building all Spin components");
    Ok(())
}
