//! The anonymous visitor: a random session id in a browser-session cookie
//! (no personal data; none at all when the browser asks not to be tracked and
//! `analytics.honor_dnt` is on), and the helpers handlers use to record
//! deflection events for it. Recording never blocks a request: events go to
//! the bounded [`EventSink`](crate::analytics::capture::EventSink).

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::auth::cookie;
use super::AppState;
use crate::analytics::{Event, EventKind, Source};

/// The analytics session cookie.
pub const SID_COOKIE: &str = "deflect_sid";

/// Who is browsing, for analytics: `None` when nothing may be recorded.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    pub sid: Option<String>,
}

/// Whether `s` looks like a session id deflect (or its widget) made.
pub fn is_session_id(s: &str) -> bool {
    (8..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Whether the browser asked not to be tracked.
fn do_not_track(headers: &HeaderMap) -> bool {
    let on = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() == "1")
    };
    on("dnt") || on("sec-gpc")
}

/// Middleware: finds or makes the visitor's session id and sets the cookie
/// on the first HTML page.
pub async fn visitor(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let analytics = &state.config.analytics;
    let allowed =
        state.events.is_enabled() && !(analytics.honor_dnt && do_not_track(req.headers()));
    let existing = cookie(req.headers(), SID_COOKIE)
        .filter(|s| is_session_id(s))
        .map(String::from);
    let (sid, fresh) = match (allowed, existing) {
        (false, _) => (None, false),
        (true, Some(s)) => (Some(s), false),
        (true, None) => (Some(crate::store::random_token()[..32].to_string()), true),
    };
    req.extensions_mut().insert(Visitor { sid: sid.clone() });
    let mut res = next.run(req).await;
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if let (true, true, Some(sid)) = (fresh, is_page, sid) {
        // A browser-session cookie: it ends when the browser closes.
        let value = super::auth::set_browser_session_cookie(&state, SID_COOKIE, &sid);
        if let Ok(v) = HeaderValue::from_str(&value) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

impl AppState {
    /// Records an event for `session` (nothing when it is `None`).
    pub fn record(
        &self,
        session: Option<&str>,
        kind: EventKind,
        source: Source,
        fill: impl FnOnce(&mut Event),
    ) {
        let Some(session) = session else { return };
        let mut event = Event::new(kind, session, source);
        fill(&mut event);
        if let Some(q) = event.query.take() {
            event.query = Some(scrub(&q));
        }
        self.events.record(event);
    }
}

/// A query with personal data (emails, phone, card and order numbers)
/// replaced by placeholders, and cut to a sane length.
pub fn scrub(q: &str) -> String {
    let masked = crate::pii::mask(q.trim());
    masked.chars().take(200).collect()
}

/// The session a script request names (`session` parameter), else the cookie's.
pub fn script_session(visitor: &Visitor, named: Option<&str>) -> Option<String> {
    visitor.sid.as_ref()?;
    named
        .filter(|s| is_session_id(s))
        .map(String::from)
        .or_else(|| visitor.sid.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_lose_personal_data() {
        let cases = [
            ("refund for jane.doe@example.com", "refund for [email]"),
            (
                "call me on +44 20 7946 0958 please",
                "call me on [phone] please",
            ),
            ("card 4111 1111 1111 1111 declined", "card [card] declined"),
            ("order 123456789 missing", "order [number] missing"),
            ("reset password", "reset password"),
        ];
        for (q, want) in cases {
            assert_eq!(scrub(q), want, "{q}");
        }
    }

    #[test]
    fn session_ids_are_checked() {
        assert!(is_session_id("0123456789abcdef"));
        assert!(!is_session_id("short"));
        assert!(!is_session_id("has space inside it"));
        assert!(!is_session_id("<script>alert(1)</script>"));
    }
}
