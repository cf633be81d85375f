//! Scoring through the system of record: the ledger's history read as
//! [`InvoiceFacts`], models trained and stored by version, scores refreshed
//! for what changed, customer scores with their trend and reasons, and the
//! alerts a person reviews. Every read a caller makes is confined to their
//! portfolio inside the SQL.

use std::collections::BTreeSet;

use chrono::{DateTime, Days, NaiveDate, Utc};
use relance_api::{Cursor, Page, Scope};
use relance_store::{Database, Listing, Row, StoreError, Value};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use crate::ScoringError;
use crate::alerts::{AlertKind, AlertPolicy, RaisedAlert, habit_alerts, risk_alerts};
use crate::history::{Billing, InvoiceFacts, Ledger};
use crate::model::{ModelMetrics, PaymentModel, TrainingSettings, fingerprint, training_examples};
use crate::reasons::Reason;

/// The ledger as scoring reads it, and which invoices are still chased.
#[derive(Debug, Clone, Default)]
pub struct LedgerSnapshot {
    /// Every customer's invoices.
    pub ledger: Ledger,
    /// Invoices open or partly paid: the ones scored.
    pub open: BTreeSet<i64>,
}

/// Reads every issued invoice with its payments and reminders. Drafts and
/// void invoices are left out, and so are invoices settled by credit notes
/// alone, which say nothing of how the customer pays.
pub fn load_ledger(db: &impl Database) -> Result<LedgerSnapshot, ScoringError> {
    let rows = db.execute(
        "SELECT i.id, i.customer_id, i.number, i.issue_date, i.due_date, i.total, i.credited,
            i.status, i.channel, i.dispute_opened_on, i.version,
            (SELECT group_concat(a.paid_on, ' ') FROM allocations a
              WHERE a.invoice_id = i.id AND a.reversed_at IS NULL) AS payment_dates,
            (SELECT group_concat(d.as_of, ' ') FROM dunning_action_invoices di
              JOIN dunning_actions d ON d.id = di.action_id
              WHERE di.invoice_id = i.id AND d.kind = 'step'
                AND d.result NOT IN ('failed', 'skipped')) AS reminder_dates
         FROM invoices i
         WHERE i.status NOT IN ('draft', 'void')",
        &[],
    )?;

    let mut snapshot = LedgerSnapshot::default();
    let mut invoices = Vec::with_capacity(rows.len());
    for row in rows.iter() {
        let status = row.text("status")?;
        if matches!(status, "open" | "partially_paid") {
            snapshot.open.insert(row.integer("id")?);
        }
        if let Some(facts) = invoice_facts(&row, status)? {
            invoices.push(facts);
        }
    }
    snapshot.ledger = Ledger::new(invoices);
    Ok(snapshot)
}

fn invoice_facts(row: &Row<'_>, status: &str) -> Result<Option<InvoiceFacts>, ScoringError> {
    let issue_date = row.date("issue_date")?;
    let total = row.decimal("total")?;
    let payment_dates = dates(row, "payment_dates")?;

    let settled_on = match status {
        "paid" if payment_dates.is_empty() && row.decimal("credited")? >= total => return Ok(None),
        // Paid at its platform without a payment in Relance: the platform's
        // last change is when it was paid.
        "paid" => Some(
            payment_dates
                .last()
                .copied()
                .unwrap_or(row.timestamp("version")?.date_naive())
                .max(issue_date),
        ),
        _ => None,
    };

    Ok(Some(InvoiceFacts {
        invoice_id: row.integer("id")?,
        customer_id: row.integer("customer_id")?,
        number: row.text("number")?.to_owned(),
        issue_date,
        due_date: row.date("due_date")?,
        amount: amount(total),
        billing: Billing::from_channel(row.optional_text("channel")?),
        disputed_on: row.optional_date("dispute_opened_on")?,
        payment_dates,
        settled_on,
        reminder_dates: dates(row, "reminder_dates")?,
    }))
}

