//! Who is asking: the session cookie of a signed-in agent, CSRF checks for
//! every state-changing request, and a limit on failed sign-ins. The cookie is
//! `HttpOnly` and `SameSite=Lax` (and `Secure` when configured); forms carry
//! the session's CSRF token, script requests send it as `X-CSRF-Token`, and
//! the sign-in form (no session yet) uses a double-submit cookie.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap};

use super::{AppError, AppState};
use crate::index::Audience;
use crate::store::{Role, Session, Store};

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
    format!(
        "{name}={value}; {}; Max-Age={}",
        cookie_flags(state),
        max_age.as_secs()
    )
}

/// A `Set-Cookie` value with deflect's flags that ends when the browser
/// closes (no `Max-Age`).
pub fn set_browser_session_cookie(state: &AppState, name: &str, value: &str) -> String {
    format!("{name}={value}; {}", cookie_flags(state))
}

/// The flags every deflect cookie carries: the one place that decides them.
fn cookie_flags(state: &AppState) -> &'static str {
    if state.config.secure_cookies {
        "Path=/; HttpOnly; SameSite=Lax; Secure"
    } else {
        "Path=/; HttpOnly; SameSite=Lax"
    }
}

/// The signed-in agent's session, if any; a store that cannot be asked is
/// an error (503 when the database is unreachable), for pages that need
/// the session rather than a guess.
pub fn lookup(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, AppError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(state.store.session(token)?)
}

