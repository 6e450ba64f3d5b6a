//! The article page: the rendered article with breadcrumbs, table of
//! contents, translations and related articles; the "Was this helpful?" box;
//! and, for visitors who came from a search or the contact form, the events
//! that let reports count clicks and deflections.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::Extension;
use serde::Serialize;

use super::form::{form_token, with_cookie};
use super::page::{
    base_context, category_title, category_url, listed, render, PageLocale, RELATED,
};
use crate::analytics::{EventKind, Source};
use crate::articles::is_valid_slug;
use crate::index::Audience;
use crate::web::auth;
use crate::web::params::{Params, MAX_QUERY_CHARS};
use crate::web::visitor::Visitor;
use crate::web::{AppError, AppState};

#[derive(Serialize)]
struct TocEntry {
    level: u8,
    id: String,
    text: String,
}

#[derive(Serialize)]
struct Translation {
    locale: String,
    url: String,
    title: String,
}

#[derive(Serialize)]
struct ArticlePage {
    title: String,
    slug: String,
    url: String,
    html: String,
    toc: Vec<TocEntry>,
    updated: String,
    category_title: String,
    category_url: String,
    tags: Vec<String>,
    summary: String,
    translations: Vec<Translation>,
    /// Front-matter keys deflect does not use itself, for custom templates.
    extra: serde_json::Value,
    visibility: String,
}

/// `GET /articles/{slug}` — one article with its table of contents.
pub async fn article(
    State(state): State<AppState>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Path(path): Path<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
) -> Result<axum::response::Response, AppError> {
    let audience = auth::audience(&state, &headers);
    let params = Params::parse(raw.as_deref());
    let from = params.text("from").map(String::from);
    let query = params
        .text("q")
        .map(|q| q.chars().take(MAX_QUERY_CHARS).collect::<String>());
    let rank = params
        .text("rank")
        .and_then(|r| r.parse::<i64>().ok())
        .filter(|r| (1..=1000).contains(r));
    let feedback_state = match params.text("feedback") {
        Some(f @ ("thanks" | "reason" | "done")) => f.to_string(),
        _ => "ask".to_string(),
    };
    let (token, cookie) = form_token(&state, &headers);
    let html = state
        .run(move |s| {
            let loc = PageLocale::from_path(s, &path)?;
            let slug = path
                .get("slug")
                .map(|s| s.trim_end_matches('/'))
                .unwrap_or_default();
            // A slug that could name anything outside articles/ is never looked up.
            if !is_valid_slug(slug) {
                return Err(AppError::NotFound(
                    "There is no article at this address.".into(),
                ));
            }
            let index = s.library.index();
            let slug_owned = slug.to_string();
            let Some(article) = index.get(slug, &loc.locale, audience)? else {
                return Err(AppError::NotFound(
                    "There is no article at this address.".into(),
                ));
            };
            let title = article.title.clone();
            let related = index.related(&article, RELATED, audience)?;
            let translations = index.translations(&article, audience)?;
            let mut ctx = base_context(s, &loc, "");
            ctx.insert(
                "article",
                &ArticlePage {
                    toc: article
                        .toc
                        .iter()
                        .filter(|h| (2..=3).contains(&h.level))
                        .map(|h| TocEntry {
                            level: h.level,
                            id: h.id.clone(),
                            text: h.text.clone(),
                        })
                        .collect(),
                    updated: article
                        .updated
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_default(),
                    category_title: category_title(s, &loc.locale, &article.category),
                    category_url: category_url(&loc, &article.category),
                    translations: translations
                        .into_iter()
                        .map(|t| Translation {
                            locale: t.locale,
                            url: t.url,
                            title: t.title,
                        })
                        .collect(),
                    extra: article
                        .meta
                        .get("extra")
                        .cloned()
                        .unwrap_or(serde_json::Value::Null),
                    visibility: article.visibility.clone(),
                    title: article.title,
                    slug: article.slug,
                    url: article.url,
                    html: article.html,
                    tags: article.tags,
                    summary: article.summary,
                },
            );
            ctx.insert(
                "related",
                &related
                    .into_iter()
                    .map(|a| listed(s, &loc, a))
                    .collect::<Vec<_>>(),
            );
            let agent_edit_url = (audience == Audience::Agent).then(|| {
                let query =
                    serde_urlencoded::to_string([("slug", &slug_owned), ("locale", &loc.locale)])
                        .unwrap_or_default();
                format!("/agent/edit?{query}")
            });
            ctx.insert("agent_edit_url", &agent_edit_url);
            let from_contact = from.as_deref() == Some("contact");
            ctx.insert(
                "from_contact",
                &from_contact.then(|| {
                    serde_json::json!({ "action": "/contact/deflected", "csrf": token, "slug": slug_owned, "back_url": "/contact" })
                }),
            );
            let feedback_query = serde_urlencoded::to_string([("slug", &slug_owned), ("locale", &loc.locale)]).unwrap_or_default();
            let contact_query = serde_urlencoded::to_string([("article", &slug_owned), ("subject", &title)]).unwrap_or_default();
            ctx.insert(
                "feedback",
                &serde_json::json!({
                    "state": feedback_state, "action": format!("/feedback?{feedback_query}"), "csrf": token,
                    "contact_url": format!("/contact?{contact_query}"),
                }),
            );
            // What brought the visitor here, for the deflection reports.
            let sid = visitor.sid.as_deref();
            let kind = match from.as_deref() {
                Some("search") => Some(EventKind::Click),
                Some("contact") => Some(EventKind::SuggestionClick),
                _ => None,
            };
            if let Some(kind) = kind {
                s.record(sid, kind, Source::Web, |e| {
                    e.query = query.clone();
                    e.rank = rank;
                    e.slug = Some(slug_owned.clone());
                });
            }
            s.record(sid, EventKind::View, Source::Web, |e| {
                e.slug = Some(slug_owned.clone());
                e.locale = Some(loc.locale.clone());
                e.query = query.clone();
            });
            render(s, "article.html", &ctx)
        })
        .await?;
    Ok(with_cookie(html, axum::http::StatusCode::OK, cookie))
}
