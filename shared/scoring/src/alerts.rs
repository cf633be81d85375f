//! The rules that put a customer in front of a person: its risk rose past
//! the threshold, its risk rose sharply within a month, or it broke its
//! payment habit (an invoice paid, or still unpaid, far later than it
//! usually pays). An alert is for review only; nothing acts on it by itself.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::features::median;
use crate::history::InvoiceFacts;

/// When alerts are raised.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlertPolicy {
    /// Risk (0 to 1) whose crossing from below raises an alert.
    pub risk_threshold: f64,
    /// Rise of risk within [`AlertPolicy::trend_days`] that raises an alert.
    pub risk_rise: f64,
    /// How far back a rise is measured, in days.
    pub trend_days: u64,
    /// Days later than its usual delay an invoice must be to break a habit
    /// (or twice the habit's spread, whichever is more).
    pub habit_margin_days: f64,
    /// Settled invoices needed before a habit is judged.
    pub habit_min_invoices: usize,
    /// Settlements older than this many days no longer raise an alert.
    pub lookback_days: u64,
}

impl Default for AlertPolicy {
    fn default() -> Self {
        AlertPolicy {
            risk_threshold: 0.6,
            risk_rise: 0.25,
            trend_days: 30,
            habit_margin_days: 10.0,
            habit_min_invoices: 4,
            lookback_days: 30,
        }
    }
}

/// Why a customer needs a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Risk rose from below the threshold to at or above it.
    RiskAboveThreshold,
    /// Risk rose by at least the policy's rise within its trend period.
    RiskRoseSharply,
    /// An invoice was paid, or is still unpaid, far later than the
    /// customer's habit.
    BrokeHabit,
}

impl AlertKind {
    /// Every kind.
    pub const ALL: [AlertKind; 3] = [
        AlertKind::RiskAboveThreshold,
        AlertKind::RiskRoseSharply,
        AlertKind::BrokeHabit,
    ];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::RiskAboveThreshold => "risk_above_threshold",
            AlertKind::RiskRoseSharply => "risk_rose_sharply",
            AlertKind::BrokeHabit => "broke_habit",
        }
    }

    /// The kind named `text`.
    pub fn parse(text: &str) -> Option<AlertKind> {
        AlertKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// An alert a rule raised, before it is stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RaisedAlert {
    /// Which rule.
    pub kind: AlertKind,
    /// The invoice it is about, for a broken habit.
    pub invoice_id: Option<i64>,
    /// What happened, in plain words.
    pub message: String,
}

fn percent(risk: f64) -> String {
    format!("{:.0} %", risk * 100.0)
}

/// Risk alerts for a customer now at `current`, previously scored at
/// `previous`, and at `trend_start` about [`AlertPolicy::trend_days`] ago.
/// A customer scored for the first time raises none: there is no rise yet.
pub fn risk_alerts(
    policy: &AlertPolicy,
    current: f64,
    previous: Option<f64>,
    trend_start: Option<f64>,
) -> Vec<RaisedAlert> {
    let mut alerts = Vec::new();

    if let Some(previous) = previous
        && previous < policy.risk_threshold
        && current >= policy.risk_threshold
    {
        alerts.push(RaisedAlert {
            kind: AlertKind::RiskAboveThreshold,
            invoice_id: None,
            message: format!(
                "risk of paying late rose from {} to {}, past the {} threshold",
                percent(previous),
                percent(current),
                percent(policy.risk_threshold)
            ),
        });
    }

    if let Some(start) = trend_start
        && current - start >= policy.risk_rise
    {
        alerts.push(RaisedAlert {
            kind: AlertKind::RiskRoseSharply,
            invoice_id: None,
            message: format!(
                "risk of paying late rose from {} to {} within {} days",
                percent(start),
                percent(current),
                policy.trend_days
            ),
        });
    }
    alerts
}

/// Invoices in `history` that break the customer's habit on `as_of`: paid
/// in the last [`AlertPolicy::lookback_days`], or still unpaid, and later
/// than the delay it usually paid with before that invoice was issued by
/// more than the margin.
pub fn habit_alerts(
    policy: &AlertPolicy,
    history: &[InvoiceFacts],
    as_of: NaiveDate,
) -> Vec<RaisedAlert> {
    let recent_from = as_of
        .checked_sub_days(Days::new(policy.lookback_days))
        .unwrap_or(as_of);
    let mut alerts = Vec::new();

    for invoice in history {
        let (delay, paid) = match invoice.settled_on {
            Some(settled) if settled <= as_of => {
                if settled <= recent_from {
                    continue;
                }
                ((settled - invoice.due_date).num_days(), true)
            }
            _ => ((as_of - invoice.due_date).num_days(), false),
        };
        if delay <= 0 {
            continue;
        }

        let mut usual: Vec<f64> = history
            .iter()
            .filter(|other| other.invoice_id != invoice.invoice_id)
            .filter(|other| other.settled_before(invoice.issue_date))
            .filter_map(|other| other.delay_days())
            .map(|days| days as f64)
            .collect();
        if usual.len() < policy.habit_min_invoices {
            continue;
        }
        let mean = usual.iter().sum::<f64>() / usual.len() as f64;
        let spread =
            (usual.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / usual.len() as f64).sqrt();
        let Some(habit) = median(&mut usual) else {
            continue;
        };
        if (delay as f64) <= habit + policy.habit_margin_days.max(2.0 * spread) {
            continue;
        }

        let what = if paid {
            format!(
                "paid invoice {} {delay} days after its due date",
                invoice.number
            )
        } else {
            format!(
                "invoice {} is {delay} days overdue and still unpaid",
                invoice.number
            )
        };
        alerts.push(RaisedAlert {
            kind: AlertKind::BrokeHabit,
            invoice_id: Some(invoice.invoice_id),
            message: format!("usually pays {}, but {what}", usual_delay(habit)),
        });
    }
    alerts
}

