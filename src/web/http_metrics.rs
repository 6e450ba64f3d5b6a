//! `/metrics` in Prometheus' text format: requests and latency per route,
//! search latency, analytics events captured and shed, the outbox depth and
//! the number of indexed articles. Counters are atomics updated by a
//! middleware; nothing here takes a lock on the request path but the
//! per-route map's read lock.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A latency histogram with fixed buckets.
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Sum in microseconds (atomics hold integers).
    sum_us: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, seconds: f64) {
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, le) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {}",
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum{{{labels}}} {}",
            self.sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
    }
}

/// Per-route request metrics.
#[derive(Default)]
pub struct HttpMetrics {
    routes: RwLock<BTreeMap<(String, u16), Histogram>>,
    /// Time spent in the search engine (pages, API and CLI alike).
    pub search: Histogram,
}

impl HttpMetrics {
    fn observe(&self, route: &str, status: u16, seconds: f64) {
        let key = (route.to_string(), status);
        if let Some(h) = self
            .routes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            h.observe(seconds);
            return;
        }
        let mut routes = self.routes.write().unwrap_or_else(|e| e.into_inner());
        routes.entry(key).or_default().observe(seconds);
    }
}

/// Middleware: times every request under its route pattern (never its raw
/// path, so a scan of random URLs cannot grow the map).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    state.http_metrics.observe(
        &route,
        res.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    res
}

/// `GET /metrics`
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut out = String::with_capacity(8 * 1024);
    out.push_str(
        "# HELP deflect_http_request_duration_seconds Requests by route pattern and status.\n",
    );
    out.push_str("# TYPE deflect_http_request_duration_seconds histogram\n");
    for ((route, status), h) in state
        .http_metrics
        .routes
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
    {
        let route = route.replace('\\', "\\\\").replace('"', "\\\"");
        h.write(
            &mut out,
            "deflect_http_request_duration_seconds",
            &format!("route=\"{route}\",status=\"{status}\""),
        );
    }
    out.push_str("# HELP deflect_search_duration_seconds Time spent searching the index.\n");
    out.push_str("# TYPE deflect_search_duration_seconds histogram\n");
    state
        .http_metrics
        .search
        .write(&mut out, "deflect_search_duration_seconds", "");
    let stats = state.events.stats();
    for (name, help, value) in [
        (
            "deflect_events_captured_total",
            "Analytics events accepted for writing.",
            &stats.captured,
        ),
        (
            "deflect_events_shed_total",
            "Analytics events dropped because the writer was behind.",
            &stats.shed,
        ),
        (
            "deflect_events_written_total",
            "Analytics events written to the store.",
            &stats.written,
        ),
        (
            "deflect_events_failed_total",
            "Analytics events lost to a database error.",
            &stats.failed,
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
            value.load(Ordering::Relaxed)
        );
    }
    // A database read: off the async workers.
    let store = std::sync::Arc::clone(&state.store);
    let depth = tokio::task::spawn_blocking(move || store.undelivered_count())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0);
    let _ = writeln!(out, "# HELP deflect_outbox_depth Deliveries (tickets, notifications) not yet accepted.\n# TYPE deflect_outbox_depth gauge\ndeflect_outbox_depth {depth}");
    let docs = state.library.index().len();
    let _ = writeln!(out, "# HELP deflect_index_documents Articles in the search index.\n# TYPE deflect_index_documents gauge\ndeflect_index_documents {docs}");
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}