/// Amounts only feed ratios between a customer's invoices.
fn amount(total: Decimal) -> f64 {
    total.to_f64().unwrap_or_default()
}

/// A space-separated list of `YYYY-MM-DD` dates, sorted.
fn dates(row: &Row<'_>, column: &str) -> Result<Vec<NaiveDate>, ScoringError> {
    let mut dates = row
        .optional_text(column)?
        .unwrap_or_default()
        .split_whitespace()
        .map(|text| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| StoreError::UnexpectedValue {
                column: column.to_owned(),
                expected: "YYYY-MM-DD dates",
                found: format!("{text:?}"),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    dates.sort();
    Ok(dates)
}

/// A stored model and how it came to be.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredModel {
    /// Its version, from 1.
    pub version: i64,
    /// The day its history was read on.
    pub as_of: NaiveDate,
    /// The fingerprint of its training examples.
    pub fingerprint: String,
    /// When it was trained.
    pub trained_at: DateTime<Utc>,
    /// The model.
    pub model: PaymentModel,
}

/// A model version as the API lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSummary {
    /// Its version, from 1.
    pub version: i64,
    /// The day its history was read on.
    pub as_of: NaiveDate,
    /// The lateness model chosen.
    pub classifier: String,
    /// The days-to-settle model chosen.
    pub regressor: String,
    /// When it was trained.
    pub trained_at: DateTime<Utc>,
    /// What training measured.
    pub metrics: ModelMetrics,
}

/// What a training run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainingOutcome {
    /// False when the history had not changed since the model in use was
    /// trained: that model is kept and no version is added.
    pub trained: bool,
    /// The model in use afterwards.
    pub model: ModelSummary,
}

/// Trains on the ledger's history known on `as_of` and stores the model as
/// a new version, unless the model in use was trained on exactly the same
/// history.
pub fn train(
    db: &impl Database,
    as_of: NaiveDate,
    settings: &TrainingSettings,
    now: DateTime<Utc>,
) -> Result<TrainingOutcome, ScoringError> {
    let snapshot = load_ledger(db)?;
    let examples = training_examples(&snapshot.ledger, as_of);
    let fingerprint = fingerprint(&examples);

    if let Some(current) = latest_model(db)?
        && current.fingerprint == fingerprint
    {
        return Ok(TrainingOutcome {
            trained: false,
            model: summary(&current),
        });
    }

    let model = PaymentModel::train(&examples, settings)?;
    let stored = db.transaction(|db| store_model(db, &model, as_of, &fingerprint, now))?;
    Ok(TrainingOutcome {
        trained: true,
        model: summary(&stored),
    })
}

