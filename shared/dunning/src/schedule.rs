//! The schedule rules: which step of its policy an invoice is due for on a
//! day, what holds it back, and how a customer's due invoices are grouped
//! into one consolidated step per customer.
//!
//! The rules, as a finance team states them:
//! - a step is due once `due_date + offset_days` is reached and no step at
//!   or beyond its offset was taken for the invoice;
//! - steps before the due date (a courtesy notice) lapse once the invoice is
//!   overdue: nobody is told an invoice "falls due soon" after it fell due;
//! - when several steps are due at once (days without a run, a hold that
//!   ended, an invoice entered late), only the most advanced is taken and the
//!   earlier ones are recorded as skipped, so a customer never receives two
//!   reminders for the same invoice on the same day, and a missed day is
//!   caught up on the next run;
//! - disputed invoices, invoices under a promise to pay until the promised
//!   day, and paused invoices are held; they resume when the hold ends;
//! - partly paid invoices stay in dunning with what remains; paid, void,
//!   draft and written-off invoices leave at once.

use chrono::{Days, NaiveDate};
use relance_ledger::invoice::InvoiceStatus;
use relance_ledger::money::Money;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::policy::{DunningPolicy, DunningStep};

/// The step last taken for an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TakenStep {
    /// The step's key in its policy.
    pub key: String,
    /// Its offset from the due date.
    pub offset_days: i32,
}

/// An invoice as dunning sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChasedInvoice {
    /// Relance's identifier.
    pub id: i64,
    /// The number printed on it.
    pub number: String,
    /// The day it was issued.
    pub issue_date: NaiveDate,
    /// The day payment is due.
    pub due_date: NaiveDate,
    /// Amount due, tax included.
    pub total: Money,
    /// What the customer still owes.
    pub remaining: Money,
    /// Its status once payments and credits are counted.
    pub status: InvoiceStatus,
    /// The reference the customer should quote when paying.
    pub payment_reference: Option<String>,
    /// A dispute is open.
    pub disputed: bool,
    /// The day the customer promised to pay by.
    pub promised_on: Option<NaiveDate>,
    /// Reminders are paused until this day (inclusive).
    pub paused_until: Option<NaiveDate>,
    /// How far dunning went on it.
    pub last_step: Option<TakenStep>,
}

impl ChasedInvoice {
    /// Days past the due date on `as_of`, zero before it.
    pub fn days_late(&self, as_of: NaiveDate) -> i64 {
        (as_of - self.due_date).num_days().max(0)
    }
}

/// Why an invoice is not chased today although a step may be due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Hold {
    /// The customer disputes it; held until the dispute is closed.
    Disputed,
    /// The customer promised to pay by this day; held until it passes.
    PromiseToPay {
        /// The promised day.
        until: NaiveDate,
    },
    /// A person paused reminders until this day.
    Paused {
        /// The last paused day.
        until: NaiveDate,
    },
}

/// What dunning does with one invoice on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvoiceDecision<'p> {
    /// Nothing is owed on it any more, or it is not a chased status.
    Leaves,
    /// A hold keeps it back.
    Held(Hold),
    /// No step is due yet, or every step was taken.
    Waiting,
    /// `step` is due; `skipped` are earlier steps due at the same time.
    Due {
        /// The step to take.
        step: &'p DunningStep,
        /// Earlier steps passed over.
        skipped: Vec<&'p DunningStep>,
    },
}

/// Decides what dunning does with `invoice` on `as_of` under `policy`.
pub fn decide<'p>(
    policy: &'p DunningPolicy,
    invoice: &ChasedInvoice,
    as_of: NaiveDate,
) -> InvoiceDecision<'p> {
    let chased = matches!(
        invoice.status,
        InvoiceStatus::Open | InvoiceStatus::PartiallyPaid
    );
    if !chased || invoice.remaining.is_zero() || invoice.remaining.is_negative() {
        return InvoiceDecision::Leaves;
    }

    let due: Vec<&DunningStep> = policy
        .steps
        .iter()
        .filter(|step| is_step_due(step, invoice, as_of))
        .collect();
    let Some((step, skipped)) = due.split_last() else {
        return InvoiceDecision::Waiting;
    };

    if let Some(hold) = hold(invoice, as_of) {
        return InvoiceDecision::Held(hold);
    }
    InvoiceDecision::Due {
        step,
        skipped: skipped.to_vec(),
    }
}

