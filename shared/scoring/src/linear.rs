//! Linear models on standardised features: an L2-regularised logistic
//! regression for "paid late", fitted by Newton's method, and a ridge
//! regression for days to settle, solved exactly.

use serde::{Deserialize, Serialize};

use crate::ScoringError;
use crate::features::{Feature, Features};

/// Centres each feature on its training mean and scales it to unit spread,
/// so one penalty weighs every feature alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardiser {
    means: Vec<f64>,
    spreads: Vec<f64>,
}

impl Standardiser {
    /// Learns means and spreads; a constant feature keeps a spread of 1.
    pub fn fit(rows: &[Features]) -> Standardiser {
        let count = rows.len().max(1) as f64;
        let mut means = vec![0.0; Feature::COUNT];
        for row in rows {
            for (mean, value) in means.iter_mut().zip(row.values) {
                *mean += value / count;
            }
        }

        let mut spreads = vec![0.0; Feature::COUNT];
        for row in rows {
            for ((spread, mean), value) in spreads.iter_mut().zip(&means).zip(row.values) {
                *spread += (value - mean).powi(2) / count;
            }
        }
        for spread in &mut spreads {
            *spread = if *spread > 1e-12 { spread.sqrt() } else { 1.0 };
        }
        Standardiser { means, spreads }
    }

    /// The standardised values of one row.
    pub fn apply(&self, row: &Features) -> Vec<f64> {
        row.values
            .iter()
            .zip(self.means.iter().zip(&self.spreads))
            .map(|(value, (mean, spread))| (value - mean) / spread)
            .collect()
    }
}

/// P(paid late) = σ(intercept + weights · standardised features).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticRegression {
    standardiser: Standardiser,
    intercept: f64,
    weights: Vec<f64>,
}

/// Reweighting rounds of the Huber regression.
const HUBER_ROUNDS: usize = 20;

/// Newton steps at most; each is exact on a quadratic, so few are needed.
const NEWTON_STEPS: usize = 50;

impl LogisticRegression {
    /// Fits the weights minimising log loss plus `l2` × ‖weights‖² / 2 (the
    /// intercept is not penalised).
    pub fn fit(rows: &[Features], late: &[bool], l2: f64) -> Result<Self, ScoringError> {
        check_lengths(rows.len(), late.len())?;
        let standardiser = Standardiser::fit(rows);
        let inputs: Vec<Vec<f64>> = rows.iter().map(|row| standardiser.apply(row)).collect();

        let size = Feature::COUNT + 1;
        let mut parameters = vec![0.0; size];
        for _ in 0..NEWTON_STEPS {
            let mut gradient = vec![0.0; size];
            let mut hessian = vec![0.0; size * size];
            for (input, late) in inputs.iter().zip(late) {
                let probability = sigmoid(linear(&parameters, input));
                let residual = probability - if *late { 1.0 } else { 0.0 };
                let weight = (probability * (1.0 - probability)).max(1e-9);
                accumulate(&mut gradient, &mut hessian, input, residual, weight);
            }
            penalise(&mut gradient, &mut hessian, &parameters, l2);

            let step = solve(hessian, gradient)?;
            let largest = step.iter().fold(0.0f64, |max, s| max.max(s.abs()));
            for (parameter, step) in parameters.iter_mut().zip(step) {
                *parameter -= step;
            }
            if largest < 1e-8 {
                break;
            }
        }

        Ok(LogisticRegression {
            standardiser,
            intercept: parameters[0],
            weights: parameters[1..].to_vec(),
        })
    }

    /// The log-odds of being paid late.
    pub fn log_odds(&self, row: &Features) -> f64 {
        self.intercept + dot(&self.weights, &self.standardiser.apply(row))
    }

    /// Each feature's share of the log-odds, measured from the average
    /// training invoice.
    pub fn contributions(&self, row: &Features) -> Vec<f64> {
        self.standardiser
            .apply(row)
            .iter()
            .zip(&self.weights)
            .map(|(value, weight)| value * weight)
            .collect()
    }
}

/// Days = intercept + weights · standardised features, least squares with an
/// L2 penalty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RidgeRegression {
    standardiser: Standardiser,
    intercept: f64,
    weights: Vec<f64>,
}

