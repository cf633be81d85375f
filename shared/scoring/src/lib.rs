//! Payment-behaviour scoring: from the ledger's own history, which open
//! invoices will be paid late, when each will really be paid, and which
//! customers are slipping, with the reasons in plain words. A score never
//! acts by itself: it raises an alert for a person to review.
//!
//! - [`history`]: the facts of each invoice (issued, due, disputed,
//!   reminded, paid) that scoring reads.
//! - [`features`]: features computed only from what was known on a cut-off
//!   day, so training on the past sees what scoring sees today.
//! - [`linear`], [`trees`], [`calibration`]: a regularised logistic
//!   regression, ridge regression, small gradient-boosted trees and Platt
//!   scaling, all in plain Rust so they train and predict inside the Wasm
//!   component.
//! - [`model`]: training, the choice between models by measurement, and
//!   predictions for invoices and customers.
//! - [`reasons`]: what drives a customer's score, in words.
//! - [`alerts`]: the rules that put a customer in front of a person.
//! - [`metrics`]: AUC, accuracy, calibration, MAE, RMSE.
//! - [`payment_history`]: the evaluation on a payment-history CSV.
//! - [`store`]: the ledger read, and models, scores and alerts written,
//!   through the system of record.

pub mod alerts;
pub mod calibration;
mod error;
pub mod features;
pub mod history;
pub mod linear;
pub mod metrics;
pub mod model;
pub mod payment_history;
pub mod reasons;
pub mod store;
pub mod trees;

pub use error::ScoringError;
