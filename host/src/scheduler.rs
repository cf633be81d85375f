//! The built-in scheduler: calls the app's `POST /jobs/...` routes on cron
//! expressions from `[application.tool.relance]`, with the job token, and
//! catches up a run missed while the app was stopped.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{Context, bail};
use bytes::Bytes;
use chrono::{DateTime, Local, Utc};
use http::{Method, Request};
use http_body_util::{BodyExt, Empty};
use serde::{Deserialize, Serialize};
use tracing::{error, info};

use crate::app::{App, Origin};
use crate::variables::ResolvedVariables;

/// One scheduled job.
#[derive(Debug, Clone)]
pub struct ScheduledJob {
    pub name: String,
    pub schedule: cron::Schedule,
    pub route: String,
}

/// The jobs and the token they call with.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    pub jobs: Vec<ScheduledJob>,
    pub token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    #[serde(default)]
    job_token_variable: Option<String>,
    #[serde(default)]
    jobs: Vec<RawJob>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    name: String,
    cron: String,
    route: String,
}

impl Schedule {
    /// Reads the schedule from the host settings table of the manifest.
    pub fn from_settings(
        settings: Option<&toml::Table>,
        variables: &ResolvedVariables,
    ) -> anyhow::Result<Self> {
        let Some(settings) = settings else {
            return Ok(Self::default());
        };
        let raw: RawSchedule = settings
            .clone()
            .try_into()
            .map_err(|e| anyhow::anyhow!("invalid [application.tool.relance]: {e}"))?;

        let jobs = raw
            .jobs
            .into_iter()
            .map(ScheduledJob::parse)
            .collect::<anyhow::Result<Vec<_>>>()?;
        let token = match raw.job_token_variable {
            Some(name) => Some(variables.expand(&format!("{{{{ {name} }}}}")).with_context(|| {
                format!("the job token variable `{name}` named by job_token_variable has no value")
            })?),
            None => None,
        };
        Ok(Self { jobs, token })
    }
}

impl ScheduledJob {
    fn parse(raw: RawJob) -> anyhow::Result<Self> {
        if !raw.route.starts_with("/jobs/") {
            bail!(
                "job `{}`: route {:?} must start with /jobs/",
                raw.name,
                raw.route
            );
        }
        let schedule = parse_cron(&raw.cron).with_context(|| format!("job `{}`", raw.name))?;
        Ok(Self {
            name: raw.name,
            schedule,
            route: raw.route,
        })
    }

    /// The last time the job was due at or before `now`, after `since`.
    fn missed_since(
        &self,
        since: DateTime<Local>,
        now: DateTime<Local>,
    ) -> Option<DateTime<Local>> {
        self.schedule
            .after(&since)
            .take_while(|due| *due <= now)
            .last()
    }
}

/// Parses a five-field cron expression (minute hour day month weekday), or
/// six fields with seconds first.
pub fn parse_cron(expression: &str) -> anyhow::Result<cron::Schedule> {
    let fields = expression.split_whitespace().count();
    let full = match fields {
        5 => format!("0 {expression}"),
        6 | 7 => expression.to_string(),
        _ => bail!(
            "cron expression {expression:?} must have five fields: minute hour day month weekday"
        ),
    };
    cron::Schedule::from_str(&full)
        .map_err(|e| anyhow::anyhow!("cron expression {expression:?} is invalid: {e}"))
}

/// When each job last ran, kept in the state directory across restarts.
#[derive(Debug, Default, Serialize, Deserialize)]
struct RunLog {
    last_runs: BTreeMap<String, DateTime<Utc>>,
}

impl RunLog {
    fn path(state_dir: &Path) -> PathBuf {
        state_dir.join("schedule.json")
    }

