//! Who is asking: the session cookie of a signed-in agent, CSRF checks for
//! every state-changing request, and a limit on failed sign-ins. The cookie is
//! `HttpOnly` and `SameSite=Lax` (and `Secure` when configured); forms carry
//! the session's CSRF token, script requests send it as `X-CSRF-Token`, and
//! the sign-in form (no session yet) uses a double-submit cookie.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap};

use super::{AppError, AppState};
use crate::index::Audience;
use crate::store::{Role, Session};

/// The session cookie.
pub const SESSION_COOKIE: &str = "deflect_session";
/// The sign-in form's CSRF cookie.
pub const LOGIN_CSRF_COOKIE: &str = "deflect_login_csrf";

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value with deflect's flags.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Duration) -> String {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        max_age.as_secs()
    )
}

/// The signed-in agent's session, if any.
pub fn session(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    let token = cookie(headers, SESSION_COOKIE)?;
    match state.store.session(token) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("session lookup failed: {e}");
            None
        }
    }
}

/// Customers see public articles; signed-in agents internal ones too.
pub fn audience(state: &AppState, headers: &HeaderMap) -> Audience {
    if session(state, headers).is_some() {
        Audience::Agent
    } else {
        Audience::Public
    }
}

/// The session, or 403 (for requests that are not page loads).
pub fn require(state: &AppState, headers: &HeaderMap, role: Role) -> Result<Session, AppError> {
    let s = session(state, headers)
        .ok_or_else(|| AppError::Forbidden("Sign in to the agent workspace first.".into()))?;
    if s.account.role < role {
        return Err(AppError::Forbidden(format!(
            "This needs the {} role.",
            role.as_str()
        )));
    }
    Ok(s)
}

/// Checks a submitted CSRF token against the session's.
pub fn check_csrf(session: &Session, submitted: Option<&str>) -> Result<(), AppError> {
    match submitted {
        Some(t) if constant_time_eq(t.as_bytes(), session.csrf.as_bytes()) => Ok(()),
        _ => Err(AppError::Forbidden(
            "This form has expired or did not come from this site. Reload the page and try again."
                .into(),
        )),
    }
}

/// Compares without leaking where the first difference is.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Counts attempts per key (a client address, or address and name) in a
/// sliding window; a key that reached the limit waits until the window has
/// passed. Used for failed sign-ins and for contact-form submissions.
pub struct Limiter {
    max: usize,
    window: Duration,
    hits: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Limiter {
    pub fn new(max: usize, window: Duration) -> Limiter {
        Limiter {
            max,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `key` may try now.
    pub fn allowed(&self, key: &str) -> bool {
        let mut map = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(key) {
            Some(hits) => {
                hits.retain(|t| t.elapsed() < self.window);
                hits.len() < self.max
            }
            None => true,
        }
    }

    /// Counts an attempt.
    pub fn hit(&self, key: &str) {
        let mut map = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key.to_string()).or_default().push(Instant::now());
        if map.len() > 10_000 {
            let window = self.window;
            map.retain(|_, v| v.iter().any(|t| t.elapsed() < window));
        }
    }

    /// Forgets `key` (after a successful sign-in).
    pub fn clear(&self, key: &str) {
        self.hits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

/// The key of a client, and optionally a name typed, for a [`Limiter`].
pub fn limit_key(ip: Option<IpAddr>, name: &str) -> String {
    let ip = ip.map_or_else(|| "-".to_string(), |i| i.to_string());
    format!("{ip}|{}", name.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "a=1; deflect_session=abc".parse().unwrap());
        h.append(header::COOKIE, "b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn limiter_locks_after_max_hits() {
        let l = Limiter::new(5, Duration::from_secs(60));
        for _ in 0..5 {
            assert!(l.allowed(&limit_key(None, "ana")));
            l.hit(&limit_key(None, "ana"));
        }
        assert!(!l.allowed(&limit_key(None, "ANA")));
        assert!(
            l.allowed(&limit_key(None, "bo")),
            "other names are not affected"
        );
        l.clear(&limit_key(None, "ana"));
        assert!(l.allowed(&limit_key(None, "ana")));
    }
}
