//! The features an invoice is scored on, computed only from what was known
//! on a cut-off day: the customer's invoices settled before it, those still
//! open on it, and the invoice's own terms. Nothing that happened on or after
//! the cut-off (a later payment, a later dispute, a later invoice) can move
//! a feature, so a model trained on past invoices sees what it will see on
//! open ones.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::history::{Billing, InvoiceFacts};

/// How many settled invoices make up "recent" behaviour.
const RECENT_INVOICES: usize = 3;

/// One input of the models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// ln(1 + invoices settled before the cut-off).
    SettledInvoices,
    /// 1 when no invoice was settled before the cut-off.
    NoHistory,
    /// Share of settled invoices paid after their due date.
    LateShare,
    /// Mean days paid after the due date, early payments counting as 0.
    MeanDaysLate,
    /// Mean days between due date and payment, early payments negative.
    MeanDelay,
    /// Standard deviation of that delay: how steady the habit is.
    DelaySpread,
    /// Mean days between issue and payment.
    MeanDaysToSettle,
    /// Mean delay of the last three invoices settled.
    RecentDelay,
    /// Recent delay less the mean delay: positive when slipping.
    DelayTrend,
    /// Delay of the invoice settled last.
    LastDelay,
    /// ln(1 + days since the last settlement).
    DaysSinceLastSettlement,
    /// Share of settled invoices that were disputed.
    DisputeShare,
    /// Share of settled invoices paid in several instalments.
    PartialShare,
    /// Mean reminders sent before a settled invoice was paid.
    RemindersBeforePaying,
    /// Share of settled invoices sent on paper.
    PaperShare,
    /// Median delay of settled invoices.
    MedianDelay,
    /// Mean delay of settled invoices like this one (same dispute state and
    /// billing; failing that, same dispute state; failing that, all).
    LikeDelay,
    /// Share of settled invoices like this one paid late.
    LikeLateShare,
    /// Mean days to settle of settled invoices like this one.
    LikeDaysToSettle,
    /// ln(1 + other invoices open on the cut-off).
    OpenInvoices,
    /// ln(1 + other invoices open and past due on the cut-off).
    OverdueInvoices,
    /// Days the oldest overdue invoice is past due on the cut-off.
    MaxDaysOverdue,
    /// ln(1 + amount open on the cut-off / usual invoice amount).
    OpenExposure,
    /// ln(1 + the invoice's amount).
    Amount,
    /// ln(amount / usual invoice amount); 0 without earlier invoices.
    AmountToUsual,
    /// 1 when the invoice is sent on paper.
    PaperBilling,
    /// Payment terms in days.
    TermsDays,
    /// Month of issue, as a point on a circle (sine).
    MonthSine,
    /// Month of issue, as a point on a circle (cosine).
    MonthCosine,
    /// 1 when the invoice is disputed on the cut-off.
    Disputed,
}

impl Feature {
    /// Every feature, in the order of [`Features::values`].
    pub const ALL: [Feature; 30] = [
        Feature::SettledInvoices,
        Feature::NoHistory,
        Feature::LateShare,
        Feature::MeanDaysLate,
        Feature::MeanDelay,
        Feature::DelaySpread,
        Feature::MeanDaysToSettle,
        Feature::RecentDelay,
        Feature::DelayTrend,
        Feature::LastDelay,
        Feature::DaysSinceLastSettlement,
        Feature::DisputeShare,
        Feature::PartialShare,
        Feature::RemindersBeforePaying,
        Feature::PaperShare,
        Feature::MedianDelay,
        Feature::LikeDelay,
        Feature::LikeLateShare,
        Feature::LikeDaysToSettle,
        Feature::OpenInvoices,
        Feature::OverdueInvoices,
        Feature::MaxDaysOverdue,
        Feature::OpenExposure,
        Feature::Amount,
        Feature::AmountToUsual,
        Feature::PaperBilling,
        Feature::TermsDays,
        Feature::MonthSine,
        Feature::MonthCosine,
        Feature::Disputed,
    ];