fn store_model(
    db: &impl Database,
    model: &PaymentModel,
    as_of: NaiveDate,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<StoredModel, ScoringError> {
    let rows = db.execute(
        "INSERT INTO scoring_models (as_of, fingerprint, classifier, regressor,
            training_invoices, metrics, model, trained_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING version",
        &[
            as_of.into(),
            fingerprint.into(),
            model.classifier.name().into(),
            model.regressor.name().into(),
            Value::Integer(model.metrics.training_invoices as i64),
            json(&model.metrics)?.into(),
            json(model)?.into(),
            now.into(),
        ],
    )?;
    let version = rows
        .first()
        .map(|row| row.integer("version"))
        .transpose()?
        .ok_or(ScoringError::Degenerate {
            what: "the version of the stored model",
        })?;

    Ok(StoredModel {
        version,
        as_of,
        fingerprint: fingerprint.to_owned(),
        trained_at: now,
        model: model.clone(),
    })
}

fn json(value: &impl Serialize) -> Result<String, ScoringError> {
    serde_json::to_string(value).map_err(|error| ScoringError::Degenerate {
        what: if error.is_data() {
            "a model with numbers JSON cannot hold"
        } else {
            "the JSON form of the model"
        },
    })
}

fn summary(stored: &StoredModel) -> ModelSummary {
    ModelSummary {
        version: stored.version,
        as_of: stored.as_of,
        classifier: stored.model.classifier.name().to_owned(),
        regressor: stored.model.regressor.name().to_owned(),
        trained_at: stored.trained_at,
        metrics: stored.model.metrics.clone(),
    }
}

/// The model in use: the highest version.
pub fn latest_model(db: &impl Database) -> Result<Option<StoredModel>, ScoringError> {
    let rows = db.execute(
        "SELECT version, as_of, fingerprint, model, trained_at FROM scoring_models
         ORDER BY version DESC LIMIT 1",
        &[],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };

    let version = row.integer("version")?;
    let model: PaymentModel =
        serde_json::from_str(row.text("model")?).map_err(|error| ScoringError::StoredModel {
            version,
            message: error.to_string(),
        })?;
    model.check_features()?;
    Ok(Some(StoredModel {
        version,
        as_of: row.date("as_of")?,
        fingerprint: row.text("fingerprint")?.to_owned(),
        trained_at: row.timestamp("trained_at")?,
        model,
    }))
}

/// Every model version with its metrics, newest first.
pub fn list_models(db: &impl Database) -> Result<Vec<ModelSummary>, ScoringError> {
    let rows = db.execute(
        "SELECT version, as_of, classifier, regressor, metrics, trained_at FROM scoring_models
         ORDER BY version DESC",
        &[],
    )?;

    rows.iter()
        .map(|row| {
            let version = row.integer("version")?;
            let metrics = serde_json::from_str(row.text("metrics")?).map_err(|error| {
                ScoringError::StoredModel {
                    version,
                    message: error.to_string(),
                }
            })?;
            Ok(ModelSummary {
                version,
                as_of: row.date("as_of")?,
                classifier: row.text("classifier")?.to_owned(),
                regressor: row.text("regressor")?.to_owned(),
                trained_at: row.timestamp("trained_at")?,
                metrics,
            })
        })
        .collect()
}

/// What a scoring refresh did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefreshSummary {
    /// The day scored.
    pub as_of: NaiveDate,
    /// The model used.
    pub model_version: i64,
    /// True when every customer was rescored (a new day or a new model);
    /// false when only customers whose ledger changed were.
    pub complete: bool,
    /// Customers scored.
    pub customers_scored: usize,
    /// Open invoices scored.
    pub invoices_scored: usize,
    /// Alerts raised for review.
    pub alerts_raised: usize,
}

/// Rescores on `as_of`: every customer when the day or the model changed
/// since the last refresh, otherwise only the customers whose invoices,
/// payments or reminders changed since it started. Running it again with
/// nothing changed rescores nobody.
pub fn refresh(
    db: &impl Database,
    as_of: NaiveDate,
    policy: &AlertPolicy,
    now: DateTime<Utc>,
) -> Result<RefreshSummary, ScoringError> {
    let version = db
        .execute("SELECT max(version) AS version FROM scoring_models", &[])?
        .first()
        .map(|row| row.optional_integer("version"))
        .transpose()?
        .flatten()
        .ok_or(ScoringError::NoModel)?;
    let previous = db.execute(
        "SELECT as_of, model_version, started_at FROM scoring_refreshes ORDER BY id DESC LIMIT 1",
        &[],
    )?;
    let since = match previous.first() {
        Some(row) if row.date("as_of")? == as_of && row.integer("model_version")? == version => {
            Some(row.text("started_at")?.to_owned())
        }
        _ => None,
    };
    let changed = match &since {
        Some(since) => Some(changed_customers(db, since)?),
        None => None,
    };

    // Nothing changed since the last refresh: nothing to read or write.
    if changed.as_ref().is_some_and(BTreeSet::is_empty) {
        return Ok(RefreshSummary {
            as_of,
            model_version: version,
            complete: false,
            customers_scored: 0,
            invoices_scored: 0,
            alerts_raised: 0,
        });
    }

    let model = latest_model(db)?.ok_or(ScoringError::NoModel)?;
    let snapshot = load_ledger(db)?;
    db.transaction(|db| {
        let mut summary = RefreshSummary {
            as_of,
            model_version: model.version,
            complete: changed.is_none(),
            customers_scored: 0,
            invoices_scored: 0,
            alerts_raised: 0,
        };
        for (customer_id, history) in snapshot.ledger.customers() {
            if changed
                .as_ref()
                .is_some_and(|set| !set.contains(&customer_id))
            {
                continue;
            }
            let scorer = CustomerScorer {
                db,
                model: &model,
                customer_id,
                history,
                as_of,
                now,
            };
            summary.invoices_scored += scorer.score_invoices(&snapshot.open)?;
            summary.alerts_raised += scorer.score_customer(policy)?;
            summary.customers_scored += 1;
        }

        db.execute(
            "INSERT INTO scoring_refreshes (as_of, model_version, complete, customers_scored,
                invoices_scored, alerts_raised, started_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            &[
                as_of.into(),
                Value::Integer(model.version),
                summary.complete.into(),
                Value::Integer(summary.customers_scored as i64),
                Value::Integer(summary.invoices_scored as i64),
                Value::Integer(summary.alerts_raised as i64),
                now.into(),
            ],
        )?;
        Ok(summary)
    })
}

