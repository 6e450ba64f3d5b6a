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
    base_context, category_links, category_title, category_url, languages, listed, render,
    PageLocale, RELATED,
};
use crate::analytics::{EventKind, Source};
use crate::articles::is_valid_slug;
use crate::index::{ArticleRecord, ArticleSummary, Audience};
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
    visibility: crate::articles::Visibility,
}

/// What the article URL's query says about the visit.
struct Visit {
    /// `search` or `contact`: where the visitor clicked through from.
    from: Option<String>,
    query: Option<String>,
    rank: Option<i64>,
    /// Where the "Was this helpful?" box is: `ask`, `thanks`, `reason`, `done`.
    feedback: &'static str,
}

impl Visit {
    fn parse(raw: Option<&str>) -> Visit {
        let params = Params::parse(raw);
        Visit {
            from: params.text("from").map(String::from),
            query: params
                .text("q")
                .map(|q| q.chars().take(MAX_QUERY_CHARS).collect()),
            rank: params
                .text("rank")
                .and_then(|r| r.parse::<i64>().ok())
                .filter(|r| (1..=1000).contains(r)),
            feedback: match params.text("feedback") {
                Some("thanks") => "thanks",
                Some("reason") => "reason",
                Some("done") => "done",
                _ => "ask",
            },
        }
    }
}

impl ArticlePage {
    fn new(
        s: &AppState,
        loc: &PageLocale,
        article: ArticleRecord,
        translations: Vec<ArticleSummary>,
    ) -> ArticlePage {
        ArticlePage {
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
            category_url: category_url(loc, &article.category),
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
            visibility: article.visibility,
            title: article.title,
            slug: article.slug,
            url: article.url,
            html: article.html,
            tags: article.tags,
            summary: article.summary,
        }
    }
}

/// The boxes under the article: "Was this helpful?", the agent's edit link,
/// and "This answered my question" for visitors from the contact form.
fn insert_actions(
    ctx: &mut tera::Context,
    visit: &Visit,
    (slug, loc, title): (&str, &PageLocale, &str),
    token: &str,
    audience: Audience,
) {
    let locale = loc.locale.as_str();
    // The built-in contact form, in the article's language.
    let contact = format!("{}/contact", loc.prefix);
    let article_query =
        serde_urlencoded::to_string([("slug", slug), ("locale", locale)]).unwrap_or_default();
    let agent_edit_url =
        (audience == Audience::Agent).then(|| format!("/agent/edit?{article_query}"));
    ctx.insert("agent_edit_url", &agent_edit_url);
    ctx.insert(
        "from_contact",
        &(visit.from.as_deref() == Some("contact")).then(|| {
            serde_json::json!({ "action": "/contact/deflected", "csrf": token, "slug": slug, "back_url": contact })
        }),
    );
    let contact_query =
        serde_urlencoded::to_string([("article", slug), ("subject", title)]).unwrap_or_default();
    ctx.insert(
        "feedback",
        &serde_json::json!({
            "state": visit.feedback, "action": format!("/feedback?{article_query}"), "csrf": token,
            "contact_url": format!("{contact}?{contact_query}"),
        }),
    );
}

/// What brought the visitor here and what they read, for the deflection
/// reports.
fn record_visit(s: &AppState, sid: Option<&str>, visit: &Visit, slug: &str, locale: &str) {
    let kind = match visit.from.as_deref() {
        Some("search") => Some(EventKind::Click),
        Some("contact") => Some(EventKind::SuggestionClick),
        _ => None,
    };
    if let Some(kind) = kind {
        s.record(sid, kind, Source::Web, |e| {
            e.query = visit.query.clone();
            e.rank = visit.rank;
            e.slug = Some(slug.to_string());
        });
    }
    s.record(sid, EventKind::View, Source::Web, |e| {
        e.slug = Some(slug.to_string());
        e.locale = Some(locale.to_string());
        e.query = visit.query.clone();
    });
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
    let visit = Visit::parse(raw.as_deref());
    let (token, cookie) = form_token(&state, &headers);
    let page = state
        .compute(move |s| {
            let loc = PageLocale::from_path(s, &path)?;
            let slug = path
                .get("slug")
                .map(|s| s.trim_end_matches('/'))
                .unwrap_or_default()
                .to_string();
            let missing = || AppError::NotFound("There is no article at this address.".into());
            // A slug that could name anything outside articles/ is never looked up.
            if !is_valid_slug(&slug) {
                return Err(missing());
            }
            let index = s.library.index();
            let Some(article) = index.get(&slug, &loc.locale, audience)? else {
                return not_in_this_language(s, &loc, &slug, audience);
            };
            let title = article.title.clone();
            let related = index.related(&article, RELATED, audience)?;
            let translations = index.translations(&article, audience)?;
            let mut ctx = base_context(s, &loc, "");
            let alternates: Vec<(String, String)> = translations
                .iter()
                .map(|t| (t.locale.clone(), t.url.clone()))
                .chain([(loc.locale.clone(), article.url.clone())])
                .collect();
            ctx.insert("languages", &languages(s, &loc, &alternates));
            ctx.insert("article", &ArticlePage::new(s, &loc, article, translations));
            let related: Vec<_> = related.into_iter().map(|a| listed(s, &loc, a)).collect();
            ctx.insert("related", &related);
            insert_actions(&mut ctx, &visit, (&slug, &loc, &title), &token, audience);
            record_visit(s, visitor.sid.as_deref(), &visit, &slug, &loc.locale);
            Ok((axum::http::StatusCode::OK, render(s, "article.html", &ctx)?))
        })
        .await?;
    Ok(with_cookie(page.1, page.0, cookie))
}

/// The 404 of an article that exists only in other languages: it offers
/// them (a French visitor on `/fr/articles/x` is told the English version
/// exists); a plain 404 when no language has it.
fn not_in_this_language(
    s: &AppState,
    loc: &PageLocale,
    slug: &str,
    audience: Audience,
) -> Result<(axum::http::StatusCode, axum::response::Html<String>), AppError> {
    let index = s.library.index();
    let mut elsewhere = Vec::new();
    for l in languages(s, loc, &[]) {
        if l.current {
            continue;
        }
        if let Some(a) = index.get(slug, &l.locale, audience)? {
            elsewhere.push(serde_json::json!({
                "locale": l.locale, "name": l.name, "url": a.url, "title": a.title,
            }));
        }
    }
    if elsewhere.is_empty() {
        return Err(AppError::NotFound(
            "There is no article at this address.".into(),
        ));
    }
    let mut ctx = base_context(s, loc, "");
    ctx.insert("status", &404);
    ctx.insert("elsewhere", &elsewhere);
    ctx.insert("categories", &category_links(s, &loc.locale)?);
    Ok((
        axum::http::StatusCode::NOT_FOUND,
        render(s, "404.html", &ctx)?,
    ))
}
