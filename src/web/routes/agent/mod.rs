//! The agent workspace under `/agent`: sign-in, the dashboard, the editor,
//! review pages, history, accounts, reports, FAQ mining, synonyms and the
//! ticket inbox. Every page needs a signed-in agent
//! (a sign-in redirect otherwise); every POST checks the session's CSRF token.

mod accounts;
mod dashboard;
mod editor;
mod login;
mod mining;
mod outbox;
mod queue;
mod reports;
mod revision;
mod synonyms;
mod tickets;

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use tera::Context;

pub use super::form::{redirect, FormData};
pub use super::page::render;
use super::page::{base_context, PageLocale};
use crate::store::{Revision, Role, Session};
use crate::web::auth;
use crate::web::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/login", get(login::form).post(login::submit))
        .route("/agent/logout", post(login::logout))
        .route("/agent", get(dashboard::page))
        .route(
            "/agent/articles/new",
            get(editor::new_form).post(editor::create),
        )
        .route(
            "/agent/edit",
            get(editor::start_edit).post(editor::create_edit),
        )
        .route("/agent/preview", post(editor::preview))
        .route(
            "/agent/revisions/{id}",
            get(revision::page).put(editor::autosave),
        )
        .route(
            "/agent/revisions/{id}/edit",
            get(editor::edit_form).post(editor::save),
        )
        .route("/agent/revisions/{id}/{action}", post(revision::act))
        .route("/agent/history", get(revision::history))
        .route("/agent/diff", get(revision::diff))
        .route("/agent/articles/verify", post(revision::verify))
        .route("/agent/articles/review-live", post(revision::review_live))
        .route(
            "/agent/accounts",
            get(accounts::page).post(accounts::create),
        )
        .route("/agent/accounts/{name}/disable", post(accounts::disable))
        .route("/agent/outbox", get(outbox::page))
        .route("/agent/tickets", get(tickets::list))
        .route("/agent/tickets.csv", get(tickets::export))
        .route("/agent/tickets/{id}", get(tickets::page))
        .route("/agent/tickets/{id}/{action}", post(tickets::act))
        .route("/agent/queue", get(queue::page))
        .route("/agent/mining", get(mining::page))
        .route("/agent/mining/report", get(mining::report))
        .route("/agent/mining/report.json", get(mining::report))
        .route("/agent/mining/drafts", post(mining::create_drafts))
        .route("/agent/reports", get(reports::page))
        .route("/agent/synonyms", get(synonyms::page).post(synonyms::add))
}

/// The article a page names with `?slug=&locale=` (the default locale when
/// none is given).
pub fn article_param(state: &AppState, params: &crate::web::params::Params) -> (String, String) {
    let slug = params.text("slug").unwrap_or_default().to_string();
    let locale = params
        .text("locale")
        .unwrap_or(&state.config.default_locale)
        .to_string();
    (slug, locale)
}

/// A one-line message shown at the top of the next page.
#[derive(Serialize, Clone)]
pub struct Flash {
    pub kind: &'static str,
    pub text: String,
}

/// The least role a page needs, as a type: see [`SignedIn`].
pub trait MinRole {
    const ROLE: Role;
}

/// Any signed-in agent.
pub struct AnyAgent;
/// A lead or an admin.
pub struct LeadRole;
/// An admin.
pub struct AdminRole;

impl MinRole for AnyAgent {
    const ROLE: Role = Role::Agent;
}
impl MinRole for LeadRole {
    const ROLE: Role = Role::Lead;
}
impl MinRole for AdminRole {
    const ROLE: Role = Role::Admin;
}

/// The signed-in session of a page load, with at least role `R`. Extracting
/// it is the workspace's one sign-in gate: without a session the visitor is
/// redirected to the sign-in page (and back to this page after); with a
/// lesser role the page is refused with 403.
pub struct SignedIn<R: MinRole>(pub Session, PhantomData<R>);

