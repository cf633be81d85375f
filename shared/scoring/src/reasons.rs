//! The reasons behind a score, in the words a credit controller would use:
//! the features that move the customer's risk most, each told from its own
//! value ("paid 7 of its 12 settled invoices after the due date").

use serde::{Deserialize, Serialize};

use crate::features::{Feature, Features};

/// Whether a reason makes late payment more or less likely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Makes late payment more likely.
    RaisesRisk,
    /// Makes late payment less likely.
    LowersRisk,
}

/// One reason behind a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The feature it comes from.
    pub feature: Feature,
    /// Which way it pushes.
    pub effect: Effect,
    /// Its weight on the log-odds of paying late.
    pub weight: f64,
    /// The reason in plain words.
    pub text: String,
}

/// The `count` features with the largest contributions (either way),
/// strongest first; the two month features count as one.
pub fn top_reasons(features: &Features, contributions: &[f64], count: usize) -> Vec<Reason> {
    let mut weights: Vec<(Feature, f64)> = Feature::ALL
        .iter()
        .zip(contributions)
        .map(|(feature, weight)| (*feature, *weight))
        .collect();
    merge_month(&mut weights);
    weights.retain(|(_, weight)| weight.abs() > 1e-6);
    weights.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));

    weights
        .into_iter()
        .take(count)
        .map(|(feature, weight)| Reason {
            feature,
            effect: if weight > 0.0 {
                Effect::RaisesRisk
            } else {
                Effect::LowersRisk
            },
            weight,
            text: describe(feature, features),
        })
        .collect()
}

fn merge_month(weights: &mut Vec<(Feature, f64)>) {
    let cosine: f64 = weights
        .iter()
        .filter(|(feature, _)| *feature == Feature::MonthCosine)
        .map(|(_, weight)| weight)
        .sum();
    weights.retain(|(feature, _)| *feature != Feature::MonthCosine);
    for (feature, weight) in weights.iter_mut() {
        if *feature == Feature::MonthSine {
            *weight += cosine;
        }
    }
}