fn usual_delay(days: f64) -> String {
    match days.round() as i64 {
        0 => "on the due date".to_owned(),
        n if n > 0 => format!("{n} days after the due date"),
        n => format!("{} days before the due date", -n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Billing;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn invoice(id: i64, due: &str, settled: Option<&str>) -> InvoiceFacts {
        let due = day(due);
        InvoiceFacts {
            invoice_id: id,
            customer_id: 1,
            number: format!("F-{id}"),
            issue_date: due - chrono::Duration::days(30),
            due_date: due,
            amount: 100.0,
            billing: Billing::Electronic,
            disputed_on: None,
            payment_dates: settled.map(day).into_iter().collect(),
            settled_on: settled.map(day),
            reminder_dates: Vec::new(),
        }
    }

    /// Five invoices each paid about two days after the due date.
    fn punctual() -> Vec<InvoiceFacts> {
        vec![
            invoice(1, "2026-01-31", Some("2026-02-02")),
            invoice(2, "2026-02-28", Some("2026-03-02")),
            invoice(3, "2026-03-31", Some("2026-04-03")),
            invoice(4, "2026-04-30", Some("2026-05-01")),
            invoice(5, "2026-05-31", Some("2026-06-02")),
        ]
    }

    /// (current, previous, a month ago, kinds raised)
    type RiskCase = (f64, Option<f64>, Option<f64>, &'static [AlertKind]);

    #[test]
    fn risk_alerts_follow_the_threshold_and_the_rise() {
        let policy = AlertPolicy::default();

        let table: [RiskCase; 6] = [
            (
                0.65,
                Some(0.55),
                Some(0.50),
                &[AlertKind::RiskAboveThreshold],
            ),
            (0.65, Some(0.62), Some(0.58), &[]),
            (0.55, Some(0.20), Some(0.20), &[AlertKind::RiskRoseSharply]),
            (
                0.80,
                Some(0.30),
                Some(0.30),
                &[AlertKind::RiskAboveThreshold, AlertKind::RiskRoseSharply],
            ),
            (0.90, None, None, &[]),
            (0.30, Some(0.70), Some(0.90), &[]),
        ];

        for (current, previous, start, kinds) in table {
            let raised: Vec<AlertKind> = risk_alerts(&policy, current, previous, start)
                .iter()
                .map(|alert| alert.kind)
                .collect();
            assert_eq!(raised, kinds, "{current} after {previous:?}, {start:?}");
        }
    }

    #[test]
    fn the_threshold_alert_says_how_far_risk_rose() {
        let alerts = risk_alerts(&AlertPolicy::default(), 0.72, Some(0.35), None);

        assert_eq!(
            alerts[0].message,
            "risk of paying late rose from 35 % to 72 %, past the 60 % threshold"
        );
    }

    #[test]
    fn an_invoice_unpaid_long_past_the_habit_breaks_it() {
        let mut history = punctual();
        history.push(invoice(6, "2026-06-30", None));

        let early = habit_alerts(&AlertPolicy::default(), &history, day("2026-07-05"));
        let late = habit_alerts(&AlertPolicy::default(), &history, day("2026-07-25"));

        assert!(early.is_empty(), "{early:?}");
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].invoice_id, Some(6));
        assert_eq!(
            late[0].message,
            "usually pays 2 days after the due date, but invoice F-6 is 25 days overdue and \
             still unpaid"
        );
    }

    #[test]
    fn a_late_payment_breaks_the_habit_until_it_is_old_news() {
        let mut history = punctual();
        history.push(invoice(6, "2026-06-30", Some("2026-07-30")));

        let fresh = habit_alerts(&AlertPolicy::default(), &history, day("2026-08-05"));
        let stale = habit_alerts(&AlertPolicy::default(), &history, day("2026-09-15"));

        assert_eq!(fresh.len(), 1);
        assert!(
            fresh[0].message.contains("paid invoice F-6 30 days after"),
            "{fresh:?}"
        );
        assert!(stale.is_empty());
    }

    #[test]
    fn a_customer_always_late_by_as_much_breaks_no_habit() {
        let history: Vec<InvoiceFacts> = (1..=6)
            .map(|month| {
                let due = day(&format!("2026-{month:02}-10"));
                let settled = due + chrono::Duration::days(30);
                invoice(
                    i64::from(month),
                    &due.to_string(),
                    Some(&settled.to_string()),
                )
            })
            .collect();

        assert!(habit_alerts(&AlertPolicy::default(), &history, day("2026-07-15")).is_empty());
    }

    #[test]
    fn too_short_a_history_judges_no_habit() {
        let history = vec![
            invoice(1, "2026-01-31", Some("2026-02-01")),
            invoice(2, "2026-03-31", None),
        ];

        assert!(habit_alerts(&AlertPolicy::default(), &history, day("2026-06-01")).is_empty());
    }
}
