//! Signing in and out. The sign-in form is protected by a double-submit
//! CSRF cookie (there is no session yet) and by limits on failed attempts:
//! per account (its name and email count together) and per client address
//! across accounts.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use super::{context, redirect, render, FormData};
use crate::store::random_token;
use crate::web::auth::{self, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::web::params::Params;
use crate::web::{AppError, AppState};

const SESSION_AGE: Duration = Duration::from_secs(14 * 24 * 3600);

/// Only same-site paths are followed after sign-in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/agent")
                && !n.starts_with("//")
                && !n.contains("://")
                && !n.contains('\\') =>
        {
            n.to_string()
        }
        _ => "/agent".to_string(),
    }
}

fn show(
    state: &AppState,
    error: Option<&str>,
    next: &str,
    name: &str,
) -> Result<Response, AppError> {
    let token = random_token();
    let mut ctx = context(state, None, None);
    ctx.insert("csrf", &token);
    ctx.insert("error", &error);
    ctx.insert("next", next);
    ctx.insert("name", name);
    let html = render(state, "agent/login.html", &ctx)?;
    let status = if error.is_some() {
        axum::http::StatusCode::UNAUTHORIZED
    } else {
        axum::http::StatusCode::OK
    };
    let cookie = auth::set_cookie(state, LOGIN_CSRF_COOKIE, &token, Duration::from_secs(3600));
    Ok((status, [(header::SET_COOKIE, cookie)], html).into_response())
}

/// `GET /agent/login`
pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let next = safe_next(Params::parse(raw.as_deref()).text("next"));
    if auth::session(&state, &headers).is_some() {
        return Ok(redirect(&next));
    }
    show(&state, None, &next, "")
}

/// What a sign-in attempt is counted against: the account it names (its
/// name and its email are one key) and the client's address, across every
/// account it tries.
struct SignInKeys {
    account: String,
    address: String,
}

impl SignInKeys {
    /// Counts the attempt against both keys, or neither when one is locked
    /// (or cannot be counted: then the error).
    fn acquire(&self, state: &AppState) -> Result<bool, AppError> {
        if !state.login_limiter.try_acquire(&self.account)? {
            return Ok(false);
        }
        match state.login_address_limiter.try_acquire(&self.address) {
            Ok(true) => Ok(true),
            other => {
                state.login_limiter.release(&self.account);
                Ok(other?)
            }
        }
    }

    /// Takes the attempt back: it was not a password check.
    fn release(&self, state: &AppState) {
        state.login_limiter.release(&self.account);
        state.login_address_limiter.release(&self.address);
    }

    /// The right password: the account starts afresh, and the address is
    /// charged only for its failures.
    fn succeeded(&self, state: &AppState) {
        state.login_limiter.clear(&self.account);
        state.login_address_limiter.release(&self.address);
    }
}

/// The limiter key of the account `name` signs in as, by name or email; a
/// name that matches no account is its own key.
fn account_key(state: &AppState, name: &str) -> Result<String, AppError> {
    Ok(match state.store.account_by_name(name)? {
        Some(account) => format!("account:{}", account.id),
        None => format!("name:{}", name.trim().to_lowercase()),
    })
}

/// `POST /agent/login`
pub async fn submit(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body)?;
    let next = safe_next(form.get("next"));
    let name = form.get("name").unwrap_or_default().to_string();
    let expected = auth::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty()
        || !auth::constant_time_eq(
            expected.as_bytes(),
            form.get("csrf").unwrap_or_default().as_bytes(),
        )
    {
        return Err(AppError::Forbidden(
            "The sign-in form expired. Reload the page and try again.".into(),
        ));
    }
    // Behind the real server the peer address is known; in-process tests have none.
    let peer = connect.map(|Extension(ConnectInfo(peer))| peer.ip());
    let ip = auth::client_ip(&state.config.trusted_proxies, &headers, peer);
    let keys = SignInKeys {
        account: account_key(&state, &name)?,
        address: auth::limit_key(ip, ""),
    };
    if !keys.acquire(&state)? {
        return Err(AppError::TooMany(
            "Too many failed sign-ins. Wait 15 minutes and try again.".into(),
        ));
    }
    let password = form.get("password").unwrap_or_default().to_string();
    let store = state.store.clone();
    let who = name.clone();
    let checked = tokio::task::spawn_blocking(move || store.verify_password(&who, &password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
        .and_then(|r| r.map_err(AppError::from));
    let account = match checked {
        Ok(account) => account,
        Err(e) => {
            // The password was never compared: the attempt does not count.
            keys.release(&state);
            return Err(e);
        }
    };
    let Some(account) = account else {
        return show(
            &state,
            Some("That name and password do not match an active account."),
            &next,
            &name,
        );
    };
    keys.succeeded(&state);
    let token = state.store.create_session(account.id)?;
    let mut res = redirect(&next);
    let cookie = auth::set_cookie(&state, SESSION_COOKIE, &token, SESSION_AGE);
    res.headers_mut().insert(
        header::SET_COOKIE,
        cookie
            .parse()
            .map_err(|_| AppError::Internal("cookie".into()))?,
    );
    Ok(res)
}

/// `POST /agent/logout`
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body)?;
    let session = auth::require(&state, &headers, crate::store::Role::Agent)?;
    auth::check_csrf(&session, form.get("csrf"))?;
    if let Some(token) = auth::cookie(&headers, SESSION_COOKIE) {
        state.store.delete_session(token)?;
    }
    let mut res = redirect("/agent/login");
    let cookie = auth::set_cookie(&state, SESSION_COOKIE, "", Duration::ZERO);
    res.headers_mut().insert(
        header::SET_COOKIE,
        cookie
            .parse()
            .map_err(|_| AppError::Internal("cookie".into()))?,
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_workspace_paths_are_followed() {
        assert_eq!(safe_next(Some("/agent/revisions/3")), "/agent/revisions/3");
        for bad in [
            "https://evil.example/agent",
            "//evil.example",
            "/agent\\..",
            "/",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(Some(bad)), "/agent", "{bad}");
        }
    }
}
