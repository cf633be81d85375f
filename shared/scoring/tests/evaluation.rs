//! The payment model on the IBM accounts-receivable sample: trained on the
//! oldest 80 % of invoices, measured on the newest 20 %. The thresholds sit
//! a little below the targets (AUC 0.93, MAE 4.0 days), so that a change
//! making the model worse fails here.

use std::path::PathBuf;

use relance_scoring::model::TrainingSettings;
use relance_scoring::payment_history::{evaluate, read_payment_history};

fn sample() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/payment-history/WA_Fn-UseC_-Accounts-Receivable.csv");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("the sample {} is needed: {error}", path.display()))
}

#[test]
fn the_model_beats_the_logistic_baseline_on_the_newest_invoices() {
    let invoices = read_payment_history(&sample()).expect("the sample is readable");

    let evaluation = evaluate(invoices, 0.2, &TrainingSettings::default()).expect("evaluated");

    assert_eq!(evaluation.test_invoices, 494);
    assert_eq!(evaluation.test_from.to_string(), "2013-07-12");
    let auc = evaluation
        .lateness
        .auc
        .expect("both outcomes in the test set");
    assert!(auc >= 0.925, "AUC {auc:.3}");
    assert!(
        evaluation.lateness.accuracy >= 0.84,
        "accuracy {:.3}",
        evaluation.lateness.accuracy
    );
    assert!(
        evaluation.days.mae <= 4.1,
        "MAE {:.2} days",
        evaluation.days.mae
    );
    assert!(
        evaluation.days.rmse <= 5.4,
        "RMSE {:.2} days",
        evaluation.days.rmse
    );
    assert!(evaluation.lateness.calibration_error <= 0.1);
    assert!(evaluation.days.mae < evaluation.mean_baseline.mae / 2.0);
}
