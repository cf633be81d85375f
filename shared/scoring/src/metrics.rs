//! How good predictions are: AUC, accuracy, Brier score, log loss and
//! calibration error for "paid late"; mean absolute and root mean square
//! error for days to settle.

use serde::{Deserialize, Serialize};

/// Area under the ROC curve: the chance that a late invoice is given a
/// higher probability than an invoice paid on time (ties count half).
/// `None` when one of the two outcomes is missing.
pub fn auc(probabilities: &[f64], late: &[bool]) -> Option<f64> {
    let mut ranked: Vec<(f64, bool)> = probabilities
        .iter()
        .copied()
        .zip(late.iter().copied())
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));

    let positives = ranked.iter().filter(|(_, late)| *late).count() as f64;
    let negatives = ranked.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }

    // Sum of the (tie-averaged, 1-based) ranks of the late invoices.
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < ranked.len() {
        let mut end = start;
        while end + 1 < ranked.len() && ranked[end + 1].0 == ranked[start].0 {
            end += 1;
        }
        let average_rank = (start + end) as f64 / 2.0 + 1.0;
        let tied_late = ranked[start..=end].iter().filter(|(_, late)| *late).count();
        rank_sum += average_rank * tied_late as f64;
        start = end + 1;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// Share of invoices on the right side of 0.5.
pub fn accuracy(probabilities: &[f64], late: &[bool]) -> f64 {
    let right = probabilities
        .iter()
        .zip(late)
        .filter(|(probability, late)| (**probability >= 0.5) == **late)
        .count();
    right as f64 / probabilities.len().max(1) as f64
}

/// Mean squared distance between probability and outcome.
pub fn brier(probabilities: &[f64], late: &[bool]) -> f64 {
    mean(
        probabilities
            .iter()
            .zip(late)
            .map(|(p, late)| (p - outcome(*late)).powi(2)),
    )
}

/// Mean negative log-likelihood of the outcomes.
pub fn log_loss(probabilities: &[f64], late: &[bool]) -> f64 {
    mean(probabilities.iter().zip(late).map(|(p, late)| {
        let p = p.clamp(1e-12, 1.0 - 1e-12);
        if *late { -p.ln() } else { -(1.0 - p).ln() }
    }))
}

/// Expected calibration error over ten equal-width bins: the gap between
/// the mean probability and the late share in each bin, weighted by size.
pub fn calibration_error(probabilities: &[f64], late: &[bool]) -> f64 {
    let mut bins = [(0.0, 0.0, 0usize); 10];
    for (probability, late) in probabilities.iter().zip(late) {
        let bin = ((probability * 10.0) as usize).min(9);
        bins[bin].0 += probability;
        bins[bin].1 += outcome(*late);
        bins[bin].2 += 1;
    }

    let total = probabilities.len().max(1) as f64;
    bins.iter()
        .filter(|(_, _, count)| *count > 0)
        .map(|(sum, lates, _)| (sum - lates).abs() / total)
        .sum()
}

/// Mean absolute error.
pub fn mae(predictions: &[f64], actual: &[f64]) -> f64 {
    mean(predictions.iter().zip(actual).map(|(p, a)| (p - a).abs()))
}

/// Root mean square error.
pub fn rmse(predictions: &[f64], actual: &[f64]) -> f64 {
    mean(predictions.iter().zip(actual).map(|(p, a)| (p - a).powi(2))).sqrt()
}

fn outcome(late: bool) -> f64 {
    if late { 1.0 } else { 0.0 }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(sum, count), v| (sum + v, count + 1));
    sum / count.max(1) as f64
}

/// The measured quality of a late-payment classifier on some invoices.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassifierMetrics {
    /// Invoices measured on.
    pub invoices: usize,
    /// Area under the ROC curve (`None` with a single outcome).
    pub auc: Option<f64>,
    /// Share classified right at 0.5.
    pub accuracy: f64,
    /// Brier score.
    pub brier: f64,
    /// Log loss.
    pub log_loss: f64,
    /// Expected calibration error.
    pub calibration_error: f64,
}

impl ClassifierMetrics {
    /// Measures `probabilities` against the outcomes.
    pub fn measure(probabilities: &[f64], late: &[bool]) -> ClassifierMetrics {
        ClassifierMetrics {
            invoices: late.len(),
            auc: auc(probabilities, late),
            accuracy: accuracy(probabilities, late),
            brier: brier(probabilities, late),
            log_loss: log_loss(probabilities, late),
            calibration_error: calibration_error(probabilities, late),
        }
    }
}

/// The measured quality of a days-to-settle regression.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    /// Invoices measured on.
    pub invoices: usize,
    /// Mean absolute error, in days.
    pub mae: f64,
    /// Root mean square error, in days.
    pub rmse: f64,
}

impl RegressionMetrics {
    /// Measures `predictions` against the actual days.
    pub fn measure(predictions: &[f64], actual: &[f64]) -> RegressionMetrics {
        RegressionMetrics {
            invoices: actual.len(),
            mae: mae(predictions, actual),
            rmse: rmse(predictions, actual),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_the_pairs_ranked_right() {
        // (probabilities, outcomes, AUC)
        let table: [(&[f64], &[bool], Option<f64>); 5] = [
            (
                &[0.1, 0.2, 0.8, 0.9],
                &[false, false, true, true],
                Some(1.0),
            ),
            (
                &[0.9, 0.8, 0.2, 0.1],
                &[false, false, true, true],
                Some(0.0),
            ),
            (
                &[0.5, 0.5, 0.5, 0.5],
                &[false, true, false, true],
                Some(0.5),
            ),
            (
                &[0.1, 0.4, 0.35, 0.8],
                &[false, false, true, true],
                Some(0.75),
            ),
            (&[0.1, 0.2], &[true, true], None),
        ];

        for (probabilities, late, expected) in table {
            assert_eq!(auc(probabilities, late), expected, "{probabilities:?}");
        }
    }

    #[test]
    fn accuracy_brier_and_log_loss_of_a_small_set() {
        let probabilities = [0.9, 0.2, 0.6, 0.4];
        let late = [true, false, false, true];

        assert_eq!(accuracy(&probabilities, &late), 0.5);
        let expected_brier = (0.01 + 0.04 + 0.36 + 0.36) / 4.0;
        assert!((brier(&probabilities, &late) - expected_brier).abs() < 1e-12);
        let expected_loss = -(0.9f64.ln() + 0.8f64.ln() + 0.4f64.ln() + 0.4f64.ln()) / 4.0;
        assert!((log_loss(&probabilities, &late) - expected_loss).abs() < 1e-12);
    }

    #[test]
    fn calibration_error_is_zero_when_probabilities_match_the_late_share() {
        let probabilities = [0.25; 8];
        let matching = [true, false, false, false, true, false, false, false];
        let all_late = [true; 8];

        assert!(calibration_error(&probabilities, &matching).abs() < 1e-12);
        assert!((calibration_error(&probabilities, &all_late) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn errors_in_days() {
        let predicted = [10.0, 20.0, 30.0];
        let actual = [12.0, 20.0, 26.0];

        assert_eq!(mae(&predicted, &actual), 2.0);
        assert!((rmse(&predicted, &actual) - (20.0f64 / 3.0).sqrt()).abs() < 1e-12);
    }
}
