//! What the demo loaded and where to look: the tally, the dashboard address,
//! the KPI figures and one token per role, written for the terminal.

use std::fmt;

use chrono::NaiveDate;
use serde_json::Value;

/// What was sent to the app, counted from its answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadTally {
    /// Customer events sent.
    pub customers: u64,
    /// Invoices the bulk API applied.
    pub invoices: u64,
    /// Credit-note events sent.
    pub credit_notes: u64,
    /// New bank transactions the statements brought.
    pub transactions: u64,
    /// Payments the reconciliation matched and applied without review.
    pub auto_applied: u64,
    /// Payments the reconciliation put in the review queue.
    pub to_review: u64,
}

impl LoadTally {
    /// Adds a month's tally.
    pub fn add(&mut self, other: &LoadTally) {
        self.customers += other.customers;
        self.invoices += other.invoices;
        self.credit_notes += other.credit_notes;
        self.transactions += other.transactions;
        self.auto_applied += other.auto_applied;
        self.to_review += other.to_review;
    }

    /// Counts a statement upload's answer and the reconciliation it chained.
    pub fn add_statement(&mut self, answer: &Value) {
        let count = |value: &Value| value.as_u64().unwrap_or(0);
        self.transactions += count(&answer["transactions"]["inserted"]);
        self.auto_applied += count(&answer["reconciliation"]["auto_applied"]);
        self.to_review += count(&answer["reconciliation"]["sent_to_review"]);
    }

    /// The progress line of month `number` of `months`.
    pub fn month_line(&self, first_day: &NaiveDate, number: u32, months: u32) -> String {
        format!(
            "demo: [{number:>2}/{months}] {}: {} invoices, {} credit notes, {} bank \
             transactions, {} matched, {} to review",
            first_day.format("%Y-%m"),
            self.invoices,
            self.credit_notes,
            self.transactions,
            self.auto_applied,
            self.to_review
        )
    }
}

/// A token the demo issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoToken {
    /// The role, as the API names it.
    pub role: String,
    /// The salesperson or collector whose portfolio it sees.
    pub person: Option<String>,
    /// The bearer token.
    pub token: String,
}

/// The demo, loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReady {
    /// Where the team looks first.
    pub dashboard: String,
    /// What this start sent (nothing when the state directory held it all).
    pub loaded: LoadTally,
    /// The KPI summary's figures, by name, when the app serves KPIs.
    pub figures: Vec<(String, String)>,
    /// One token per role.
    pub tokens: Vec<DemoToken>,
}

impl fmt::Display for DemoReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loaded = &self.loaded;
        writeln!(
            f,
            "Demo ready: this start loaded {} customers, {} invoices, {} credit notes and {} \
             bank transactions ({} matched automatically, {} waiting for review).",
            loaded.customers,
            loaded.invoices,
            loaded.credit_notes,
            loaded.transactions,
            loaded.auto_applied,
            loaded.to_review
        )?;
        writeln!(f, "Dashboard: {}", self.dashboard)?;

        if !self.figures.is_empty() {
            writeln!(f, "KPIs:")?;
            for (name, value) in &self.figures {
                writeln!(f, "  {name:<40} {value}")?;
            }
        }

        writeln!(f, "Demo tokens (send as `Authorization: Bearer <token>`):")?;
        for token in &self.tokens {
            let who = match &token.person {
                Some(person) => format!("{} ({person})", token.role),
                None => token.role.clone(),
            };
            writeln!(f, "  {who:<36} {}", token.token)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_statement_answer_counts_new_transactions_and_the_chained_reconciliation() {
        let cases = [
            (
                json!({"transactions": {"inserted": 40, "duplicates": 2},
                       "reconciliation": {"auto_applied": 31, "sent_to_review": 6}}),
                (40, 31, 6),
            ),
            (
                json!({"transactions": {"inserted": 0, "duplicates": 42}, "reconciliation": null}),
                (0, 0, 0),
            ),
            (
                json!({"transactions": {"inserted": 5},
                       "reconciliation": {"error": "the reconciliation could not be reached"}}),
                (5, 0, 0),
            ),
        ];
        for (answer, (transactions, auto_applied, to_review)) in cases {
            let mut tally = LoadTally::default();
            tally.add_statement(&answer);
            assert_eq!(
                (tally.transactions, tally.auto_applied, tally.to_review),
                (transactions, auto_applied, to_review),
                "{answer}"
            );
        }
    }

    #[test]
    fn the_ready_message_names_each_role_and_whose_portfolio_it_sees() {
        let ready = DemoReady {
            dashboard: "http://127.0.0.1:3000/dashboard".to_owned(),
            loaded: LoadTally::default(),
            figures: vec![("outstanding.total".to_owned(), "1200.00".to_owned())],
            tokens: vec![
                DemoToken {
                    role: "admin".to_owned(),
                    person: None,
                    token: "rlc_admin".to_owned(),
                },
                DemoToken {
                    role: "sales".to_owned(),
                    person: Some("alice@example.com".to_owned()),
                    token: "rlc_sales".to_owned(),
                },
            ],
        };
        let text = ready.to_string();

        assert!(
            text.contains("Dashboard: http://127.0.0.1:3000/dashboard"),
            "{text}"
        );
        assert!(text.contains("outstanding.total"), "{text}");
        assert!(text.contains("sales (alice@example.com)"), "{text}");
        assert!(
            text.lines()
                .any(|line| line.trim_end().ends_with("rlc_admin"))
        );
        assert!(
            text.starts_with("Demo ready: this start loaded 0 customers"),
            "{text}"
        );
    }
}
