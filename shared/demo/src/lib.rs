//! The demo ledger: a ledger from the seeded generator, loaded into a
//! running Relance through its public API exactly as a company's systems
//! would send it, so a newcomer sees every part working on realistic data.
//!
//! [`load`] sends what the state directory does not hold yet (a restart
//! resumes where the last one stopped and sends nothing twice), runs the
//! daily jobs the app serves, and issues one token per role; [`DemoReady`]
//! prints where to look.

mod api;
mod book;
mod load;
mod ready;

pub use api::AppAccess;
pub use book::{BOOK_FILE, DEMO_SOURCE, DemoBook, DemoBookError};
pub use load::{DemoApp, OPTIONAL_PATHS, load};
pub use ready::{DemoReady, DemoToken, LoadTally};
