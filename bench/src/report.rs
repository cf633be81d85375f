//! The benchmark report: measured figures with the machine they came from,
//! as Markdown for people and JSON for programs.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

/// One measured figure.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub suite: &'static str,
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
    /// The target the figure is held to, if there is one, in words.
    pub target: Option<&'static str>,
}

/// Every figure of a run.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub figures: Vec<Figure>,
}

/// What the figures were measured on.
#[derive(Debug, Default, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
    pub os: String,
}

impl Report {
    pub fn new() -> Self {
        Self {
            machine: Machine::read(),
            figures: Vec::new(),
        }
    }

    pub fn add(
        &mut self,
        suite: &'static str,
        name: impl Into<String>,
        value: f64,
        unit: &'static str,
        target: Option<&'static str>,
    ) {
        let figure = Figure {
            suite,
            name: name.into(),
            value,
            unit,
            target,
        };
        println!(
            "  {:<58} {:>12.2} {}",
            figure.name, figure.value, figure.unit
        );
        self.figures.push(figure);
    }

    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::write(dir.join("report.json"), serde_json::to_vec_pretty(self)?)?;
        std::fs::write(dir.join("report.md"), self.markdown())?;
        Ok(())
    }

    fn markdown(&self) -> String {
        let mut text = String::from("# Benchmark report\n\n");
        text.push_str(&format!(
            "Machine: {} CPUs ({}), {:.0} GiB memory, {}.\n\n",
            self.machine.cpus, self.machine.cpu_model, self.machine.memory_gib, self.machine.os
        ));
        text.push_str("Rerun with `cargo run -p relance-bench --bin bench`.\n\n");
        text.push_str("| suite | measure | value | unit | target |\n|---|---|---:|---|---|\n");
        for figure in &self.figures {
            text.push_str(&format!(
                "| {} | {} | {:.2} | {} | {} |\n",
                figure.suite,
                figure.name,
                figure.value,
                figure.unit,
                figure.target.unwrap_or("")
            ));
        }
        text
    }
}

impl Machine {
    fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name"))
            .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
            .unwrap_or_else(|| "unknown CPU".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib: f64 = meminfo
            .lines()
            .find_map(|line| line.strip_prefix("MemTotal:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        Self {
            cpus: std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(1),
            cpu_model,
            memory_gib: memory_kib / (1024.0 * 1024.0),
            os: std::env::consts::OS.to_string(),
        }
    }
}

/// Latency percentiles of a sorted sample.
pub struct Percentiles {
    pub p50: Duration,
    pub p99: Duration,
}

impl Percentiles {
    pub fn of(samples: &mut [Duration]) -> Self {
        samples.sort_unstable();
        let at = |q: f64| {
            let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples.get(index).copied().unwrap_or_default()
        };
        Self {
            p50: at(0.50),
            p99: at(0.99),
        }
    }
}

pub fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

pub fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000_000.0
}
