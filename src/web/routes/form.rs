//! Forms: reading a urlencoded body, the CSRF checks (the signed-in
//! session's token for the agent workspace, a double-submit cookie for public
//! forms), and the 303 redirect that follows a successful POST.

use std::time::Duration;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::store::{Role, Session};
use crate::web::auth::{self, constant_time_eq};
use crate::web::{AppError, AppState};

/// The double-submit cookie of public forms.
pub const FORM_COOKIE: &str = "deflect_form";

/// A urlencoded form body, keeping repeated keys.
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &str) -> Result<FormData, AppError> {
        serde_urlencoded::from_str(body)
            .map(FormData)
            .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}.")))
    }

    /// The trimmed value of `key` (the last one when repeated).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
    }

    /// The value of `key` as sent, white space kept (the last one when
    /// repeated): Markdown cares about it.
    pub fn raw(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The session, checked against the form's CSRF token.
    pub fn authorize(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        role: Role,
    ) -> Result<Session, AppError> {
        let session = auth::require(state, headers, role)?;
        auth::check_csrf(&session, self.get("csrf"))?;
        Ok(session)
    }
}

/// A 303 redirect (after a POST, the browser GETs the target).
pub fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// The form token of this browser and, when it is new, the cookie to set.
pub fn form_token(state: &AppState, headers: &HeaderMap) -> (String, Option<String>) {
    match auth::cookie(headers, FORM_COOKIE).filter(|t| t.len() == 64) {
        Some(t) => (t.to_string(), None),
        None => {
            let t = crate::store::random_token();
            let cookie = auth::set_cookie(state, FORM_COOKIE, &t, Duration::from_secs(30 * 86_400));
            (t.clone(), Some(cookie))
        }
    }
}

/// Checks a public form's token against the browser's cookie.
pub fn check_form_token(headers: &HeaderMap, form: &FormData) -> Result<(), AppError> {
    let cookie = auth::cookie(headers, FORM_COOKIE).unwrap_or_default();
    let sent = form.get("csrf").unwrap_or_default();
    if cookie.is_empty() || !constant_time_eq(cookie.as_bytes(), sent.as_bytes()) {
        return Err(AppError::Forbidden(
            "This form has expired. Reload the page and try again.".into(),
        ));
    }
    Ok(())
}

/// A page with the form cookie set when it is new.
pub fn with_cookie(html: Html<String>, status: StatusCode, cookie: Option<String>) -> Response {
    let mut res = (status, html).into_response();
    if let Some(c) = cookie.and_then(|c| c.parse().ok()) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}