impl RidgeRegression {
    /// Solves the penalised normal equations once.
    pub fn fit(rows: &[Features], targets: &[f64], l2: f64) -> Result<Self, ScoringError> {
        check_lengths(rows.len(), targets.len())?;
        let standardiser = Standardiser::fit(rows);

        let size = Feature::COUNT + 1;
        let zero = vec![0.0; size];
        let mut gradient = vec![0.0; size];
        let mut hessian = vec![0.0; size * size];
        for (row, target) in rows.iter().zip(targets) {
            accumulate(
                &mut gradient,
                &mut hessian,
                &standardiser.apply(row),
                -target,
                1.0,
            );
        }
        penalise(&mut gradient, &mut hessian, &zero, l2);

        let parameters: Vec<f64> = solve(hessian, gradient)?.iter().map(|p| -p).collect();
        Ok(RidgeRegression {
            standardiser,
            intercept: parameters[0],
            weights: parameters[1..].to_vec(),
        })
    }

    /// Fits the Huber loss instead of least squares, by iteratively
    /// reweighted least squares: rows further than `delta` from their
    /// prediction weigh `delta / distance`, so outliers pull less.
    pub fn fit_huber(
        rows: &[Features],
        targets: &[f64],
        l2: f64,
        delta: f64,
    ) -> Result<Self, ScoringError> {
        check_lengths(rows.len(), targets.len())?;
        let standardiser = Standardiser::fit(rows);
        let inputs: Vec<Vec<f64>> = rows.iter().map(|row| standardiser.apply(row)).collect();

        let size = Feature::COUNT + 1;
        let zero = vec![0.0; size];
        let mut weights = vec![1.0; rows.len()];
        let mut parameters = vec![0.0; size];
        for _ in 0..HUBER_ROUNDS {
            let mut gradient = vec![0.0; size];
            let mut hessian = vec![0.0; size * size];
            for ((input, target), weight) in inputs.iter().zip(targets).zip(&weights) {
                accumulate(
                    &mut gradient,
                    &mut hessian,
                    input,
                    -target * weight,
                    *weight,
                );
            }
            penalise(&mut gradient, &mut hessian, &zero, l2);
            parameters = solve(hessian, gradient)?.iter().map(|p| -p).collect();

            for ((input, target), weight) in inputs.iter().zip(targets).zip(weights.iter_mut()) {
                let distance = (linear(&parameters, input) - target).abs();
                *weight = if distance <= delta {
                    1.0
                } else {
                    delta / distance
                };
            }
        }

        Ok(RidgeRegression {
            standardiser,
            intercept: parameters[0],
            weights: parameters[1..].to_vec(),
        })
    }

    /// The predicted value.
    pub fn predict(&self, row: &Features) -> f64 {
        self.intercept + dot(&self.weights, &self.standardiser.apply(row))
    }
}

fn check_lengths(rows: usize, labels: usize) -> Result<(), ScoringError> {
    if rows == labels {
        Ok(())
    } else {
        Err(ScoringError::MismatchedLabels { rows, labels })
    }
}

/// The logistic function.
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn dot(weights: &[f64], input: &[f64]) -> f64 {
    weights.iter().zip(input).map(|(w, x)| w * x).sum()
}

/// parameters[0] is the intercept, the rest pair with `input`.
fn linear(parameters: &[f64], input: &[f64]) -> f64 {
    parameters[0] + dot(&parameters[1..], input)
}

/// Adds one row to the gradient and Hessian of a loss whose derivative at
/// this row is `residual` and second derivative `weight`.
fn accumulate(
    gradient: &mut [f64],
    hessian: &mut [f64],
    input: &[f64],
    residual: f64,
    weight: f64,
) {
    let size = gradient.len();
    let value = |index: usize| if index == 0 { 1.0 } else { input[index - 1] };

    for i in 0..size {
        let vi = value(i);
        gradient[i] += residual * vi;
        for j in 0..=i {
            hessian[i * size + j] += weight * vi * value(j);
        }
    }
}

/// Adds the L2 penalty (not on the intercept) and mirrors the lower
/// triangle of the Hessian into the upper one.
fn penalise(gradient: &mut [f64], hessian: &mut [f64], parameters: &[f64], l2: f64) {
    let size = gradient.len();
    for i in 1..size {
        gradient[i] += l2 * parameters[i];
        hessian[i * size + i] += l2;
    }
    for i in 0..size {
        for j in 0..i {
            hessian[j * size + i] = hessian[i * size + j];
        }
    }
}

