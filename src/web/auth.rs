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

/// Counts failed sign-ins per client and name; too many in a window lock
/// that pair out until the window passes.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<Attempter, Vec<Instant>>>,
}

/// Who is trying: the client address and the name typed.
type Attempter = (Option<IpAddr>, String);

/// Failed sign-ins allowed per window.
const MAX_FAILURES: usize = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);

impl LoginLimiter {
    /// Whether this client may try to sign in as `name` now.
    pub fn allowed(&self, ip: Option<IpAddr>, name: &str) -> bool {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry((ip, name.to_lowercase())).or_default();
        entry.retain(|t| t.elapsed() < WINDOW);
        entry.len() < MAX_FAILURES
    }

    /// Records a failed attempt.
    pub fn failed(&self, ip: Option<IpAddr>, name: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.entry((ip, name.to_lowercase()))
            .or_default()
            .push(Instant::now());
        if map.len() > 10_000 {
            map.retain(|_, v| v.iter().any(|t| t.elapsed() < WINDOW));
        }
    }

    /// Forgets failures after a successful sign-in.
    pub fn succeeded(&self, ip: Option<IpAddr>, name: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(ip, name.to_lowercase()));
    }
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
    fn limiter_locks_after_five_failures() {
        let l = LoginLimiter::default();
        for _ in 0..5 {
            assert!(l.allowed(None, "ana"));
            l.failed(None, "ana");
        }
        assert!(!l.allowed(None, "ANA"));
        assert!(l.allowed(None, "bo"), "other names are not affected");
    }
}