/// Customers with an invoice, payment or reminder recorded at or after
/// `since` (a stored instant).
fn changed_customers(db: &impl Database, since: &str) -> Result<BTreeSet<i64>, ScoringError> {
    let rows = db.execute(
        "SELECT customer_id FROM invoices WHERE updated_at >= ?1
         UNION
         SELECT i.customer_id FROM allocations a JOIN invoices i ON i.id = a.invoice_id
          WHERE a.created_at >= ?1 OR a.reversed_at >= ?1
         UNION
         SELECT customer_id FROM dunning_actions WHERE created_at >= ?1",
        &[since.into()],
    )?;
    rows.iter()
        .map(|row| row.integer("customer_id").map_err(ScoringError::from))
        .collect()
}

/// Scores one customer and its open invoices inside the refresh.
struct CustomerScorer<'a, D> {
    db: &'a D,
    model: &'a StoredModel,
    customer_id: i64,
    history: &'a [InvoiceFacts],
    as_of: NaiveDate,
    now: DateTime<Utc>,
}

impl<D: Database> CustomerScorer<'_, D> {
    /// Writes the score of each open invoice and drops the scores of
    /// invoices no longer open. Returns how many were scored.
    fn score_invoices(&self, open: &BTreeSet<i64>) -> Result<usize, ScoringError> {
        let mut scored = 0;
        for invoice in self.history {
            if !open.contains(&invoice.invoice_id) {
                self.db.execute(
                    "DELETE FROM invoice_scores WHERE invoice_id = ?",
                    &[Value::Integer(invoice.invoice_id)],
                )?;
                continue;
            }

            let score = self
                .model
                .model
                .score_invoice(self.history, invoice, self.as_of);
            self.db.execute(
                "INSERT INTO invoice_scores (invoice_id, model_version, probability_late,
                    expected_payment_date, scored_at)
                 VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (invoice_id) DO UPDATE SET model_version = excluded.model_version,
                    probability_late = excluded.probability_late,
                    expected_payment_date = excluded.expected_payment_date,
                    scored_at = excluded.scored_at",
                &[
                    Value::Integer(invoice.invoice_id),
                    Value::Integer(self.model.version),
                    Value::Real(score.probability_late),
                    score.expected_payment_date.into(),
                    self.now.into(),
                ],
            )?;
            scored += 1;
        }
        Ok(scored)
    }

    /// Writes the customer's score and its day in the history, and raises
    /// the alerts its rules call for. Returns how many alerts were raised.
    fn score_customer(&self, policy: &AlertPolicy) -> Result<usize, ScoringError> {
        let Some(risk) = self.model.model.customer_risk(self.history, self.as_of) else {
            return Ok(0);
        };
        let previous = self.earlier_risk(self.as_of.pred_opt().unwrap_or(self.as_of))?;
        let trend_start = self.earlier_risk(
            self.as_of
                .checked_sub_days(Days::new(policy.trend_days))
                .unwrap_or(self.as_of),
        )?;

        let customer = Value::Integer(self.customer_id);
        let version = Value::Integer(self.model.version);
        self.db.execute(
            "INSERT INTO customer_scores (customer_id, model_version, risk, scored_at)
             VALUES (?, ?, ?, ?)
             ON CONFLICT (customer_id) DO UPDATE SET model_version = excluded.model_version,
                risk = excluded.risk, scored_at = excluded.scored_at",
            &[
                customer.clone(),
                version.clone(),
                Value::Real(risk.risk),
                self.now.into(),
            ],
        )?;
        self.db.execute(
            "INSERT INTO customer_score_history (customer_id, scored_on, model_version, risk,
                reasons, scored_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (customer_id, scored_on) DO UPDATE SET
                model_version = excluded.model_version, risk = excluded.risk,
                reasons = excluded.reasons, scored_at = excluded.scored_at",
            &[
                customer,
                self.as_of.into(),
                version,
                Value::Real(risk.risk),
                json(&risk.reasons)?.into(),
                self.now.into(),
            ],
        )?;

        let mut raised = 0;
        for alert in risk_alerts(policy, risk.risk, previous, trend_start) {
            raised += self.raise(&alert, risk.risk)?;
        }
        for alert in habit_alerts(policy, self.history, self.as_of) {
            raised += self.raise(&alert, risk.risk)?;
        }
        Ok(raised)
    }

    /// The last risk scored on or before `day`.
    fn earlier_risk(&self, day: NaiveDate) -> Result<Option<f64>, ScoringError> {
        let rows = self.db.execute(
            "SELECT risk FROM customer_score_history WHERE customer_id = ? AND scored_on <= ?
             ORDER BY scored_on DESC LIMIT 1",
            &[Value::Integer(self.customer_id), day.into()],
        )?;
        rows.first().map(|row| real(&row, "risk")).transpose()
    }

    /// Stores an alert unless the same one is already stored (or, for a
    /// risk alert, one of its kind still waits for review). Returns 1 when
    /// stored.
    fn raise(&self, alert: &RaisedAlert, risk: f64) -> Result<usize, ScoringError> {
        let subject = match alert.invoice_id {
            Some(invoice_id) => format!("invoice {invoice_id}"),
            None => format!("risk on {}", self.as_of),
        };
        let rows = self.db.execute(
            "INSERT INTO scoring_alerts (customer_id, kind, subject, invoice_id, raised_on, risk,
                message, model_version, created_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9
             WHERE ?4 IS NOT NULL OR NOT EXISTS (
                SELECT 1 FROM scoring_alerts
                 WHERE customer_id = ?1 AND kind = ?2 AND status = 'open')
             ON CONFLICT (customer_id, kind, subject) DO NOTHING
             RETURNING id",
            &[
                Value::Integer(self.customer_id),
                alert.kind.as_str().into(),
                subject.into(),
                alert.invoice_id.map(Value::Integer).unwrap_or(Value::Null),
                self.as_of.into(),
                Value::Real(risk),
                alert.message.as_str().into(),
                Value::Integer(self.model.version),
                self.now.into(),
            ],
        )?;
        Ok(rows.len())
    }
}

