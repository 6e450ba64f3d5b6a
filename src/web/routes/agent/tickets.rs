//! The built-in ticket inbox: every ticket the contact form, the widget and
//! the API stored, for teams with no help desk connected (and, when one is,
//! as a view of everything submitted). A list with search, filters and
//! paging; a ticket page with the customer's text, what they searched and
//! read before writing, the articles the help center would suggest for it,
//! and the replies; assign, solve, reopen and reply-by-email (through the
//! `[tickets]` SMTP server). Every change is a CSRF-checked POST, audited in
//! the store; `/agent/tickets.csv` exports the filtered list.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::{context, flash_from, redirect, render, short_time, AnyAgent, FormData, SignedIn};
use crate::analytics::report::render::text as csv_text;
use crate::analytics::{Event, EventKind};
use crate::index::{Audience, SearchRequest};
use crate::store::{AssigneeFilter, NewReply, Role, Ticket, TicketQuery, TicketStatus};
use crate::web::params::Params;
use crate::web::{AppError, AppState};

/// Tickets on one page of the list.
const PAGE_SIZE: usize = 25;
/// Most rows one CSV export holds.
const MAX_EXPORT: usize = 100_000;
/// Most session events shown on a ticket page.
const MAX_EVENTS: usize = 200;
/// Articles suggested for a ticket's text.
const SUGGESTIONS: usize = 5;
/// Longest reply accepted.
const MAX_REPLY_CHARS: usize = 20_000;

/// The list's filters, read from the query string; a bad value is a 400.
fn query(s: &AppState, params: &Params) -> Result<(TicketQuery, usize), AppError> {
    let status = match params.text("status") {
        None | Some("all") => None,
        Some(v) => Some(TicketStatus::parse(v).ok_or_else(|| {
            AppError::BadRequest(format!("`status` is new, open, solved or all (got `{v}`)."))
        })?),
    };
    let assignee = match params.text("assignee") {
        None => None,
        Some("none") => Some(AssigneeFilter::Nobody),
        Some(name) => Some(AssigneeFilter::Account(
            s.store
                .account_by_name(name)?
                .ok_or_else(|| AppError::BadRequest(format!("No agent is called `{name}`.")))?
                .id,
        )),
    };
    let page = params.number("page", 1, 1, 100_000)?;
    let q = TicketQuery {
        status,
        assignee,
        category: params.text("category").map(String::from),
        text: Some(params.query()?).filter(|q| !q.is_empty()),
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
    };
    Ok((q, page))
}

/// A ticket as the list and the CSV show it.
#[derive(Serialize)]
struct Row {
    id: i64,
    url: String,
    subject: String,
    email: String,
    category: String,
    status: &'static str,
    assignee: String,
    created_at: String,
    source: String,
}

fn row(t: &Ticket) -> Row {
    Row {
        id: t.id,
        url: format!("/agent/tickets/{}", t.id),
        subject: t.fields.subject.clone(),
        email: t.fields.email.clone(),
        category: t.fields.category.clone().unwrap_or_default(),
        status: t.status.as_str(),
        assignee: t.assignee.clone().unwrap_or_default(),
        created_at: short_time(&t.created_at),
        source: t.fields.source.clone(),
    }
}

/// The current filters as a query string, `page` replaced.
fn link(raw: Option<&str>, page: usize) -> String {
    let pairs: Vec<(String, String)> = raw
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let mut kept: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, v)| k != "page" && k != "done" && !v.trim().is_empty())
        .collect();
    kept.push(("page".into(), page.to_string()));
    format!(
        "/agent/tickets?{}",
        serde_urlencoded::to_string(kept).unwrap_or_default()
    )
}

/// `GET /agent/tickets?q=&status=&assignee=&category=&page=`
pub async fn list(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn<AnyAgent>,
    RawQuery(raw): RawQuery,
) -> Response {
    state
        .run(move |s| {
            let params = Params::parse(raw.as_deref());
            let (q, page) = query(s, &params)?;
            let (tickets, total) = s.store.tickets(&q)?;
            let pages = (total as usize).div_ceil(PAGE_SIZE).max(1);
            let mut ctx = context(s, Some(&session), flash_from(raw.as_deref()));
            ctx.insert("tickets", &tickets.iter().map(row).collect::<Vec<_>>());
            ctx.insert("total", &total);
            ctx.insert("page", &page);
            ctx.insert("pages", &pages);
            ctx.insert(
                "prev_url",
                &(page > 1).then(|| link(raw.as_deref(), page - 1)),
            );
            ctx.insert(
                "next_url",
                &(page < pages).then(|| link(raw.as_deref(), page + 1)),
            );
            ctx.insert(
                "csv_url",
                &format!("/agent/tickets.csv?{}", raw.as_deref().unwrap_or("")),
            );
            ctx.insert(
                "filter",
                &json!({
                    "q": params.text("q").unwrap_or(""),
                    "status": params.text("status").unwrap_or("all"),
                    "assignee": params.text("assignee").unwrap_or(""),
                    "category": params.text("category").unwrap_or(""),
                }),
            );
            ctx.insert("agents", &agent_names(s)?);
            ctx.insert("categories", &categories(s)?);
            ctx.insert("no_channel", &s.config.tickets.destinations().is_empty());
            render(s, "agent/tickets.html", &ctx).map(IntoResponse::into_response)
        })
        .await
        .into_response()
}