/// Whether `step` is due for `invoice` on `as_of`, holds aside.
fn is_step_due(step: &DunningStep, invoice: &ChasedInvoice, as_of: NaiveDate) -> bool {
    let beyond_last = invoice
        .last_step
        .as_ref()
        .is_none_or(|taken| step.offset_days > taken.offset_days);
    let reached = step_day(invoice.due_date, step.offset_days).is_some_and(|day| day <= as_of);
    let lapsed = step.offset_days < 0 && as_of > invoice.due_date;

    beyond_last && reached && !lapsed
}

/// The day a step falls on for an invoice due on `due_date`.
pub fn step_day(due_date: NaiveDate, offset_days: i32) -> Option<NaiveDate> {
    let days = Days::new(u64::from(offset_days.unsigned_abs()));
    if offset_days >= 0 {
        due_date.checked_add_days(days)
    } else {
        due_date.checked_sub_days(days)
    }
}

/// The hold in force on `as_of`, disputes first.
pub fn hold(invoice: &ChasedInvoice, as_of: NaiveDate) -> Option<Hold> {
    if invoice.disputed {
        return Some(Hold::Disputed);
    }
    if let Some(until) = invoice.promised_on.filter(|day| as_of <= *day) {
        return Some(Hold::PromiseToPay { until });
    }
    invoice
        .paused_until
        .filter(|day| as_of <= *day)
        .map(|until| Hold::Paused { until })
}

/// One step taken for a customer: the step and every invoice it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStep<'p, 'i> {
    /// The step.
    pub step: &'p DunningStep,
    /// The invoices due for this step, oldest due date first.
    pub invoices: Vec<&'i ChasedInvoice>,
    /// Keys of earlier steps passed over for these invoices.
    pub skipped: Vec<String>,
}

impl PlannedStep<'_, '_> {
    /// The key under which this step is recorded once for the customer:
    /// the same customer, policy, step and invoice set always give the
    /// same key, so recording it twice is impossible.
    pub fn idempotency_key(&self, customer_id: i64, policy_code: &str) -> String {
        let mut ids: Vec<i64> = self.invoices.iter().map(|invoice| invoice.id).collect();
        ids.sort_unstable();
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();

        let identity = format!(
            "customer:{customer_id}|policy:{policy_code}|step:{}|invoices:{}",
            self.step.key,
            ids.join(",")
        );
        format!(
            "dun-{}",
            hex::encode(&Sha256::digest(identity.as_bytes())[..16])
        )
    }
}

/// An invoice held back, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldInvoice {
    /// The invoice's identifier.
    pub invoice_id: i64,
    /// Its number.
    pub number: String,
    /// The hold.
    pub hold: Hold,
}

/// What dunning does for one customer on a day.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerPlan<'p, 'i> {
    /// One entry per step due, in the policy's order.
    pub steps: Vec<PlannedStep<'p, 'i>>,
    /// Invoices that would be chased but for a hold.
    pub held: Vec<HeldInvoice>,
}

/// Groups a customer's invoices into consolidated steps: one per step due,
/// listing every invoice due for it.
pub fn plan_customer<'p, 'i>(
    policy: &'p DunningPolicy,
    invoices: &'i [ChasedInvoice],
    as_of: NaiveDate,
) -> CustomerPlan<'p, 'i> {
    let mut plan = CustomerPlan::default();

    for invoice in invoices {
        match decide(policy, invoice, as_of) {
            InvoiceDecision::Due { step, skipped } => {
                add_to_step(&mut plan.steps, step, invoice, &skipped);
            }
            InvoiceDecision::Held(hold) => plan.held.push(HeldInvoice {
                invoice_id: invoice.id,
                number: invoice.number.clone(),
                hold,
            }),
            InvoiceDecision::Leaves | InvoiceDecision::Waiting => {}
        }
    }

    plan.steps.sort_by_key(|planned| planned.step.offset_days);
    for planned in &mut plan.steps {
        planned
            .invoices
            .sort_by_key(|invoice| (invoice.due_date, invoice.id));
    }
    plan
}