    /// How many features there are.
    pub const COUNT: usize = Feature::ALL.len();

    /// The feature's position in [`Features::values`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The value of every feature for one invoice on one cut-off day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Features {
    /// Values in the order of [`Feature::ALL`].
    pub values: [f64; Feature::COUNT],
}

impl Features {
    /// One feature's value.
    pub fn get(&self, feature: Feature) -> f64 {
        self.values[feature.index()]
    }

    fn set(&mut self, feature: Feature, value: f64) {
        self.values[feature.index()] = value;
    }
}

/// What a customer's settled invoices say about its habit.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Habit {
    settled: usize,
    late: usize,
    mean_days_late: f64,
    mean_delay: f64,
    delay_spread: f64,
    mean_days_to_settle: f64,
    recent_delay: f64,
    last_delay: f64,
    days_since_last: f64,
    dispute_share: f64,
    partial_share: f64,
    reminders: f64,
    paper_share: f64,
    median_delay: f64,
    like: Like,
}

/// What the settled invoices most like the one scored say.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Like {
    delay: f64,
    late_share: f64,
    days_to_settle: f64,
}

/// What a customer owed on the cut-off, besides the invoice scored.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Exposure {
    open: usize,
    overdue: usize,
    max_days_overdue: f64,
    open_amount: f64,
}

/// The features of `invoice` on `cutoff`, from the customer's `history`
/// (its invoices, which may include `invoice` itself: it is skipped).
///
/// Only invoices settled strictly before the cut-off inform the habit;
/// invoices issued before it and not settled before it count as open.
pub fn features_at(
    history: &[InvoiceFacts],
    invoice: &InvoiceFacts,
    cutoff: NaiveDate,
) -> Features {
    let others = || {
        history
            .iter()
            .filter(move |other| other.invoice_id != invoice.invoice_id)
    };
    let habit = habit_at(others(), invoice, cutoff);
    let usual = usual_amount(others(), cutoff).unwrap_or(invoice.amount);
    let exposure = exposure_at(others(), cutoff);

    let mut features = Features {
        values: [0.0; Feature::COUNT],
    };
    let settled = habit.settled as f64;
    features.set(Feature::SettledInvoices, settled.ln_1p());
    features.set(Feature::NoHistory, flag(habit.settled == 0));
    if habit.settled > 0 {
        features.set(Feature::LateShare, habit.late as f64 / settled);
        features.set(Feature::MeanDaysLate, habit.mean_days_late);
        features.set(Feature::MeanDelay, habit.mean_delay);
        features.set(Feature::DelaySpread, habit.delay_spread);
        features.set(Feature::MeanDaysToSettle, habit.mean_days_to_settle);
        features.set(Feature::RecentDelay, habit.recent_delay);
        features.set(Feature::DelayTrend, habit.recent_delay - habit.mean_delay);
        features.set(Feature::LastDelay, habit.last_delay);
        features.set(
            Feature::DaysSinceLastSettlement,
            habit.days_since_last.ln_1p(),
        );
        features.set(Feature::DisputeShare, habit.dispute_share);
        features.set(Feature::PartialShare, habit.partial_share);
        features.set(Feature::RemindersBeforePaying, habit.reminders);
        features.set(Feature::PaperShare, habit.paper_share);
        features.set(Feature::MedianDelay, habit.median_delay);
        features.set(Feature::LikeDelay, habit.like.delay);
        features.set(Feature::LikeLateShare, habit.like.late_share);
        features.set(Feature::LikeDaysToSettle, habit.like.days_to_settle);
    }

    features.set(Feature::OpenInvoices, (exposure.open as f64).ln_1p());
    features.set(Feature::OverdueInvoices, (exposure.overdue as f64).ln_1p());
    features.set(Feature::MaxDaysOverdue, exposure.max_days_overdue);
    features.set(
        Feature::OpenExposure,
        ratio(exposure.open_amount, usual).ln_1p(),
    );

    features.set(Feature::Amount, invoice.amount.max(0.0).ln_1p());
    features.set(
        Feature::AmountToUsual,
        ratio(invoice.amount, usual).max(1e-3).ln(),
    );
    features.set(
        Feature::PaperBilling,
        flag(invoice.billing == Billing::Paper),
    );
    features.set(Feature::TermsDays, invoice.terms_days() as f64);
    let angle = f64::from(invoice.issue_date.month0()) * std::f64::consts::TAU / 12.0;
    features.set(Feature::MonthSine, angle.sin());
    features.set(Feature::MonthCosine, angle.cos());
    features.set(
        Feature::Disputed,
        flag(invoice.disputed_on.is_some_and(|opened| opened <= cutoff)),
    );
    features
}

