//! The payment model: which invoices will be paid late and how many days
//! each takes to settle, trained on the ledger's own history and chosen by
//! measurement between a regularised logistic regression and boosted trees
//! (for lateness) and between ridge regression and boosted trees (for days),
//! with calibrated probabilities.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ScoringError;
use crate::calibration::PlattScaling;
use crate::features::{Feature, Features, features_at, median};
use crate::history::{Billing, InvoiceFacts, Ledger};
use crate::linear::{LogisticRegression, RidgeRegression};
use crate::metrics::{ClassifierMetrics, RegressionMetrics, mae};
use crate::reasons::{Reason, top_reasons};
use crate::trees::{BoostedTrees, Loss, TreeSettings};

/// One invoice whose outcome is known, as the model learns from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// The invoice.
    pub invoice_id: i64,
    /// Its customer.
    pub customer_id: i64,
    /// Its issue date: examples are ordered by it.
    pub issue_date: NaiveDate,
    /// Its features on its issue date.
    pub features: Features,
    /// Whether it was (or, still open past its due date, is) paid late.
    pub late: bool,
    /// Days from issue to settlement; `None` while it is still open.
    pub days_to_settle: Option<f64>,
}

/// The invoices of `ledger` whose outcome is known before `as_of`, each
/// described as it stood on its issue date, oldest first.
///
/// Settled invoices give both labels; invoices still open past their due
/// date are late for certain and teach lateness only; invoices open and not
/// yet due teach nothing yet.
pub fn training_examples(ledger: &Ledger, as_of: NaiveDate) -> Vec<Example> {
    let mut examples = Vec::new();

    for (customer_id, invoices) in ledger.customers() {
        for invoice in invoices.iter().filter(|invoice| invoice.issue_date < as_of) {
            let (late, days_to_settle) = if invoice.settled_before(as_of) {
                (
                    invoice.paid_late().unwrap_or(false),
                    invoice.days_to_settle().map(|days| days as f64),
                )
            } else if invoice.due_date < as_of {
                (true, None)
            } else {
                continue;
            };

            examples.push(Example {
                invoice_id: invoice.invoice_id,
                customer_id,
                issue_date: invoice.issue_date,
                features: features_at(invoices, invoice, invoice.issue_date),
                late,
                days_to_settle,
            });
        }
    }

    examples.sort_by_key(|example| (example.issue_date, example.invoice_id));
    examples
}

/// A fingerprint of the examples: the same ledger history gives the same
/// text, so training twice on it can be recognised.
pub fn fingerprint(examples: &[Example]) -> String {
    let mut hasher = Sha256::new();
    for example in examples {
        hasher.update(example.invoice_id.to_le_bytes());
        for value in example.features.values {
            hasher.update(value.to_le_bytes());
        }
        hasher.update([u8::from(example.late)]);
        hasher.update(example.days_to_settle.unwrap_or(-1.0).to_le_bytes());
    }
    hex::encode(hasher.finalize())
}

/// How training goes.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingSettings {
    /// Share of the (most recent) examples held out to choose and calibrate.
    pub validation_share: f64,
    /// The fewest examples worth training on.
    pub minimum_examples: usize,
    /// L2 penalty of the logistic regression.
    pub logistic_l2: f64,
    /// L2 penalty of the ridge regression.
    pub ridge_l2: f64,
    /// The trees for lateness.
    pub classifier_trees: TreeSettings,
    /// The trees for days to settle.
    pub regressor_trees: TreeSettings,
    /// Where the Huber loss of the days regression turns linear, in days.
    pub huber_delta: f64,
}

impl Default for TrainingSettings {
    fn default() -> Self {
        TrainingSettings {
            validation_share: 0.2,
            minimum_examples: 30,
            logistic_l2: 1.0,
            ridge_l2: 1.0,
            classifier_trees: TreeSettings::default(),
            regressor_trees: TreeSettings::default(),
            huber_delta: 5.0,
        }
    }
}

/// The lateness model chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classifier {
    /// Regularised logistic regression.
    Logistic(LogisticRegression),
    /// Gradient-boosted trees on the logistic loss.
    Trees(BoostedTrees),
}

impl Classifier {
    /// Its name in metrics and the API.
    pub fn name(&self) -> &'static str {
        match self {
            Classifier::Logistic(_) => "logistic_regression",
            Classifier::Trees(_) => "gradient_boosted_trees",
        }
    }

    fn log_odds(&self, features: &Features) -> f64 {
        match self {
            Classifier::Logistic(model) => model.log_odds(features),
            Classifier::Trees(model) => model.predict(features),
        }
    }

    fn contributions(&self, features: &Features) -> Vec<f64> {
        match self {
            Classifier::Logistic(model) => model.contributions(features),
            Classifier::Trees(model) => model.contributions(features),
        }
    }
}

