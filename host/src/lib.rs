//! The Spin-compatible host of Relance: reads `spin.toml`, builds the
//! components, and serves them on wasmtime with the Spin interfaces.

pub mod app;
pub mod bindings;
pub mod builder;
pub mod demo;
pub mod key_value;
pub mod launch;
pub mod manifest;
pub mod outbound;
pub mod outbound_http;
pub mod router;
pub mod runtime_config;
pub mod scheduler;
pub mod server;
pub mod sqlite;
pub mod state;
pub mod variables;
