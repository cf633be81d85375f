//! What every HTTP component of Relance shares at its edge: the JSON error
//! shape, who the caller is and what they may do, and how list endpoints read
//! their query strings (filters, sort, pagination).
//!
//! The crate is pure: no I/O, no Spin dependency. Components turn requests
//! into these types, call into the storage crates, and render [`ApiError`]
//! when something goes wrong.

mod access;
mod error;
mod query;

pub use access::{Principal, Role, Scope, bearer_token};
pub use error::ApiError;
pub use query::{
    Cursor, CustomerFilter, CustomerQuery, CustomerSort, InvoiceFilter, InvoiceQuery, InvoiceSort,
    Page, QueryParameters, SegmentFilter, SortDirection, StatusFilter, invalid_parameter,
};
