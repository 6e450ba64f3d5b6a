//! Cross-origin access to the JSON API: the CORS layer for the configured
//! origins, and a record of the browsers refused for want of one. A help
//! widget embedded on a site that `cors_origins` does not list cannot read
//! the API, and the browser tells the widget nothing but "failed"; so the
//! server says it where the site owner looks: once per origin in its log
//! (WARN), and on `/healthz`.

use std::collections::BTreeSet;
use std::sync::Mutex;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::AppState;

/// Refused origins kept (the first ones seen); more are only counted in
/// the log's silence, so that no client can grow the set.
const KEPT: usize = 32;
/// Longer `Origin` values are not an origin anyone configures.
const MAX_ORIGIN: usize = 200;

/// The origins whose browser requests were refused, as first seen.
#[derive(Default)]
pub struct RefusedOrigins(Mutex<BTreeSet<String>>);

impl RefusedOrigins {
    /// Notes `origin`, logging it the first time.
    fn note(&self, origin: &str) {
        let Ok(mut seen) = self.0.lock() else { return };
        if seen.len() >= KEPT || seen.contains(origin) {
            return;
        }
        seen.insert(origin.to_string());
        tracing::warn!(
            "a page on {origin} called the API from a browser, but {origin} is not in cors_origins, so the browser \
             hides the answer (a help widget embedded there cannot search). To allow it, add \"{origin}\" to \
             cors_origins in deflect.toml"
        );
    }

    /// The refused origins, sorted.
    pub fn list(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// The CORS layer for `origins` (none when the list is empty).
pub fn layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
            .allow_headers([header::CONTENT_TYPE]),
    )
}

/// Notes an API request from a browser on another site that the CORS
/// settings refuse.
pub async fn watch(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        // The help center's own public address (behind a proxy that
        // rewrites Host) is never a refused site.
        let own = state.config.public_url.trim_end_matches('/');
        if origin != own && refused(&state.config.cors_origins, origin, host) {
            state
                .refused_origins
                .note(&crate::text::escape_controls(origin));
        }
    }
    next.run(req).await
}

/// Whether a browser on `origin` is refused: not the help center's own
/// host, and not an allowed origin.
fn refused(allowed: &[String], origin: &str, host: Option<&str>) -> bool {
    if origin.len() > MAX_ORIGIN || allowed.iter().any(|o| o == "*" || o == origin) {
        return false;
    }
    let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
    host != Some(origin_host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_other_unlisted_origins_are_refused() {
        let allowed = vec!["https://shop.example".to_string()];
        assert!(!refused(
            &allowed,
            "https://shop.example",
            Some("help.example")
        ));
        assert!(
            !refused(&allowed, "https://help.example", Some("help.example")),
            "same site"
        );
        assert!(refused(
            &allowed,
            "https://blog.example",
            Some("help.example")
        ));
        assert!(
            refused(&allowed, "null", Some("help.example")),
            "a file opened from disk"
        );
        assert!(!refused(&["*".into()], "https://any.example", None));
        let seen = RefusedOrigins::default();
        for i in 0..100 {
            seen.note(&format!("https://{i}.example"));
        }
        seen.note("https://0.example");
        assert_eq!(seen.list().len(), KEPT, "bounded");
    }
}
