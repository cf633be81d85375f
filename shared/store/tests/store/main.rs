//! The store against a real SQLite database (rusqlite, in memory or in a
//! temporary file), through the same repositories components use.

mod applying;
mod bank;
mod bulk;
mod paging;
mod payments;
mod reconciling;
mod scoping;
mod support;
mod team_edits;
mod tokens;