fn flag(condition: bool) -> f64 {
    if condition { 1.0 } else { 0.0 }
}

fn ratio(amount: f64, usual: f64) -> f64 {
    if usual > 0.0 { amount / usual } else { 1.0 }
}

fn habit_at<'a>(
    invoices: impl Iterator<Item = &'a InvoiceFacts>,
    subject: &InvoiceFacts,
    cutoff: NaiveDate,
) -> Habit {
    let mut settled: Vec<&InvoiceFacts> = invoices
        .filter(|invoice| invoice.settled_before(cutoff))
        .collect();
    if settled.is_empty() {
        return Habit::default();
    }
    settled.sort_by_key(|invoice| (invoice.settled_on, invoice.invoice_id));

    let count = settled.len() as f64;
    let delays: Vec<f64> = settled
        .iter()
        .filter_map(|invoice| invoice.delay_days())
        .map(|days| days as f64)
        .collect();
    let mean_delay = delays.iter().sum::<f64>() / count;
    let variance = delays
        .iter()
        .map(|delay| (delay - mean_delay).powi(2))
        .sum::<f64>()
        / count;
    let recent = &delays[delays.len().saturating_sub(RECENT_INVOICES)..];
    let last_settled = settled
        .last()
        .and_then(|invoice| invoice.settled_on)
        .unwrap_or(cutoff);
    let share = |keep: &dyn Fn(&InvoiceFacts) -> bool| {
        settled.iter().filter(|invoice| keep(invoice)).count() as f64 / count
    };
    let mut sorted_delays = delays.clone();

    Habit {
        settled: settled.len(),
        late: delays.iter().filter(|delay| **delay > 0.0).count(),
        mean_days_late: delays.iter().map(|delay| delay.max(0.0)).sum::<f64>() / count,
        mean_delay,
        delay_spread: variance.sqrt(),
        mean_days_to_settle: settled
            .iter()
            .filter_map(|invoice| invoice.days_to_settle())
            .sum::<i64>() as f64
            / count,
        recent_delay: recent.iter().sum::<f64>() / recent.len() as f64,
        last_delay: delays.last().copied().unwrap_or_default(),
        days_since_last: (cutoff - last_settled).num_days() as f64,
        dispute_share: share(&|invoice| invoice.disputed_on.is_some_and(|on| on < cutoff)),
        partial_share: share(&|invoice| invoice.payment_dates.len() > 1),
        reminders: settled
            .iter()
            .map(|invoice| invoice.reminders_before_settling())
            .sum::<usize>() as f64
            / count,
        paper_share: share(&|invoice| invoice.billing == Billing::Paper),
        median_delay: median(&mut sorted_delays).unwrap_or_default(),
        like: like(&settled, subject, cutoff),
    }
}