fn real(row: &Row<'_>, column: &str) -> Result<f64, ScoringError> {
    match row.value(column)? {
        Value::Real(value) => Ok(*value),
        Value::Integer(value) => Ok(*value as f64),
        other => Err(StoreError::UnexpectedValue {
            column: column.to_owned(),
            expected: "a number",
            found: format!("{other:?}"),
        }
        .into()),
    }
}

/// The SQL condition (on customers aliased `c`) keeping what `scope` may
/// see, with its parameter; the same rule as every ledger listing.
fn scope_condition(scope: &Scope) -> (&'static str, Vec<Value>) {
    match scope {
        Scope::Everything => ("1 = 1", Vec::new()),
        Scope::Owner(person) => ("c.owner = ?", vec![person.into()]),
        Scope::Collector(person) => ("c.collector = ?", vec![person.into()]),
    }
}

/// One day of a customer's score history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScorePoint {
    /// The day scored.
    pub scored_on: NaiveDate,
    /// The risk that day.
    pub risk: f64,
}

/// Which way a customer's risk is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Up by more than a point.
    Rising,
    /// Down by more than a point.
    Falling,
    /// Within a point either way, or nothing to compare with.
    Steady,
}

/// How the risk moved over the trend period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// Which way.
    pub direction: Direction,
    /// The risk at the start of the period, if scored then.
    pub previous_risk: Option<f64>,
    /// The day of that earlier score.
    pub since: Option<NaiveDate>,
    /// Current risk less the earlier one.
    pub change: f64,
    /// The latest scores, newest first.
    pub history: Vec<ScorePoint>,
}

