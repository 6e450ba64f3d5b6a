//! Integration tests: one binary, one module per feature, all on real parts —
//! a tantivy index in a temp dir, the real router and server, the real binary,
//! the real watcher and a headless Chromium.

mod a11y;
mod agent;
mod api;
mod browser;
mod cli;
mod deflection;
mod git_sync;
mod harness;
mod inbox;
mod inputs;
mod layers;
mod mining;
mod pages;
mod pg_cluster;
mod properties;
mod replicas;
mod reports;
mod review;
mod search;
#[cfg(feature = "semantic")]
mod semantic;
mod server;
mod store_engines;
mod store_postgres;
mod watch;