/// The days-to-settle model chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regressor {
    /// Ridge regression.
    Ridge(RidgeRegression),
    /// Linear regression on the Huber loss, with the ridge penalty.
    Huber(RidgeRegression),
    /// Gradient-boosted trees (squared or Huber loss).
    Trees(BoostedTrees),
}

impl Regressor {
    /// Its name in metrics and the API.
    pub fn name(&self) -> &'static str {
        match self {
            Regressor::Ridge(_) => "ridge_regression",
            Regressor::Huber(_) => "huber_regression",
            Regressor::Trees(model) => match model.loss() {
                Loss::Huber { .. } => "gradient_boosted_trees_huber",
                _ => "gradient_boosted_trees_squared",
            },
        }
    }

    fn days(&self, features: &Features) -> f64 {
        match self {
            Regressor::Ridge(model) | Regressor::Huber(model) => model.predict(features),
            Regressor::Trees(model) => model.predict(features),
        }
    }
}

/// One candidate's figures on the validation invoices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The model's name.
    pub model: String,
    /// Lateness figures (for classifiers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lateness: Option<ClassifierMetrics>,
    /// Days figures (for regressions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<RegressionMetrics>,
}

/// What training measured, stored with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMetrics {
    /// Examples the final model was trained on.
    pub training_invoices: usize,
    /// Most recent examples held out to choose and calibrate.
    pub validation_invoices: usize,
    /// Share of training examples paid late.
    pub late_share: f64,
    /// The chosen classifier, calibrated, on the validation invoices (the
    /// calibration was fitted on them too).
    pub lateness: ClassifierMetrics,
    /// The chosen regression on the validation invoices.
    pub days: RegressionMetrics,
    /// Days MAE of predicting the training mean, for comparison.
    pub days_baseline_mae: f64,
    /// Every model tried, on the validation invoices.
    pub candidates: Vec<Candidate>,
}

/// The trained model, stored as JSON and loaded by every scoring run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentModel {
    /// The features, in the order the model reads them.
    pub features: Vec<Feature>,
    /// Lateness.
    pub classifier: Classifier,
    /// Maps the classifier's log-odds to calibrated probabilities.
    pub calibration: PlattScaling,
    /// Days to settle.
    pub regressor: Regressor,
    /// What training measured.
    pub metrics: ModelMetrics,
}

/// A prediction for one open invoice.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InvoiceScore {
    /// Calibrated probability that it is paid after its due date (1 when it
    /// already is overdue).
    pub probability_late: f64,
    /// The day it is expected to be paid.
    pub expected_payment_date: NaiveDate,
}

/// A customer's score: how likely its next invoice is paid late, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRisk {
    /// Probability (0 to 1) that its next invoice is paid late.
    pub risk: f64,
    /// The features that move the risk most, strongest first.
    pub reasons: Vec<Reason>,
}

/// An overdue invoice whose predicted day has passed is expected within
/// this many days: the model learned from invoices as issued and cannot
/// tell how much later than its habit a customer will go.
const OVERDUE_HORIZON_DAYS: u64 = 7;

/// How many reasons a customer score gives.
const REASONS: usize = 3;