fn add_to_step<'p, 'i>(
    steps: &mut Vec<PlannedStep<'p, 'i>>,
    step: &'p DunningStep,
    invoice: &'i ChasedInvoice,
    skipped: &[&'p DunningStep],
) {
    let index = match steps.iter().position(|p| p.step.key == step.key) {
        Some(index) => index,
        None => {
            steps.push(PlannedStep {
                step,
                invoices: Vec::new(),
                skipped: Vec::new(),
            });
            steps.len() - 1
        }
    };

    let planned = &mut steps[index];
    planned.invoices.push(invoice);
    for earlier in skipped {
        if !planned.skipped.contains(&earlier.key) {
            planned.skipped.push(earlier.key.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use relance_ledger::money::Currency;

    use super::*;
    use crate::policy::default_policy;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    fn eur(amount: &str) -> Money {
        Money::parse(amount, Currency::EUR).expect("an amount")
    }

    /// F-<id>, 1000.00 due 2026-03-31, open, nothing taken.
    fn invoice(id: i64) -> ChasedInvoice {
        ChasedInvoice {
            id,
            number: format!("F-{id}"),
            issue_date: day("2026-03-01"),
            due_date: day("2026-03-31"),
            total: eur("1000.00"),
            remaining: eur("1000.00"),
            status: InvoiceStatus::Open,
            payment_reference: None,
            disputed: false,
            promised_on: None,
            paused_until: None,
            last_step: None,
        }
    }

    fn taken(key: &str, offset_days: i32) -> Option<TakenStep> {
        Some(TakenStep {
            key: key.into(),
            offset_days,
        })
    }

    /// The decision in words: `due <key> skipping <keys>`, `held`, `waiting`, `leaves`.
    fn decision(invoice: &ChasedInvoice, as_of: &str) -> String {
        let policy = default_policy();
        match decide(&policy, invoice, day(as_of)) {
            InvoiceDecision::Leaves => "leaves".into(),
            InvoiceDecision::Waiting => "waiting".into(),
            InvoiceDecision::Held(Hold::Disputed) => "held: disputed".into(),
            InvoiceDecision::Held(Hold::PromiseToPay { until }) => format!("held: promise {until}"),
            InvoiceDecision::Held(Hold::Paused { until }) => format!("held: paused {until}"),
            InvoiceDecision::Due { step, skipped } if skipped.is_empty() => {
                format!("due {}", step.key)
            }
            InvoiceDecision::Due { step, skipped } => {
                let keys: Vec<&str> = skipped.iter().map(|s| s.key.as_str()).collect();
                format!("due {} skipping {}", step.key, keys.join(","))
            }
        }
    }

    #[test]
    fn offsets_count_from_the_due_date_before_and_after() {
        // Default policy: courtesy -5, reminder-1 +3, reminder-2 +15, call +25,
        // formal-notice +40, litigation +60; due 2026-03-31.
        let table = [
            ("2026-03-25", None, "waiting"),
            ("2026-03-26", None, "due courtesy"),
            ("2026-03-31", None, "due courtesy"),
            ("2026-03-26", taken("courtesy", -5), "waiting"),
            ("2026-04-02", taken("courtesy", -5), "waiting"),
            ("2026-04-03", taken("courtesy", -5), "due reminder-1"),
            ("2026-04-15", taken("reminder-1", 3), "due reminder-2"),
            ("2026-04-25", taken("reminder-2", 15), "due call"),
            ("2026-05-10", taken("call", 25), "due formal-notice"),
            ("2026-05-30", taken("formal-notice", 40), "due litigation"),
            ("2027-01-01", taken("litigation", 60), "waiting"),
        ];

        for (as_of, last_step, expected) in table {
            let mut chased = invoice(1);
            chased.last_step = last_step.clone();
            assert_eq!(
                decision(&chased, as_of),
                expected,
                "{as_of} after {last_step:?}"
            );
        }
    }

    #[test]
    fn a_courtesy_notice_is_never_sent_once_the_invoice_is_overdue() {
        let table = [("2026-04-01", "waiting"), ("2026-04-03", "due reminder-1")];

        for (as_of, expected) in table {
            assert_eq!(decision(&invoice(1), as_of), expected, "{as_of}");
        }
    }

    #[test]
    fn missed_days_catch_up_with_the_most_advanced_step_due() {
        let mut after_courtesy = invoice(1);
        after_courtesy.last_step = taken("courtesy", -5);
        let mut after_reminder = invoice(2);
        after_reminder.last_step = taken("reminder-1", 3);

        let table = [
            (&after_courtesy, "2026-04-05", "due reminder-1"),
            (
                &after_courtesy,
                "2026-04-20",
                "due reminder-2 skipping reminder-1",
            ),
            (
                &after_reminder,
                "2026-05-12",
                "due formal-notice skipping reminder-2,call",
            ),
            (
                &invoice(3),
                "2026-04-20",
                "due reminder-2 skipping reminder-1",
            ),
        ];

        for (chased, as_of, expected) in table {
            assert_eq!(
                decision(chased, as_of),
                expected,
                "{} on {as_of}",
                chased.number
            );
        }
    }

    #[test]
    fn holds_keep_an_invoice_back_until_they_end() {
        let mut disputed = invoice(1);
        disputed.disputed = true;
        disputed.last_step = taken("reminder-1", 3);
        let mut promised = invoice(2);
        promised.promised_on = Some(day("2026-04-20"));
        promised.last_step = taken("reminder-1", 3);
        let mut paused = invoice(3);
        paused.paused_until = Some(day("2026-04-18"));
        paused.last_step = taken("reminder-1", 3);

        let table = [
            (&disputed, "2026-04-16", "held: disputed"),
            (&disputed, "2026-09-01", "held: disputed"),
            (&promised, "2026-04-16", "held: promise 2026-04-20"),
            (&promised, "2026-04-20", "held: promise 2026-04-20"),
            (&promised, "2026-04-21", "due reminder-2"),
            (&paused, "2026-04-18", "held: paused 2026-04-18"),
            (&paused, "2026-04-19", "due reminder-2"),
            (&paused, "2026-04-10", "waiting"),
        ];

        for (chased, as_of, expected) in table {
            assert_eq!(
                decision(chased, as_of),
                expected,
                "{} on {as_of}",
                chased.number
            );
        }
    }

    #[test]
    fn partial_payment_keeps_invoice_in_dunning_and_settled_invoices_leave() {
        let mut partly_paid = invoice(1);
        partly_paid.status = InvoiceStatus::PartiallyPaid;
        partly_paid.remaining = eur("250.00");
        let mut paid = invoice(2);
        paid.status = InvoiceStatus::Paid;
        paid.remaining = eur("0.00");
        let mut void = invoice(3);
        void.status = InvoiceStatus::Void;
        let mut written_off = invoice(4);
        written_off.status = InvoiceStatus::Uncollectible;
        let mut draft = invoice(5);
        draft.status = InvoiceStatus::Draft;

        let table = [
            (&partly_paid, "due reminder-1"),
            (&paid, "leaves"),
            (&void, "leaves"),
            (&written_off, "leaves"),
            (&draft, "leaves"),
        ];

        for (chased, expected) in table {
            assert_eq!(
                decision(chased, "2026-04-03"),
                expected,
                "{}",
                chased.number
            );
        }
    }

    #[test]
    fn a_customer_gets_one_step_per_step_listing_all_its_invoices() {
        let policy = default_policy();
        let mut older = invoice(7);
        older.due_date = day("2026-03-20");
        older.last_step = taken("courtesy", -5);
        let mut same_step = invoice(3);
        same_step.due_date = day("2026-03-21");
        let mut further = invoice(9);
        further.due_date = day("2026-03-05");
        further.last_step = taken("reminder-1", 3);
        let mut disputed = invoice(4);
        disputed.due_date = day("2026-03-01");
        disputed.disputed = true;
        let not_due = invoice(5);
        let invoices = vec![same_step, further, disputed, older, not_due];

        let plan = plan_customer(&policy, &invoices, day("2026-03-24"));

        let steps: Vec<(&str, Vec<&str>)> = plan
            .steps
            .iter()
            .map(|p| {
                let numbers = p.invoices.iter().map(|i| i.number.as_str()).collect();
                (p.step.key.as_str(), numbers)
            })
            .collect();
        assert_eq!(
            steps,
            [
                ("reminder-1", vec!["F-7", "F-3"]),
                ("reminder-2", vec!["F-9"])
            ]
        );
        assert!(plan.steps.iter().all(|p| p.skipped.is_empty()));
        assert_eq!(plan.held.len(), 1);
        assert_eq!(plan.held[0].hold, Hold::Disputed);
    }

    #[test]
    fn the_idempotency_key_depends_on_customer_step_and_invoice_set_only() {
        let policy = default_policy();
        let step = policy.step("reminder-1").expect("step");
        let (a, b, c) = (invoice(1), invoice(2), invoice(3));
        fn planned<'p, 'i>(
            step: &'p DunningStep,
            invoices: Vec<&'i ChasedInvoice>,
        ) -> PlannedStep<'p, 'i> {
            PlannedStep {
                step,
                invoices,
                skipped: Vec::new(),
            }
        }

        let key = planned(step, vec![&a, &b]).idempotency_key(10, "default");

        assert_eq!(
            key,
            planned(step, vec![&b, &a]).idempotency_key(10, "default")
        );
        assert_ne!(
            key,
            planned(step, vec![&a, &b, &c]).idempotency_key(10, "default")
        );
        assert_ne!(
            key,
            planned(step, vec![&a, &b]).idempotency_key(11, "default")
        );
        assert!(key.starts_with("dun-") && key.len() == 36, "{key}");
    }
}