    fn load(state_dir: &Path) -> Self {
        std::fs::read(Self::path(state_dir))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn save(&self, state_dir: &Path) -> anyhow::Result<()> {
        let path = Self::path(state_dir);
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(&temporary, &path)?;
        Ok(())
    }
}

/// Runs the schedule until the task is dropped.
pub async fn run(app: Arc<App>, schedule: Schedule, state_dir: PathBuf) {
    if schedule.jobs.is_empty() {
        return;
    }
    let mut log = RunLog::load(&state_dir);

    catch_up(&app, &schedule, &mut log, &state_dir).await;
    loop {
        let now = Local::now();
        let Some((due, job)) = schedule
            .jobs
            .iter()
            .filter_map(|job| job.schedule.after(&now).next().map(|due| (due, job)))
            .min_by_key(|(due, _)| *due)
        else {
            return;
        };
        let wait = (due - now).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
        fire(&app, &schedule, job, &mut log, &state_dir).await;
    }
}

/// Runs once every job whose time came while the app was not running.
async fn catch_up(app: &Arc<App>, schedule: &Schedule, log: &mut RunLog, state_dir: &Path) {
    let now = Local::now();
    for job in &schedule.jobs {
        match log.last_runs.get(&job.name) {
            Some(last) => {
                if let Some(missed) = job.missed_since(last.with_timezone(&Local), now) {
                    info!(job = %job.name, %missed, "catching up a missed run");
                    fire(app, schedule, job, log, state_dir).await;
                }
            }
            None => {
                log.last_runs
                    .insert(job.name.clone(), now.with_timezone(&Utc));
            }
        }
    }
    if let Err(error) = log.save(state_dir) {
        error!(error = %error, "cannot save the schedule's run log");
    }
}

async fn fire(
    app: &Arc<App>,
    schedule: &Schedule,
    job: &ScheduledJob,
    log: &mut RunLog,
    state_dir: &Path,
) {
    let started = Utc::now();
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(job.route.as_str());
    if let Some(token) = &schedule.token {
        request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body =
        Empty::<Bytes>::new().map_err(|never| -> wasmtime_wasi_http::Error { match never {} });
    let Ok(request) = request.body(body) else {
        error!(job = %job.name, "cannot build the job request");
        return;
    };

    let origin = Origin {
        scheme: "http",
        authority: "scheduler.relance.local".to_string(),
    };
    let response = app
        .handle(request, &origin, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();

    if status.is_success() {
        info!(job = %job.name, status = status.as_u16(), "scheduled job done");
        log.last_runs.insert(job.name.clone(), started);
        if let Err(error) = log.save(state_dir) {
            error!(error = %error, "cannot save the schedule's run log");
        }
    } else {
        error!(
            job = %job.name,
            status = status.as_u16(),
            answer = %String::from_utf8_lossy(&body),
            "scheduled job failed; it runs again at its next time"
        );
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn job(cron: &str) -> ScheduledJob {
        ScheduledJob::parse(RawJob {
            name: "daily".into(),
            cron: cron.into(),
            route: "/jobs/x".into(),
        })
        .expect("valid job")
    }

    #[test]
    fn five_and_six_field_expressions_are_accepted() {
        assert!(parse_cron("0 6 * * *").is_ok());
        assert!(parse_cron("30 0 6 * * *").is_ok());
        assert!(parse_cron("6 * *").is_err());
        assert!(parse_cron("61 6 * * *").is_err());
    }

    #[test]
    fn a_run_missed_while_stopped_is_found() {
        let daily = job("0 6 * * *");
        let last = Local
            .with_ymd_and_hms(2026, 3, 1, 6, 0, 0)
            .single()
            .expect("date");

        let same_day = Local
            .with_ymd_and_hms(2026, 3, 1, 23, 0, 0)
            .single()
            .expect("date");
        let days_later = Local
            .with_ymd_and_hms(2026, 3, 4, 7, 0, 0)
            .single()
            .expect("date");

        assert_eq!(daily.missed_since(last, same_day), None);
        assert_eq!(
            daily.missed_since(last, days_later),
            Local.with_ymd_and_hms(2026, 3, 4, 6, 0, 0).single()
        );
    }

    #[test]
    fn job_routes_must_be_job_routes() {
        let raw = RawJob {
            name: "x".into(),
            cron: "0 6 * * *".into(),
            route: "/api/v1/x".into(),
        };

        assert!(ScheduledJob::parse(raw).is_err());
    }
}
