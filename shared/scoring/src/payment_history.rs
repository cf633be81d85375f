//! Payment-history CSV files with one settled invoice per line, such as the
//! IBM "Accounts Receivable" sample (`customerID`, `invoiceNumber`,
//! `InvoiceDate`, `DueDate`, `InvoiceAmount`, `Disputed`, `SettledDate`,
//! `PaperlessBill`, dates as M/D/YYYY), and the evaluation of the payment
//! model on them: trained on the oldest 80 % of invoices by invoice date,
//! measured on the newest 20 %, every invoice described only by what was
//! settled before its own invoice date.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::ScoringError;
use crate::history::{Billing, InvoiceFacts, Ledger};
use crate::metrics::{ClassifierMetrics, RegressionMetrics};
use crate::model::{Example, ModelMetrics, PaymentModel, TrainingSettings, training_examples};

/// The columns read; others are ignored.
const COLUMNS: [&str; 8] = [
    "customerID",
    "invoiceNumber",
    "InvoiceDate",
    "DueDate",
    "InvoiceAmount",
    "Disputed",
    "SettledDate",
    "PaperlessBill",
];

/// Reads the file's invoices; identifiers are line numbers (invoices) and
/// order of first appearance (customers).
///
/// The file gives no dispute date: a disputed invoice is taken as disputed
/// from its invoice date.
pub fn read_payment_history(text: &str) -> Result<Vec<InvoiceFacts>, ScoringError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| problem(1, "header", &e.to_string()))?
        .clone();
    let mut positions = [0; COLUMNS.len()];
    for (position, column) in positions.iter_mut().zip(COLUMNS) {
        *position = header
            .iter()
            .position(|name| name == column)
            .ok_or_else(|| problem(1, column, "is missing from the header"))?;
    }

    let mut customers: BTreeMap<String, i64> = BTreeMap::new();
    let mut invoices = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.map_err(|e| problem(line, "line", &e.to_string()))?;
        let field = |column: usize| record.get(positions[column]).unwrap_or_default().trim();
        let date = |column: usize| {
            NaiveDate::parse_from_str(field(column), "%m/%d/%Y").map_err(|_| {
                problem(
                    line,
                    COLUMNS[column],
                    &format!("{:?} is not a M/D/YYYY date", field(column)),
                )
            })
        };

        let next_customer = customers.len() as i64 + 1;
        let customer_id = *customers
            .entry(field(0).to_owned())
            .or_insert(next_customer);
        let issue_date = date(2)?;
        let settled_on = date(6)?;
        let amount: f64 = field(4).parse().map_err(|_| {
            problem(
                line,
                COLUMNS[4],
                &format!("{:?} is not an amount", field(4)),
            )
        })?;
        let disputed = match field(5) {
            "Yes" => true,
            "No" => false,
            other => {
                return Err(problem(
                    line,
                    COLUMNS[5],
                    &format!("{other:?} is not Yes or No"),
                ));
            }
        };
        let billing = match field(7) {
            "Paper" => Billing::Paper,
            "Electronic" => Billing::Electronic,
            _ => Billing::Unknown,
        };

        invoices.push(InvoiceFacts {
            invoice_id: line as i64,
            customer_id,
            number: field(1).to_owned(),
            issue_date,
            due_date: date(3)?,
            amount,
            billing,
            disputed_on: disputed.then_some(issue_date),
            payment_dates: vec![settled_on],
            settled_on: Some(settled_on),
            reminder_dates: Vec::new(),
        });
    }
    Ok(invoices)
}

fn problem(line: usize, column: &str, message: &str) -> ScoringError {
    ScoringError::PaymentHistory {
        line,
        column: column.to_owned(),
        problem: message.to_owned(),
    }
}

