//! The benchmark report: measured figures with the machine and the command
//! they came from, and how each figure grows with the ledger, as Markdown
//! for people and JSON for programs.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

/// One measured figure.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub suite: &'static str,
    pub name: String,
    /// Invoices in the ledger it was measured on; `None` when the figure
    /// does not depend on the ledger.
    pub scale: Option<usize>,
    /// The figure; for latencies, the median.
    pub value: f64,
    /// For latencies, the 99th percentile.
    pub p99: Option<f64>,
    pub unit: &'static str,
    /// The target the figure is held to, if there is one, in words.
    pub target: Option<&'static str>,
}

/// How a figure changed between the smallest and the largest scale run.
#[derive(Debug, Clone, Serialize)]
pub struct Growth {
    pub suite: &'static str,
    pub name: String,
    pub unit: &'static str,
    pub from_scale: usize,
    pub to_scale: usize,
    pub from: f64,
    pub to: f64,
    /// `to / from`.
    pub ratio: f64,
}

/// Every figure of a run.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The command that produced the report, to run it again.
    pub command: String,
    /// The day it ran, UTC.
    pub date: String,
    pub machine: Machine,
    pub figures: Vec<Figure>,
    pub growth: Vec<Growth>,
    #[serde(skip)]
    scale: Option<usize>,
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
    /// An empty report of `command`.
    pub fn new(command: String) -> Self {
        Self {
            command,
            date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
            machine: Machine::read(),
            figures: Vec::new(),
            growth: Vec::new(),
            scale: None,
        }
    }

    /// The ledger size the next figures are measured on, or `None` for
    /// figures that do not depend on it.
    pub fn set_scale(&mut self, scale: Option<usize>) {
        self.scale = scale;
    }

    /// Adds a figure measured at the current scale.
    pub fn add(
        &mut self,
        suite: &'static str,
        name: impl Into<String>,
        value: f64,
        unit: &'static str,
        target: Option<&'static str>,
    ) {
        self.push(Figure {
            suite,
            name: name.into(),
            scale: self.scale,
            value,
            p99: None,
            unit,
            target,
        });
    }

    /// Adds the median and 99th percentile of latency samples, in ms.
    pub fn add_latencies(
        &mut self,
        suite: &'static str,
        name: impl Into<String>,
        samples: &mut [Duration],
        target: Option<&'static str>,
    ) {
        let percentiles = Percentiles::of(samples);
        self.push(Figure {
            suite,
            name: name.into(),
            scale: self.scale,
            value: millis(percentiles.p50),
            p99: Some(millis(percentiles.p99)),
            unit: "ms",
            target,
        });
    }

    fn push(&mut self, figure: Figure) {
        let p99 = figure
            .p99
            .map(|p99| format!(" (p99 {p99:.2})"))
            .unwrap_or_default();
        eprintln!(
            "  {:<62} {:>12.2} {}{p99}",
            figure.name, figure.value, figure.unit
        );
        self.figures.push(figure);
    }

    /// Computes the growth of every figure measured at more than one scale
    /// and writes `report.json` and `report.md` into `dir`.
    pub fn write(&mut self, dir: &Path) -> anyhow::Result<()> {
        self.growth = growth(&self.figures);
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::write(dir.join("report.json"), serde_json::to_vec_pretty(self)?)?;
        std::fs::write(dir.join("report.md"), self.markdown())?;
        Ok(())
    }

    fn markdown(&self) -> String {
        let mut text = String::from("# Benchmark report\n\n");
        text.push_str(&format!(
            "Measured on {}: {} CPUs ({}), {:.0} GiB memory, {}.\n\n",
            self.date,
            self.machine.cpus,
            self.machine.cpu_model,
            self.machine.memory_gib,
            self.machine.os
        ));
        text.push_str(&format!("Rerun with `{}`.\n\n", self.command));
        text.push_str(
            "Latencies give the median and, in the p99 column, the 99th percentile. \
             Scale is the number of invoices in the generated ledger.\n\n",
        );

        text.push_str(
            "| suite | measure | scale | value | p99 | unit | target |\n\
             |---|---|---:|---:|---:|---|---|\n",
        );
        for figure in &self.figures {
            text.push_str(&format!(
                "| {} | {} | {} | {:.2} | {} | {} | {} |\n",
                figure.suite,
                figure.name,
                figure.scale.map(scale_label).unwrap_or_default(),
                figure.value,
                figure
                    .p99
                    .map(|p99| format!("{p99:.2}"))
                    .unwrap_or_default(),
                figure.unit,
                figure.target.unwrap_or("")
            ));
        }

        if let Some(first) = self.growth.first() {
            text.push_str(&format!(
                "\n## Growth from {} to {} invoices\n\n",
                scale_label(first.from_scale),
                scale_label(first.to_scale)
            ));
            text.push_str(
                "| suite | measure | unit | at the smaller scale | at the larger scale | growth |\n\
                 |---|---|---|---:|---:|---:|\n",
            );
            for growth in &self.growth {
                text.push_str(&format!(
                    "| {} | {} | {} | {:.2} | {:.2} | {:.2}× |\n",
                    growth.suite, growth.name, growth.unit, growth.from, growth.to, growth.ratio
                ));
            }
        }
        text
    }
}

