//! Deflection analytics: the events of ARCHITECTURE.md ("Deflection"), how
//! they are captured without slowing a request ([`capture`]), and the metrics
//! and reports built from them ([`metrics`], [`report`]).

pub mod capture;
pub mod deflection;
pub mod report;

// The event types are the store's records: analytics reads and writes them
// through the store, and the store never reaches up into analytics.
pub use crate::store::{Event, EventKind, Source};

/// A query as reports group it: lowercased, words in order, punctuation
/// and extra spaces gone.
pub fn normalize_query(q: &str) -> String {
    q.split(|c: char| !c.is_alphanumeric() && c != '[' && c != ']')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}