/// An open invoice of the customer, with its prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredInvoice {
    /// Relance's identifier.
    pub invoice_id: i64,
    /// Its number.
    pub number: String,
    /// Its due date.
    pub due_date: NaiveDate,
    /// Calibrated probability it is paid after its due date.
    pub probability_late: f64,
    /// The day it is expected to be paid.
    pub expected_payment_date: NaiveDate,
}

/// A customer's score as `GET /api/v1/scores/customers/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerScore {
    /// Relance's identifier of the customer.
    pub customer_id: i64,
    /// Its name.
    pub customer_name: String,
    /// Probability (0 to 1) that its next invoice is paid late.
    pub risk: f64,
    /// The day it was scored on.
    pub scored_on: NaiveDate,
    /// The model that scored it.
    pub model_version: i64,
    /// What moves the risk most, strongest first.
    pub reasons: Vec<Reason>,
    /// How the risk moved.
    pub trend: Trend,
    /// Its open invoices, soonest expected payment first.
    pub open_invoices: Vec<ScoredInvoice>,
}

/// How many days of history the trend shows.
const TREND_POINTS: i64 = 12;

/// A customer's latest score, if the caller may see the customer.
pub fn customer_score(
    db: &impl Database,
    scope: &Scope,
    customer_id: i64,
    policy: &AlertPolicy,
) -> Result<CustomerScore, ScoringError> {
    let (visible, mut params) = scope_condition(scope);
    params.insert(0, Value::Integer(customer_id));
    let customers = db.execute(
        &format!("SELECT c.id, c.name FROM customers c WHERE c.id = ? AND {visible}"),
        &params,
    )?;
    let customer = customers.first().ok_or_else(|| StoreError::NotFound {
        what: "customer",
        id: customer_id.to_string(),
    })?;
    let customer_name = customer.text("name")?.to_owned();

    let history = db.execute(
        "SELECT scored_on, model_version, risk, reasons FROM customer_score_history
         WHERE customer_id = ? ORDER BY scored_on DESC LIMIT ?",
        &[Value::Integer(customer_id), Value::Integer(TREND_POINTS)],
    )?;
    let latest = history
        .first()
        .ok_or(ScoringError::NotScored { customer_id })?;
    let risk = real(&latest, "risk")?;
    let scored_on = latest.date("scored_on")?;
    let reasons = stored_reasons(latest.text("reasons")?)?;

    let trend = trend(db, customer_id, risk, scored_on, policy, &history)?;
    Ok(CustomerScore {
        customer_id,
        customer_name,
        risk,
        scored_on,
        model_version: latest.integer("model_version")?,
        reasons,
        trend,
        open_invoices: scored_invoices(db, customer_id)?,
    })
}

/// Stored reasons are shown as they were given.
fn stored_reasons(json: &str) -> Result<Vec<Reason>, ScoringError> {
    serde_json::from_str(json).map_err(|_| {
        StoreError::UnexpectedValue {
            column: "reasons".to_owned(),
            expected: "a JSON list of reasons",
            found: format!("{json:?}"),
        }
        .into()
    })
}

