//! Calibration: turning a model's raw log-odds into probabilities that mean
//! what they say (of invoices given 0.3, about 30 % are paid late), by Platt
//! scaling fitted on invoices the model was not trained on.

use serde::{Deserialize, Serialize};

use crate::linear::sigmoid;

/// The pull of the fit towards the identity mapping.
const RIDGE: f64 = 1e-3;

/// P(late) = σ(slope × log-odds + offset).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlattScaling {
    /// Stretches (above 1) or shrinks (below 1) the model's confidence.
    pub slope: f64,
    /// Moves every probability up or down.
    pub offset: f64,
}

impl PlattScaling {
    /// The mapping that changes nothing.
    pub const IDENTITY: PlattScaling = PlattScaling {
        slope: 1.0,
        offset: 0.0,
    };

    /// Fits slope and offset minimising log loss on held-out `log_odds` and
    /// their outcomes, with a small ridge towards the identity so a tiny
    /// held-out set cannot produce wild values. Returns
    /// the identity when the held-out set has only one outcome.
    pub fn fit(log_odds: &[f64], late: &[bool]) -> PlattScaling {
        let late_count = late.iter().filter(|late| **late).count();
        if late_count == 0 || late_count == late.len() || log_odds.len() != late.len() {
            return PlattScaling::IDENTITY;
        }

        // Newton's method from "every invoice at the base rate", halving a
        // step that would not lower the loss, so it cannot run away.
        let share = late_count as f64 / late.len() as f64;
        let mut current = PlattScaling {
            slope: 0.0,
            offset: (share / (1.0 - share)).ln(),
        };
        let mut loss = current.penalised_loss(log_odds, late);
        for _ in 0..100 {
            let (g_slope, g_offset, h_ss, h_so, h_oo) = current.derivatives(log_odds, late);
            let determinant = h_ss * h_oo - h_so * h_so;
            if determinant.abs() < 1e-12 {
                break;
            }
            let step_slope = (h_oo * g_slope - h_so * g_offset) / determinant;
            let step_offset = (h_ss * g_offset - h_so * g_slope) / determinant;

            let mut scale = 1.0;
            let mut improved = false;
            while scale > 1e-6 {
                let candidate = PlattScaling {
                    slope: current.slope - scale * step_slope,
                    offset: current.offset - scale * step_offset,
                };
                let candidate_loss = candidate.penalised_loss(log_odds, late);
                if candidate_loss <= loss {
                    (current, loss, improved) = (candidate, candidate_loss, true);
                    break;
                }
                scale /= 2.0;
            }
            if !improved || scale * step_slope.abs().max(step_offset.abs()) < 1e-10 {
                break;
            }
        }
        current
    }

    /// Log loss plus a tiny ridge towards the identity.
    fn penalised_loss(&self, log_odds: &[f64], late: &[bool]) -> f64 {
        let data: f64 = log_odds
            .iter()
            .zip(late)
            .map(|(score, late)| {
                let probability = self.probability(*score).clamp(1e-15, 1.0 - 1e-15);
                if *late {
                    -probability.ln()
                } else {
                    -(1.0 - probability).ln()
                }
            })
            .sum();
        data + RIDGE / 2.0 * ((self.slope - 1.0).powi(2) + self.offset.powi(2))
    }

    /// Gradient (slope, offset) and Hessian (ss, so, oo) of the penalised loss.
    fn derivatives(&self, log_odds: &[f64], late: &[bool]) -> (f64, f64, f64, f64, f64) {
        let (mut g_slope, mut g_offset) = (RIDGE * (self.slope - 1.0), RIDGE * self.offset);
        let (mut h_ss, mut h_so, mut h_oo) = (RIDGE, 0.0, RIDGE);
        for (score, late) in log_odds.iter().zip(late) {
            let probability = self.probability(*score);
            let residual = probability - if *late { 1.0 } else { 0.0 };
            let weight = (probability * (1.0 - probability)).max(1e-12);
            g_slope += residual * score;
            g_offset += residual;
            h_ss += weight * score * score;
            h_so += weight * score;
            h_oo += weight;
        }
        (g_slope, g_offset, h_ss, h_so, h_oo)
    }

    /// The calibrated probability of raw `log_odds`.
    pub fn probability(&self, log_odds: f64) -> f64 {
        sigmoid(self.slope * log_odds + self.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::calibration_error;

    /// Scores whose true probability is σ(score / 3): a model three times
    /// too sure of itself. Outcomes are spread evenly, not drawn at random,
    /// so the test is exact and deterministic.
    fn overconfident() -> (Vec<f64>, Vec<bool>) {
        let mut scores = Vec::new();
        let mut late = Vec::new();
        for step in -30..=30 {
            let score = f64::from(step) / 2.0;
            let truth = sigmoid(score / 3.0);
            let late_count = (truth * 100.0).round() as usize;
            for k in 0..100 {
                scores.push(score);
                late.push(k < late_count);
            }
        }
        (scores, late)
    }

    #[test]
    fn an_overconfident_model_is_calmed_down() {
        let (scores, late) = overconfident();

        let platt = PlattScaling::fit(&scores, &late);

        assert!((platt.slope - 1.0 / 3.0).abs() < 0.01, "{platt:?}");
        assert!(platt.offset.abs() < 0.01, "{platt:?}");
    }

    #[test]
    fn calibrated_probabilities_match_the_observed_late_share() {
        let (scores, late) = overconfident();
        let raw: Vec<f64> = scores.iter().map(|score| sigmoid(*score)).collect();
        let platt = PlattScaling::fit(&scores, &late);
        let calibrated: Vec<f64> = scores.iter().map(|s| platt.probability(*s)).collect();

        assert!(calibration_error(&raw, &late) > 0.05);
        assert!(calibration_error(&calibrated, &late) < 0.01);
    }

    #[test]
    fn one_outcome_only_leaves_probabilities_as_they_are() {
        assert_eq!(
            PlattScaling::fit(&[0.5, 1.0], &[true, true]),
            PlattScaling::IDENTITY
        );
    }
}
