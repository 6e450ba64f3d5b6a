//! The contact form that stands in front of the ticket queue: it suggests
//! articles as the customer types, stores a submitted ticket before anything
//! else is tried (the outbox then delivers it), then redirects to a
//! confirmation page (post/redirect/get, so a reload never sends it twice),
//! and counts what it deflects. Also "This answered my question" and the
//! "Was this helpful?" votes. Public forms are CSRF-safe through a
//! double-submit cookie.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde_json::json;

use super::form::{check_form_token, form_token, redirect, with_cookie, FormData, FORM_COOKIE};
use super::page::{base_context, category_links, category_title, PageLocale};
use crate::analytics::{EventKind, Source};
use crate::articles::{is_valid_slug, normalize_locale};
use crate::index::Audience;
use crate::intake::{Refused, Submission, TicketForm};
use crate::web::auth::{self, constant_time_eq};
use crate::web::params::Params;
use crate::web::visitor::Visitor;
use crate::web::{AppError, AppState};

pub fn routes() -> axum::Router<AppState> {
    Router::new()
        .route("/contact", get(form).post(submit))
        .route("/{locale}/contact", get(form).post(submit))
        .route("/contact/sent/{token}", get(sent))
        .route("/{locale}/contact/sent/{token}", get(sent))
        .route("/contact/deflected", post(deflected))
        .route("/feedback", post(feedback))
}

/// The ticket form's fields as the browser sent them.
fn ticket_form(form: &FormData) -> TicketForm {
    let get = |k: &str| form.get(k).unwrap_or_default().to_string();
    TicketForm {
        subject: get("subject"),
        description: get("description"),
        email: get("email"),
        category: get("category"),
        article: get("article"),
        website: get("website"),
        ..TicketForm::default()
    }
}

fn render_form(
    s: &AppState,
    loc: &PageLocale,
    form: &TicketForm,
    errors: &BTreeMap<&str, String>,
    token: &str,
) -> Result<Html<String>, AppError> {
    let mut ctx = base_context(s, loc, "");
    let index = s.library.index();
    let article_title = match form.article.as_str() {
        "" => None,
        slug if is_valid_slug(slug) => index
            .get(slug, &loc.locale, Audience::Public)?
            .or(index.get(slug, &s.config.default_locale, Audience::Public)?)
            .map(|a| a.title),
        _ => None,
    };
    // Every category a ticket can be about (the default language has them
    // all), named in the page's language.
    let mut cats: Vec<_> = category_links(s, &s.config.default_locale)?
        .into_iter()
        .map(|c| (category_title(s, &loc.locale, &c.slug), c.slug))
        .collect();
    cats.sort();
    let cats: Vec<_> = cats
        .into_iter()
        .map(|(title, slug)| json!({ "slug": slug, "title": title }))
        .collect();
    ctx.insert("action", &format!("{}/contact", loc.prefix));
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    ctx.insert("categories", &cats);
    ctx.insert("csrf", token);
    ctx.insert("suggest_url", "/api/v1/contact/suggest");
    ctx.insert("article_title", &article_title);
    s.templates
        .render("contact.html", &ctx)
        .map(Html)
        .map_err(AppError::Internal)
}

/// `GET /contact?subject=&description=&article=` (and `/{locale}/contact`)
async fn form(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Path(path): Path<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = Params::parse(raw.as_deref());
    let prefill = TicketForm {
        subject: params
            .text("subject")
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect(),
        description: params
            .text("description")
            .unwrap_or_default()
            .chars()
            .take(5000)
            .collect(),
        article: params
            .text("article")
            .filter(|a| is_valid_slug(a))
            .unwrap_or_default()
            .to_string(),
        ..TicketForm::default()
    };
    let (token, cookie) = form_token(&state, &headers);
    state.record(
        visitor.sid.as_deref(),
        EventKind::ContactOpen,
        Source::Web,
        |e| {
            e.slug = Some(prefill.article.clone()).filter(|a| !a.is_empty());
        },
    );
    let html = state
        .run(move |s| {
            let loc = PageLocale::from_path(s, &path)?;
            render_form(s, &loc, &prefill, &BTreeMap::new(), &token)
        })
        .await?;
    Ok(with_cookie(html, StatusCode::OK, cookie))
}

