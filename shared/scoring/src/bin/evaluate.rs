//! `evaluate <payment-history.csv>`: trains the payment model on the oldest
//! 80 % of the file's invoices and prints how it does on the newest 20 %.

use std::process::ExitCode;

use relance_scoring::model::TrainingSettings;
use relance_scoring::payment_history::{Evaluation, evaluate, read_payment_history};

/// Share of the newest invoices measured on.
const TEST_SHARE: f64 = 0.2;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: evaluate <payment-history.csv>");
        return ExitCode::from(2);
    };

    let outcome = std::fs::read_to_string(&path)
        .map_err(|error| format!("cannot read {path}: {error}"))
        .and_then(|text| read_payment_history(&text).map_err(|error| error.to_string()))
        .and_then(|invoices| {
            evaluate(invoices, TEST_SHARE, &TrainingSettings::default())
                .map_err(|error| error.to_string())
        });

    match outcome {
        Ok(evaluation) => {
            print(&evaluation);
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn print(evaluation: &Evaluation) {
    println!(
        "trained on {} invoices, tested on {} invoices from {}",
        evaluation.training_invoices, evaluation.test_invoices, evaluation.test_from
    );
    println!(
        "chosen on the {} most recent training invoices:",
        evaluation.model.validation_invoices
    );
    for candidate in &evaluation.model.candidates {
        if let Some(lateness) = &candidate.lateness {
            println!(
                "  {:<32} AUC {:.3}  accuracy {:.3}  log loss {:.3}",
                candidate.model,
                lateness.auc.unwrap_or(f64::NAN),
                lateness.accuracy,
                lateness.log_loss
            );
        }
        if let Some(days) = &candidate.days {
            println!(
                "  {:<32} MAE {:.2} days  RMSE {:.2} days",
                candidate.model, days.mae, days.rmse
            );
        }
    }

    let lateness = &evaluation.lateness;
    println!("paid after the due date, on the test invoices:");
    println!(
        "  AUC                {:.3}",
        lateness.auc.unwrap_or(f64::NAN)
    );
    println!("  accuracy           {:.3}", lateness.accuracy);
    println!("  Brier score        {:.3}", lateness.brier);
    println!("  calibration error  {:.3}", lateness.calibration_error);
    println!("days to settle, on the test invoices:");
    println!(
        "  model              MAE {:.2}  RMSE {:.2}",
        evaluation.days.mae, evaluation.days.rmse
    );
    println!(
        "  training mean      MAE {:.2}  RMSE {:.2}",
        evaluation.mean_baseline.mae, evaluation.mean_baseline.rmse
    );
    println!(
        "  due date           MAE {:.2}  RMSE {:.2}",
        evaluation.due_date_baseline.mae, evaluation.due_date_baseline.rmse
    );
}
