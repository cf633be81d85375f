//! The matcher against the ledger generator's two years of payments, whose
//! true allocations are known: automatic matches are almost never wrong,
//! and most payments need no person at all.

use relance_generator::GeneratorConfig;
use relance_matching::{MatchingPolicy, evaluate_generated_ledger};

#[test]
fn generated_payments_are_reconciled_automatically_and_rightly() {
    let config = GeneratorConfig {
        invoices: 6_000,
        customers: 200,
        seed: 7,
        ..GeneratorConfig::default()
    };

    let metrics =
        evaluate_generated_ledger(config, MatchingPolicy::default()).expect("a generated ledger");
    println!("{metrics:#?}");

    assert!(metrics.payments > 5_000, "{metrics:?}");
    assert!(metrics.precision_auto >= 0.995, "{metrics:?}");
    assert!(metrics.straight_through_rate >= 0.90, "{metrics:?}");
    assert!(metrics.review_share <= 0.10, "{metrics:?}");
}