/// `GET /agent/tickets.csv?...` — the filtered list, every page.
pub async fn export(
    State(state): State<AppState>,
    _: SignedIn<AnyAgent>,
    RawQuery(raw): RawQuery,
) -> Response {
    state
        .run(move |s| {
            let (mut q, _) = query(s, &Params::parse(raw.as_deref()))?;
            q.limit = MAX_EXPORT;
            q.offset = 0;
            let (tickets, _) = s.store.tickets(&q)?;
            let mut w = csv::Writer::from_writer(Vec::new());
            let fail = |e: csv::Error| AppError::Internal(format!("ticket export: {e}"));
            w.write_record([
                "id",
                "created_at",
                "status",
                "assignee",
                "email",
                "category",
                "subject",
                "description",
                "source",
                "locale",
                "solved_at",
            ])
            .map_err(fail)?;
            for t in &tickets {
                w.write_record([
                    t.id.to_string(),
                    t.created_at.clone(),
                    t.status.as_str().to_string(),
                    csv_text(t.assignee.as_deref().unwrap_or("")),
                    csv_text(&t.fields.email),
                    csv_text(t.fields.category.as_deref().unwrap_or("")),
                    csv_text(&t.fields.subject),
                    csv_text(&t.fields.description),
                    t.fields.source.clone(),
                    t.fields.locale.clone(),
                    t.solved_at.clone().unwrap_or_default(),
                ])
                .map_err(fail)?;
            }
            let bytes = w
                .into_inner()
                .map_err(|e| AppError::Internal(format!("ticket export: {e}")))?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"tickets.csv\"",
                    ),
                ],
                bytes,
            )
                .into_response())
        })
        .await
        .into_response()
}

/// One event of the customer's session, as the ticket page lists it.
#[derive(Serialize)]
struct Step {
    at: String,
    kind: &'static str,
    query: Option<String>,
    slug: Option<String>,
    url: Option<String>,
    results: Option<i64>,
    /// `yes` or `no` for a vote.
    helpful: Option<&'static str>,
}

fn step(s: &AppState, e: Event) -> Step {
    let url = e.slug.as_ref().map(|slug| {
        let locale = e.locale.as_deref().unwrap_or(&s.config.default_locale);
        crate::articles::load::article_url(&s.config.default_locale, locale, slug)
    });
    Step {
        at: chrono::DateTime::from_timestamp_millis(e.at)
            .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default(),
        kind: e.kind.as_str(),
        query: e.query,
        slug: e.slug,
        url,
        results: e.results,
        helpful: e.helpful.map(|h| if h { "yes" } else { "no" }),
    }
}

/// Articles the help center offers for the ticket's text now, as the
/// contact form would (its own suggestions are recorded only as counts).
fn suggestions(s: &AppState, t: &Ticket) -> Result<Vec<serde_json::Value>, AppError> {
    let text: String = format!("{} {}", t.fields.subject, t.fields.description)
        .chars()
        .take(crate::web::params::MAX_QUERY_CHARS)
        .collect();
    let hits = s
        .library
        .index()
        .search(&SearchRequest {
            query: &text,
            locale: &t.fields.locale,
            category: None,
            limit: SUGGESTIONS,
            offset: 0,
            audience: Audience::Public,
        })?
        .hits;
    Ok(hits
        .into_iter()
        .map(|h| json!({ "title": h.title, "url": h.url, "slug": h.slug }))
        .collect())
}