impl PaymentModel {
    /// Trains on `examples` (oldest first): candidates are fitted on the
    /// older part, measured and calibrated on the most recent part, and the
    /// chosen ones refitted on everything.
    pub fn train(examples: &[Example], settings: &TrainingSettings) -> Result<Self, ScoringError> {
        check_examples(examples, settings)?;
        let held_out = ((examples.len() as f64) * settings.validation_share).round() as usize;
        let split = examples.len() - held_out.clamp(1, examples.len() - 1);
        let (fitting, validation) = examples.split_at(split);

        // Lateness: the candidate with the best ranking wins, then calibrated.
        let rows = |set: &[Example]| -> Vec<Features> { set.iter().map(|e| e.features).collect() };
        let late = |set: &[Example]| -> Vec<bool> { set.iter().map(|e| e.late).collect() };
        let validation_rows = rows(validation);
        let validation_late = late(validation);
        let mut candidates = Vec::new();
        let mut best: Option<(Classifier, Vec<f64>, ClassifierMetrics)> = None;
        for classifier in fit_classifiers(&rows(fitting), &late(fitting), settings)? {
            let log_odds: Vec<f64> = validation_rows
                .iter()
                .map(|r| classifier.log_odds(r))
                .collect();
            let raw: Vec<f64> = log_odds
                .iter()
                .map(|x| PlattScaling::IDENTITY.probability(*x))
                .collect();
            let measured = ClassifierMetrics::measure(&raw, &validation_late);
            candidates.push(Candidate {
                model: classifier.name().to_owned(),
                lateness: Some(measured),
                days: None,
            });
            if best
                .as_ref()
                .is_none_or(|(_, _, champion)| ranks_better(&measured, champion))
            {
                best = Some((classifier, log_odds, measured));
            }
        }
        let (chosen, validation_log_odds, _) = best.ok_or(ScoringError::Degenerate {
            what: "the choice of a lateness model",
        })?;
        let calibration = PlattScaling::fit(&validation_log_odds, &validation_late);
        let calibrated: Vec<f64> = validation_log_odds
            .iter()
            .map(|x| calibration.probability(*x))
            .collect();
        let lateness = ClassifierMetrics::measure(&calibrated, &validation_late);

        // Days to settle: the lowest mean absolute error wins.
        let settled = |set: &[Example]| -> (Vec<Features>, Vec<f64>) {
            set.iter()
                .filter_map(|e| e.days_to_settle.map(|days| (e.features, days)))
                .unzip()
        };
        let (fit_rows, fit_days) = settled(fitting);
        let (check_rows, check_days) = settled(validation);
        let mut best_days: Option<(RegressorKind, RegressionMetrics)> = None;
        for kind in RegressorKind::ALL {
            let model = kind.fit(&fit_rows, &fit_days, settings)?;
            let predicted: Vec<f64> = check_rows.iter().map(|row| model.days(row)).collect();
            let measured = RegressionMetrics::measure(&predicted, &check_days);
            candidates.push(Candidate {
                model: model.name().to_owned(),
                lateness: None,
                days: Some(measured),
            });
            if best_days
                .as_ref()
                .is_none_or(|(_, champion)| measured.mae < champion.mae)
            {
                best_days = Some((kind, measured));
            }
        }
        let (days_kind, days) = best_days.ok_or(ScoringError::Degenerate {
            what: "the choice of a days-to-settle model",
        })?;
        let fit_mean = fit_days.iter().sum::<f64>() / fit_days.len().max(1) as f64;
        let days_baseline_mae = mae(&vec![fit_mean; check_days.len()], &check_days);

        // The chosen models, refitted on every example.
        let classifier = refit_classifier(&chosen, &rows(examples), &late(examples), settings)?;
        let (all_rows, all_days) = settled(examples);
        let regressor = days_kind.fit(&all_rows, &all_days, settings)?;

        let late_count = examples.iter().filter(|e| e.late).count();
        Ok(PaymentModel {
            features: Feature::ALL.to_vec(),
            classifier,
            calibration,
            regressor,
            metrics: ModelMetrics {
                training_invoices: examples.len(),
                validation_invoices: validation.len(),
                late_share: late_count as f64 / examples.len() as f64,
                lateness,
                days,
                days_baseline_mae,
                candidates,
            },
        })
    }

    /// Refuses a stored model whose features are not today's: it must be
    /// trained again.
    pub fn check_features(&self) -> Result<(), ScoringError> {
        if self.features == Feature::ALL {
            Ok(())
        } else {
            Err(ScoringError::OutdatedModel {
                features: self.features.len(),
            })
        }
    }

    /// The calibrated probability that an invoice with these features is
    /// paid late.
    pub fn probability_late(&self, features: &Features) -> f64 {
        self.calibration
            .probability(self.classifier.log_odds(features))
    }

    /// Predicted days from issue to settlement, never below zero.
    pub fn days_to_settle(&self, features: &Features) -> f64 {
        self.regressor.days(features).max(0.0)
    }

    /// Scores an open invoice on `as_of` from its customer's `history`.
    pub fn score_invoice(
        &self,
        history: &[InvoiceFacts],
        invoice: &InvoiceFacts,
        as_of: NaiveDate,
    ) -> InvoiceScore {
        let cutoff = as_of.max(invoice.issue_date);
        let features = features_at(history, invoice, cutoff);
        let days = self.days_to_settle(&features).round() as u64;
        let predicted = invoice
            .issue_date
            .checked_add_days(Days::new(days))
            .unwrap_or(invoice.issue_date);

        if invoice.due_date < as_of {
            let soonest = as_of
                .checked_add_days(Days::new(OVERDUE_HORIZON_DAYS))
                .unwrap_or(as_of);
            return InvoiceScore {
                probability_late: 1.0,
                expected_payment_date: predicted.max(soonest),
            };
        }
        InvoiceScore {
            probability_late: self.probability_late(&features),
            expected_payment_date: predicted.max(cutoff),
        }
    }

    /// The customer's risk on `as_of`: the probability that an invoice it
    /// would be sent that day (its usual amount, billing and terms) is paid
    /// late, with the reasons. `None` for a customer without invoices.
    pub fn customer_risk(
        &self,
        history: &[InvoiceFacts],
        as_of: NaiveDate,
    ) -> Option<CustomerRisk> {
        let next = next_invoice(history, as_of)?;
        let features = features_at(history, &next, as_of);
        let contributions = self.classifier.contributions(&features);

        Some(CustomerRisk {
            risk: self.probability_late(&features),
            reasons: top_reasons(&features, &contributions, REASONS),
        })
    }
}

