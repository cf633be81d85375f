//! Dunning: chasing every late customer at the right moment, on the right
//! channel, in its language, never twice for the same step, never while an
//! invoice is disputed, promised or paid.
//!
//! Pure rules, free of I/O and tested in place:
//! - [`policy`]: policies as ordered steps, the built-in default policy.
//! - [`schedule`]: which step is due for an invoice on a day, holds, and the
//!   consolidated step per customer with its idempotency key.
//! - [`interest`]: late interest at the ECB rate plus 10 points and the €40
//!   recovery indemnity, with the rate table as data.
//! - [`template`] and [`compose`]: the template language, the built-in
//!   French and English texts, messages as text and HTML, letters for print.
//! - [`providers`]: requests to Postmark, SendGrid, Mailgun and Brevo and
//!   what their answers mean.
//! - [`tasks`]: what a person does and the outcomes that feed back.
//!
//! Storage, against [`relance_store::Database`]: [`store`].

pub mod compose;
mod error;
pub mod interest;
pub mod policy;
pub mod providers;
pub mod schedule;
pub mod store;
pub mod tasks;
pub mod template;

pub use error::DunningError;