/// `GET /agent/tickets/{id}`
pub async fn page(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn<AnyAgent>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    state
        .run(move |s| {
            let t = find(s, &id)?;
            let steps: Vec<Step> = match &t.fields.session {
                Some(sid) => s
                    .store
                    .session_events(sid, MAX_EVENTS)?
                    .into_iter()
                    .filter(|e| e.kind != EventKind::TicketSubmit)
                    .map(|e| step(s, e))
                    .collect(),
                None => Vec::new(),
            };
            let replies: Vec<_> = s
                .store
                .ticket_replies(t.id)?
                .into_iter()
                .map(|r| {
                    json!({
                        "author": r.author, "body": r.body, "at": short_time(&r.created_at),
                        "delivered": r.delivered_at.is_some(), "error": r.last_error,
                    })
                })
                .collect();
            let mut ctx = context(s, Some(&session), flash_from(raw.as_deref()));
            ctx.insert("ticket", &row(&t));
            ctx.insert("description", &t.fields.description);
            ctx.insert("locale", &t.fields.locale);
            ctx.insert("solved_at", &t.solved_at.as_deref().map(short_time));
            ctx.insert("article", &t.fields.article);
            ctx.insert("steps", &steps);
            ctx.insert("has_session", &t.fields.session.is_some());
            ctx.insert("suggestions", &suggestions(s, &t)?);
            ctx.insert("replies", &replies);
            ctx.insert("agents", &agent_names(s)?);
            ctx.insert("smtp", &s.config.tickets.smtp_configured());
            ctx.insert("action_base", &format!("/agent/tickets/{}", t.id));
            render(s, "agent/ticket.html", &ctx).map(IntoResponse::into_response)
        })
        .await
        .into_response()
}

/// `POST /agent/tickets/{id}/{action}`: `assign`, `solve`, `reopen`, `reply`.
pub async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    body: String,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body)?;
    let session = form.authorize(&state, &headers, Role::Agent)?;
    state
        .run(move |s| {
            let t = find(s, &id)?;
            let me = session.account.id;
            let done = match action.as_str() {
                "solve" => {
                    s.store
                        .set_ticket_status(t.id, TicketStatus::Solved, me)
                        .map_err(AppError::from_store)?;
                    "ticket_solved"
                }
                "reopen" => {
                    s.store
                        .set_ticket_status(t.id, TicketStatus::Open, me)
                        .map_err(AppError::from_store)?;
                    "ticket_reopened"
                }
                "assign" => {
                    let assignee = match form.get("assignee").unwrap_or("") {
                        "" => None,
                        name => Some(
                            s.store
                                .account_by_name(name)?
                                .ok_or_else(|| {
                                    AppError::BadRequest(format!("No agent is called `{name}`."))
                                })?
                                .id,
                        ),
                    };
                    s.store
                        .assign_ticket(t.id, assignee, me)
                        .map_err(AppError::from_store)?;
                    "ticket_assigned"
                }
                "reply" => {
                    reply(s, &t, me, form.get("body").unwrap_or(""))?;
                    "ticket_replied"
                }
                other => {
                    return Err(AppError::NotFound(format!(
                        "There is no ticket action `{other}`."
                    )))
                }
            };
            Ok(redirect(&format!("/agent/tickets/{}?done={done}", t.id)))
        })
        .await
}

/// Stores and queues a reply to the customer; refused without SMTP.
fn reply(s: &AppState, t: &Ticket, author: i64, body: &str) -> Result<(), AppError> {
    if !s.config.tickets.smtp_configured() {
        return Err(AppError::Conflict(
            "Replies go by email, and no SMTP server is configured: set smtp_host in [tickets], or reply from your own mailbox."
                .into(),
        ));
    }
    let chars = body.chars().count();
    if chars == 0 {
        return Err(AppError::BadRequest("Write a reply first.".into()));
    }
    if chars > MAX_REPLY_CHARS {
        return Err(AppError::BadRequest(format!(
            "Keep the reply under {MAX_REPLY_CHARS} characters."
        )));
    }
    let payload = json!({
        "event": "reply", "id": t.id, "subject": t.fields.subject, "body": body,
        "email": t.fields.email,
    })
    .to_string();
    s.store
        .reply_to_ticket(&NewReply {
            ticket_id: t.id,
            author_id: author,
            body,
            destination: &format!("mailto:{}", t.fields.email),
            payload: &payload,
        })
        .map_err(AppError::from_store)?;
    s.workflow.notifier.wake();
    Ok(())
}

/// The ticket a path names, or a 404 that says so.
fn find(s: &AppState, id: &str) -> Result<Ticket, AppError> {
    let missing = || AppError::NotFound(format!("There is no ticket #{id}."));
    let id: i64 = id.parse().map_err(|_| missing())?;
    s.store.ticket(id)?.ok_or_else(missing)
}

/// Active agents, by name, for the assign menus and the filter.
fn agent_names(s: &AppState) -> Result<Vec<String>, AppError> {
    Ok(s.store
        .accounts()?
        .into_iter()
        .filter(|a| !a.disabled)
        .map(|a| a.name)
        .collect())
}

/// The help center's categories in the default locale, for the filter.
fn categories(s: &AppState) -> Result<Vec<String>, AppError> {
    Ok(s.library
        .index()
        .categories(&s.config.default_locale, Audience::Public)?
        .into_iter()
        .map(|c| c.category)
        .collect())
}