/// Solves `matrix · x = vector` for a symmetric positive-definite matrix
/// (row-major) by Cholesky factorisation.
pub(crate) fn solve(mut matrix: Vec<f64>, vector: Vec<f64>) -> Result<Vec<f64>, ScoringError> {
    let size = vector.len();

    for j in 0..size {
        let mut diagonal = matrix[j * size + j];
        for k in 0..j {
            diagonal -= matrix[j * size + k].powi(2);
        }
        if diagonal <= 1e-12 || !diagonal.is_finite() {
            return Err(ScoringError::Degenerate {
                what: "the normal equations of a linear model",
            });
        }
        let diagonal = diagonal.sqrt();
        matrix[j * size + j] = diagonal;
        for i in j + 1..size {
            let mut value = matrix[i * size + j];
            for k in 0..j {
                value -= matrix[i * size + k] * matrix[j * size + k];
            }
            matrix[i * size + j] = value / diagonal;
        }
    }

    // Forward then backward substitution through L and Lᵀ.
    let mut y = vector;
    for i in 0..size {
        for k in 0..i {
            y[i] -= matrix[i * size + k] * y[k];
        }
        y[i] /= matrix[i * size + i];
    }
    for i in (0..size).rev() {
        for k in i + 1..size {
            y[i] -= matrix[k * size + i] * y[k];
        }
        y[i] /= matrix[i * size + i];
    }
    Ok(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(first: f64, second: f64) -> Features {
        let mut values = [0.0; Feature::COUNT];
        values[0] = first;
        values[1] = second;
        Features { values }
    }

    #[test]
    fn a_separable_toy_set_is_learned() {
        // Late exactly when the first feature is above 5.
        let rows: Vec<Features> = (0..40).map(|i| row(f64::from(i % 10), 1.0)).collect();
        let late: Vec<bool> = rows.iter().map(|row| row.values[0] > 5.0).collect();

        let model = LogisticRegression::fit(&rows, &late, 0.01).expect("fit");

        for (row, late) in rows.iter().zip(&late) {
            let probability = sigmoid(model.log_odds(row));
            assert_eq!(
                probability > 0.5,
                *late,
                "{:?} → {probability}",
                row.values[0]
            );
        }
        assert!(sigmoid(model.log_odds(&row(9.0, 1.0))) > 0.95);
        assert!(sigmoid(model.log_odds(&row(0.0, 1.0))) < 0.05);
    }

    #[test]
    fn a_stronger_penalty_shrinks_the_weights() {
        let rows: Vec<Features> = (0..40).map(|i| row(f64::from(i % 10), 0.0)).collect();
        let late: Vec<bool> = rows.iter().map(|row| row.values[0] > 5.0).collect();

        let loose = LogisticRegression::fit(&rows, &late, 0.01).expect("fit");
        let tight = LogisticRegression::fit(&rows, &late, 100.0).expect("fit");

        assert!(tight.weights[0].abs() < loose.weights[0].abs());
    }

    #[test]
    fn ridge_regression_recovers_a_linear_rule() {
        let rows: Vec<Features> = (0..50)
            .map(|i| row(f64::from(i), f64::from(i % 7)))
            .collect();
        let targets: Vec<f64> = rows
            .iter()
            .map(|row| 3.0 + 2.0 * row.values[0] - row.values[1])
            .collect();

        let model = RidgeRegression::fit(&rows, &targets, 1e-6).expect("fit");

        assert!((model.predict(&row(10.0, 3.0)) - 20.0).abs() < 1e-3);
    }

    #[test]
    fn rows_and_labels_must_pair_up() {
        let error = LogisticRegression::fit(&[row(1.0, 1.0)], &[], 1.0).expect_err("no label");
        assert!(error.to_string().contains("1 rows"), "{error}");
    }

    #[test]
    fn cholesky_solves_a_small_system() {
        // [[4, 2], [2, 3]] x = [2, 1] → x = [0.5, 0]
        let x = solve(vec![4.0, 2.0, 2.0, 3.0], vec![2.0, 1.0]).expect("solved");
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12, "{x:?}");
    }
}