/// `POST /contact` (and `/{locale}/contact`: the ticket is in that language)
async fn submit(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Path(path): Path<HashMap<String, String>>,
    body: String,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body)?;
    check_form_token(&headers, &form)?;
    let ticket_form = ticket_form(&form);
    if ticket_form.is_bot() {
        tracing::info!("contact form honeypot filled; submission dropped");
        return Err(AppError::BadRequest(
            "Your request could not be sent.".into(),
        ));
    }
    let peer = connect.map(|Extension(ConnectInfo(p))| p.ip());
    let ip = auth::client_ip(&state.config.trusted_proxies, &headers, peer);
    let key = auth::limit_key(ip, "contact");
    // Checked and counted in one step: parallel submissions cannot all pass.
    if !state.contact_limiter.try_acquire(&key)? {
        return Err(AppError::TooMany(
            "You have sent several requests already. Please wait an hour, or reply to our email."
                .into(),
        ));
    }
    let (token, _) = form_token(&state, &headers);
    let result = state
        .run(move |s| {
            let loc = PageLocale::from_path(s, &path)?;
            let submitted = s.intake().submit(&Submission {
                form: &ticket_form,
                locale: &loc.locale,
                session: visitor.sid.as_deref(),
                source: Source::Web,
                idempotency_key: None,
            });
            let ticket = match submitted {
                Ok((ticket, _)) => ticket,
                Err(Refused::Invalid(errors)) => {
                    let page = render_form(s, &loc, &ticket_form, &errors, &token)?;
                    return Ok((StatusCode::BAD_REQUEST, page).into_response());
                }
                Err(Refused::Failed(e)) => return Err(e.into()),
                Err(Refused::Bot) => {
                    return Err(AppError::BadRequest(
                        "Your request could not be sent.".into(),
                    ))
                }
            };
            // Post/redirect/get: a reload shows the confirmation again
            // instead of sending the ticket twice.
            Ok(redirect(&format!(
                "{}/contact/sent/{}",
                loc.prefix,
                sent_token(&s.receipt_key, &token, ticket.id)
            )))
        })
        .await;
    // Only a stored ticket answers with the redirect to its confirmation:
    // anything else (a form sent back for a fix, an error) gives the slot
    // back, once.
    if !matches!(&result, Ok(r) if r.status() == StatusCode::SEE_OTHER) {
        state.contact_limiter.release(&key);
    }
    result
}

/// `{id}-{proof}`: the confirmation page of ticket `id`, valid only in the
/// browser whose form token made it (the page shows the customer's email),
/// and only with the store's key (one for every replica, kept across
/// restarts): a client who picks its own cookie still cannot compute another
/// ticket's link.
fn sent_token(key: &str, form_token: &str, id: i64) -> String {
    let mac = crate::outbox::sign(
        &format!("{key}:{form_token}"),
        format!("contact-sent:{id}").as_bytes(),
    );
    let proof = mac.trim_start_matches("sha256=");
    format!("{id}-{}", &proof[..32.min(proof.len())])
}