/// `100000` as `100k`, `1000000` as `1M`.
pub fn scale_label(scale: usize) -> String {
    match scale {
        s if s >= 1_000_000 && s % 1_000_000 == 0 => format!("{}M", s / 1_000_000),
        s if s >= 1_000 && s % 1_000 == 0 => format!("{}k", s / 1_000),
        s => s.to_string(),
    }
}

/// For every figure measured at both the smallest and the largest scale,
/// how it changed.
fn growth(figures: &[Figure]) -> Vec<Growth> {
    let scales: Vec<usize> = figures.iter().filter_map(|figure| figure.scale).collect();
    let (Some(&smallest), Some(&largest)) = (scales.iter().min(), scales.iter().max()) else {
        return Vec::new();
    };
    if smallest == largest {
        return Vec::new();
    }

    let at = |scale: usize| -> BTreeMap<(&str, &str), &Figure> {
        figures
            .iter()
            .filter(|figure| figure.scale == Some(scale))
            .map(|figure| ((figure.suite, figure.name.as_str()), figure))
            .collect()
    };
    let (small, large) = (at(smallest), at(largest));
    figures
        .iter()
        .filter(|figure| figure.scale == Some(smallest))
        .filter_map(|figure| {
            let from = small.get(&(figure.suite, figure.name.as_str()))?;
            let to = large.get(&(figure.suite, figure.name.as_str()))?;
            Some(Growth {
                suite: figure.suite,
                name: figure.name.clone(),
                unit: figure.unit,
                from_scale: smallest,
                to_scale: largest,
                from: from.value,
                to: to.value,
                ratio: if from.value == 0.0 {
                    f64::NAN
                } else {
                    to.value / from.value
                },
            })
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(name: &str, scale: Option<usize>, value: f64) -> Figure {
        Figure {
            suite: "reconciliation",
            name: name.to_owned(),
            scale,
            value,
            p99: None,
            unit: "s",
            target: None,
        }
    }

    #[test]
    fn growth_compares_each_figure_at_the_smallest_and_largest_scale() {
        let figures = [
            figure("run", Some(100_000), 2.0),
            figure("run", Some(300_000), 5.0),
            figure("run", Some(1_000_000), 23.0),
            figure("start-up", None, 1.5),
            figure("only small", Some(100_000), 1.0),
        ];
        let grown = growth(&figures);

        assert_eq!(grown.len(), 1);
        let run = &grown[0];
        assert_eq!((run.from_scale, run.to_scale), (100_000, 1_000_000));
        assert_eq!((run.from, run.to, run.ratio), (2.0, 23.0, 11.5));
    }

    #[test]
    fn one_scale_has_no_growth() {
        let figures = [figure("run", Some(100_000), 2.0), figure("host", None, 1.0)];
        assert!(growth(&figures).is_empty());
    }

    #[test]
    fn scales_read_as_finance_teams_say_them() {
        let cases = [
            (1_000_000, "1M"),
            (100_000, "100k"),
            (20_000, "20k"),
            (1_500, "1500"),
            (250, "250"),
        ];
        for (scale, label) in cases {
            assert_eq!(scale_label(scale), label);
        }
    }

    #[test]
    fn percentiles_pick_the_median_and_the_99th_sample() {
        let mut samples: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let percentiles = Percentiles::of(&mut samples);
        assert_eq!(percentiles.p50, Duration::from_millis(51));
        assert_eq!(percentiles.p99, Duration::from_millis(99));
    }
}