/// What the evaluation measured on the newest invoices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Invoices trained on (the oldest).
    pub training_invoices: usize,
    /// Invoices measured on (the newest).
    pub test_invoices: usize,
    /// Invoice date of the first test invoice.
    pub test_from: NaiveDate,
    /// The model's choice and validation figures.
    pub model: ModelMetrics,
    /// "Paid after the due date" on the test invoices.
    pub lateness: ClassifierMetrics,
    /// Days to settle on the test invoices.
    pub days: RegressionMetrics,
    /// Days to settle predicted as the training mean.
    pub mean_baseline: RegressionMetrics,
    /// Days to settle predicted as the payment terms (paid on the due date).
    pub due_date_baseline: RegressionMetrics,
}

/// Trains on the oldest `1 - test_share` of `invoices` by invoice date (the
/// file's order breaking ties) and measures on the rest.
pub fn evaluate(
    invoices: Vec<InvoiceFacts>,
    test_share: f64,
    settings: &TrainingSettings,
) -> Result<Evaluation, ScoringError> {
    let last_day = invoices
        .iter()
        .filter_map(|invoice| invoice.settled_on)
        .max()
        .ok_or(ScoringError::TooFewExamples {
            found: 0,
            needed: settings.minimum_examples,
        })?;
    let ledger = Ledger::new(invoices);
    let examples = training_examples(&ledger, last_day.succ_opt().unwrap_or(last_day));

    let training_count = ((examples.len() as f64) * (1.0 - test_share)).floor() as usize;
    let (training, test) = examples.split_at(training_count.min(examples.len()));
    let first_test = test.first().ok_or(ScoringError::TooFewExamples {
        found: 0,
        needed: 1,
    })?;
    let model = PaymentModel::train(training, settings)?;

    let probabilities: Vec<f64> = test
        .iter()
        .map(|e| model.probability_late(&e.features))
        .collect();
    let late: Vec<bool> = test.iter().map(|e| e.late).collect();
    let predicted: Vec<f64> = test
        .iter()
        .map(|e| model.days_to_settle(&e.features))
        .collect();
    let actual = settled_days(test);
    let training_mean = settled_days(training).iter().sum::<f64>() / training.len() as f64;
    let terms: Vec<f64> = test
        .iter()
        .map(|e| e.features.get(crate::features::Feature::TermsDays))
        .collect();

    Ok(Evaluation {
        training_invoices: training.len(),
        test_invoices: test.len(),
        test_from: first_test.issue_date,
        model: model.metrics.clone(),
        lateness: ClassifierMetrics::measure(&probabilities, &late),
        days: RegressionMetrics::measure(&predicted, &actual),
        mean_baseline: RegressionMetrics::measure(&vec![training_mean; actual.len()], &actual),
        due_date_baseline: RegressionMetrics::measure(&terms, &actual),
    })
}

fn settled_days(examples: &[Example]) -> Vec<f64> {
    examples
        .iter()
        .map(|example| example.days_to_settle.unwrap_or_default())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate
391,0379-NEVHP,4/6/2013,0000611365,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0
406,8976-AMJEO,3/3/2012,0007900770,1/26/2013,2/25/2013,61.74,Yes,3/3/2013,Electronic,36,6
391,0379-NEVHP,4/6/2013,0009231909,7/3/2013,8/2/2013,65.88,No,7/8/2013,Electronic,5,0
";

    #[test]
    fn the_sample_file_format_is_read() {
        let invoices = read_payment_history(SAMPLE).expect("readable");

        assert_eq!(invoices.len(), 3);
        let second = &invoices[1];
        assert_eq!(second.number, "0007900770");
        assert_eq!(second.customer_id, 2);
        assert_eq!(invoices[2].customer_id, 1);
        assert_eq!(second.delay_days(), Some(6));
        assert_eq!(second.days_to_settle(), Some(36));
        assert_eq!(second.disputed_on, Some(second.issue_date));
        assert_eq!(invoices[0].billing, Billing::Paper);
    }

    #[test]
    fn a_bad_date_is_quoted_with_its_line_and_column() {
        let broken = SAMPLE.replace("7/8/2013", "2013-07-08");

        let error = read_payment_history(&broken).expect_err("not M/D/YYYY");

        assert_eq!(
            error.to_string(),
            "payment history line 4, column `SettledDate`: \"2013-07-08\" is not a M/D/YYYY date"
        );
    }
}