/// The signed-in agent's session, if any (a failed lookup counts as signed
/// out: the customer-facing pages that ask still serve).
pub fn session(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    lookup(state, headers).unwrap_or_else(|e| {
        tracing::error!("session lookup failed: {e:?}");
        None
    })
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
    let s = lookup(state, headers)?
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

/// Compares without leaking where the first difference is (`subtle`).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

/// Counts attempts per key (an account, a client address) in a sliding
/// window; a key that reached the limit waits until the window has passed.
/// Checking and counting are one step under one lock ([`Limiter::try_acquire`]),
/// so requests racing in parallel cannot all pass a check made before any of
/// them was counted. Used for sign-ins and for ticket submissions. Replicas
/// sharing a PostgreSQL store count in it instead ([`Limiter::shared`]).
pub struct Limiter {
    max: usize,
    window: Duration,
    hits: Mutex<HashMap<String, Vec<Instant>>>,
    /// Counting in the store instead (replicas sharing PostgreSQL), under
    /// this name.
    shared: Option<(&'static str, Arc<Store>)>,
}

/// Past this many keys, keys with no attempt in the window are dropped, so
/// a flood of distinct keys cannot grow the map without bound.
const MAX_KEYS: usize = 10_000;

impl Limiter {
    /// At most `max` attempts per key in any `window`.
    pub fn new(max: usize, window: Duration) -> Limiter {
        Limiter {
            max,
            window,
            hits: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Counts in `store` (when given) as `name`, so every replica sharing
    /// it counts the same attempts, atomically ([`Store::try_acquire_limit`]).
    pub fn shared(mut self, name: &'static str, store: Option<Arc<Store>>) -> Limiter {
        self.shared = store.map(|s| (name, s));
        self
    }

    /// Counts an attempt for `key` and returns `true` when it is within the
    /// limit; returns `false`, counting nothing, when the limit is reached.
    /// A shared limiter whose store cannot count returns the store's error
    /// (a 503): letting the attempt through uncounted would let a flood that
    /// exhausts the store's connections check passwords without limit.
    pub fn try_acquire(&self, key: &str) -> Result<bool, crate::store::Error> {
        if let Some((name, store)) = &self.shared {
            let window = self.window.as_millis() as i64;
            return store.try_acquire_limit(&format!("{name}|{key}"), self.max, window);
        }
        let mut map = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > MAX_KEYS {
            let window = self.window;
            map.retain(|_, v| v.iter().any(|t| t.elapsed() < window));
        }
        let hits = map.entry(key.to_string()).or_default();
        hits.retain(|t| t.elapsed() < self.window);
        if hits.len() >= self.max {
            return Ok(false);
        }
        hits.push(Instant::now());
        Ok(true)
    }

    /// Takes back the latest attempt counted for `key`: one that turned out
    /// not to count (a successful sign-in, a form refused for a field error).
    pub fn release(&self, key: &str) {
        if let Some((name, store)) = &self.shared {
            if let Err(e) = store.release_limit(&format!("{name}|{key}")) {
                tracing::warn!("rate limit {name} not released: {e}");
            }
            return;
        }
        let mut map = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hits) = map.get_mut(key) {
            hits.pop();
            if hits.is_empty() {
                map.remove(key);
            }
        }
    }

    /// Forgets every attempt of `key` (after a successful sign-in).
    pub fn clear(&self, key: &str) {
        if let Some((name, store)) = &self.shared {
            if let Err(e) = store.clear_limit(&format!("{name}|{key}")) {
                tracing::warn!("rate limit {name} not cleared: {e}");
            }
            return;
        }
        self.hits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

/// The client's address: the connection's peer, or, when the peer is one
/// of the configured `trusted_proxies`, the nearest address in
/// `X-Forwarded-For` that is not a trusted proxy (hops are read from the
/// right, since a client can write anything on the left of the list).
pub fn client_ip(
    proxies: &crate::config::TrustedProxies,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Option<IpAddr> {
    let mut client = peer?;
    if !proxies.contains(client) {
        return Some(client);
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .rev()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.rsplit(','));
    for hop in hops {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !proxies.contains(ip) {
                    break;
                }
            }
            // A garbled hop ends what can be believed.
            Err(_) => break,
        }
    }
    Some(client)
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
    fn behind_a_trusted_proxy_the_client_is_the_nearest_untrusted_hop() {
        let proxies =
            crate::config::TrustedProxies::parse(&["127.0.0.1".into(), "10.0.0.0/8".into()])
                .unwrap();
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        let forwarded = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.append("x-forwarded-for", v.parse().unwrap());
            h
        };
        // A client's own claim on the left is not believed.
        let h = forwarded("6.6.6.6, 203.0.113.7, 10.1.2.3");
        assert_eq!(client_ip(&proxies, &h, ip("127.0.0.1")), ip("203.0.113.7"));
        // Not from a trusted proxy: the header is the client's to invent.
        assert_eq!(
            client_ip(&proxies, &h, ip("198.51.100.1")),
            ip("198.51.100.1")
        );
        // Only proxies, or a garbled hop: the nearest address believed.
        assert_eq!(
            client_ip(&proxies, &forwarded("10.0.0.9"), ip("127.0.0.1")),
            ip("10.0.0.9")
        );
        assert_eq!(
            client_ip(&proxies, &forwarded("203.0.113.7, junk"), ip("127.0.0.1")),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_ip(&proxies, &HeaderMap::new(), ip("127.0.0.1")),
            ip("127.0.0.1")
        );
        assert_eq!(client_ip(&proxies, &h, None), None);
    }

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
    fn limiter_counts_in_the_same_step_it_checks() {
        let l = Limiter::new(5, Duration::from_secs(60));
        for _ in 0..5 {
            assert!(l.try_acquire(&limit_key(None, "ana")).unwrap());
        }
        assert!(!l.try_acquire(&limit_key(None, "ANA")).unwrap());
        assert!(
            l.try_acquire(&limit_key(None, "bo")).unwrap(),
            "other keys are not affected"
        );
        l.release(&limit_key(None, "ana"));
        assert!(
            l.try_acquire(&limit_key(None, "ana")).unwrap(),
            "a released attempt is free again"
        );
        assert!(!l.try_acquire(&limit_key(None, "ana")).unwrap());
        l.clear(&limit_key(None, "ana"));
        assert!(l.try_acquire(&limit_key(None, "ana")).unwrap());
    }

    #[test]
    fn parallel_attempts_pass_exactly_the_limit() {
        let l = std::sync::Arc::new(Limiter::new(10, Duration::from_secs(60)));
        let passed: usize = (0..40)
            .map(|_| {
                let l = std::sync::Arc::clone(&l);
                std::thread::spawn(move || l.try_acquire("k").unwrap())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| usize::from(t.join().expect("thread")))
            .sum();
        assert_eq!(passed, 10);
    }
}