fn trend(
    db: &impl Database,
    customer_id: i64,
    risk: f64,
    scored_on: NaiveDate,
    policy: &AlertPolicy,
    history: &relance_store::Rows,
) -> Result<Trend, ScoringError> {
    let start = scored_on
        .checked_sub_days(Days::new(policy.trend_days))
        .unwrap_or(scored_on);
    let earlier = db.execute(
        "SELECT scored_on, risk FROM customer_score_history
         WHERE customer_id = ? AND scored_on <= ? ORDER BY scored_on DESC LIMIT 1",
        &[Value::Integer(customer_id), start.into()],
    )?;
    let earlier = match earlier.first() {
        Some(row) => Some((row.date("scored_on")?, real(&row, "risk")?)),
        None => None,
    };

    let change = earlier.map_or(0.0, |(_, previous)| risk - previous);
    let direction = if change > 0.01 {
        Direction::Rising
    } else if change < -0.01 {
        Direction::Falling
    } else {
        Direction::Steady
    };
    let points = history
        .iter()
        .map(|row| {
            Ok(ScorePoint {
                scored_on: row.date("scored_on")?,
                risk: real(&row, "risk")?,
            })
        })
        .collect::<Result<_, ScoringError>>()?;

    Ok(Trend {
        direction,
        previous_risk: earlier.map(|(_, previous)| previous),
        since: earlier.map(|(day, _)| day),
        change,
        history: points,
    })
}

fn scored_invoices(
    db: &impl Database,
    customer_id: i64,
) -> Result<Vec<ScoredInvoice>, ScoringError> {
    let rows = db.execute(
        "SELECT s.invoice_id, i.number, i.due_date, s.probability_late, s.expected_payment_date
         FROM invoice_scores s JOIN invoices i ON i.id = s.invoice_id
         WHERE i.customer_id = ? AND i.status IN ('open', 'partially_paid')
         ORDER BY s.expected_payment_date, s.invoice_id",
        &[Value::Integer(customer_id)],
    )?;
    rows.iter()
        .map(|row| {
            Ok(ScoredInvoice {
                invoice_id: row.integer("invoice_id")?,
                number: row.text("number")?.to_owned(),
                due_date: row.date("due_date")?,
                probability_late: real(&row, "probability_late")?,
                expected_payment_date: row.date("expected_payment_date")?,
            })
        })
        .collect()
}

/// Whether an alert still waits for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Waiting for review.
    #[default]
    Open,
    /// A person looked at it.
    Reviewed,
}

impl AlertStatus {
    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Reviewed => "reviewed",
        }
    }

    /// The status named `text`.
    pub fn parse(text: &str) -> Option<AlertStatus> {
        [AlertStatus::Open, AlertStatus::Reviewed]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// An alert as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRecord {
    /// Its identifier.
    pub id: i64,
    /// The customer concerned.
    pub customer_id: i64,
    /// Its name.
    pub customer_name: String,
    /// The rule that raised it.
    pub kind: AlertKind,
    /// The invoice concerned, for a broken habit.
    pub invoice_id: Option<i64>,
    /// What happened, in plain words.
    pub message: String,
    /// The customer's risk when it was raised.
    pub risk: f64,
    /// The day scored when it was raised.
    pub raised_on: NaiveDate,
    /// Open or reviewed.
    pub status: AlertStatus,
    /// When a person reviewed it.
    pub reviewed_at: Option<DateTime<Utc>>,
}

/// Which alerts to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    /// Only this status; every status when `None`.
    pub status: Option<AlertStatus>,
    /// Only this kind.
    pub kind: Option<AlertKind>,
    /// Only this customer.
    pub customer_id: Option<i64>,
}

/// The sort alert cursors are issued for: newest first.
pub const ALERT_SORT: &str = "-id";

const ALERT_COLUMNS: &str = "a.id, a.customer_id, c.name AS customer_name, a.kind, a.invoice_id,
    a.message, a.risk, a.raised_on, a.status, a.reviewed_at";