/// A count stored as ln(1 + n).
fn count(features: &Features, feature: Feature) -> u64 {
    features.get(feature).exp_m1().round().max(0.0) as u64
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Days after (or before) the due date, in words.
fn delay(days: f64) -> String {
    let rounded = days.round() as i64;
    match rounded {
        0 => "on the due date".to_owned(),
        1 => "1 day after the due date".to_owned(),
        -1 => "1 day before the due date".to_owned(),
        n if n > 0 => format!("{n} days after the due date"),
        n => format!("{} days before the due date", -n),
    }
}

/// The sentence for one feature, from its value.
fn describe(feature: Feature, features: &Features) -> String {
    let value = features.get(feature);
    let settled = count(features, Feature::SettledInvoices);
    let share_of_settled = |share: f64| (share * settled as f64).round() as u64;

    match feature {
        Feature::SettledInvoices => format!(
            "has a payment history of {}",
            plural(settled, "settled invoice", "settled invoices")
        ),
        Feature::NoHistory => {
            if value > 0.5 {
                "has no settled invoice yet to judge its habits by".to_owned()
            } else {
                "has settled invoices to judge its habits by".to_owned()
            }
        }
        Feature::LateShare => format!(
            "paid {} of its {} after the due date",
            share_of_settled(value),
            plural(settled, "settled invoice", "settled invoices")
        ),
        Feature::MeanDaysLate => format!(
            "pays {:.0} days late on average, counting on-time payments as 0",
            value
        ),
        Feature::MeanDelay => format!("usually pays {}", delay(value)),
        Feature::DelaySpread => format!(
            "its payment days vary by about {:.0} days from one invoice to the next",
            value
        ),
        Feature::MeanDaysToSettle => format!("takes {value:.0} days on average to pay an invoice"),
        Feature::RecentDelay => format!("paid its latest invoices {} on average", delay(value)),
        Feature::DelayTrend => {
            let days = value.round() as i64;
            match days {
                0 => "pays as late as it always has".to_owned(),
                n if n > 0 => format!(
                    "pays {} later than it used to",
                    plural(n as u64, "day", "days")
                ),
                n => format!(
                    "pays {} earlier than it used to",
                    plural(n.unsigned_abs(), "day", "days")
                ),
            }
        }
        Feature::LastDelay => format!("paid its last settled invoice {}", delay(value)),
        Feature::DaysSinceLastSettlement => {
            let days = value.exp_m1().round().max(0.0) as u64;
            format!(
                "last settled an invoice {} ago",
                plural(days, "day", "days")
            )
        }
        Feature::DisputeShare => format!(
            "disputed {} of its {}",
            share_of_settled(value),
            plural(settled, "settled invoice", "settled invoices")
        ),
        Feature::PartialShare => format!(
            "paid {} of its {} in instalments",
            share_of_settled(value),
            plural(settled, "settled invoice", "settled invoices")
        ),
        Feature::RemindersBeforePaying => {
            format!("needed {value:.1} reminders on average before paying")
        }
        Feature::PaperShare => format!(
            "was invoiced on paper for {} of its {}",
            share_of_settled(value),
            plural(settled, "settled invoice", "settled invoices")
        ),
        Feature::MedianDelay => format!("typically pays {}", delay(value)),
        Feature::LikeDelay => format!("paid invoices like this one {} on average", delay(value)),
        Feature::LikeLateShare => {
            format!("paid {:.0} % of invoices like this one late", value * 100.0)
        }
        Feature::LikeDaysToSettle => {
            format!("took {value:.0} days on average to pay invoices like this one")
        }
        Feature::OpenInvoices => format!(
            "has {} open",
            plural(count(features, feature), "invoice", "invoices")
        ),
        Feature::OverdueInvoices => match count(features, feature) {
            0 => "has no overdue invoice".to_owned(),
            n => format!("has {} overdue", plural(n, "invoice", "invoices")),
        },
        Feature::MaxDaysOverdue => match value.round() as u64 {
            0 => "has nothing past due".to_owned(),
            days => format!(
                "its oldest unpaid invoice is {} past due",
                plural(days, "day", "days")
            ),
        },
        Feature::OpenExposure => format!(
            "owes {:.1} times its usual invoice amount",
            value.exp_m1().max(0.0)
        ),
        Feature::Amount => format!("its usual invoice is about {:.0}", value.exp_m1().max(0.0)),
        Feature::AmountToUsual => {
            format!("the invoice is {:.1} times its usual amount", value.exp())
        }
        Feature::PaperBilling => {
            if value > 0.5 {
                "is invoiced on paper".to_owned()
            } else {
                "is invoiced electronically".to_owned()
            }
        }
        Feature::TermsDays => format!("has {value:.0}-day payment terms"),
        Feature::MonthSine | Feature::MonthCosine => {
            let angle = features
                .get(Feature::MonthSine)
                .atan2(features.get(Feature::MonthCosine));
            let month = (angle.rem_euclid(std::f64::consts::TAU) * 12.0 / std::f64::consts::TAU)
                .round() as u8
                % 12;
            let name = chrono::Month::try_from(month + 1).map_or("that month", |m| m.name());
            format!("invoices issued in {name} are paid this way")
        }
        Feature::Disputed => {
            if value > 0.5 {
                "has the invoice in dispute".to_owned()
            } else {
                "has no dispute open on the invoice".to_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(pairs: &[(Feature, f64)]) -> Features {
        let mut features = Features {
            values: [0.0; Feature::COUNT],
        };
        for (feature, value) in pairs {
            features.values[feature.index()] = *value;
        }
        features
    }

    #[test]
    fn reasons_speak_plainly_about_the_values() {
        let values = features(&[
            (Feature::SettledInvoices, 12f64.ln_1p()),
            (Feature::LateShare, 7.0 / 12.0),
            (Feature::MeanDelay, 9.6),
            (Feature::DelayTrend, -4.0),
            (Feature::OverdueInvoices, 2f64.ln_1p()),
            (Feature::MaxDaysOverdue, 1.0),
            (
                Feature::MonthSine,
                (4.0 * std::f64::consts::TAU / 12.0).sin(),
            ),
            (
                Feature::MonthCosine,
                (4.0 * std::f64::consts::TAU / 12.0).cos(),
            ),
        ]);

        // (feature, sentence)
        let table = [
            (
                Feature::LateShare,
                "paid 7 of its 12 settled invoices after the due date",
            ),
            (
                Feature::MeanDelay,
                "usually pays 10 days after the due date",
            ),
            (Feature::DelayTrend, "pays 4 days earlier than it used to"),
            (Feature::OverdueInvoices, "has 2 invoices overdue"),
            (
                Feature::MaxDaysOverdue,
                "its oldest unpaid invoice is 1 day past due",
            ),
            (
                Feature::MonthSine,
                "invoices issued in May are paid this way",
            ),
        ];
        for (feature, sentence) in table {
            assert_eq!(describe(feature, &values), sentence, "{feature:?}");
        }
    }

    #[test]
    fn the_strongest_contributions_come_first_either_way() {
        let values = features(&[(Feature::SettledInvoices, 4f64.ln_1p())]);
        let mut contributions = vec![0.0; Feature::COUNT];
        contributions[Feature::LateShare.index()] = 0.4;
        contributions[Feature::MeanDelay.index()] = -1.2;
        contributions[Feature::Amount.index()] = 0.1;
        contributions[Feature::MonthSine.index()] = 0.3;
        contributions[Feature::MonthCosine.index()] = 0.3;

        let reasons = top_reasons(&values, &contributions, 3);

        let order: Vec<(Feature, Effect)> = reasons.iter().map(|r| (r.feature, r.effect)).collect();
        assert_eq!(
            order,
            [
                (Feature::MeanDelay, Effect::LowersRisk),
                (Feature::MonthSine, Effect::RaisesRisk),
                (Feature::LateShare, Effect::RaisesRisk),
            ]
        );
    }
}
