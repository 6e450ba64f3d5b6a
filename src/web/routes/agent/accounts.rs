//! Account management for admins: the team list, new accounts, disabling.
//! (The same is available from the command line: `deflect agent`.)

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{context, flash_from, redirect, render, AdminRole, FormData, SignedIn};
use crate::store::{Role, Session};
use crate::web::{AppError, AppState};

fn accounts_page(
    s: &AppState,
    session: &Session,
    errors: BTreeMap<&str, String>,
    flash: Option<super::Flash>,
) -> Result<axum::response::Html<String>, AppError> {
    let accounts: Vec<_> = s
        .store
        .accounts()?
        .into_iter()
        .map(|a| {
            json!({
                "name": a.name, "email": a.email, "role": a.role.as_str(), "disabled": a.disabled,
                "disable_url": format!("/agent/accounts/{}/disable", a.name),
            })
        })
        .collect();
    let mut ctx = context(s, Some(session), flash);
    ctx.insert("accounts", &accounts);
    ctx.insert("errors", &errors);
    render(s, "agent/accounts.html", &ctx)
}

/// `GET /agent/accounts`
pub async fn page(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn<AdminRole>,
    RawQuery(raw): RawQuery,
) -> Response {
    let flash = flash_from(raw.as_deref());
    state
        .run(move |s| accounts_page(s, &session, BTreeMap::new(), flash))
        .await
        .into_response()
}

/// `POST /agent/accounts`
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body)?;
    let session = form.authorize(&state, &headers, Role::Admin)?;
    state
        .run(move |s| {
            let role = Role::parse(form.get("role").unwrap_or("agent"))
                .ok_or_else(|| AppError::BadRequest("The role is agent, lead or admin.".into()))?;
            let result = s.store.create_account(
                form.get("name").unwrap_or_default(),
                form.get("email").unwrap_or_default(),
                role,
                form.get("password").unwrap_or_default(),
            );
            match result {
                Ok(_) => Ok(redirect("/agent/accounts?done=created")),
                Err(crate::store::Error::Invalid(m) | crate::store::Error::Conflict(m)) => {
                    let field = if m.contains("password") {
                        "password"
                    } else if m.contains("email") {
                        "email"
                    } else {
                        "name"
                    };
                    let html = accounts_page(s, &session, BTreeMap::from([(field, m)]), None)?;
                    Ok((StatusCode::BAD_REQUEST, html).into_response())
                }
                Err(e) => Err(e.into()),
            }
        })
        .await
}

/// `POST /agent/accounts/{name}/disable`
pub async fn disable(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: String,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body)?;
    let session = form.authorize(&state, &headers, Role::Admin)?;
    if name.eq_ignore_ascii_case(&session.account.name) {
        return Err(AppError::BadRequest(
            "You cannot disable your own account.".into(),
        ));
    }
    state
        .run(move |s| {
            s.store
                .disable_account(&name, Some(session.account.id))
                .map_err(|e| match e {
                    crate::store::Error::NotFound(m) => AppError::NotFound(m),
                    e => e.into(),
                })?;
            Ok(redirect("/agent/accounts?done=disabled"))
        })
        .await
}