/// The settled invoices most like `subject`, from the closest kind that has
/// any: same dispute state and billing, then same dispute state, then all.
fn like(settled: &[&InvoiceFacts], subject: &InvoiceFacts, cutoff: NaiveDate) -> Like {
    let disputed = |invoice: &InvoiceFacts, known_on: NaiveDate| {
        invoice.disputed_on.is_some_and(|opened| opened <= known_on)
    };
    let subject_disputed = disputed(subject, cutoff);
    let same_dispute = |invoice: &&&InvoiceFacts| {
        disputed(invoice, cutoff.pred_opt().unwrap_or(cutoff)) == subject_disputed
    };

    let closest: Vec<&InvoiceFacts> = [
        settled
            .iter()
            .filter(same_dispute)
            .filter(|invoice| invoice.billing == subject.billing)
            .copied()
            .collect::<Vec<_>>(),
        settled.iter().filter(same_dispute).copied().collect(),
        settled.to_vec(),
    ]
    .into_iter()
    .find(|kind| !kind.is_empty())
    .unwrap_or_default();

    let count = closest.len().max(1) as f64;
    let delays: Vec<i64> = closest
        .iter()
        .filter_map(|invoice| invoice.delay_days())
        .collect();
    Like {
        delay: delays.iter().sum::<i64>() as f64 / count,
        late_share: delays.iter().filter(|delay| **delay > 0).count() as f64 / count,
        days_to_settle: closest
            .iter()
            .filter_map(|invoice| invoice.days_to_settle())
            .sum::<i64>() as f64
            / count,
    }
}

/// The median amount of the invoices issued before the cut-off.
fn usual_amount<'a>(
    invoices: impl Iterator<Item = &'a InvoiceFacts>,
    cutoff: NaiveDate,
) -> Option<f64> {
    let mut amounts: Vec<f64> = invoices
        .filter(|invoice| invoice.issue_date < cutoff)
        .map(|invoice| invoice.amount)
        .collect();
    median(&mut amounts)
}

/// The middle value (the mean of the two middle ones for an even count).
pub(crate) fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);

    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        Some(values[middle])
    } else {
        Some((values[middle - 1] + values[middle]) / 2.0)
    }
}