/// One page of the alerts the caller may see, newest first.
pub fn list_alerts(
    db: &impl Database,
    scope: &Scope,
    filter: &AlertFilter,
    page: &Page,
) -> Result<Listing<AlertRecord>, ScoringError> {
    let (visible, mut params) = scope_condition(scope);
    let mut sql = format!(
        "SELECT {ALERT_COLUMNS} FROM scoring_alerts a JOIN customers c ON c.id = a.customer_id
         WHERE {visible}"
    );
    if let Some(status) = filter.status {
        sql.push_str(" AND a.status = ?");
        params.push(status.as_str().into());
    }
    if let Some(kind) = filter.kind {
        sql.push_str(" AND a.kind = ?");
        params.push(kind.as_str().into());
    }
    if let Some(customer_id) = filter.customer_id {
        sql.push_str(" AND a.customer_id = ?");
        params.push(Value::Integer(customer_id));
    }
    if let Some(cursor) = &page.cursor {
        sql.push_str(" AND a.id < ?");
        params.push(Value::Integer(cursor.id));
    }
    sql.push_str(" ORDER BY a.id DESC LIMIT ?");
    params.push(Value::Integer(i64::from(page.limit) + 1));

    let rows = db.execute(&sql, &params)?;
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    let items = rows
        .iter()
        .take(limit)
        .map(|row| alert_record(&row))
        .collect::<Result<Vec<_>, _>>()?;
    let next_cursor = match items.last() {
        Some(last) if rows.len() > limit => Some(
            Cursor {
                sort: ALERT_SORT.to_owned(),
                key: last.id.to_string(),
                id: last.id,
            }
            .encode(),
        ),
        _ => None,
    };
    Ok(Listing { items, next_cursor })
}

fn alert_record(row: &Row<'_>) -> Result<AlertRecord, ScoringError> {
    let kind = row.text("kind")?;
    let status = row.text("status")?;
    let unexpected = |column: &str, expected, found: &str| StoreError::UnexpectedValue {
        column: column.to_owned(),
        expected,
        found: format!("{found:?}"),
    };

    Ok(AlertRecord {
        id: row.integer("id")?,
        customer_id: row.integer("customer_id")?,
        customer_name: row.text("customer_name")?.to_owned(),
        kind: AlertKind::parse(kind).ok_or_else(|| unexpected("kind", "an alert kind", kind))?,
        invoice_id: row.optional_integer("invoice_id")?,
        message: row.text("message")?.to_owned(),
        risk: real(row, "risk")?,
        raised_on: row.date("raised_on")?,
        status: AlertStatus::parse(status)
            .ok_or_else(|| unexpected("status", "open or reviewed", status))?,
        reviewed_at: row.optional_timestamp("reviewed_at")?,
    })
}

/// Marks an alert the caller may see as reviewed by `token_id`; reviewing
/// it again changes nothing.
pub fn review_alert(
    db: &impl Database,
    scope: &Scope,
    alert_id: i64,
    token_id: i64,
    now: DateTime<Utc>,
) -> Result<AlertRecord, ScoringError> {
    let (visible, scope_params) = scope_condition(scope);
    let mut params = vec![
        now.into(),
        Value::Integer(token_id),
        Value::Integer(alert_id),
    ];
    params.extend(scope_params);
    db.execute(
        &format!(
            "UPDATE scoring_alerts SET status = 'reviewed', reviewed_at = ?, reviewed_by = ?
             WHERE id = ? AND status = 'open'
               AND customer_id IN (SELECT c.id FROM customers c WHERE {visible})"
        ),
        &params,
    )?;

    let (visible, mut params) = scope_condition(scope);
    params.insert(0, Value::Integer(alert_id));
    let rows = db.execute(
        &format!(
            "SELECT {ALERT_COLUMNS} FROM scoring_alerts a JOIN customers c ON c.id = a.customer_id
             WHERE a.id = ? AND {visible}"
        ),
        &params,
    )?;
    let row = rows.first().ok_or_else(|| StoreError::NotFound {
        what: "alert",
        id: alert_id.to_string(),
    })?;
    alert_record(&row)
}