/// `GET /contact/sent/{token}` — "Request sent", as often as it is loaded.
async fn sent(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let token = path.get("token").cloned().unwrap_or_default();
    let gone = || {
        AppError::NotFound(
            "This confirmation is not available here. Your request was saved; we reply by email."
                .into(),
        )
    };
    let form_token = auth::cookie(&headers, FORM_COOKIE)
        .filter(|t| t.len() == 64)
        .ok_or_else(gone)?;
    let id: i64 = token
        .split_once('-')
        .and_then(|(id, _)| id.parse().ok())
        .ok_or_else(gone)?;
    let expected = sent_token(&state.receipt_key, form_token, id);
    if !constant_time_eq(expected.as_bytes(), token.as_bytes()) {
        return Err(gone());
    }
    state
        .run(move |s| {
            let ticket = s.store.ticket(id)?.ok_or_else(gone)?;
            let mut ctx = base_context(s, &PageLocale::from_path(s, &path)?, "");
            ctx.insert(
                "ticket",
                &json!({ "id": ticket.id, "email": ticket.fields.email }),
            );
            let html = s
                .templates
                .render("contact_done.html", &ctx)
                .map_err(AppError::Internal)?;
            Ok(Html(html).into_response())
        })
        .await
}

/// `POST /contact/deflected` — "This answered my question".
async fn deflected(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body)?;
    check_form_token(&headers, &form)?;
    let slug = form
        .get("slug")
        .filter(|s| is_valid_slug(s))
        .map(String::from);
    state.record(
        visitor.sid.as_deref(),
        EventKind::Deflected,
        Source::Web,
        |e| e.slug = slug.clone(),
    );
    state
        .run(move |s| {
            let loc = PageLocale::default_for(s);
            let article = match &slug {
                Some(slug) => s.library.index().get(slug, &loc.locale, Audience::Public)?,
                None => None,
            };
            let mut ctx = base_context(s, &loc, "");
            ctx.insert(
                "article",
                &article.map(|a| json!({ "title": a.title, "url": a.url })),
            );
            s.templates
                .render("deflected.html", &ctx)
                .map(|h| Html(h).into_response())
                .map_err(AppError::Internal)
        })
        .await
}

/// The longest comment kept with a vote.
const MAX_COMMENT_CHARS: usize = 500;

/// Reasons a "No" vote may give.
pub const REASONS: &[&str] = &["outdated", "unclear", "didnt_answer", "other"];

/// `POST /feedback?slug=&locale=` — "Was this helpful?". A "No" is recorded
/// at once; the optional reason that follows is recorded as the visitor's
/// later vote on the same article (reports keep each visitor's last vote).
async fn feedback(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: String,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body)?;
    check_form_token(&headers, &form)?;
    let params = Params::parse(raw.as_deref());
    let slug = params
        .text("slug")
        .filter(|s| is_valid_slug(s))
        .ok_or_else(|| AppError::BadRequest("Which article?".into()))?
        .to_string();
    let locale = params
        .text("locale")
        .and_then(normalize_locale)
        .unwrap_or_else(|| state.config.default_locale.clone());
    let helpful = match form.get("helpful") {
        Some("yes") => true,
        Some("no") => false,
        _ => return Err(AppError::BadRequest("Answer yes or no.".into())),
    };
    let reason = form
        .get("reason")
        .filter(|r| REASONS.contains(r))
        .map(String::from);
    // What the customer wrote with a "No" ("Something else: …"), kept short
    // and with emails, numbers and the like masked: reports are read by many.
    let comment = form
        .get("comment")
        .map(|c| c.trim().chars().take(MAX_COMMENT_CHARS).collect::<String>())
        .filter(|c| !helpful && !c.is_empty())
        .map(|c| crate::pii::mask(&c).into_owned());
    let next = match (helpful, &reason) {
        (true, _) => "thanks",
        (false, None) => "reason",
        (false, Some(_)) => "done",
    };
    state.record(visitor.sid.as_deref(), EventKind::Vote, Source::Web, |e| {
        e.slug = Some(slug.clone());
        e.locale = Some(locale.clone());
        e.helpful = Some(helpful);
        e.reason = reason.clone();
        e.comment = comment.clone();
    });
    let url = crate::articles::load::article_url(&state.config.default_locale, &locale, &slug);
    Ok(redirect(&format!("{url}?feedback={next}#feedback")))
}