/// The invoice a customer would typically be sent on `as_of`.
fn next_invoice(history: &[InvoiceFacts], as_of: NaiveDate) -> Option<InvoiceFacts> {
    let known: Vec<&InvoiceFacts> = history.iter().filter(|i| i.issue_date <= as_of).collect();
    let latest = known.last().copied().or(history.first())?;
    let mut amounts: Vec<f64> = known.iter().map(|invoice| invoice.amount).collect();
    let terms = u64::try_from(latest.terms_days()).unwrap_or(0);

    Some(InvoiceFacts {
        invoice_id: 0,
        customer_id: latest.customer_id,
        number: String::new(),
        issue_date: as_of,
        due_date: as_of.checked_add_days(Days::new(terms)).unwrap_or(as_of),
        amount: median(&mut amounts).unwrap_or(latest.amount),
        billing: if known.is_empty() {
            Billing::Unknown
        } else {
            latest.billing
        },
        disputed_on: None,
        payment_dates: Vec::new(),
        settled_on: None,
        reminder_dates: Vec::new(),
    })
}

fn check_examples(examples: &[Example], settings: &TrainingSettings) -> Result<(), ScoringError> {
    let settled = examples
        .iter()
        .filter(|e| e.days_to_settle.is_some())
        .count();
    if examples.len() < settings.minimum_examples.max(2) || settled < 2 {
        return Err(ScoringError::TooFewExamples {
            found: examples.len(),
            needed: settings.minimum_examples,
        });
    }

    let late = examples.iter().filter(|e| e.late).count();
    if late == 0 || late == examples.len() {
        return Err(ScoringError::SingleOutcome {
            examples: examples.len(),
            late,
        });
    }
    Ok(())
}

/// Better ranking (AUC) first; a missing AUC loses; log loss breaks ties.
fn ranks_better(candidate: &ClassifierMetrics, champion: &ClassifierMetrics) -> bool {
    match (candidate.auc, champion.auc) {
        (Some(a), Some(b)) if (a - b).abs() > 1e-9 => a > b,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        _ => candidate.log_loss < champion.log_loss,
    }
}

fn fit_classifiers(
    rows: &[Features],
    late: &[bool],
    settings: &TrainingSettings,
) -> Result<Vec<Classifier>, ScoringError> {
    let targets: Vec<f64> = late.iter().map(|late| f64::from(u8::from(*late))).collect();
    Ok(vec![
        Classifier::Logistic(LogisticRegression::fit(rows, late, settings.logistic_l2)?),
        Classifier::Trees(BoostedTrees::fit(
            rows,
            &targets,
            Loss::Logistic,
            &settings.classifier_trees,
        )?),
    ])
}

fn refit_classifier(
    chosen: &Classifier,
    rows: &[Features],
    late: &[bool],
    settings: &TrainingSettings,
) -> Result<Classifier, ScoringError> {
    Ok(match chosen {
        Classifier::Logistic(_) => {
            Classifier::Logistic(LogisticRegression::fit(rows, late, settings.logistic_l2)?)
        }
        Classifier::Trees(_) => {
            let targets: Vec<f64> = late.iter().map(|late| f64::from(u8::from(*late))).collect();
            Classifier::Trees(BoostedTrees::fit(
                rows,
                &targets,
                Loss::Logistic,
                &settings.classifier_trees,
            )?)
        }
    })
}

/// The days-to-settle models tried.
#[derive(Debug, Clone, Copy, PartialEq)]
enum RegressorKind {
    Ridge,
    HuberLinear,
    SquaredTrees,
    HuberTrees,
}

impl RegressorKind {
    const ALL: [RegressorKind; 4] = [
        RegressorKind::Ridge,
        RegressorKind::HuberLinear,
        RegressorKind::SquaredTrees,
        RegressorKind::HuberTrees,
    ];

    fn fit(
        self,
        rows: &[Features],
        days: &[f64],
        settings: &TrainingSettings,
    ) -> Result<Regressor, ScoringError> {
        let trees = |loss| BoostedTrees::fit(rows, days, loss, &settings.regressor_trees);
        Ok(match self {
            RegressorKind::Ridge => {
                Regressor::Ridge(RidgeRegression::fit(rows, days, settings.ridge_l2)?)
            }
            RegressorKind::HuberLinear => Regressor::Huber(RidgeRegression::fit_huber(
                rows,
                days,
                settings.ridge_l2,
                settings.huber_delta,
            )?),
            RegressorKind::SquaredTrees => Regressor::Trees(trees(Loss::Squared)?),
            RegressorKind::HuberTrees => Regressor::Trees(trees(Loss::Huber {
                delta: settings.huber_delta,
            })?),
        })
    }
}