fn exposure_at<'a>(
    invoices: impl Iterator<Item = &'a InvoiceFacts>,
    cutoff: NaiveDate,
) -> Exposure {
    let mut exposure = Exposure::default();

    for invoice in invoices {
        if invoice.issue_date >= cutoff || invoice.settled_before(cutoff) {
            continue;
        }
        exposure.open += 1;
        exposure.open_amount += invoice.amount.max(0.0);

        let overdue = (cutoff - invoice.due_date).num_days();
        if overdue > 0 {
            exposure.overdue += 1;
            exposure.max_days_overdue = exposure.max_days_overdue.max(overdue as f64);
        }
    }
    exposure
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn invoice(id: i64, issued: &str, due: &str, settled: Option<&str>) -> InvoiceFacts {
        InvoiceFacts {
            invoice_id: id,
            customer_id: 7,
            number: format!("F-{id}"),
            issue_date: day(issued),
            due_date: day(due),
            amount: 100.0 * id as f64,
            billing: Billing::Electronic,
            disputed_on: None,
            payment_dates: settled.map(day).into_iter().collect(),
            settled_on: settled.map(day),
            reminder_dates: Vec::new(),
        }
    }

    /// Four settled invoices (delays -2, 0, +10, +20), one open and
    /// overdue on the cut-off, and the invoice scored, issued on it.
    fn history() -> Vec<InvoiceFacts> {
        vec![
            invoice(1, "2026-01-01", "2026-01-31", Some("2026-01-29")),
            invoice(2, "2026-02-01", "2026-03-03", Some("2026-03-03")),
            invoice(3, "2026-03-01", "2026-03-31", Some("2026-04-10")),
            invoice(4, "2026-04-01", "2026-05-01", Some("2026-05-21")),
            invoice(5, "2026-05-01", "2026-05-31", None),
            invoice(6, "2026-06-15", "2026-07-15", None),
        ]
    }

    const CUTOFF: &str = "2026-06-15";

    fn scored(history: &[InvoiceFacts]) -> Features {
        let subject = history
            .iter()
            .find(|invoice| invoice.invoice_id == 6)
            .expect("invoice 6");
        features_at(history, subject, day(CUTOFF))
    }

    #[test]
    fn the_habit_is_read_from_invoices_settled_before_the_cut_off() {
        let features = scored(&history());

        // (feature, expected)
        let table = [
            (Feature::SettledInvoices, 4f64.ln_1p()),
            (Feature::NoHistory, 0.0),
            (Feature::LateShare, 0.5),
            (Feature::MeanDaysLate, 7.5),
            (Feature::MeanDelay, 7.0),
            (Feature::MeanDaysToSettle, (28.0 + 30.0 + 40.0 + 50.0) / 4.0),
            (Feature::RecentDelay, 10.0),
            (Feature::DelayTrend, 3.0),
            (Feature::LastDelay, 20.0),
            (Feature::DaysSinceLastSettlement, 25f64.ln_1p()),
            (Feature::OpenInvoices, 1f64.ln_1p()),
            (Feature::OverdueInvoices, 1f64.ln_1p()),
            (Feature::MaxDaysOverdue, 15.0),
            (Feature::TermsDays, 30.0),
            (Feature::Disputed, 0.0),
        ];
        for (feature, expected) in table {
            let value = features.get(feature);
            assert!(
                (value - expected).abs() < 1e-9,
                "{feature:?}: {value} vs {expected}"
            );
        }
    }

    #[test]
    fn nothing_on_or_after_the_cut_off_changes_a_feature() {
        let before = scored(&history());

        let mut changed = history();
        // The open invoice is paid after the cut-off, very late.
        changed[4].settled_on = Some(day("2026-09-01"));
        changed[4].payment_dates = vec![day("2026-07-01"), day("2026-09-01")];
        changed[4].reminder_dates = vec![day("2026-06-20"), day("2026-07-20")];
        changed[4].disputed_on = Some(day("2026-06-16"));
        // The scored invoice itself is disputed and paid later still.
        changed[5].settled_on = Some(day("2026-10-01"));
        changed[5].disputed_on = Some(day("2026-06-20"));
        changed[5].reminder_dates = vec![day("2026-08-01")];
        // An invoice issued and settled on the cut-off is not known before it.
        changed.push(invoice(8, CUTOFF, "2026-07-15", Some(CUTOFF)));
        // Later invoices, settled or not.
        changed.push(invoice(9, "2026-06-16", "2026-07-16", Some("2026-06-30")));
        changed.push(invoice(10, "2026-07-01", "2026-07-31", None));
        // Reminders sent on a settled invoice after its payment.
        changed[0].reminder_dates = vec![day("2026-06-20")];

        assert_eq!(scored(&changed), before);
    }

    #[test]
    fn a_customer_without_history_is_flagged_and_judged_on_the_invoice_alone() {
        let first = invoice(1, "2026-01-01", "2026-01-31", None);
        let features = features_at(std::slice::from_ref(&first), &first, day("2026-01-01"));

        assert_eq!(features.get(Feature::NoHistory), 1.0);
        assert_eq!(features.get(Feature::LateShare), 0.0);
        assert_eq!(features.get(Feature::AmountToUsual), 0.0);
        assert_eq!(features.get(Feature::OpenInvoices), 0.0);
    }

    #[test]
    fn disputes_count_from_the_day_they_are_opened() {
        let mut history = history();
        history[5].disputed_on = Some(day(CUTOFF));
        history[0].disputed_on = Some(day("2026-01-15"));

        let features = scored(&history);

        assert_eq!(features.get(Feature::Disputed), 1.0);
        assert_eq!(features.get(Feature::DisputeShare), 0.25);
    }

    #[test]
    fn the_median_is_the_middle_value() {
        let table: [(&[f64], Option<f64>); 4] = [
            (&[], None),
            (&[3.0], Some(3.0)),
            (&[5.0, 1.0, 3.0], Some(3.0)),
            (&[4.0, 1.0, 3.0, 2.0], Some(2.5)),
        ];

        for (values, expected) in table {
            assert_eq!(median(&mut values.to_vec()), expected, "{values:?}");
        }
    }
}
