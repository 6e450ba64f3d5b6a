//! deflect: a self-service help center and ticket-deflection search engine.
//!
//! Markdown files in `articles/` ([`articles`]) are indexed into tantivy
//! ([`index`]) by the [`library`], kept current by the [`watch`]er, and served
//! to customers and other sites by the [`web`] app; [`cli`] holds the commands
//! behind the `deflect` binary.
//!
//! Data flows one way. Each module imports only from the layers below its
//! own, never from above and never from a sibling in its layer (a piece two
//! siblings share moves down); `tests/layers.rs` checks this diagram against
//! every `crate::` path in `src/`:
//!
//! ```text
//! cli                    (the `deflect` commands; `serve` starts the web app)
//! web                    (HTTP pages, the JSON API, the widget)
//! intake                 (tickets from every channel: checked, stored, announced)
//! mining analytics eval  (jobs: FAQ mining, deflection reports, relevance)
//! review                 (the peer-review workflow: its rules and service)
//! watch                  (keeps the library in step with `articles/`)
//! library outbox         (the live help center; deliveries from the outbox)
//! error                  (gathers the errors of the layers below)
//! index store            (the derived search index; every database access)
//! config                 (settings resolved once into typed values)
//! articles pii templates text csv_guard atomic_file semantic git
//!                        (leaves: parsing, rendering, scrubbing, UI text, safe output, whole-file writes,
//!                         the sentence model, git in the articles folder)
//! ```

pub mod analytics;
pub mod articles;
pub mod atomic_file;
pub mod cli;
pub mod config;
pub mod csv_guard;
pub mod error;
pub mod eval;
pub mod git;
pub mod index;
pub mod intake;
pub mod library;
pub mod mining;
pub mod outbox;
pub mod pii;
pub mod review;
pub mod semantic;
pub mod store;
pub mod templates;
pub mod text;
pub mod watch;
pub mod web;

pub use config::Config;
pub use error::Error;
pub use library::Library;