impl<R: MinRole + Send + Sync> FromRequestParts<AppState> for SignedIn<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let next = parts.uri.path_and_query().map_or("/agent", |p| p.as_str());
        signed_in(state, &parts.headers, next, R::ROLE)
            .map(|s| SignedIn(s, PhantomData))
            .map_err(|r| *r)
    }
}

/// The session for a page load, or a redirect to the sign-in page.
fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    next: &str,
    role: Role,
) -> Result<Session, Box<Response>> {
    let session = auth::lookup(state, headers).map_err(|e| Box::new(e.into_response()))?;
    match session {
        Some(s) if s.account.role >= role => Ok(s),
        Some(_) => Err(Box::new(
            AppError::Forbidden(format!("This page needs the {} role.", role.as_str()))
                .into_response(),
        )),
        None => Err(Box::new(redirect(&format!(
            "/agent/login?{}",
            serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
        )))),
    }
}

/// What every agent page gets.
pub fn context(state: &AppState, session: Option<&Session>, flash: Option<Flash>) -> Context {
    let mut ctx = base_context(state, &PageLocale::default_for(state), "");
    ctx.insert("me", &session.map(|s| &s.account));
    ctx.insert("csrf", &session.map(|s| s.csrf.as_str()).unwrap_or(""));
    ctx.insert("flash", &flash);
    ctx
}

/// The agents who may be asked to review a revision by `author`: every
/// enabled account but the author (the rule refuses self-review anyway; the
/// choice is not offered).
pub fn reviewer_choices(state: &AppState, author: i64) -> Result<Vec<serde_json::Value>, AppError> {
    Ok(state
        .store
        .accounts()?
        .into_iter()
        .filter(|a| !a.disabled && a.id != author)
        .map(|a| serde_json::json!({ "name": a.name }))
        .collect())
}

/// A flash message from the `?done=` key a redirect carried.
pub fn flash_from(query: Option<&str>) -> Option<Flash> {
    let params = crate::web::params::Params::parse(query);
    let text = match params.text("done")? {
        "saved" => "Draft saved.",
        "claimed" => "The draft is yours: write it, then submit it for review.",
        "submitted" => "Submitted for review.",
        "approved" => "Approved.",
        "changes_requested" => "Changes requested: the author has been told.",
        "commented" => "Comment added.",
        "published" => "Published: the article is live.",
        "discarded" => "Revision discarded.",
        "verified" => "Marked as still accurate.",
        "created" => "Account created.",
        "disabled" => "Account disabled.",
        "ticket_solved" => "Ticket solved.",
        "ticket_reopened" => "Ticket reopened.",
        "ticket_assigned" => "Assignment saved.",
        "ticket_replied" => "Reply saved and queued for email.",
        _ => return None,
    };
    Some(Flash {
        kind: "ok",
        text: text.into(),
    })
}

/// A revision as listed on the dashboard and elsewhere.
#[derive(Serialize)]
pub struct RevisionRow {
    id: i64,
    title: String,
    slug: String,
    locale: String,
    state: &'static str,
    state_label: String,
    author: String,
    updated_at: String,
    url: String,
    approvals: usize,
    needed: usize,
}

pub fn row(state: &AppState, rev: &Revision) -> Result<RevisionRow, AppError> {
    let approvals = state.workflow.ledger(rev.id)?.approvals(rev);
    Ok(RevisionRow {
        id: rev.id,
        title: rev.fields.title.clone(),
        slug: rev.slug.clone(),
        locale: rev.locale.clone(),
        state: rev.state.as_str(),
        state_label: state_label(rev.state.as_str()),
        author: rev.author.clone(),
        updated_at: short_time(&rev.updated_at),
        url: format!("/agent/revisions/{}", rev.id),
        approvals,
        needed: state.workflow.min_approvals,
    })
}

/// `draft` → `Draft`, `in_review` → `In review`.
pub fn state_label(state: &str) -> String {
    let words = state.replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `2026-11-23T10:11:12.123Z` → `2026-11-23 10:11`.
pub fn short_time(rfc3339: &str) -> String {
    rfc3339
        .get(..16)
        .map(|s| s.replace('T', " "))
        .unwrap_or_else(|| rfc3339.to_string())
}
