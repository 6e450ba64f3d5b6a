//! deflect: a self-service help center and ticket-deflection search engine.
//!
//! Markdown files in `articles/` ([`articles`]) are indexed into tantivy
//! ([`index`]) by the [`library`], kept current by the [`watch`]er, and served
//! to customers and other sites by the [`web`] app; [`cli`] holds the commands
//! behind the `deflect` binary.

pub mod analytics;
pub mod articles;
pub mod cli;
pub mod config;
pub mod csv_guard;
pub mod error;
pub mod eval;
pub mod index;
pub mod library;
pub mod mining;
pub mod notify;
pub mod pii;
pub mod review;
pub mod store;
pub mod text;
pub mod watch;
pub mod web;

pub use config::Config;
pub use error::Error;
pub use library::Library;
